"""Reading a bulk plan: every bad row with its line number and why, the good rows kept; UTF-8
with a BOM and Chinese names; a GBK file or a wrong header refused as a whole."""

from __future__ import annotations

from pathlib import Path

import pytest

from protocols.messages import Role
from provisioning.bulk_plan import parse_plan
from provisioning.enroll_errors import BadInput

PLAN = (
    "device_id,name,site,role,ttl_days\n"  # 1
    "kiosk-hhl-01,黄河路街道办事处 1号自助终端,qh/hx/golmud/hhl,kiosk,14\n"  # 2
    "Kiosk 02,大写和空格,qh/hx/golmud/hhl,kiosk,\n"  # 3: bad id
    "kiosk-hhl-03,三号,qh/hx/golmud/hhl,printer,\n"  # 4: unknown role
    "\n"  # 5: blank, skipped
    "kiosk-hhl-01,重复,qh/hx/golmud/hhl,kiosk,\n"  # 6: duplicate of line 2
    '"window-01","窗口 1\n(二楼)",qh/hx/golmud/hhl,window,\n'  # 7-8: a quoted two-line name
    "window-02,窗口 2,qh/hx/golmud/hhl,window,365\n"  # 9: ttl too long
    "window-03,窗口 3,qh/hx/golmud/hhl,window,,extra\n"  # 10: a column too many
    "hall-01,大厅屏,qh//golmud,hall_screen,\n"  # 11: bad site path
    "hall-02,大厅屏 2,qh/hx/golmud/hhl,hall_screen\n"  # 12: ttl_days column left off: fine
)


def test_bad_rows_have_line_numbers_and_good_rows_survive(tmp_path: Path) -> None:
    plan = tmp_path / "plan.csv"
    plan.write_bytes(b"\xef\xbb\xbf" + PLAN.encode())  # Excel's UTF-8 BOM
    good, bad = parse_plan(plan)
    assert [(g.line, g.device_id) for g in good] == [
        (2, "kiosk-hhl-01"),
        (7, "window-01"),
        (12, "hall-02"),
    ]
    assert good[0].name == "黄河路街道办事处 1号自助终端" and good[0].ttl_days == 14
    assert good[1].name == "窗口 1\n(二楼)" and good[1].role is Role.WINDOW
    assert good[2].ttl_days is None
    why = {b.line: b.why for b in bad}
    assert sorted(why) == [3, 4, 6, 9, 10, 11]
    assert "device id 'Kiosk 02' is invalid" in why[3]
    assert "unknown role 'printer'" in why[4] and "kiosk" in why[4]
    assert "already on line 2" in why[6]
    assert "ttl_days '365'" in why[9]
    assert "more columns than the header" in why[10]
    assert "site path" in why[11]


def test_gbk_file_is_refused_with_how_to_save_it(tmp_path: Path) -> None:
    plan = tmp_path / "plan.csv"
    plan.write_bytes(PLAN.encode("gbk"))
    with pytest.raises(BadInput, match="CSV UTF-8"):
        parse_plan(plan)


def test_wrong_header_is_refused_naming_the_columns(tmp_path: Path) -> None:
    plan = tmp_path / "plan.csv"
    plan.write_text("id,name,site,role,colour\nkiosk-1,a,qh,kiosk,red\n", encoding="utf-8")
    with pytest.raises(BadInput) as err:
        parse_plan(plan)
    assert "missing device_id" in str(err.value) and "unknown column(s) id, colour" in str(
        err.value
    )
