"""The 人社厅 simulator's certificate and social-security-card operations (the routes are listed
in :mod:`simulators.dept_hrss`): ``/rs/api/cert/pension-voucher`` 企业职工养老保险缴费凭证 (a
record summing the person's contributions), ``/rs/api/cert/jycyz`` 就业创业证 (a record),
``/rs/api/card/status`` the card's state, ``/rs/api/card/loss`` 挂失 and ``/rs/api/card/unloss``
解挂 — each change carries the caller's business serial ``ywlsh``, and the same serial again
answers the first answer without changing anything (a retry after a lost answer is safe).
Refusals: E3001 already reported lost, E3002 not reported lost, E3003 no card, E2004 no record.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from simulators.dept_common import Refusal, citizen, need
from simulators.dept_people import CAIRANG, MA_LI, MA_XIULAN, WANG_XIAOMING, ZHANG_JIANHUA

BEIJING = timezone(timedelta(hours=8))
_CODES = ("E1001", "E1002")
#: 就业创业证: number, registered on, state, registered by
STARTUP_CERTS = {
    ZHANG_JIANHUA.id_number: ("6328012026000417", "2026-04-08", "失业", "格尔木市公共就业服务局"),
    MA_LI.id_number: ("6328012019001288", "2019-03-15", "灵活就业", "格尔木市公共就业服务局"),
    CAIRANG.id_number: (
        "6328012025000936",
        "2025-07-10",
        "未就业（高校毕业生）",
        "格尔木市公共就业服务局",
    ),
}
#: the social security card each person holds (card number, bank) and its state at start
CARDS = {
    WANG_XIAOMING.id_number: ("K63280100123", "中国建设银行格尔木分行", "normal"),
    MA_XIULAN.id_number: ("K63280100456", "中国农业银行格尔木分行", "lost"),
    ZHANG_JIANHUA.id_number: ("K63280100789", "中国工商银行格尔木分行", "normal"),
    MA_LI.id_number: ("K63280101012", "青海银行格尔木分行", "normal"),
}
_STATE_NAMES = {"normal": "正常", "lost": "临时挂失"}


@dataclass
class CardDesk:
    """The cards' states while the simulator runs, and every change by its serial."""

    states: dict[str, str] = field(default_factory=lambda: {k: v[2] for k, v in CARDS.items()})
    #: ywlsh → the answer given (the same serial again gets it back)
    changes: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: how many changes were applied (not answered again)
    applied: int = 0

    def status(self, params: dict[str, str]) -> dict[str, Any]:
        person = citizen(params, "aac002", "aac003", _CODES)
        card_no, bank, state = self._card(person.id_number)
        return {"kh": card_no, "yhmc": bank, "kzt": state, "kztmc": _STATE_NAMES[state]}

    def change(self, params: dict[str, str], to: str) -> dict[str, Any]:
        person = citizen(params, "aac002", "aac003", _CODES)
        [serial] = need(params, "ywlsh")
        if serial in self.changes:
            return self.changes[serial]
        card_no, _bank, state = self._card(person.id_number)
        if to == "lost" and state == "lost":
            raise Refusal("E3001", "该卡已挂失，无需重复挂失", 409)
        if to == "normal" and state != "lost":
            raise Refusal("E3002", "该卡未挂失，无需解挂", 409)
        self.states[person.id_number] = to
        self.applied += 1
        answer = {
            "ywlsh": serial,
            "kh": card_no,
            "kzt": to,
            "kztmc": _STATE_NAMES[to],
            "clsj": datetime.now(BEIJING).strftime("%Y-%m-%d %H:%M:%S"),
        }
        self.changes[serial] = answer
        return answer

    def _card(self, id_number: str) -> tuple[str, str, str]:
        card = CARDS.get(id_number)
        if card is None:
            raise Refusal("E3003", "未查询到社会保障卡信息", 404)
        return card[0], card[1], self.states[id_number]


def pension_voucher(records: list[dict[str, Any]], person_name: str, id_number: str) -> Any:
    """The voucher summing ``records`` (the person's monthly contributions, newest first)."""
    paid = sum(float(r["aae022"]) for r in records)
    return {
        "pzbh": "YL" + id_number[-6:] + records[0]["aae002"],
        "aac003": person_name,
        "aac002": id_number,
        "aab004": records[0]["aab004"],
        "aae030": records[-1]["aae002"],
        "aae031": records[0]["aae002"],
        "jfys": str(len(records)),
        "grjfze": f"{paid:.2f}",
        "cbzt": "正常参保" if records[0]["aae002"] >= "202610" else "暂停缴费",
        "dysj": datetime.now(UTC).astimezone(BEIJING).strftime("%Y-%m-%d"),
    }


def startup_cert(params: dict[str, str]) -> Any:
    person = citizen(params, "aac002", "aac003", _CODES)
    found = STARTUP_CERTS.get(person.id_number)
    if found is None:
        raise Refusal("E2004", "未查询到就业创业证信息", 404)
    number, registered, state, by = found
    return {
        "jycyzh": number,
        "aac003": person.name,
        "aac002": person.id_number,
        "djrq": registered,
        "jyzt": state,
        "djjg": by,
    }
