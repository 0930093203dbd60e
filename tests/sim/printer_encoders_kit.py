"""Shared by the encoder-stream tests: the cases (encoder fixtures and hand-built streams), writes
in seeded random-sized chunks, and the paper's view of a receipt (transcript lines, styled
runs, images) to compare with what each case says the paper must show."""

from __future__ import annotations

import json
import math
import random
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from protocols.escpos import Receipt
from protocols.escpos.layout import FeedItem, Item, PrintLine, RasterImage, TextRun, transcript
from tests.fixtures.escpos.handbuilt import STREAMS

ENCODERS = Path(__file__).resolve().parents[1] / "fixtures" / "escpos" / "encoders"


@dataclass(frozen=True)
class Case:
    """One stream and what the paper must show, receipt by receipt."""

    name: str
    data: bytes
    receipts: list[list[str]]
    replies: bytes = b""
    splits: tuple[int, ...] = ()
    styles: list[list[dict[str, Any]]] = field(default_factory=list)
    images: list[dict[str, Any]] = field(default_factory=list)  # size/alignment checks
    rows: list[bytes | None] = field(default_factory=list)  # exact rasters, if known


def encoder_cases() -> list[Case]:
    cases = []
    for expect in sorted(ENCODERS.glob("*/*.expect.json")):
        doc = json.loads(expect.read_text(encoding="utf-8"))
        name = expect.name.removesuffix(".expect.json")
        images = doc["receipts"][0].get("images", [])
        cases.append(
            Case(
                name=f"{expect.parent.name}/{name}",
                data=expect.with_name(f"{name}.bin").read_bytes(),
                receipts=[r["lines"] for r in doc["receipts"]],
                replies=bytes.fromhex(doc.get("status_replies", "")),
                styles=[r.get("styles", []) for r in doc["receipts"]],
                images=images,
                rows=[logo_rows(i["width"], i["height"]) for i in images],
            )
        )
    return cases


def handbuilt_cases() -> list[Case]:
    return [
        Case(
            name=f"handbuilt/{s.name}",
            data=s.data,
            receipts=[list(r) for r in s.receipts],
            replies=s.replies,
            splits=s.splits,
            images=[{"width": i.width, "height": i.height} for i in s.images],
            rows=[i.rows for i in s.images],
        )
        for s in STREAMS
    ]


def chunks(case: Case, seed: int) -> list[bytes]:
    """The stream cut at the case's own split points and at seeded random ones (1..17 bytes)."""
    rng = random.Random(f"{case.name}:{seed}")
    cuts = set(case.splits)
    at = 0
    while at < len(case.data):
        at += rng.randint(1, 17)
        cuts.add(at)
    bounds = sorted(c for c in cuts if 0 < c < len(case.data))
    return [case.data[a:b] for a, b in zip([0, *bounds], [*bounds, len(case.data)], strict=True)]


def paper_items(receipt: Receipt) -> list[Item]:
    """``receipt.items`` with the bands of one picture joined: consecutive images of the same
    width and position (``ESC *`` prints a tall logo as 24-dot bands) are one image on paper."""
    out: list[Item] = []
    for item in receipt.items:
        prev = out[-1] if out else None
        if isinstance(item, FeedItem) and item.dots == 0:
            continue
        if (
            isinstance(item, RasterImage)
            and isinstance(prev, RasterImage)
            and (prev.width, prev.x, prev.align) == (item.width, item.x, item.align)
        ):
            out[-1] = RasterImage(
                prev.width,
                prev.height + item.height,
                prev.rows + item.rows,
                prev.x,
                prev.align,
                prev.source,
            )
            continue
        out.append(item)
    return out


def paper_lines(receipt: Receipt) -> list[str]:
    """The transcript of a receipt, line by line, trailing spaces dropped (paper shows none)."""
    return [line.rstrip() for line in transcript(paper_items(receipt)).splitlines()]


def style_problems(receipt: Receipt, checks: list[dict[str, Any]]) -> list[str]:
    """Each check names a text and attributes every run printing part of it must have."""
    problems = []
    for check in checks:
        want = {k: v for k, v in check.items() if k != "text"}
        runs = _runs_of(receipt, check["text"])
        if not runs:
            problems.append(f"no printed line holds {check['text']!r}")
        for run in runs:
            got = {k: getattr(run, k) for k in want}
            if got != want:
                problems.append(f"{run.text!r}: {got} != {want}")
    return problems


def _runs_of(receipt: Receipt, text: str) -> list[TextRun]:
    """The runs printing ``text`` or a part of it, on the lines that hold it."""
    lines = [i for i in receipt.items if isinstance(i, PrintLine) and text in i.text]
    return [
        r
        for line in lines
        for r in line.runs
        if r.text.strip() and (text in r.text or r.text.strip() in text)
    ]


def image_problems(receipts: list[Receipt], case: Case) -> list[str]:
    """Every image of the stream, in order, has the size, alignment and dots it should."""
    images = [i for r in receipts for i in paper_items(r) if isinstance(i, RasterImage)]
    if len(images) != len(case.images):
        return [f"{len(images)} images on paper, {len(case.images)} expected"]
    problems = []
    for image, want, rows in zip(images, case.images, case.rows, strict=True):
        got = {"width": image.width, "height": image.height, "align": image.align}
        if any(got[k] != v for k, v in want.items()):
            problems.append(f"image {got} != {want}")
        elif rows is not None and image.rows != rows:
            problems.append(f"{image.width}x{image.height} image: its dots differ from the picture")
    return problems


def logo_black(x: int, y: int, w: int, h: int) -> bool:
    """``black()`` of tests/fixtures/escpos/encoders/logo.mjs, the picture every encoder prints."""
    if x < 3 or y < 3 or x >= w - 3 or y >= h - 3:
        return True
    r = min(h, w) / 2 - 8
    dx, dy = x - h / 2, y - h / 2
    if dx * dx + dy * dy <= r * r:
        return True
    if w / 2 <= x < w - 8 and 8 <= y < h - 8:
        return (math.floor((x - w / 2) / 8) + math.floor((y - 8) / 8)) % 2 == 0
    return x >= w - 8 and y < 12


def logo_rows(w: int, h: int) -> bytes:
    """The logo packed as raster rows (MSB first, 1 = black), as ``RasterImage.rows``."""
    out = bytearray()
    for y in range(h):
        bits = "".join("1" if logo_black(x, y, w, h) else "0" for x in range(w))
        out += int(bits, 2).to_bytes(w // 8, "big")
    return bytes(out)


ALL_CASES = encoder_cases() + handbuilt_cases()

#: Streams the decoder still prints wrong, and why (tests/fixtures/escpos/encoders/README.md).
#: Strict: the day the decoder gets one right, its test fails until the entry goes.
KNOWN_DECODER_BUGS: dict[str, str] = {}


def params(cases: list[Case]) -> list[Any]:
    """``cases`` as pytest parameters, each known decoder bug marked a strict expected failure."""
    return [
        pytest.param(
            c,
            id=c.name,
            marks=[pytest.mark.xfail(strict=True, reason=KNOWN_DECODER_BUGS[c.name])]
            if c.name in KNOWN_DECODER_BUGS
            else [],
        )
        for c in cases
    ]
