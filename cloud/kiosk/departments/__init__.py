"""Department adapters for the convenience queries (docs/kiosk-queries.md, docs/departments.md).
Each module ``cloud/kiosk/departments/<code>.py`` declares its queries (``QUERIES``) and builds
its adapter (``build(endpoint) -> Department``); :data:`MODULES` lists them for the registry."""

from __future__ import annotations

from types import ModuleType

from cloud.kiosk.departments import bus, civil, edu, hpf, hrss, medical, police, realestate

MODULES: list[ModuleType] = [edu, hrss, police, medical, realestate, civil, bus, hpf]
