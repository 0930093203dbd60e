"""Staged agent upgrades, the device side (issue 17; ``docs/agent-upgrade.md``).

Rooms: ``layout`` (the ``<data_dir>/releases`` tree: the ``current`` symlink, ``pending.json``
and the one-shot ``verdict`` both the agent and the launcher race for), ``staging``
(download with size and sha256 checks, safe unpacking, the manifest), ``handler`` (the
``agent.upgrade`` / ``agent.rollback`` orders and the ``upgrade`` events) and ``launcher``
(``kfleet-agent-launch``: the small supervisor that runs the current release and switches
back when a new one does not come up healthy in its window).
"""
