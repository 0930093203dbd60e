"""The guide's pinyin is computed in a child process, so the kiosk agent never holds
pypinyin's 55 MB of phrase tables (issue 17's footprint): the same keys as in-process,
polyphones included, and if the child cannot run, the agent computes them itself."""

from __future__ import annotations

import json
import subprocess
import sys

from edge_agent.kiosk.guide_index import pinyin_keys

TEXTS = ["住房公积金", "银行卡挂失", "重庆", "长期居住证", "ICBC 2026", ""]

PROBE = """
import json, sys
from edge_agent.kiosk import guide_index
if sys.argv[1] == "broken":
    guide_index.PINYIN_SCRIPT = guide_index.PINYIN_SCRIPT.with_name("missing.py")
table = guide_index.pinyin_table(json.loads(sys.argv[2]))
print(json.dumps({"table": table, "pypinyin_loaded": "pypinyin" in sys.modules}))
"""


def run_probe(mode: str) -> dict[str, object]:
    done = subprocess.run(
        [sys.executable, "-c", PROBE, mode, json.dumps(TEXTS)],
        capture_output=True,
        timeout=120,
        check=True,
    )
    result: dict[str, object] = json.loads(done.stdout)
    return result


def expected() -> dict[str, list[str]]:
    return {t: list(pinyin_keys(t)) for t in TEXTS}


def test_the_child_gives_the_same_keys_and_the_agent_never_loads_pypinyin() -> None:
    result = run_probe("child")
    assert result["table"] == expected()
    assert result["table"]["银行卡挂失"] == ["yinhangkaguashi", "yhkgs"]  # type: ignore[index]
    assert result["pypinyin_loaded"] is False


def test_without_the_child_the_agent_computes_the_keys_itself() -> None:
    result = run_probe("broken")
    assert result["table"] == expected()
    assert result["pypinyin_loaded"] is True
