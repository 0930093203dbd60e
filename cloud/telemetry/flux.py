"""A :class:`SeriesQuery` as Flux for InfluxDB 2 (``/api/v2/query``), and its CSV answer back.

Same meaning as :mod:`cloud.telemetry.promql` (epoch-aligned steps, the range widened to
whole steps, the same group_by rules), written from InfluxData's Flux documentation
(``range``, ``filter``, ``group``, ``sort``, ``aggregateWindow(timeSrc: "_start")``). No
InfluxDB 2 server can run where this was written: the generated text and the parsing of an
annotated-CSV answer are unit-tested, the queries themselves were never run on a server.
"""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

from cloud.telemetry.line_protocol import FIELD
from cloud.telemetry.model import Agg, Series, SeriesQuery
from cloud.telemetry.promql import label_matchers, labels_of, step_range

_FN = {
    Agg.AVG: "mean",
    Agg.MIN: "min",
    Agg.MAX: "max",
    Agg.SUM: "sum",
    Agg.LAST: "last",
    Agg.COUNT: "count",
}
#: columns of a Flux answer that are not the series' tags
_NOT_LABELS = frozenset({"result", "table"})


def flux_string(value: str) -> str:
    """A Flux string literal: backslash, double quote and ``${`` (interpolation) escaped."""
    escaped = value.replace("\\", "\\\\").replace('"', '\\"').replace("${", "\\${")
    escaped = escaped.replace("\n", "\\n").replace("\r", "\\r").replace("\t", "\\t")
    return f'"{escaped}"'


def flux_time(ms: int) -> str:
    """A Flux time literal (RFC 3339, UTC, milliseconds)."""
    moment = dt.datetime.fromtimestamp(ms / 1000, tz=dt.UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms % 1000:03d}Z"


def flux_columns(names: tuple[str, ...]) -> str:
    return "[" + ", ".join(flux_string(n) for n in names) + "]"


def flux_query(q: SeriesQuery, bucket: str) -> str:
    """The Flux program for ``q`` against ``bucket``."""
    first, last, step = step_range(q)
    conds = [f"r._measurement == {flux_string(q.name)}", f"r._field == {flux_string(FIELD)}"]
    conds += [f"r[{flux_string(k)}] == {flux_string(v)}" for k, v in label_matchers(q).items()]
    window = f'every: {step // 1000}s, fn: {_FN[q.agg]}, createEmpty: false, timeSrc: "_start"'
    lines = [
        f"from(bucket: {flux_string(bucket)})",
        f"  |> range(start: {flux_time(first)}, stop: {flux_time(last + step)})",
        f"  |> filter(fn: (r) => {' and '.join(conds)})",
    ]
    if q.group_by is None:
        lines.append(f"  |> aggregateWindow({window})")
    else:  # all the group's points of a step, whichever series they came from
        lines.append(f"  |> group(columns: {flux_columns(q.group_by)})")
        if q.agg is Agg.LAST:  # group() does not keep time order: the newest must be last
            lines.append('  |> sort(columns: ["_time"])')
        lines.append(f"  |> aggregateWindow({window})")
    return "\n".join(lines) + "\n"


def _labels(record: dict[str, Any], q: SeriesQuery) -> dict[str, str]:
    tags = {
        k: str(v)
        for k, v in record.items()
        if not k.startswith("_") and k not in _NOT_LABELS and v is not None and v != ""
    }
    return labels_of(tags, q.group_by)


def parse_flux_csv(q: SeriesQuery, csv_text: str) -> list[Series]:
    """InfluxDB's annotated CSV answer (``#datatype``, ``#group``, ``#default`` rows, as the
    client asks for them) as series, with influxdb-client's own parser."""
    from influxdb_client.client.flux_csv_parser import FluxCsvParser, FluxSerializationMode

    parser = FluxCsvParser(
        response=io.BytesIO(csv_text.encode()), serialization_mode=FluxSerializationMode.tables
    )
    for _ in parser.generator():  # type: ignore[no-untyped-call]
        pass
    by_labels: dict[tuple[tuple[str, str], ...], list[tuple[int, float]]] = {}
    for table in parser.tables:
        for record in table.records:
            values: dict[str, Any] = record.values
            if values.get("_value") is None:
                continue
            key = tuple(sorted(_labels(values, q).items()))
            moment: dt.datetime = values["_time"]
            ts = round(moment.timestamp() * 1000)
            by_labels.setdefault(key, []).append((ts, float(values["_value"])))
    out = [Series(q.name, dict(k), sorted(points)) for k, points in by_labels.items()]
    out.sort(key=lambda s: sorted(s.labels.items()))
    return out
