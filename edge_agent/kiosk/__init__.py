"""The citizen's kiosk application, served by the agent on loopback for the kiosk's own
browser (docs/kiosk.md).

The browser never holds a credential: each screen's script calls the agent under
``/kiosk/api/...``; the agent calls the cloud's kiosk-service API (``/api/v1/kiosk/...``) with
the device's own credentials (:mod:`edge_agent.kiosk.cloud_client`). Whatever is personal (an
ID card read, a phone number, query results, scans) lives in the :class:`KioskSession` and is
wiped at idle timeout or when the citizen presses 退出 (exit).

Each capability is a *feature*: a module that returns its routes
(:data:`edge_agent.kiosk.features.FEATURES`) and a script ``static/k_<name>.js`` that
registers its screen with the shell (``kiosk.js``: ``Kiosk.screen({...})``).
"""

from edge_agent.kiosk.parts import KioskParts

__all__ = ["KioskParts"]
