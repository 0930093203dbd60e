"""The suite's file order for pytest-xdist (``tests/suite_time.py``): the longest files are
queued first and xdist keeps that order, so two long one-test files start at once on two
workers instead of ending the run one after the other on one."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

from tests.suite_time import estimate, longest_files_first, seconds_per_file

ROOT = Path(__file__).resolve().parents[2]


def test_files_are_queued_longest_first_and_keep_their_tests_in_order() -> None:
    ids = [
        "tests/unit/test_a.py::test_1",
        "tests/unit/test_a.py::test_2",
        "tests/api_fuzz/test_fuzz.py::test_run",
        "tests/browser/test_b.py::test_1",
        "tests/unit/test_c.py::test_1",
        "tests/unit/test_a.py::test_3",
    ]
    order = longest_files_first(ids, {"tests/api_fuzz/test_fuzz.py": 400.0})
    assert order == [
        "tests/api_fuzz/test_fuzz.py::test_run",  # measured 400 s
        "tests/browser/test_b.py::test_1",  # a browser test: estimated 12 s
        "tests/unit/test_a.py::test_1",  # three unit tests: 1.5 s, in their own order
        "tests/unit/test_a.py::test_2",
        "tests/unit/test_a.py::test_3",
        "tests/unit/test_c.py::test_1",
    ]
    assert estimate("tests/unit/test_c.py", 4, {}) == 2.0
    assert estimate("tests/unit/test_c.py", 4, {"tests/unit/test_c.py": 9.5}) == 9.5


class _Report:
    def __init__(self, nodeid: str, when: str, duration: float, worker: str) -> None:
        self.nodeid, self.when, self.duration = nodeid, when, duration
        self.node = type("Node", (), {"gateway": type("Gw", (), {"id": worker})()})()


def test_the_seconds_are_summed_per_file_and_per_worker() -> None:
    reports = [
        _Report("tests/x/test_a.py::t1", "setup", 1.0, "gw0"),
        _Report("tests/x/test_a.py::t1", "call", 2.5, "gw0"),
        _Report("tests/x/test_a.py::t2", "teardown", 0.5, "gw1"),
        _Report("tests/x/test_b.py::t1", "call", 4.0, "gw1"),
    ]
    files, workers = seconds_per_file(reports)
    assert files == {"tests/x/test_a.py": 4.0, "tests/x/test_b.py": 4.0}
    assert workers == {"gw0": 3.5, "gw1": 4.5}


MANY = """
import pytest


@pytest.mark.parametrize("n", range(6))
def test_quick(n, record):
    record()
"""
ONE = """
def test_long(record):
    record()
"""
CONFTEST = """
import os
import pytest

from tests.suite_time import (  # noqa: F401
    pytest_collection_modifyitems,
    pytest_configure,
    pytest_sessionfinish,
    pytest_terminal_summary,
    pytest_testnodedown,
)


@pytest.fixture
def record(request):
    def write():
        with open(os.environ["RUN_LOG"], "a") as f:
            f.write(f"{os.environ['PYTEST_XDIST_WORKER']} {request.node.nodeid}\\n")
    return write
"""


def test_two_long_one_test_files_start_first_on_two_workers(tmp_path: Path) -> None:
    suite = tmp_path / "suite"
    suite.mkdir()
    (suite / "conftest.py").write_text(CONFTEST)
    (suite / "test_many.py").write_text(MANY)  # most tests: xdist alone would queue it first
    for name in ("test_long_a.py", "test_long_b.py"):
        (suite / name).write_text(ONE)
    table = tmp_path / "times.json"
    table.write_text(json.dumps({"files": {"test_long_a.py": 300, "test_long_b.py": 200}}))
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    env |= {
        "PYTHONPATH": str(ROOT),
        "KFLEET_SUITE_TIMES": str(table),
        "KFLEET_SUITE_TIMES_OUT": str(tmp_path / "out.json"),
        "RUN_LOG": str(tmp_path / "run.log"),
    }
    # a plain xdist run: the project's ini (and its `-p no:schemathesis`) is not this suite's
    xdist = ["-p", "no:schemathesis", "-n", "2", "--dist", "loadfile", str(suite)]
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "-p",
            "no:randomly",
            *xdist,
        ],
        cwd=suite,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    runs = [line.split() for line in (tmp_path / "run.log").read_text().splitlines()]
    first = {}
    for worker, nodeid in runs:
        first.setdefault(worker, nodeid)
    assert sorted(first.values()) == ["test_long_a.py::test_long", "test_long_b.py::test_long"]
    assert "slowest 3 files" in done.stdout and "by worker: gw0 " in done.stdout, done.stdout
    assert re.search(r"gw1: \d+ s CPU in \d+ s wall \(\d+% of a core\)", done.stdout), done.stdout
    written = json.loads((tmp_path / "out.json").read_text())["files"]
    assert sorted(written) == ["test_long_a.py", "test_long_b.py", "test_many.py"]
