"""One call to a city hall's queue system over HTTP, with its failures made precise.

The system is down (no connection, a timeout, a 5xx, an answer that is not its API, our key
refused) → :class:`CityQueueUnavailable` (503, what to do). It refused the act → 404
:class:`~cloud.errors.NotFound` or :class:`CityQueueRefused` (409 / 422) carrying its own error
code. A POST that timed out or got a 5xx is sent once more with the same ``X-Request-Id``, which
the system answers as the first time (nothing done twice).
"""

from __future__ import annotations

import uuid
from typing import Any

import httpx

from cloud.errors import CloudError, NotFound
from cloud.hall.city_queue_config import CityEndpoint

ATTEMPTS = 2
#: the system's refusals and the HTTP status we answer them with (others: 422)
CONFLICT_CODES = {"BUSINESS_SUSPENDED", "STATE_INVALID", "WINDOW_BUSY", "WINDOW_NOT_OPEN"}
NOT_FOUND_CODES = {"TICKET_NOT_FOUND", "WINDOW_NOT_FOUND"}


class CityQueueUnavailable(CloudError):
    """The city's queue system cannot be used now (HTTP 503)."""

    status_code = 503
    code = "city_queue_unavailable"


class CityQueueRefused(CloudError):
    """The city's queue system refused the act; ``code`` is ``city_`` + its own code."""

    def __init__(self, message: str, status_code: int, city_code: str) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.city_code = city_code
        self.code = f"city_{city_code.lower()}"


def _down(site: str, ep: CityEndpoint, why: str) -> CityQueueUnavailable:
    return CityQueueUnavailable(
        f"the city hall's queue system of site {site} ({ep.url}) {why}; tickets cannot be "
        "taken or called there until it answers again: check that system (or its network), "
        "or switch the site to the built-in queue by removing it from KFLEET_HALL_CITY_QUEUE"
    )


async def call(
    client: httpx.AsyncClient,
    site: str,
    ep: CityEndpoint,
    method: str,
    path: str,
    body: dict[str, Any] | None = None,
) -> Any:
    """The ``data`` of a successful answer; raises as the module says."""
    headers = {"X-Api-Key": ep.api_key}
    if method == "POST":
        headers["X-Request-Id"] = uuid.uuid4().hex
    why = "did not answer"
    for _ in range(ATTEMPTS):
        try:
            resp = await client.request(method, ep.url + path, json=body, headers=headers)
        except httpx.TimeoutException:
            why = "did not answer in time"
            continue
        except httpx.TransportError as err:
            why = f"cannot be reached ({type(err).__name__})"
            continue
        if resp.status_code >= 500:
            why = f"answered HTTP {resp.status_code} ({_code_of(resp) or 'no error code'})"
            continue
        return _data(site, ep, resp)
    raise _down(site, ep, why)


def _code_of(resp: httpx.Response) -> str:
    try:
        body = resp.json()
    except ValueError:
        return ""
    return str(body.get("code", "")) if isinstance(body, dict) else ""


def _data(site: str, ep: CityEndpoint, resp: httpx.Response) -> Any:
    try:
        body = resp.json()
    except ValueError:
        body = None
    if not isinstance(body, dict) or not isinstance(body.get("code"), str):
        raise _down(site, ep, f"answered HTTP {resp.status_code} with something not its API")
    code, message = body["code"], str(body.get("message", ""))
    if code == "OK":
        return body.get("data")
    if resp.status_code == 401 or code == "AUTH_FAILED":
        raise _down(site, ep, "refused our API key: check KFLEET_HALL_CITY_QUEUE_KEYS")
    said = f"the city hall's queue system refused: {message} ({code})"
    if code in NOT_FOUND_CODES:
        raise NotFound(said)
    status = 409 if code in CONFLICT_CODES else 422
    raise CityQueueRefused(said, status, code)
