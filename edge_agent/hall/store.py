"""The newest accepted body of each content name, one JSON file each under ``content/``.

``floorplan.json``, ``windows.json``, ``live.json`` hold the newest body the agent accepted;
``floorplan.shown.json`` the newest plan whose image has been verified (what the hall screen
shows until the newer plan's image is here). A file that cannot be read is set aside
(``edge_agent.set_aside``) with a warning, and the agent goes on as if it held nothing of that
name: the broker's retained copy brings it back at the next connection.
"""

from __future__ import annotations

import logging
from pathlib import Path

from pydantic import ValidationError

from edge_agent.hall.files import atomic_write
from edge_agent.set_aside import set_aside
from protocols.guide import CATALOGUE, CatalogueBody
from protocols.hall import FLOORPLAN, LIVE, WINDOWS, FloorPlanBody, LiveBody, WindowsBody

log = logging.getLogger(__name__)

Body = FloorPlanBody | WindowsBody | LiveBody | CatalogueBody
_MODELS: dict[str, type[Body]] = {
    FLOORPLAN: FloorPlanBody,
    WINDOWS: WindowsBody,
    LIVE: LiveBody,
    CATALOGUE: CatalogueBody,
}
#: the plan the screen shows (its image verified), under this name
SHOWN_PLAN = "floorplan.shown"


class ContentStore:
    """Bodies by name, in memory and on disk (written before they count as held)."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.held: dict[str, Body] = {}

    def load(self) -> None:
        """Read what an earlier run kept (a damaged file is set aside and logged)."""
        for name, model in (*_MODELS.items(), (SHOWN_PLAN, FloorPlanBody)):
            path = self._path(name)
            try:
                raw = path.read_bytes()
            except FileNotFoundError:
                continue
            try:
                self.held[name] = model.model_validate_json(raw)
            except ValidationError as err:
                moved = set_aside(path)
                log.warning(
                    "hall content %s could not be read (%s); it was moved to %s and the screen "
                    "waits for the broker's copy",
                    path,
                    str(err).splitlines()[0],
                    moved,
                )

    def put(self, name: str, body: Body) -> None:
        """Keep ``body`` as the one held under ``name`` (on disk first)."""
        atomic_write(self._path(name), body.model_dump_json().encode())
        self.held[name] = body

    def version(self, name: str) -> int | None:
        body = self.held.get(name)
        return None if body is None else body.version

    def _path(self, name: str) -> Path:
        return self.directory / f"{name}.json"
