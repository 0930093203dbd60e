"""The hall's content on the agent: what the cloud publishes for the device's site (floor
plan, window information, the live calling state), kept on disk so a screen shows the last of
each after a reboot while the broker is away, and the images those bodies name, fetched with
the device's own credentials and checked against their sha256 before a screen shows them.

:class:`HallContent` is fed by the link (a subscription to ``site_content_filter(site)``) and
read by the screen server's hall and window pages (``edge_agent.screen.hall_routes``).
"""

from edge_agent.hall.content import HallContent

__all__ = ["HallContent"]
