"""Locust users for ``benchmarks/api_load.py``: the seed's 500 users online, 200 concurrent.

*Online* is a logged-in console person or an enrolled kiosk; *concurrent* is one of them
working without pause but a person's or a citizen's think time (1-3 s between touches). The
other 300 online sit on a page that refreshes every 30-60 s. Who is who (counts, credentials,
names to use) comes from the plan file ``KFLEET_BENCH_API`` names, written by the benchmark:

- ``Operator`` (active): logs in, lists devices, opens a site's overview, submits receipt jobs
  to a hall and reads them back, searches the service guide, looks at availability, ratings
  and query statistics, logs out and in again now and then (console logins);
- ``Auditor`` (active): logs in, pages and filters the audit log, the print audit's records and
  its daily/weekly report (统一扎口 statistics);
- ``Kiosk`` (active): :mod:`benchmarks.kiosk_locustfile`'s citizen mix (catalogue, convenience
  queries, appointment slots, case lookups), one enrolled device per user;
- ``IdleConsole`` / ``IdleKiosk``: online, one page refresh every 30-60 s.

Request names are ``<kind>: <what>`` with kind ``txn`` (a transaction), ``query`` (a single
query) or ``stats`` (statistics): the seed's targets are per kind.
"""

from __future__ import annotations

import json
import os
import random
from datetime import UTC, datetime, timedelta
from itertools import count, cycle
from pathlib import Path
from typing import Any

from locust import HttpUser, between, task

_PLAN: dict[str, Any] = json.loads(Path(os.environ["KFLEET_BENCH_API"]).read_text())
os.environ.setdefault("KFLEET_BENCH_KIOSK", os.environ["KFLEET_BENCH_API"])
from benchmarks.kiosk_locustfile import Kiosk as _CitizenMix  # noqa: E402

_OPERATORS = cycle(_PLAN["operators"])
_AUDITORS = cycle(_PLAN["auditors"])
_IDLE_PEOPLE = cycle(_PLAN["idle_people"])
_IDLE_KIOSKS = cycle(_PLAN["idle_kiosks"])
_TICKETS = count(1)
#: the cloud workers; each user sticks to one, as behind a load balancer with sticky sessions
_WORKERS = cycle(_PLAN["bases"])
HALL = _PLAN["hall"]
SCOPE = "qh/hx/golmud"


class _Person(HttpUser):
    """A console user with a session cookie and its CSRF token."""

    abstract = True
    password = ""
    username = ""

    def on_start(self) -> None:
        self.client.base_url = next(_WORKERS)

    def login(self) -> None:
        with self.client.post(
            "/api/v1/auth/login",
            json={"username": self.username, "password": self.password},
            name="txn: login",
            catch_response=True,
        ) as r:
            if r.status_code == 200:
                self.client.headers["X-CSRF-Token"] = r.json()["csrf"]
            else:
                r.failure(f"login {r.status_code}: {r.text[:200]}")

    def relogin(self) -> None:
        self.client.post("/api/v1/auth/logout", name="txn: logout")
        self.client.cookies.clear()
        self.login()

    def week(self) -> dict[str, str]:
        end = datetime.now(UTC)
        return {"start": (end - timedelta(days=7)).isoformat(), "end": end.isoformat()}


