"""A :class:`~cloud.telemetry.store.TelemetryStore` for anything that takes InfluxDB v2 writes:
VictoriaMetrics (read back with PromQL) and InfluxDB 2 (read back with Flux).

Writes: our own line-protocol encoder (:mod:`cloud.telemetry.line_protocol`, cached tag sets:
the hot path) and influxdb-client's ``WriteService`` (auth, the aiohttp session, its errors);
bodies of at most ``batch`` lines, gzip level 1 off the event loop (level 9, the client's own,
cost ~3x the CPU for 1 % less), two requests in flight. Every failure is a
:class:`StoreUnavailable` saying what, why and what to do; the caller keeps the points.

A write that fails after part of it landed is retried whole: InfluxDB overwrites a point with
the same series and time; VictoriaMetrics keeps both unless it runs with
``-dedup.minScrapeInterval=1ms`` (recommended, and what the tests and benchmark use).
"""

from __future__ import annotations

import asyncio
import gzip
import json
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import aiohttp

from cloud.telemetry.flux import flux_query, parse_flux_csv
from cloud.telemetry.line_protocol import LineEncoder
from cloud.telemetry.model import Agg, Point, Series, SeriesQuery
from cloud.telemetry.promql import merge_newest, newest_expression, parse_series, range_params
from cloud.telemetry.store import TelemetryStore
from cloud.telemetry.tsdb_errors import http_failure, unavailable
from cloud.telemetry.tsdb_target import TsdbTarget, parse_tsdb_url

if TYPE_CHECKING:
    from influxdb_client.client.influxdb_client_async import InfluxDBClientAsync

#: write requests in flight at once (one per core of a small VictoriaMetrics is plenty)
PARALLEL_WRITES = 2
#: bodies smaller than this are compressed on the loop (a thread hop costs more)
_GZIP_INLINE = 16_384


class InfluxStore:
    """Points to and from VictoriaMetrics or InfluxDB 2 over the InfluxDB v2 HTTP API."""

    def __init__(self, target: TsdbTarget) -> None:
        self.target = target
        self.name = target.kind
        self._encoder = LineEncoder()
        self._client: InfluxDBClientAsync | None = None
        self._write: Any = None
        self._http: aiohttp.ClientSession | None = None
        self._slots = asyncio.Semaphore(PARALLEL_WRITES)
        #: the pipeline's writer hands over this many batches at once
        self.parallel_writes = PARALLEL_WRITES
        #: points written (for /metrics and the benchmark)
        self.written = 0

    def _influx(self) -> InfluxDBClientAsync:
        """The client, made on first use: it must be created inside the running loop."""
        if self._client is None:
            from influxdb_client.client.influxdb_client_async import InfluxDBClientAsync
            from influxdb_client.service.write_service import WriteService

            self._client = InfluxDBClientAsync(
                url=self.target.base_url,
                token=self.target.token or "-",
                org=self.target.org,
                timeout=int(self.target.timeout_s * 1000),
            )
            self._write = WriteService(self._client.api_client)  # type: ignore[no-untyped-call]
        return self._client

    def _session(self) -> aiohttp.ClientSession:
        if self._http is None:
            headers = {"Authorization": f"Token {self.target.token}"} if self.target.token else {}
            self._http = aiohttp.ClientSession(
                headers=headers, timeout=aiohttp.ClientTimeout(total=self.target.timeout_s)
            )
        return self._http

    async def write(self, points: Sequence[Point]) -> None:
        """All of ``points`` or a StoreUnavailable (some may have landed: see the module doc)."""
        if not points:
            return
        self._influx()
        bodies = list(self._encoder.chunks(points, self.target.batch))
        await asyncio.gather(*(self._send(body) for body in bodies))
        self.written += len(points)

    async def _send(self, body: bytes) -> None:
        async with self._slots:
            encoding = "identity"
            if self.target.gzip:
                encoding = "gzip"
                if len(body) < _GZIP_INLINE:
                    body = gzip.compress(body, compresslevel=1)
                else:
                    body = await asyncio.to_thread(gzip.compress, body, 1)
            try:
                await self._write.post_write_async(
                    org=self.target.org,
                    bucket=self.target.bucket,
                    body=body,
                    precision="ms",
                    content_encoding=encoding,
                    content_type="text/plain; charset=utf-8",
                )
            except Exception as err:
                raise unavailable(self.target, "write points", err) from err

    async def query(self, q: SeriesQuery) -> list[Series]:
        if self.target.kind == "influxdb":
            return await self._query_flux(q)
        return await self._query_promql(q)

    async def _query_promql(self, q: SeriesQuery) -> list[Series]:
        params = range_params(q)
        if q.group_by is None or q.agg is not Agg.LAST:
            return parse_series(q, await self._range(params))
        newest = {**params, "query": newest_expression(q)}
        last, when = await asyncio.gather(self._range(params), self._range(newest))
        return merge_newest(q, last, when)

    async def _range(self, params: dict[str, str]) -> dict[str, Any]:
        url = f"{self.target.base_url}/api/v1/query_range"
        try:
            async with self._session().post(url, data=params) as resp:
                text = await resp.text()
                if resp.status != 200:
                    raise http_failure(self.target, "answer a query", resp.status, text)
                body: dict[str, Any] = json.loads(text)
                return body
        except (aiohttp.ClientError, TimeoutError, OSError) as err:
            raise unavailable(self.target, "answer a query", err) from err

    async def _query_flux(self, q: SeriesQuery) -> list[Series]:
        flux = flux_query(q, self.target.bucket)
        try:
            csv_text = await self._influx().query_api().query_raw(flux, org=self.target.org)
        except Exception as err:
            raise unavailable(self.target, "answer a query", err) from err
        return parse_flux_csv(q, csv_text)

    async def close(self) -> None:
        if self._client is not None:
            await self._client.close()  # type: ignore[no-untyped-call]
            self._client = None
        if self._http is not None:
            await self._http.close()
            self._http = None


def open_from_url(url: str) -> TelemetryStore:
    """The store ``KFLEET_TSDB_URL`` names (``victoriametrics+http://…``, ``influxdb+http://…``);
    ``cloud.telemetry.stores.open_store`` calls this for those schemes."""
    return InfluxStore(parse_tsdb_url(url))
