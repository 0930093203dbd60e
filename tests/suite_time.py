"""The suite's time: which file pytest-xdist starts first, and where the time went.

``--dist loadfile`` gives each worker whole files. xdist queues them by their number of tests,
most first, so every file of one long test — the two Schemathesis runs, the browser and
process tests — went to the end of the queue, where one worker could take both fuzz runs one
after the other while the other ran out of work. Here the files are queued by their expected
seconds instead, longest first (the longest-processing-time rule), and xdist is told to keep
that order: the fuzz runs start first, on two workers, and the end of the run is made of
short files that fill both workers evenly.

The expected seconds come from ``suite_times.json`` (per file, from a measured run;
``KFLEET_SUITE_TIMES=<file>`` reads another table); a file
it does not name is estimated from its number of tests and its directory. At the end of a run
the slowest files and each worker's busy time are printed; ``KFLEET_SUITE_TIMES_OUT=<file>``
also writes every file's seconds in ``suite_times.json``'s format, to refresh it from CI.
Each xdist worker also reports the CPU it and its children used against its wall time: a
worker far below 100 % of a core waited (on timeouts, servers, the other processes), which
says whether more workers than cores would help.
"""

from __future__ import annotations

import json
import os
import resource
import time
from collections import defaultdict
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import pytest

TIMES = Path(__file__).resolve().with_name("suite_times.json")
#: seconds per test where suite_times.json says nothing: the directory's typical test (a
#: browser or process test starts a whole world; a unit test is a fraction of a second)
PER_TEST_S = {
    "tests/browser/": 12.0,
    "tests/faults/": 12.0,
    "tests/ops/": 8.0,
    "tests/media_janus/": 6.0,
    "tests/notify/": 4.0,
    "tests/live/": 4.0,
    "tests/e2e/": 4.0,
    "tests/help/": 3.0,
    "tests/media/": 3.0,
}
DEFAULT_PER_TEST_S = 0.5
SLOWEST_SHOWN = 25


def file_of(nodeid: str) -> str:
    return nodeid.split("::", 1)[0]


def known_seconds(path: Path = TIMES) -> dict[str, float]:
    """The measured seconds per file (none if the table is missing or unreadable)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    files = data.get("files", {}) if isinstance(data, dict) else {}
    return {str(k): float(v) for k, v in files.items() if isinstance(v, int | float)}


def estimate(path: str, tests: int, known: Mapping[str, float]) -> float:
    if path in known:
        return known[path]
    per_test = next((s for d, s in PER_TEST_S.items() if path.startswith(d)), DEFAULT_PER_TEST_S)
    return per_test * tests


def longest_files_first(nodeids: Iterable[str], known: Mapping[str, float]) -> list[str]:
    """``nodeids`` regrouped by file, the files by expected seconds (longest first; ties keep
    the collection order), each file's tests in their own order."""
    by_file: dict[str, list[str]] = {}
    for nodeid in nodeids:
        by_file.setdefault(file_of(nodeid), []).append(nodeid)
    order = sorted(by_file, key=lambda f: -estimate(f, len(by_file[f]), known))
    return [nodeid for f in order for nodeid in by_file[f]]


_STARTED = time.monotonic()
#: CPU and wall seconds per xdist worker, as each reported them when it ended
_WORKER_USE: dict[str, tuple[float, float]] = {}


def pytest_configure(config: pytest.Config) -> None:
    """Keep the order given at collection (xdist would re-sort the files by test count)."""
    if getattr(config.option, "dist", "no") in ("loadfile", "loadscope"):
        config.option.loadscopereorder = False


def cpu_seconds() -> float:
    """User + system CPU of this process and of its children that have ended."""
    me, children = (
        resource.getrusage(resource.RUSAGE_SELF),
        resource.getrusage(resource.RUSAGE_CHILDREN),
    )
    return me.ru_utime + me.ru_stime + children.ru_utime + children.ru_stime


def pytest_sessionfinish(session: pytest.Session) -> None:
    """On an xdist worker: hand its CPU and wall seconds to the controller."""
    output = getattr(session.config, "workeroutput", None)
    if output is not None:
        output["suite_time_use"] = [cpu_seconds(), time.monotonic() - _STARTED]


@pytest.hookimpl(optionalhook=True)  # an xdist hook: no error in a run without xdist
def pytest_testnodedown(node: Any, error: object) -> None:
    """On the xdist controller: what a worker reported as it ended."""
    use = getattr(node, "workeroutput", {}).get("suite_time_use")
    if use:
        _WORKER_USE[str(node.gateway.id)] = (float(use[0]), float(use[1]))


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every worker collects the same items and sorts them the same way (xdist checks)."""
    by_id = {item.nodeid: item for item in items}
    if len(by_id) != len(items):  # duplicate ids: leave pytest's order alone
        return
    known = known_seconds(Path(os.environ.get("KFLEET_SUITE_TIMES") or TIMES))
    items[:] = [by_id[n] for n in longest_files_first(by_id, known)]


def seconds_per_file(reports: Iterable[Any]) -> tuple[dict[str, float], dict[str, float]]:
    """Setup + call + teardown seconds per file, and per xdist worker (``-`` for one process)."""
    files: dict[str, float] = defaultdict(float)
    workers: dict[str, float] = defaultdict(float)
    for rep in reports:
        duration = getattr(rep, "duration", None)
        if duration is None or not getattr(rep, "when", None):
            continue
        files[file_of(rep.nodeid)] += duration
        node = getattr(rep, "node", None)
        gateway = getattr(node, "gateway", None)
        workers[str(getattr(gateway, "id", "-"))] += duration
    return dict(files), dict(workers)


def pytest_terminal_summary(terminalreporter: Any) -> None:
    reports = [r for rs in terminalreporter.stats.values() for r in rs]
    files, workers = seconds_per_file(reports)
    if not files:
        return
    tr = terminalreporter
    tr.write_sep("=", f"slowest {min(SLOWEST_SHOWN, len(files))} files (setup + call + teardown)")
    for path, seconds in sorted(files.items(), key=lambda kv: -kv[1])[:SLOWEST_SHOWN]:
        tr.write_line(f"{seconds:9.2f}s {path}")
    busy = ", ".join(f"{w} {s:.0f} s" for w, s in sorted(workers.items()))
    tr.write_line(f"test time {sum(files.values()):.0f} s in {len(files)} files; by worker: {busy}")
    for worker, (cpu, wall) in sorted(_WORKER_USE.items()):
        tr.write_line(
            f"{worker}: {cpu:.0f} s CPU in {wall:.0f} s wall ({cpu / wall:.0%} of a core)"
        )
    if out := os.environ.get("KFLEET_SUITE_TIMES_OUT"):
        table = {"files": {p: round(s, 2) for p, s in sorted(files.items())}}
        Path(out).write_text(json.dumps(table, indent=1) + "\n", encoding="utf-8")
