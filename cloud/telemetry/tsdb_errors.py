"""Every failure of an InfluxDB-v2-write store as one :class:`StoreUnavailable` that says which
store, what it was doing, why it failed and what an operator can do."""

from __future__ import annotations

import asyncio

import aiohttp

from cloud.telemetry.model import StoreUnavailable
from cloud.telemetry.tsdb_target import TsdbTarget

_KEEP = " (the pipeline keeps the points and retries)"


def _keep(action: str) -> str:
    return _KEEP if action.startswith("write") else ""


def _status_advice(status: int) -> str:
    if status in (401, 403):
        return "the token was refused: check token= in KFLEET_TSDB_URL"
    if status == 404:
        return "org or bucket not found: create the bucket or fix org=/bucket= in KFLEET_TSDB_URL"
    if status == 413:
        return "request too large for the server: lower batch= in KFLEET_TSDB_URL"
    if status in (429, 503):
        return "the store is busy or out of quota; it is asked again later"
    if 400 <= status < 500:
        return (
            "the store refused the request: check the path in KFLEET_TSDB_URL; if that is "
            "right, the server's words above name what it could not take"
        )
    return "the store failed internally: look at its log"


def http_failure(target: TsdbTarget, action: str, status: int, body: str) -> StoreUnavailable:
    detail = " ".join(body.split())[:300]
    return StoreUnavailable(
        f"{target.safe_url} could not {action}: HTTP {status} {detail!r}; "
        f"{_status_advice(status)}{_keep(action)}"
    )


def unavailable(target: TsdbTarget, action: str, err: BaseException) -> StoreUnavailable:
    """``err`` (from aiohttp, asyncio or influxdb-client) as a StoreUnavailable."""
    from influxdb_client.rest import ApiException

    if isinstance(err, ApiException):
        body = err.body.decode(errors="replace") if isinstance(err.body, bytes) else str(err.body)
        return http_failure(target, action, int(err.status or 0), body)
    if isinstance(err, TimeoutError | asyncio.TimeoutError):
        why = f"no answer within {target.timeout_s:g} s"
        advice = "is it overloaded? raise timeout= in KFLEET_TSDB_URL or lower batch="
    elif isinstance(err, aiohttp.ClientConnectorError | ConnectionError | OSError):
        why = f"cannot connect ({err})"
        advice = "is it running, and does KFLEET_TSDB_URL name the right host and port?"
    else:
        why = f"{type(err).__name__}: {err}"
        advice = "look at the store's log and the network between it and the cloud"
    return StoreUnavailable(f"{target.safe_url} could not {action}: {why}; {advice}{_keep(action)}")
