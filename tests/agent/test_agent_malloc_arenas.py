"""The agent caps glibc's heaps (issue 17's memory budget): threads started after
``limit_malloc_arenas`` share two heaps instead of getting one each.

Each case runs in a fresh interpreter (the cap is process-wide and cannot be undone) and counts
the heaps with glibc's ``malloc_stats``, which prints one ``Arena N:`` block per heap.
"""

from __future__ import annotations

import os
import platform
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import require_or_skip

ROOT = Path(__file__).resolve().parents[2]

#: six threads, alive together, each allocating with malloc; then glibc's heap count
SIX_THREADS = """
import ctypes, sys, threading
from edge_agent.memory import limit_malloc_arenas

capped = limit_malloc_arenas() if sys.argv[1] == "capped" else False
libc = ctypes.CDLL(None)
libc.malloc.restype = ctypes.c_void_p
libc.malloc.argtypes = [ctypes.c_size_t]
libc.free.argtypes = [ctypes.c_void_p]
all_allocated = threading.Barrier(6)

def allocate() -> None:
    block = libc.malloc(100_000)
    all_allocated.wait()  # no thread ends (handing its heap on) before all have one
    libc.free(block)

threads = [threading.Thread(target=allocate) for _ in range(6)]
for t in threads:
    t.start()
for t in threads:
    t.join()
sys.stdout.write(f"capped={capped}\\n")
sys.stdout.flush()
libc.malloc_stats()
"""


def heaps_after_six_threads(mode: str) -> tuple[str, int]:
    if platform.libc_ver()[0] != "glibc":
        require_or_skip("glibc's malloc")
    env = {k: v for k, v in os.environ.items() if k != "MALLOC_ARENA_MAX"}
    done = subprocess.run(
        [sys.executable, "-c", SIX_THREADS, mode],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    arenas = [line for line in done.stderr.splitlines() if line.startswith("Arena ")]
    return done.stdout.strip(), len(arenas)


def test_threads_share_two_heaps_once_the_agent_caps_them() -> None:
    said, heaps = heaps_after_six_threads("capped")
    assert said == "capped=True"
    assert 1 <= heaps <= 2, f"{heaps} glibc heaps with the cap"


def test_without_the_cap_each_thread_gets_a_heap_of_its_own() -> None:
    """The control: the count above means something (glibc would have made more)."""
    said, heaps = heaps_after_six_threads("uncapped")
    assert said == "capped=False"
    assert heaps > 2, f"only {heaps} glibc heaps without the cap"


def test_an_explicit_environment_setting_wins(monkeypatch: pytest.MonkeyPatch) -> None:
    from edge_agent.memory import limit_malloc_arenas

    monkeypatch.setenv("MALLOC_ARENA_MAX", "4")
    assert limit_malloc_arenas() is False
