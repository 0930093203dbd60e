"""pyipp's client with a transport that turns every bad answer into a pyipp error, and words
for each error (the A4 driver's messages).

pyipp 0.17 (pinned) bounds only the wait for the HTTP headers: a printer that sends headers
and then stalls in the body hangs the caller for aiohttp's default five minutes, a body cut
short raises ``aiohttp.ClientPayloadError``, an HTTP error page that is not UTF-8 raises
``UnicodeDecodeError``, and a ``text/html`` answer (a router's login page) is parsed as IPP.
Here the whole exchange is bounded by ``request_timeout``, a stalled or torn body is an
:class:`~pyipp.exceptions.IPPConnectionError` (contact lost), an HTTP error is an
:class:`HttpError`, and an answer that is not ``application/ipp`` is a :class:`NotIpp`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from socket import gaierror
from typing import Any

import aiohttp
from pyipp import IPP
from pyipp.enums import IppStatus
from pyipp.exceptions import (
    IPPConnectionError,
    IPPError,
    IPPParseError,
    IPPVersionNotSupportedError,
)
from pyipp.serializer import encode_dict
from yarl import URL

IPP_TYPE = "application/ipp"
VERSION_NOT_SUPPORTED = 0x0503


class HttpError(IPPError):
    """The printer's web server answered with an HTTP error instead of IPP."""

    def __init__(self, status: int, body: str) -> None:
        super().__init__(f"HTTP {status}")
        self.status, self.body = status, body


class NotIpp(IPPParseError):
    """An HTTP 200 answer whose content type is not IPP."""

    def __init__(self, content_type: str, head: bytes) -> None:
        super().__init__(f"a {content_type or 'typeless'} page instead of {IPP_TYPE}")
        self.content_type, self.head = content_type, head


class Client(IPP):
    """pyipp's :class:`~pyipp.IPP` with the transport described in the module docstring."""

    async def _request(
        self, uri: str = "", data: Any | None = None, params: Mapping[str, str] | None = None
    ) -> bytes:
        scheme = "https" if self.tls else "http"
        url = URL.build(scheme=scheme, host=self.host, port=self.port, path=self.base_path)
        headers = {
            "Content-Type": IPP_TYPE,
            "Accept": IPP_TYPE,
            "User-Agent": self.user_agent or "kfleet",
        }
        if self.session is None:
            self.session = aiohttp.ClientSession()
            self._close_session = True
        body = encode_dict(data) if isinstance(data, dict) else data
        auth = None
        if self.username and self.password:
            auth = aiohttp.BasicAuth(self.username, self.password)
        try:
            async with asyncio.timeout(self.request_timeout):
                async with self.session.post(
                    url, data=body, headers=headers, auth=auth, ssl=self.verify_ssl
                ) as resp:
                    content = await resp.read()
                    status, kind = resp.status, resp.content_type
        except TimeoutError as err:
            raise IPPConnectionError(f"no complete answer within {self.request_timeout} s") from err
        except (aiohttp.ClientError, gaierror) as err:
            raise IPPConnectionError(_first_line(err) or type(err).__name__) from err
        if status >= 400:
            raise HttpError(status, content[:200].decode("utf-8", errors="replace"))
        if kind != IPP_TYPE:
            raise NotIpp(kind, content[:32])
        return content


def _first_line(err: BaseException) -> str:
    return " ".join(str(err).split())[:200]


def status_of(err: IPPError) -> int | None:
    """The IPP status code an error carries, if it is one."""
    if isinstance(err, IPPVersionNotSupportedError):
        return VERSION_NOT_SUPPORTED
    if isinstance(err, HttpError):
        return None
    info = err.args[1] if len(err.args) > 1 and isinstance(err.args[1], dict) else {}
    code = info.get("status-code")
    return int(code) if isinstance(code, int) else None


def status_name(code: int) -> str:
    try:
        return f"{IppStatus(code).name.lower()} (0x{code:04x})"
    except ValueError:
        return f"0x{code:04x}"


def describe(err: IPPError) -> str:
    """What the printer answered, in words."""
    if isinstance(err, HttpError):
        return f"HTTP {err.status} ({' '.join(err.body.split())[:80] or 'no text'})"
    if isinstance(err, NotIpp):
        return f"{err} (it starts {err.head[:16]!r}; is the URI that of a printer?)"
    if isinstance(err, IPPParseError):
        return "an IPP answer that could not be parsed (truncated or malformed)"
    if isinstance(err, IPPConnectionError):
        return _first_line(err)
    code = status_of(err)
    if code == VERSION_NOT_SUPPORTED:
        return f"{status_name(code)}: it does not speak IPP 2.0"
    return status_name(code) if code is not None else f"an error ({_first_line(err)})"
