"""A :class:`SeriesQuery` as a VictoriaMetrics ``/api/v1/query_range`` request, and back.

Steps are aligned to the epoch (``[k·step, (k+1)·step)``, as the SQL rollups are): the range
is widened to whole steps. PromQL evaluates ``f_over_time(m[step])`` at ``t`` over
``(t-step, t]``; evaluated at ``t = (k+1)·step`` with ``offset 1ms`` it covers
``[k·step, (k+1)·step)``, and the answer's timestamp ``t`` is reported as ``k·step``.

Without ``group_by`` each stored series (tag set) is one result series. With ``group_by``
(possibly empty: one series for everything matched) the points of a step are combined across
the series of a group: avg = Σsum/Σcount of all their points, min/max/sum/count over all of
them, last = the newest point of the group (each series' last value and its time,
``tlast_over_time``, merged here). The SQL store answers the same way.

Labels are the SQL store's: by default ``device`` and the device's own tags (``peripheral``,
``kind``…), not the cloud's role/site tags; with ``group_by`` exactly those tags, a missing one
as ``""``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from cloud.telemetry.line_protocol import vm_metric_name
from cloud.telemetry.model import CLOUD_TAGS, Agg, Series, SeriesQuery
from protocols.telemetry import SITE_LEVELS

Point = tuple[int, float]
#: VictoriaMetrics' default -search.maxPointsPerTimeseries
MAX_STEPS = 30_000
_LABEL = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_OVER_TIME = {
    Agg.AVG: "avg_over_time",
    Agg.MIN: "min_over_time",
    Agg.MAX: "max_over_time",
    Agg.SUM: "sum_over_time",
    Agg.LAST: "last_over_time",
    Agg.COUNT: "count_over_time",
}
#: across the series of a group: (outer aggregation, inner function)
_GROUPED = {
    Agg.MIN: ("min", "min_over_time"),
    Agg.MAX: ("max", "max_over_time"),
    Agg.SUM: ("sum", "sum_over_time"),
    Agg.COUNT: ("sum", "count_over_time"),
}


def check_label(name: str) -> str:
    if not _LABEL.match(name):
        raise ValueError(
            f"tag name {name!r} cannot be queried: tag names are letters, digits and '_', "
            "not starting with a digit"
        )
    return name


def quote(value: str) -> str:
    """A PromQL string literal (double-quoted, Go escapes; JSON's are a subset)."""
    return json.dumps(value, ensure_ascii=False)


def site_filter(site: str) -> tuple[str, str]:
    """A subtree as one label: ``qh/hx`` → ``site_l2="qh/hx"`` (see ``site_tags``)."""
    parts = [p for p in site.split("/") if p]
    if not parts:
        raise ValueError("site is empty: give a site path such as 'qh/hx'")
    if len(parts) > SITE_LEVELS:
        return "site", "/".join(parts)
    return f"site_l{len(parts)}", "/".join(parts)


def label_matchers(q: SeriesQuery) -> dict[str, str]:
    """Every equality the query asks for (device, site subtree, tags), by label name."""
    matchers = {check_label(k): v for k, v in q.tags.items()}
    if q.device is not None:
        matchers["device"] = q.device
    if q.site is not None:
        key, value = site_filter(q.site)
        matchers[key] = value
    return matchers


def selector(q: SeriesQuery) -> str:
    parts = [f"__name__={quote(vm_metric_name(q.name))}"]
    parts += [f"{k}={quote(v)}" for k, v in sorted(label_matchers(q).items())]
    return "{" + ",".join(parts) + "}"


def expression(q: SeriesQuery) -> str:
    """The PromQL for ``q``."""
    window = f"{selector(q)}[{int(q.step_s)}s] offset 1ms"
    if q.group_by is None or q.agg is Agg.LAST:  # grouped last: merged by merge_newest
        return f"{_OVER_TIME[q.agg]}({window})"
    by = ", ".join(check_label(g) for g in q.group_by)
    if q.agg is Agg.AVG:
        total, count = f"sum_over_time({window})", f"count_over_time({window})"
        return f"sum by ({by}) ({total}) / sum by ({by}) ({count})"
    outer, inner = _GROUPED[q.agg]
    return f"{outer} by ({by}) ({inner}({window}))"


def newest_expression(q: SeriesQuery) -> str:
    """When each series' last point of a step was taken (for the grouped LAST)."""
    return f"tlast_over_time({selector(q)}[{int(q.step_s)}s] offset 1ms)"


def labels_of(tags: dict[str, str], group_by: tuple[str, ...] | None) -> dict[str, str]:
    """A series' labels, as the SQL store gives them (see the module doc)."""
    if group_by is None:
        return {k: v for k, v in tags.items() if k == "device" or k not in CLOUD_TAGS}
    return {k: tags.get(k, "") for k in group_by}


def step_range(q: SeriesQuery) -> tuple[int, int, int]:
    """(first step start, last step start, step) in ms: the whole steps ``q`` touches."""
    if q.step_s <= 0:
        raise ValueError(f"step must be a positive number of seconds, not {q.step_s}")
    if q.end_ms <= q.start_ms:
        raise ValueError("end must be after start")
    step = int(q.step_s) * 1000
    first, last = q.start_ms // step * step, (q.end_ms - 1) // step * step
    if (last - first) // step + 1 > MAX_STEPS:
        raise ValueError(
            f"{(last - first) // step + 1} steps asked for, at most {MAX_STEPS}: "
            "choose a larger step or a shorter range"
        )
    return first, last, step


def range_params(q: SeriesQuery) -> dict[str, str]:
    """The query string of ``/api/v1/query_range`` (``nocache``: VictoriaMetrics' response
    cache would also move start/end, and a chart right after a write must see the write)."""
    first, last, step = step_range(q)
    return {
        "query": expression(q),
        "start": f"{(first + step) / 1000:.3f}",
        "end": f"{(last + step) / 1000:.3f}",
        "step": f"{step // 1000}s",
        "nocache": "1",
    }


def _raw(q: SeriesQuery, body: Mapping[str, Any]) -> list[tuple[dict[str, str], list[Point]]]:
    step = int(q.step_s) * 1000
    return [
        (
            {k: str(v) for k, v in item["metric"].items() if k != "__name__"},
            [(round(float(t) * 1000) - step, float(v)) for t, v in item["values"]],
        )
        for item in body["data"]["result"]
    ]


def _sorted(q: SeriesQuery, found: dict[tuple[tuple[str, str], ...], list[Point]]) -> list[Series]:
    return [Series(q.name, dict(key), sorted(points)) for key, points in sorted(found.items())]


def parse_series(q: SeriesQuery, body: Mapping[str, Any]) -> list[Series]:
    """VictoriaMetrics' answer (``{"status":"success","data":{"result":[...]}}``) as series."""
    found: dict[tuple[tuple[str, str], ...], list[Point]] = {}
    for tags, points in _raw(q, body):
        found.setdefault(tuple(sorted(labels_of(tags, q.group_by).items())), []).extend(points)
    return _sorted(q, found)


def merge_newest(
    q: SeriesQuery, last: Mapping[str, Any], newest: Mapping[str, Any]
) -> list[Series]:
    """The grouped LAST: per group and step, the value of the series whose last point is the
    newest (``last`` and ``newest`` are the answers to :func:`expression` and
    :func:`newest_expression`)."""
    when = {tuple(sorted(tags.items())): dict(points) for tags, points in _raw(q, newest)}
    best: dict[tuple[tuple[str, str], ...], dict[int, tuple[float, float]]] = {}
    for tags, points in _raw(q, last):
        times = when.get(tuple(sorted(tags.items())), {})
        steps = best.setdefault(tuple(sorted(labels_of(tags, q.group_by).items())), {})
        for ts, value in points:
            at = times.get(ts, 0.0)
            if ts not in steps or at >= steps[ts][0]:
                steps[ts] = (at, value)
    return _sorted(q, {k: [(ts, v) for ts, (_, v) in s.items()] for k, s in best.items()})
