"""What influx_store sends, checked as text: line protocol, PromQL, Flux, the URL.

The Flux half has no server to run against here (no InfluxDB 2 can be installed): these tests
pin the generated program and the parsing of an annotated-CSV answer shaped as InfluxData's
documentation shows it. The PromQL and line protocol are also run for real
(test_tsdb_roundtrip.py)."""

from __future__ import annotations

import pytest

from cloud.telemetry.flux import flux_query, flux_string, parse_flux_csv
from cloud.telemetry.line_protocol import LineEncoder, canonical_name, vm_metric_name
from cloud.telemetry.model import Agg, Point, SeriesQuery
from cloud.telemetry.promql import expression, range_params
from cloud.telemetry.tsdb_target import parse_tsdb_url

T0 = 1_796_572_020_000  # a whole minute


def test_a_newline_in_a_tag_cannot_start_a_line_of_its_own() -> None:
    enc = LineEncoder()
    forged = Point("sys.cpu_pct", 5, T0, {"device": "d", "x": "a\nsys.cpu_pct value=99 1"})
    body = b"".join(enc.chunks([forged], 10))
    assert body.count(b"\n") == 0
    assert (
        body == f"sys.cpu_pct,device=d,x=a\\ sys.cpu_pct\\ value\\=99\\ 1 value=5.0 {T0}".encode()
    )


def test_each_line_has_its_own_points_tags_and_time_in_any_order() -> None:
    """The encoder remembers the last tag set and timestamp it formatted: a change of either,
    a skipped point between, a chunk boundary or an equal mapping that is another object
    must each give the point's own."""
    enc = LineEncoder()
    a, b = {"device": "a"}, {"device": "b"}
    pts = [
        Point("m", 1, T0, a),
        Point("m", 2, T0, b),
        Point("m", float("inf"), T0 + 5, {"device": "c"}),
        Point("m", 3, T0 + 1, b),
        Point("m", 4, T0 + 1, a),
        Point("n", 5, T0, {"device": "a"}),
    ]
    assert list(enc.chunks(pts, 2)) == [
        f"m,device=a value=1.0 {T0}\nm,device=b value=2.0 {T0}".encode(),
        f"m,device=b value=3.0 {T0 + 1}".encode(),
        f"m,device=a value=4.0 {T0 + 1}\nn,device=a value=5.0 {T0}".encode(),
    ]
    assert enc.skipped == 1
    assert list(enc.chunks(pts[3:4], 10)) == [f"m,device=b value=3.0 {T0 + 1}".encode()]


def test_line_protocol_escapes_sorts_and_skips() -> None:
    enc = LineEncoder()
    pts = [
        Point("peripheral.pages", 3, T0, {"site": "a b", "device": "d,1", "empty": "", "k": "\\"}),
        Point("sys.temp_c", float("nan"), T0, {"device": "d"}),
    ]
    assert list(enc.chunks(pts, 10)) == [
        f"peripheral.pages,device=d\\,1,k=\\\\,site=a\\ b value=3.0 {T0}".encode()
    ]
    assert enc.skipped == 1
    assert [len(c.split(b"\n")) for c in enc.chunks(pts[:1] * 5, 2)] == [2, 2, 1]
    assert canonical_name(vm_metric_name("peripheral.pages")) == "peripheral.pages"


def test_promql_for_one_device_and_for_a_subtree_grouped() -> None:
    one = SeriesQuery("sys.cpu_pct", T0 + 1, T0 + 119_000, 60, Agg.MAX, device='k"1')
    assert (
        expression(one)
        == 'max_over_time({__name__="sys.cpu_pct_value",device="k\\"1"}[60s] offset 1ms)'
    )
    params = range_params(one)
    assert (params["start"], params["end"], params["step"]) == (
        f"{(T0 + 60_000) / 1000:.3f}",
        f"{(T0 + 120_000) / 1000:.3f}",
        "60s",
    )
    avg = SeriesQuery("x", T0, T0 + 60_000, 60, Agg.AVG, site="qh/hx", group_by=("site_l3",))
    window = '{__name__="x_value",site_l2="qh/hx"}[60s] offset 1ms'
    assert expression(avg) == (
        f"sum by (site_l3) (sum_over_time({window})) / sum by (site_l3) (count_over_time({window}))"
    )
    with pytest.raises(ValueError, match="tag name"):
        expression(SeriesQuery("x", T0, T0 + 1, 60, tags={"a b": "1"}))
    with pytest.raises(ValueError, match="steps"):
        range_params(SeriesQuery("x", 0, T0, 1))


