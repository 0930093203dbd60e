"""What the kiosk API benchmark's cloud holds before the kiosks arrive, made through the API as
an operator would: the sample service guide imported and published, a week of appointment
slots for each pilot hall's services, and the case numbers the simulated city platform knows."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import httpx

from cloud.kiosk.catalogue_io import GuideDocument, json_document
from cloud.kiosk.guide_sample import sample_catalogue
from kfleet.world.demo_kiosk_platforms import KioskPlatforms

SITES = ("qh/hx/golmud/hhl", "qh/hx/golmud/tgls", "qh/hx/golmud/bayi")
#: half-hour slots, 09:00-12:00 and 14:00-17:00
TIMES = [
    f"{h:02d}:{m:02d}-{h + m // 30:02d}:{(m + 30) % 60:02d}"
    for h in (9, 10, 11, 14, 15, 16)
    for m in (0, 30)
]


async def seed(base: str, token: str, platforms: KioskPlatforms) -> dict[str, Any]:
    """The plan's names: services with slots, public queries, case numbers."""
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=base, headers=headers, timeout=60) as http:
        sample = sample_catalogue()
        doc = GuideDocument(
            sample=True, departments=sample.departments, themes=sample.themes, items=sample.items
        )
        files = {"file": ("sample.json", json_document(doc), "application/json")}
        r = await http.post("/api/v1/guide/import", params={"format": "json"}, files=files)
        r.raise_for_status()
        (await http.post("/api/v1/guide/publish", json={"note": "benchmark"})).raise_for_status()
        services: set[str] = set()
        for site in SITES:
            listed = await http.get("/api/v1/hall/services", params={"site": site})
            listed.raise_for_status()
            for svc in listed.json():
                services.add(svc["code"])
                plan = {
                    "service": svc["code"],
                    "start": (date.today() + timedelta(days=1)).isoformat(),
                    "days": 7,
                    "times": TIMES,
                    "capacity": 20,
                    "weekdays": [1, 2, 3, 4, 5, 6, 7],
                }
                made = await http.post(
                    "/api/v1/appointments/slots", params={"site": site}, json=plan
                )
                made.raise_for_status()
    city = platforms.running["city_platform"]
    cases = [c["caseNo"] for c in city.cases if not c.get("secret")]
    return {
        "services": sorted(services),
        "cases": cases,
        "public_queries": [
            {"code": "medical_institutions", "inputs": {}},
            {"code": "civil_care_homes", "inputs": {}},
            {"code": "bus_routes", "inputs": {}},
            {"code": "bus_card", "inputs": {"card_no": "31000012345678"}},
        ],
    }
