"""Fill an audit log with N plausible rows, fast, through the database's own driver (sqlite3
executemany, PostgreSQL COPY): a year of actions by ~2,000 people, tokens and devices over a
province of 8 prefectures x 5 cities x 10 towns; 10 % of rows have no site (logins, refusals,
user changes)."""

from __future__ import annotations

import json
import random
import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import psycopg
from sqlalchemy.engine import make_url

START = datetime(2026, 1, 1, tzinfo=UTC)
YEAR_S = 365 * 24 * 3600
TOWNS = [f"qh/p{p}/c{c}/t{t}" for p in range(8) for c in range(5) for t in range(10)]
#: one town the benchmark reads as a scoped auditor and as a site filter
TOWN = TOWNS[123]
RARE_ACTOR = "user:u1234"
SITED = [
    ("job.create", 40),
    ("call.create", 20),
    ("blob.upload", 10),
    ("job.resolve", 5),
    ("job.cancel", 3),
    ("device.enroll", 2),
    ("device.rotate", 2),
    ("device.revoke", 1),
    ("content.update", 2),
]
SITELESS = [("auth.login", 6), ("auth.failed", 2), ("permission.denied", 1), ("user.update", 1)]
COLUMNS = ("at", "actor", "ip", "action", "target", "site", "result", "message", "detail")


def _actor(rng: random.Random) -> str:
    kind = rng.random()
    if kind < 0.7:
        return f"user:u{rng.randrange(2000)}"
    if kind < 0.9:
        return f"token:t{rng.randrange(50)}"
    return f"device:k{rng.randrange(3000)}"


def rows(n: int, seed: int = 1) -> Iterator[tuple[object, ...]]:
    """``n`` rows in time order (as the log grows), as tuples of :data:`COLUMNS`."""
    rng = random.Random(seed)
    sited, sw = zip(*SITED, strict=True)
    siteless, lw = zip(*SITELESS, strict=True)
    step = YEAR_S / n
    for i in range(n):
        at = START + timedelta(seconds=i * step)
        if rng.random() < 0.1:
            action, site = rng.choices(siteless, lw)[0], ""
        else:
            action, site = rng.choices(sited, sw)[0], rng.choice(TOWNS)
        result = "ok" if rng.random() < 0.95 else rng.choice(("denied", "failed"))
        target = f"job:{rng.getrandbits(64):016x}" if action.startswith("job") else ""
        yield (at, _actor(rng), "10.1.2.3", action, target, site, result, "", "{}")


def fill_sqlite(url: str, n: int) -> None:
    path = str(make_url(url).database)
    fmt = "%Y-%m-%d %H:%M:%S.%f"  # how SQLAlchemy stores a UtcDateTime on SQLite
    with sqlite3.connect(path) as conn:
        conn.executemany(
            f"INSERT INTO audit_log ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * 9)})",
            ((r[0].strftime(fmt), *r[1:]) for r in rows(n)),  # type: ignore[attr-defined]
        )


def fill_postgres(url: str, n: int) -> None:
    libpq = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(libpq) as conn:
        with conn.cursor().copy(f"COPY audit_log ({', '.join(COLUMNS)}) FROM STDIN") as copy:
            for r in rows(n):
                copy.write_row((*r[:-1], json.dumps({})))
        conn.execute("ANALYZE audit_log")
