"""Department adapters for the convenience queries (docs/kiosk-queries.md). Each module
``cloud/kiosk/departments/<code>.py`` declares its queries (``QUERIES``) and builds its
adapter (``build(endpoint) -> Department``); :data:`MODULES` lists them for the registry."""

from __future__ import annotations

from types import ModuleType

MODULES: list[ModuleType] = []
