"""Writing to a terminal that may be gone.

``kfleet demo 2>&1 | tee demo.log`` and Ctrl-C: the signal kills ``tee`` too, and every later
write to stdout fails with EPIPE. Stopping must never depend on being able to write, so the
demo's messages go through :func:`say`, which drops what cannot be written.
"""

from __future__ import annotations

import contextlib
import os
import sys
from typing import TextIO


def say(text: str, *, err: bool = False) -> None:
    """Print ``text`` on stdout (stderr with ``err``); if the stream is broken or closed, send
    this and every later write on it to /dev/null instead of raising."""
    stream = sys.stderr if err else sys.stdout
    try:
        print(text, file=stream, flush=True)
    except (OSError, ValueError):  # EPIPE / BrokenPipeError; ValueError: the file is closed
        _silence(stream)


def _silence(stream: TextIO | None) -> None:
    """Point the stream's descriptor at /dev/null, so that the pending buffer and the
    interpreter's final flush succeed instead of failing at exit."""
    if stream is None:
        return
    try:
        fd = stream.fileno()
    except (OSError, ValueError):
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, fd)
    finally:
        os.close(devnull)
    with contextlib.suppress(OSError, ValueError):  # whatever is left goes to /dev/null
        stream.flush()