def test_flux_text() -> None:
    q = SeriesQuery("sys.cpu_pct", T0, T0 + 120_000, 60, Agg.AVG, site="qh/hx", tags={"kind": "a"})
    assert flux_query(q, "b1") == (
        'from(bucket: "b1")\n'
        "  |> range(start: 2026-12-06T15:47:00.000Z, stop: 2026-12-06T15:49:00.000Z)\n"
        '  |> filter(fn: (r) => r._measurement == "sys.cpu_pct" and r._field == "value"'
        ' and r["kind"] == "a" and r["site_l2"] == "qh/hx")\n'
        '  |> aggregateWindow(every: 60s, fn: mean, createEmpty: false, timeSrc: "_start")\n'
    )
    last = SeriesQuery("peripheral.pages", T0, T0 + 60_000, 60, Agg.LAST, group_by=("site_l1",))
    assert flux_query(last, "b").splitlines()[3:] == [
        '  |> group(columns: ["site_l1"])',
        '  |> sort(columns: ["_time"])',
        '  |> aggregateWindow(every: 60s, fn: last, createEmpty: false, timeSrc: "_start")',
    ]
    assert flux_string('a"b\\c${x}') == '"a\\"b\\\\c\\${x}"'


ANNOTATED = """#group,false,false,true,true,false,false,true,true,true,true
#datatype,string,long,dateTime:RFC3339,dateTime:RFC3339,dateTime:RFC3339,double,string,string,string,string
#default,_result,,,,,,,,,
,result,table,_start,_stop,_time,_value,_field,_measurement,device,site
,,0,2026-12-06T15:47:00Z,2026-12-06T15:49:00Z,2026-12-06T15:47:00Z,15,value,sys.cpu_pct,d1,qh
,,0,2026-12-06T15:47:00Z,2026-12-06T15:49:00Z,2026-12-06T15:48:00Z,17.5,value,sys.cpu_pct,d1,qh
,,1,2026-12-06T15:47:00Z,2026-12-06T15:49:00Z,2026-12-06T15:47:00Z,3,value,sys.cpu_pct,d2,qh

"""


def test_an_annotated_csv_answer_becomes_series() -> None:
    q = SeriesQuery("sys.cpu_pct", T0, T0 + 120_000, 60)
    got = parse_flux_csv(q, ANNOTATED)
    assert [(s.name, dict(s.labels), s.points) for s in got] == [
        ("sys.cpu_pct", {"device": "d1"}, [(T0, 15.0), (T0 + 60_000, 17.5)]),
        ("sys.cpu_pct", {"device": "d2"}, [(T0, 3.0)]),
    ]
    grouped = parse_flux_csv(
        SeriesQuery("sys.cpu_pct", T0, T0 + 1, 60, group_by=("site",)), ANNOTATED
    )
    assert [dict(s.labels) for s in grouped] == [{"site": "qh"}]
    assert grouped[0].points == [(T0, 3.0), (T0, 15.0), (T0 + 60_000, 17.5)]  # time order


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("prometheus+http://h:1", "unknown scheme"),
        ("influxdb+http://h:8086?bucket=b", "needs org= and bucket="),
        ("victoriametrics+http://h:1?timeout=x", "not a number"),
        ("victoriametrics+http://h:1?tokn=x", "unknown parameter"),
    ],
)
def test_a_bad_url_says_what_is_wrong(url: str, why: str) -> None:
    with pytest.raises(ValueError, match=why) as err:
        parse_tsdb_url(url + "&token=secret" if "?" in url else url)
    assert "secret" not in str(err.value)


def test_a_url_names_the_store() -> None:
    t = parse_tsdb_url("influxdb+https://h:8086/x/?org=o&bucket=b&token=t&batch=100&gzip=0")
    assert (t.kind, t.base_url, t.org, t.bucket, t.token, t.batch, t.gzip) == (
        "influxdb",
        "https://h:8086/x",
        "o",
        "b",
        "t",
        100,
        False,
    )
    assert "t" not in t.safe_url.replace("https", "").replace("at", "")
