"""Fewer glibc heaps for the agent's threads (issue 17: the agent's RSS budget is 120 MB).

glibc gives a thread that finds the main heap busy a heap of its own, up to eight per core,
and keeps each heap's freed memory for that heap. The agent's threads (a camera's, the
serial links', ``asyncio.to_thread``'s pool) are mostly asleep and need no heap of their own:
each extra heap holds a few MB of freed buffers in the agent's RSS. ``limit_malloc_arenas``
caps them at two, from inside the agent, so the limit is the same wherever the agent runs (a
systemd unit, the launcher, a test, the footprint benchmark) and needs no environment. An
explicit ``MALLOC_ARENA_MAX`` in the environment wins (glibc read it at start).
"""

from __future__ import annotations

import ctypes
import os

#: glibc's ``mallopt`` parameter number for the arena cap (``malloc.h``)
M_ARENA_MAX = -8
#: heaps the agent's threads share (the main one and one more)
AGENT_MALLOC_ARENAS = 2


def limit_malloc_arenas(arenas: int = AGENT_MALLOC_ARENAS) -> bool:
    """Cap glibc's heaps at ``arenas`` for the threads started from now on. True if the cap
    was set; False without glibc or when ``MALLOC_ARENA_MAX`` is set already."""
    if "MALLOC_ARENA_MAX" in os.environ:
        return False
    try:
        mallopt = ctypes.CDLL(None).mallopt  # glibc only
    except (OSError, AttributeError):
        return False
    mallopt.argtypes, mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
    return bool(mallopt(M_ARENA_MAX, arenas))
