"""Locust users for ``benchmarks/kiosk.py --part api``: each user is one kiosk, with its own
device credentials, doing what a kiosk's citizens make it do — look at the catalogue (mostly
unchanged: 304), list and run convenience queries, look at appointment slots, look up a case.

Run by the benchmark (``locust -f benchmarks/kiosk_locustfile.py --headless ...``), which
writes the credentials and the names to use into the file ``KFLEET_BENCH_KIOSK`` names.
"""

from __future__ import annotations

import json
import os
import random
from datetime import date, timedelta
from itertools import cycle
from pathlib import Path
from typing import Any

from locust import HttpUser, between, task

_PLAN: dict[str, Any] = json.loads(Path(os.environ["KFLEET_BENCH_KIOSK"]).read_text())
_DEVICES = cycle(_PLAN["devices"])


class Kiosk(HttpUser):
    #: a citizen reads between touches; 200 kiosks each touching every 1-3 s is a busy county
    wait_time = between(1, 3)

    def on_start(self) -> None:
        device_id, password = next(_DEVICES)
        self.client.auth = (device_id, password)
        self.etag = ""
        self.rng = random.Random(device_id)

    @task(2)
    def catalogue(self) -> None:
        headers = {"If-None-Match": self.etag} if self.etag else {}
        with self.client.get(
            "/api/v1/kiosk/catalogue", headers=headers, name="catalogue", catch_response=True
        ) as r:
            if r.status_code in (200, 304):
                self.etag = r.headers.get("ETag", self.etag)
                r.success()

    @task(3)
    def queries(self) -> None:
        self.client.get("/api/v1/kiosk/queries", name="queries list")

    @task(3)
    def public_query(self) -> None:
        q = self.rng.choice(_PLAN["public_queries"])
        self.client.post(
            f"/api/v1/kiosk/queries/{q['code']}",
            json={"inputs": q.get("inputs", {}), "page": 1},
            name="query (public)",
        )

    @task(3)
    def slots(self) -> None:
        day = date.today() + timedelta(days=self.rng.randint(1, 7))
        service = self.rng.choice(_PLAN["services"])
        self.client.get(
            "/api/v1/kiosk/appointments/slots",
            params={"service": service, "date": day.isoformat()},
            name="appointment slots",
        )

    @task(2)
    def case(self) -> None:
        case_no = self.rng.choice(_PLAN["cases"])
        body = {"case_no": case_no}
        self.client.post("/api/v1/kiosk/cases/lookup", json=body, name="case lookup")
