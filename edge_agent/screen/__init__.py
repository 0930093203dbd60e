"""The citizen-facing screen: a local web page the agent serves to the device's own browser.

Chromium in kiosk mode opens ``http://127.0.0.1:8090/`` (``[screen]`` in the agent config).
The page names the device and the hall, shows a clock, whether the device reaches the fleet
and each peripheral's state in plain words; the service content itself comes later. When a
scan's page detection is unsure, the corner-adjust screen covers it (docs/kiosk-scan.md). The
hall screen (``/hall``) and the window screen (``/window``) show the site's hall content, live
over server-sent events (``edge_agent.screen.hall_routes``, docs/hall-screens.md). The
server runs inside ``Agent.run()`` (:class:`ScreenServer`) and never stops the agent.
"""

from edge_agent.screen.app import AgentView, create_app, status_of
from edge_agent.screen.server import ScreenServer

__all__ = ["AgentView", "ScreenServer", "create_app", "status_of"]
