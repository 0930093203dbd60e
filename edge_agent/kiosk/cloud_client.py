"""The agent's calls to the cloud's kiosk-service API, with the device's own credentials.

One ``httpx.AsyncClient`` per kiosk, bounded in time: a kiosk screen waits at most
``timeout_s`` for an answer and then says plainly that the service cannot be reached
(:class:`CloudUnreachable`), never hangs. The cloud's answers are passed on as they are
(status and JSON body, whose ``code`` and ``message`` the screen shows): the cloud's error
sentences are already written for the citizen or the technician.
"""

from __future__ import annotations

import logging
from typing import Any

import httpx

from edge_agent.errors import AgentError
from edge_agent.jobs.device_auth import basic_for

log = logging.getLogger(__name__)

TIMEOUT_S = 10.0


class CloudUnreachable(AgentError):
    """The cloud did not answer (no network, cloud down, timeout): the screen says so."""


class KioskCloud:
    """``await cloud.call("GET", "/api/v1/kiosk/...")`` → the cloud's ``httpx.Response``."""

    def __init__(self, cloud_url: str | None, timeout_s: float = TIMEOUT_S) -> None:
        self.cloud_url = cloud_url.rstrip("/") if cloud_url else None
        self._client = httpx.AsyncClient(timeout=timeout_s, trust_env=False)

    async def call(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: dict[str, Any] | None = None,
        timeout_s: float | None = None,
        content: bytes | None = None,
        content_type: str = "application/octet-stream",
    ) -> httpx.Response:
        """One call (a JSON body, or ``content`` bytes such as a scanned page); raises
        :class:`CloudUnreachable` when there is no answer at all."""
        if self.cloud_url is None:
            raise CloudUnreachable(
                "this kiosk has no [cloud] url in its config, so it cannot reach the "
                "government-service cloud; a technician sets it (kfleet-agent enroll)"
            )
        url = self.cloud_url + path
        auth = basic_for(url)
        try:
            return await self._client.request(
                method,
                url,
                json=json,
                params=params,
                content=content,
                headers={"Content-Type": content_type} if content is not None else None,
                auth=httpx.BasicAuth(*auth) if auth else None,
                timeout=timeout_s if timeout_s is not None else httpx.USE_CLIENT_DEFAULT,
            )
        except httpx.TimeoutException as err:
            raise CloudUnreachable(f"the cloud did not answer {method} {path} in time") from err
        except httpx.HTTPError as err:
            raise CloudUnreachable(f"the cloud cannot be reached ({type(err).__name__})") from err

    async def close(self) -> None:
        await self._client.aclose()
