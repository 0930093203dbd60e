"""Many POST /api/v1/jobs at once over real HTTP, and what their answers must add up to.

The POSTs leave together and reach the cloud within a millisecond of each other, so their
database transactions overlap: what the idempotency-key race needs (on PostgreSQL each request
has its own connection, and all of them look for the key before one has committed it)."""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from typing import Any

import httpx

from tests.faults.ledger import receipt


def job_body(target: dict[str, str], key: str, tag: str) -> dict[str, Any]:
    """A receipt job tagged ``tag`` under idempotency key ``key``."""
    return {
        "kind": "print_receipt",
        "target": target,
        "params": receipt(tag),
        "idempotency_key": key,
    }


async def warm_up(http: httpx.AsyncClient, connections: int) -> None:
    """Let the cloud open its database connections (concurrent ``/healthz`` each use one), so
    the burst does not wait for new ones one at a time; one authenticated call first marks the
    token used, so the burst's requests do not all queue to write its ``last_used_at``."""
    assert (await http.get("/api/v1/auth/me")).status_code == 200
    answers = await asyncio.gather(*(http.get("/healthz") for _ in range(connections)))
    assert all(r.status_code == 200 for r in answers), [r.text for r in answers]


def _request(host: str, body: dict[str, Any], token: str) -> bytes:
    data = json.dumps(body).encode()
    head = (
        f"POST /api/v1/jobs HTTP/1.1\r\nhost: {host}\r\ncontent-type: application/json\r\n"
        f"authorization: Bearer {token}\r\n"
        f"content-length: {len(data)}\r\nconnection: close\r\n\r\n"
    )
    return head.encode() + data


async def _response(reader: asyncio.StreamReader) -> httpx.Response:
    """The whole answer (the server closes the connection after it: ``connection: close``)."""
    raw = await reader.read()
    head, _, content = raw.partition(b"\r\n\r\n")
    assert b"chunked" not in head.lower(), head  # content-length framing only
    return httpx.Response(int(head.split(b" ", 2)[1]), content=content)


async def burst(
    base_urls: str | list[str], bodies: list[dict[str, Any]], token: str
) -> list[httpx.Response]:
    """POST every body at the same instant over its own HTTP/1.1 connection (to the clouds of
    ``base_urls`` in turn, with API token ``token``); the answers in the same order.

    The connections are opened first and the requests written in one go (no await between
    them), so they reach the cloud within a millisecond: an HTTP client that builds and sends
    one request after the other spreads them over tens of milliseconds, longer than one
    request takes, and few would overlap."""
    urls = [httpx.URL(u) for u in ([base_urls] if isinstance(base_urls, str) else base_urls)]
    ends = [(urls[i % len(urls)].host, urls[i % len(urls)].port or 80) for i in range(len(bodies))]
    conns: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = []
    try:
        for host, port in ends:  # inside the try: a refusal closes the ones already open
            conns.append(await asyncio.open_connection(host, port))
        payloads = [
            _request(f"{h}:{p}", body, token) for (h, p), body in zip(ends, bodies, strict=True)
        ]
        for (_, writer), payload in zip(conns, payloads, strict=True):
            writer.write(payload)
        async with asyncio.timeout(60):
            return list(await asyncio.gather(*(_response(reader) for reader, _ in conns)))
    finally:
        for _, writer in conns:
            writer.close()


def one_job_per_key(
    bodies: list[dict[str, Any]], answers: list[httpx.Response]
) -> tuple[str, dict[str, Any]]:
    """Check a burst of one key: exactly one 201; every other answer is a 200 naming the same
    job (same body) or a 409 (another body, api.md); returns the job's id and its body."""
    statuses = Counter(r.status_code for r in answers)
    failed = [r.text for r in answers if r.status_code not in (200, 201, 409)]
    assert statuses[201] == 1 and not failed, (statuses, failed[:2])
    created = next(r.json() for r in answers if r.status_code == 201)
    winner = next(b for b, r in zip(bodies, answers, strict=True) if r.status_code == 201)
    for body, r in zip(bodies, answers, strict=True):
        same = body["params"] == winner["params"]
        if r.status_code == 409:
            assert not same, ("same body refused", r.text)
            assert created["id"] in r.text, r.text  # the message names the key's job
        else:
            assert same, ("another body answered with the job", r.status_code, r.text)
            assert r.json()["id"] == created["id"], r.text
    return str(created["id"]), winner
