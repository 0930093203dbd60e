"""Fleet domain logic without I/O: every decision the cloud persists.

- ``fleet.jobs``: ``TRANSITIONS``, ``plan_transition(current, new, reason, message) ->
  Transition`` (the one door for every job state change), ``is_stale_ack``, ``RetryPolicy``.
- ``fleet.acks``: ``decide_ack(job: AckedJob | None, ack: AckBody, policy, missing_blobs,
  *, sender) -> Decision`` (new state or None, retry delay, result to store, rejected as
  ``AckRejection`` / ignored as ``AckIgnored`` with a detail); ``needs_blob_check``.
- ``fleet.cancel``: ``decide_cancel(job_id, state, device_id) -> CancelDecision`` (now, ask
  the device, or refuse).
- ``fleet.presence``: ``on_birth`` (None for a redelivered birth of an ended session),
  ``on_state``, ``why_state_ignored`` -> ``PresenceIgnored``, ``Presence``.
- ``fleet.peripherals``: ``PeripheralState``, ``HEALTH_RANK``, ``capability_health``.
- ``fleet.routing``: ``choose_device(candidates)``, ``device_target_refusal``,
  ``site_target_refusal``.
- ``fleet.failover``: ``FailoverPolicy`` (connection readiness, ``may_move``, ``outcome``).
- ``fleet.sites`` (the five-level tree), ``fleet.clock`` (device clock offsets).
"""