class Operator(_Person):
    fixed_count = int(_PLAN["counts"]["operator"])
    wait_time = between(1, 3)

    def on_start(self) -> None:
        super().on_start()
        self.username, self.password = next(_OPERATORS)
        self.rng = random.Random(self.username)
        self.jobs: list[str] = []
        self.login()

    @task(4)
    def devices(self) -> None:
        site = self.rng.choice([SCOPE, HALL])
        self.client.get("/api/v1/devices", params={"site": site}, name="query: devices")

    @task(2)
    def overview(self) -> None:
        self.client.get(f"/api/v1/sites/{SCOPE}/overview", name="stats: site overview")

    @task(3)
    def submit_job(self) -> None:
        n = next(_TICKETS)
        body = {
            "kind": "print_receipt",
            "target": {"site": HALL},
            "params": {"lines": [{"type": "text", "text": f"A{n:03d}", "align": "center"}]},
            "ttl_s": 120,
        }
        r = self.client.post("/api/v1/jobs", json=body, name="txn: submit job")
        if r.status_code == 201:
            self.jobs = [*self.jobs[-9:], r.json()["id"]]

    @task(2)
    def read_job(self) -> None:
        if self.jobs:
            job = self.rng.choice(self.jobs)
            self.client.get(f"/api/v1/jobs/{job}", name="query: job")

    @task(2)
    def guide_search(self) -> None:
        q = self.rng.choice(_PLAN["guide_terms"])
        self.client.get("/api/v1/guide/items", params={"q": q}, name="query: guide search")

    @task(1)
    def availability(self) -> None:
        params = {"site": SCOPE, **self.week()}
        self.client.get("/api/v1/availability", params=params, name="stats: availability")

    @task(1)
    def ratings(self) -> None:
        params = {"by": "window", "site": SCOPE, **self.week()}
        self.client.get("/api/v1/hall/ratings/report", params=params, name="stats: ratings")

    @task(1)
    def query_stats(self) -> None:
        params = {"site": SCOPE, **self.week()}
        self.client.get("/api/v1/kiosk-stats/queries", params=params, name="stats: queries")

    @task(1)
    def login_again(self) -> None:
        self.relogin()


class Auditor(_Person):
    fixed_count = int(_PLAN["counts"]["auditor"])
    wait_time = between(1, 3)

    def on_start(self) -> None:
        super().on_start()
        self.username, self.password = next(_AUDITORS)
        self.rng = random.Random(self.username)
        self.login()

    @task(3)
    def audit_page(self) -> None:
        params: dict[str, Any] = {"limit": 50}
        if self.rng.random() < 0.5:
            params["action"] = self.rng.choice(["auth.", "device.", "job."])
        self.client.get("/api/v1/audit", params=params, name="query: audit log")

    @task(2)
    def print_report(self) -> None:
        period = self.rng.choice(["day", "week", "month"])
        params = {"site": SCOPE, "period": period}
        self.client.get("/api/v1/print-audit/report", params=params, name="stats: print audit")

    @task(1)
    def print_records(self) -> None:
        params = {"site": SCOPE, "limit": 50}
        self.client.get("/api/v1/print-audit/records", params=params, name="query: print records")

    @task(1)
    def availability(self) -> None:
        params = {"site": SCOPE, **self.week()}
        self.client.get("/api/v1/availability", params=params, name="stats: availability")


class Kiosk(_CitizenMix):
    """The citizens' mix of :mod:`benchmarks.kiosk_locustfile` (its request names are mapped to
    kinds by ``benchmarks/api_load.py``)."""

    fixed_count = int(_PLAN["counts"]["kiosk"])

    def on_start(self) -> None:
        self.client.base_url = next(_WORKERS)
        super().on_start()


del _CitizenMix  # locust runs every user class it finds here: only the subclass


class IdleConsole(_Person):
    fixed_count = int(_PLAN["counts"]["idle_console"])
    wait_time = between(30, 60)

    def on_start(self) -> None:
        super().on_start()
        self.username, self.password = next(_IDLE_PEOPLE)
        self.login()

    @task
    def refresh(self) -> None:
        self.client.get("/api/v1/devices", params={"site": HALL}, name="query: devices")


class IdleKiosk(HttpUser):
    fixed_count = int(_PLAN["counts"]["idle_kiosk"])
    wait_time = between(30, 60)

    def on_start(self) -> None:
        self.client.base_url = next(_WORKERS)
        self.client.auth = tuple(next(_IDLE_KIOSKS))
        self.etag = ""

    @task
    def catalogue(self) -> None:
        headers = {"If-None-Match": self.etag} if self.etag else {}
        with self.client.get(
            "/api/v1/kiosk/catalogue",
            headers=headers,
            name="query: kiosk catalogue",
            catch_response=True,
        ) as r:
            if r.status_code in (200, 304):
                self.etag = r.headers.get("ETag", self.etag)
                r.success()
