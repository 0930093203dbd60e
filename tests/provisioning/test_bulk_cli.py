"""``kfleet provision bulk`` against a real cloud: bad rows (the file's and the cloud's, e.g.
an unknown site) each on stderr with its line number, the good rows minted and printed on the
A4 sheet whose QR codes decode to tokens that really enroll; exit 0 when all rows are good,
29 when some were refused, 28 for a refused API token."""

from __future__ import annotations

import csv
import stat
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from pypdf import PdfReader

from protocols.enrollment import parse_qr_text
from provisioning.enroll_errors import ApiTokenRefused, SomeRowsFailed
from tests.provisioning.enroll_kit import LiveCloud, enroll, kfleet, live_cloud
from tests.provisioning.pdf_qr import page_texts, qr_texts


@pytest.fixture
async def cloud(tmp_path: Path, mosquitto_url: str) -> AsyncIterator[LiveCloud]:
    async with live_cloud(tmp_path, mosquitto_url, device_mqtt_url=mosquitto_url) as live:
        yield live


def _plan(tmp: Path, uid: str, *, bad: bool) -> Path:
    rows = [
        "device_id,name,site,role,ttl_days",
        f"k1-{uid},黄河路街道办事处 1号自助终端,qh/hx/golmud/hhl,kiosk,14",
        f"k2-{uid},唐古拉山镇 2号,qh/hx/golmud/tgls,kiosk,",
    ]
    if bad:
        rows += [
            f"k3-{uid},无此站点,qh/hx/golmud/nowhere,kiosk,",  # 4: the cloud refuses the site
            f"K4 {uid},坏编号,qh/hx/golmud/hhl,kiosk,",  # 5: bad id
            f"k1-{uid},重复,qh/hx/golmud/hhl,kiosk,",  # 6: duplicate of line 2
            f"w5-{uid},窗口,qh/hx/golmud/hhl,printer,",  # 7: unknown role
        ]
    plan = tmp / "plan.csv"
    plan.write_bytes(b"\xef\xbb\xbf" + ("\n".join(rows) + "\n").encode())
    return plan


async def _bulk(cloud: LiveCloud, plan: Path, out: Path, token: str) -> tuple[int, str, str]:
    ran = await kfleet(
        "provision", "bulk", plan, "--cloud", cloud.base_url, "--out", out,
        "--tokens-out", out.with_suffix(".csv"), env={"KFLEET_API_TOKEN": token},
    )  # fmt: skip
    return ran.code, ran.out, ran.err


async def test_bad_rows_reported_by_line_and_good_rows_printed(
    cloud: LiveCloud, tmp_path: Path, uid: str
) -> None:
    out = tmp_path / "sheet.pdf"
    code, stdout, err = await _bulk(cloud, _plan(tmp_path, uid, bad=True), out, cloud.api_token)
    assert code == SomeRowsFailed.exit_code, (stdout, err)
    lines = [ln for ln in err.splitlines() if ln.startswith("error: ")]
    assert [ln.split(": ")[2] for ln in lines] == ["line 4", "line 5", "line 6", "line 7"]
    assert "qh/hx/golmud/nowhere" in lines[0] or "site" in lines[0]
    assert "device id" in lines[1] and "already on line 2" in lines[2] and "printer" in lines[3]
    assert "2 token(s) minted, 4 row(s) refused" in stdout
    assert len(PdfReader(out).pages) == 1
    assert "唐古拉山镇 2号" in page_texts(out)[0]
    [codes] = qr_texts(out)
    tokens = out.with_suffix(".csv")
    assert stat.S_IMODE(tokens.stat().st_mode) == 0o600
    with tokens.open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert [r["line"] for r in rows] == ["2", "3"] and codes == [r["qr_text"] for r in rows]
    cloud_url, token = parse_qr_text(codes[1])  # a token from the sheet enrolls its device
    ran = await enroll(cloud_url, token, tmp_path / "dev" / "agent.toml")
    assert ran.code == 0, ran
    assert f"k2-{uid}" in ran.out and "qh/hx/golmud/tgls" in ran.out


async def test_all_rows_good_exits_0(cloud: LiveCloud, tmp_path: Path, uid: str) -> None:
    out = tmp_path / "sheet.pdf"
    code, stdout, err = await _bulk(cloud, _plan(tmp_path, uid, bad=False), out, cloud.api_token)
    assert code == 0, (stdout, err)
    assert "2 token(s) minted, 0 row(s) refused" in stdout
    assert len(qr_texts(out)[0]) == 2


async def test_refused_api_token_exits_28_and_writes_nothing(
    cloud: LiveCloud, tmp_path: Path, uid: str
) -> None:
    out = tmp_path / "sheet.pdf"
    code, stdout, err = await _bulk(
        cloud, _plan(tmp_path, uid, bad=False), out, "kfa_0123456789abcdef_" + "x" * 43
    )
    assert code == ApiTokenRefused.exit_code, (stdout, err)
    assert "API token" in err
    assert not out.exists()
