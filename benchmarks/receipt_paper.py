"""Receipts: decoding ESC/POS streams and drawing them as PNG, per receipt, in CPU time.

    python -m benchmarks.receipt_paper [--repeat 20]

Every stream the printer tests use from independent encoders
(``tests/fixtures/escpos/encoders/*/*.bin``) is decoded (``decode_receipts``: the printer
simulators' and the agent's receipt proof's decoder) and each receipt drawn
(``render_receipt``) and encoded (``png_bytes``), ``--repeat`` times; the medians are
printed per encoder and for all, with wall and CPU (``time.process_time``) milliseconds, so a
run on a shared machine still says what the work costs. The first rendering in a process
(font load, glyph cache) is timed on its own.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import numpy as np

from protocols.escpos import decode_receipts
from protocols.escpos.paper import png_bytes, render_receipt

T = TypeVar("T")
STREAMS = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "escpos" / "encoders"


def _timed(fn: Callable[[], T]) -> tuple[float, float, T]:
    w0, c0 = time.perf_counter(), time.process_time()
    out = fn()
    return (time.perf_counter() - w0) * 1000, (time.process_time() - c0) * 1000, out


def _cold_render(data: bytes) -> None:
    receipts = decode_receipts(data)
    wall, cpu, _ = _timed(lambda: render_receipt(receipts[0]))
    print(
        f"first rendering in this process (font load, glyph cache): {wall:.1f} ms wall, "
        f"{cpu:.1f} ms CPU"
    )


def run(repeat: int) -> dict[str, dict[str, list[float]]]:
    """Per encoder: per-receipt decode/render/png ms (wall and CPU) and PNG sizes."""
    figures: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    for path in sorted(STREAMS.glob("*/*.bin")):
        data = path.read_bytes()
        encoder = path.parent.name
        for _ in range(repeat):
            wall, cpu, receipts = _timed(lambda: decode_receipts(data))  # noqa: B023
            n = max(len(receipts), 1)
            figures[encoder]["decode_wall"].append(wall / n)
            figures[encoder]["decode_cpu"].append(cpu / n)
            figures[encoder]["bytes"].append(len(data) / n)
            for receipt in receipts:
                wall, cpu, image = _timed(lambda: render_receipt(receipt))  # noqa: B023
                figures[encoder]["render_wall"].append(wall)
                figures[encoder]["render_cpu"].append(cpu)
                _, cpu, png = _timed(lambda: png_bytes(image))  # noqa: B023
                figures[encoder]["png_cpu"].append(cpu)
                figures[encoder]["png_kib"].append(len(png) / 1024)
    return figures


def report(figures: dict[str, dict[str, list[float]]]) -> None:
    columns = ("decode_cpu", "render_wall", "render_cpu", "png_cpu", "png_kib", "bytes")
    print(f"\n{'encoder':<26}" + "".join(f"{c:>13}" for c in columns))
    every: dict[str, list[float]] = defaultdict(list)
    for encoder, values in sorted(figures.items()):
        row = "".join(f"{statistics.median(values[c]):>13.2f}" for c in columns)
        print(f"{encoder:<26}{row}")
        for c in columns:
            every[c] += values[c]
    print(
        f"{'all (median)':<26}" + "".join(f"{statistics.median(every[c]):>13.2f}" for c in columns)
    )
    print(f"{'all (p95)':<26}" + "".join(f"{np.percentile(every[c], 95):>13.2f}" for c in columns))
    print("(per receipt: ms, except png_kib = PNG size and bytes = ESC/POS bytes)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    streams = sorted(STREAMS.glob("*/*.bin"))
    print(
        f"receipt_paper: {len(streams)} streams from {len({p.parent for p in streams})} "
        f"encoders, x{args.repeat}; python {platform.python_version()}, {platform.machine()}"
    )
    _cold_render(streams[0].read_bytes())
    report(run(args.repeat))


if __name__ == "__main__":
    main()
