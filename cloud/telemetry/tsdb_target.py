"""Where an InfluxDB-v2-write store lives, read from a ``KFLEET_TSDB_URL``.

``victoriametrics+http://host:8428`` or ``influxdb+https://host:8086?org=o&bucket=b&token=t``.
Optional for both: ``token`` (sent as ``Authorization: Token …``, e.g. to a VictoriaMetrics
behind an auth proxy), ``timeout`` (seconds per request, default 10), ``batch`` (lines per
write request, default 5000), ``gzip`` (``1`` default, ``0`` sends plain text: cheaper on
loopback).
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

KINDS = {"victoriametrics": "victoriametrics", "vm": "victoriametrics", "influxdb": "influxdb"}


@dataclass(frozen=True, slots=True)
class TsdbTarget:
    kind: str  # "victoriametrics" | "influxdb"
    base_url: str  # http(s)://host:port[/prefix], no trailing slash
    org: str = "kfleet"
    bucket: str = "kfleet"
    token: str = ""
    timeout_s: float = 10.0
    batch: int = 5000
    gzip: bool = True

    @property
    def safe_url(self) -> str:
        """For messages and logs: never the token."""
        return f"{self.kind} at {self.base_url}"


def _bad(url: str, why: str) -> ValueError:
    shown = url.split("?", 1)[0]
    return ValueError(
        f"KFLEET_TSDB_URL {shown!r}: {why}. Expected victoriametrics+http://host:8428 or "
        "influxdb+http://host:8086?org=ORG&bucket=BUCKET&token=TOKEN"
    )


def parse_tsdb_url(url: str) -> TsdbTarget:
    """The target named by ``url``; a ValueError that says what is wrong and what is expected."""
    parts = urlsplit(url)
    kind, _, transport = parts.scheme.partition("+")
    if kind not in KINDS or transport not in ("http", "https"):
        raise _bad(url, f"unknown scheme {parts.scheme!r}")
    if not parts.hostname:
        raise _bad(url, "no host")
    query = {k: v[-1] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
    unknown = set(query) - {"org", "bucket", "token", "timeout", "batch", "gzip"}
    if unknown:
        raise _bad(url, f"unknown parameter(s) {', '.join(sorted(unknown))}")
    target = TsdbTarget(
        kind=KINDS[kind],
        base_url=f"{transport}://{parts.netloc.rpartition('@')[2]}{parts.path.rstrip('/')}",
        token=query.get("token", ""),
        org=query.get("org", "kfleet"),
        bucket=query.get("bucket", "kfleet"),
        timeout_s=_number(url, query, "timeout", 10.0),
        batch=int(_number(url, query, "batch", 5000)),
        gzip=query.get("gzip", "1") not in ("0", "false", "no"),
    )
    if target.kind == "influxdb" and not ("org" in query and "bucket" in query):
        raise _bad(url, "InfluxDB needs org= and bucket= (and token= unless auth is off)")
    return target


def _number(url: str, query: dict[str, str], key: str, default: float) -> float:
    if key not in query:
        return default
    try:
        value = float(query[key])
    except ValueError:
        raise _bad(url, f"{key}={query[key]!r} is not a number") from None
    if value <= 0:
        raise _bad(url, f"{key} must be positive")
    return value
