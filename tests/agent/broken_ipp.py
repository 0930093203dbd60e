"""A small IPP printer that answers badly on purpose, for the A4 driver's error paths.

It speaks just enough IPP (RFC 8010 encoding) to be a healthy idle printer that accepts and
completes jobs; ``faults`` maps an operation to how that operation is answered instead:

- ``truncated``: a valid IPP header and half an attribute, then the end of the body;
- ``version``: status ``server-error-version-not-supported`` for IPP/9.9;
- ``status:0xNNNN``: that IPP status code, no attributes;
- ``html``: HTTP 200 with ``text/html`` (a router's login page, a captive portal);
- ``http500``: HTTP 500 with a body that is not UTF-8;
- ``torn``: a ``Content-Length`` of 4096, 20 bytes of it, then the connection is closed;
- ``hang``: nothing at all, until the server stops;
- ``hang_body``: the HTTP headers and 8 bytes of the body, then nothing.
"""

from __future__ import annotations

import asyncio
import struct
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from aiohttp import web
from pyipp.enums import IppOperation

OP, PRINTER, JOB, END = 0x01, 0x04, 0x02, 0x03
INTEGER, BOOLEAN, ENUM = 0x21, 0x22, 0x23
TEXT, KEYWORD, CHARSET, LANGUAGE = 0x41, 0x44, 0x47, 0x48
JOB_ID = 7


def attr(tag: int, name: str, value: bytes) -> bytes:
    return (
        bytes([tag])
        + struct.pack(">H", len(name))
        + name.encode()
        + (struct.pack(">H", len(value)) + value)
    )


def integer(tag: int, name: str, value: int) -> bytes:
    return attr(tag, name, struct.pack(">i", value))


def response(status: int, request_id: int, *groups: bytes, version: bytes = b"\x02\x00") -> bytes:
    head = version + struct.pack(">Hi", status, request_id)
    op = bytes([OP]) + attr(CHARSET, "attributes-charset", b"utf-8")
    op += attr(LANGUAGE, "attributes-natural-language", b"en")
    return head + op + b"".join(groups) + bytes([END])


def _printer_group() -> bytes:
    return bytes([PRINTER]) + b"".join(
        [
            integer(ENUM, "printer-state", 3),
            attr(KEYWORD, "printer-state-reasons", b"none"),
            attr(BOOLEAN, "printer-is-accepting-jobs", b"\x01"),
            attr(TEXT, "printer-make-and-model", b"Broken IPP"),
        ]
    )


def _job_group(state: int) -> bytes:
    return bytes([JOB]) + integer(INTEGER, "job-id", JOB_ID) + integer(ENUM, "job-state", state)


@dataclass
class BrokenIpp:
    """Answers per ``faults`` (operation → fault name); see the module docstring."""

    faults: dict[IppOperation, str] = field(default_factory=dict)
    port: int = 0
    #: operations received, in order
    seen: list[IppOperation] = field(default_factory=list)
    documents: list[bytes] = field(default_factory=list)
    _stop: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def uri(self) -> str:
        return f"ipp://127.0.0.1:{self.port}/ipp/print"

    async def handle(self, request: web.Request) -> web.StreamResponse:
        body = await request.read()
        operation = IppOperation(struct.unpack_from(">H", body, 2)[0])
        request_id = struct.unpack_from(">i", body, 4)[0]
        self.seen.append(operation)
        if operation is IppOperation.PRINT_JOB:
            self.documents.append(body)
        fault = self.faults.get(operation)
        if fault is None:
            return _ipp(response(0, request_id, *self._groups(operation)))
        return await self._fault(request, fault, request_id)

    @staticmethod
    def _groups(operation: IppOperation) -> list[bytes]:
        if operation is IppOperation.GET_PRINTER_ATTRIBUTES:
            return [_printer_group()]
        if operation is IppOperation.PRINT_JOB:
            return [_job_group(3)]
        if operation is IppOperation.GET_JOB_ATTRIBUTES:
            return [_job_group(9)]
        return []

    async def _fault(self, request: web.Request, fault: str, rid: int) -> web.StreamResponse:
        if fault == "truncated":
            return _ipp(response(0, rid, _printer_group())[:40])
        if fault == "version":
            return _ipp(response(0x0503, rid, version=b"\x09\x09"))
        if fault.startswith("status:"):
            return _ipp(response(int(fault[7:], 16), rid))
        if fault == "html":
            return web.Response(body=b"<html><body>Login</body></html>", content_type="text/html")
        if fault == "http500":
            body = b"\xff\xfe internal \x80"  # not UTF-8
            return web.Response(status=500, body=body, content_type="text/plain")
        if fault in ("torn", "hang_body"):
            return await self._partial(request, fault)
        await self._stop.wait()  # "hang"
        return web.Response(status=503)

    async def _partial(self, request: web.Request, fault: str) -> web.StreamResponse:
        resp = web.StreamResponse(headers={"Content-Type": "application/ipp"})
        resp.content_length = 4096
        await resp.prepare(request)
        await resp.write(b"\x02\x00\x00\x00\x00\x00\x00\x01"[: 8 if fault == "hang_body" else 20])
        if fault == "torn":
            assert request.transport is not None
            request.transport.close()
        else:
            await self._stop.wait()
        return resp


def _ipp(data: bytes) -> web.Response:
    return web.Response(body=data, content_type="application/ipp")


@asynccontextmanager
async def broken_ipp(faults: dict[IppOperation, str]) -> AsyncIterator[BrokenIpp]:
    server = BrokenIpp(faults)
    app = web.Application()
    app.router.add_post("/ipp/print", server.handle)
    runner = web.AppRunner(app, handle_signals=False, shutdown_timeout=0.5)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    server.port = runner.addresses[0][1]
    try:
        yield server
    finally:
        server._stop.set()
        await runner.cleanup()
