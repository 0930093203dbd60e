"""The print head: where the next dot goes, the line buffer, and the modes in force.

Fed the decoder's events, it emits ``protocols.escpos.layout`` items in print order, as an
Epson TM / Chinese-market thermal printer in standard mode lays them out:

- Text accumulates in the line buffer at the print position ``x`` (dots from the start of the
  print area): ``ESC $`` sets it, ``ESC \\`` moves it (ignored if it would leave the print
  area), ``HT`` jumps to the next ``ESC D`` tab stop (default every 8 Font A cells; stops are
  fixed in dots when ``ESC D`` arrives, as the printer does). A character that does not fit
  in the print area (``GS W``, at most the paper width minus ``GS L``) wraps the line.
- ``LF`` prints the line and feeds the line spacing (``ESC 3 n`` dots, ``ESC 2`` default);
  ``ESC d n`` feeds n lines, ``ESC J n`` n dots. A feed with an empty buffer is a ``FeedItem``.
  ``PrintLine.feed`` is the line spacing in force; the paper advances by at least the line's
  height (the renderer takes the larger).
- The alignment of a line is the ``ESC a`` in force when its first character arrived. With a
  ``GS L`` margin or a ``GS W`` width, the line is placed here (x includes the margin, align
  becomes "left"), since the renderer only knows the paper width.
- Images (``GS v 0``, ``GS ( L``, ``FS p``, ``GS /``), QR codes and barcodes print where they
  arrive, after the line buffer (printed first if not empty: more forgiving than Epson, which
  ignores ``GS v 0`` mid-line). ``ESC *`` strips print in the line at ``x``; their line
  advances by max(line spacing, strip height), so python-escpos' stacked strips abut.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace
from operator import attrgetter

from protocols.escpos.events import (
    Barcode,
    BarcodeSetup,
    Event,
    Feed,
    Image,
    Init,
    Pdf417,
    Position,
    QrCode,
    Spacing,
    Style,
    TabStops,
    Text,
)
from protocols.escpos.layout import (
    DEFAULT_LINE_DOTS,
    FONT_CELL,
    PAPER_80MM,
    Align,
    BarcodeItem,
    FeedItem,
    FontName,
    HriPosition,
    Item,
    PrintLine,
    QrItem,
    RasterImage,
    TextRun,
    char_advance,
    is_wide,
    transcript,
)
from protocols.escpos.line_images import compose


@dataclass
class Modes:
    """Print modes (power-on values); ``ESC @`` restores them."""

    font: FontName = "A"
    bold: bool = False
    underline: int = 0
    width: int = 1
    height: int = 1
    reverse: bool = False
    wide_width: int = 0  # 0: follow width (FS ! / FS W set it for Chinese characters)
    wide_height: int = 0
    align: Align = "left"
    char_spacing: int = 0
    wide_spacing: int | None = None  # FS S, per full-width cell (None: follow ESC SP)
    line: int = DEFAULT_LINE_DOTS
    left: int = 0
    area: int | None = None  # GS W; None = to the paper's edge
    tabs: list[int] = field(default_factory=lambda: [96 * i for i in range(1, 33)])
    bar_height: int = 162
    bar_module: int = 3
    hri: HriPosition = "none"
    hri_font: FontName = "A"


@dataclass(frozen=True, slots=True)
class LineStart:
    """The modes when a line's first character arrived (``Receipt.meta``)."""

    align: Align
    bold: bool
    width: int
    height: int


class Printhead:
    """Lays events out as items; ``items`` grows in print order (take them with ``take``)."""

    def __init__(self, paper_dots: int = PAPER_80MM) -> None:
        self.paper_dots = paper_dots
        self.m = Modes()
        self.items: list[Item] = []
        self.legacy: list[tuple[str, LineStart]] = []
        """Each printed text line (blank ones too) as text, for ``Receipt.lines``."""
        self.marked = False
        """Whether anything visible was printed since the last ``take``."""
        self._x = 0
        self._runs: list[TextRun] = []
        self._run_end = 0  # where the last of ``_runs`` ends (its x + advance)
        self._images: list[RasterImage] = []
        self._start: LineStart | None = None

    @property
    def pending(self) -> bool:
        """Something waits in the line buffer."""
        return bool(self._runs or self._images)

    def take(self) -> list[Item]:
        items, self.items, self.legacy, self.marked = self.items, [], [], False
        return items

    def add(self, event: Event) -> None:
        if isinstance(event, Text):
            self._text(event.text)
        elif isinstance(event, Feed):
            self._feed(event)
        elif isinstance(event, Style):
            self._style(event)
        elif isinstance(event, Position | TabStops | Spacing):
            self._layout(event)
        elif isinstance(event, BarcodeSetup):
            self._barcode_setup(event)
        elif isinstance(event, Image | QrCode | Barcode | Pdf417):
            self._block(event)
        elif isinstance(event, Init):
            self._runs, self._images, self._x, self._start = [], [], 0, None
            self.m = Modes()

    # -- text -------------------------------------------------------------------------------

    @property
    def _area(self) -> int:
        room = self.paper_dots - self.m.left
        return max(0, min(room, self.m.area if self.m.area is not None else room))

    def _text(self, text: str) -> None:
        for ch in text:
            if ch == "\t":
                self._tab()
                continue
            run = self._run_for(ch)
            advance = char_advance(ch, run.font, run.width, run.spacing)
            if self._x + advance > self._area and self.pending:
                self.end_line(self.m.line)
                run = replace(run, x=0)
            self._put(run, ch, advance)
            self._x += advance

    def _run_for(self, ch: str) -> TextRun:
        m, wide = self.m, is_wide(ch)
        width = (m.wide_width or m.width) if wide else m.width
        height = (m.wide_height or m.height) if wide else m.height
        spacing = m.char_spacing
        if wide and m.wide_spacing is not None:
            spacing = m.wide_spacing // 2
        return TextRun("", self._x, m.font, width, height, m.bold, m.underline, m.reverse, spacing)

    def _put(self, run: TextRun, ch: str, advance: int) -> None:
        """Extend the last run if ``ch`` continues it (same style, right where it ends: the
        end is kept, ``last.x + last.advance``, rather than measured again per character)."""
        if self._start is None:
            m = self.m
            self._start = LineStart(m.align, m.bold, m.width, m.height)
        last = self._runs[-1] if self._runs else None
        if last is not None and self._run_end == run.x and _same_style(last, run):
            self._runs[-1] = with_text(last, last.text + ch)
            self._run_end += advance
        else:
            self._runs.append(with_text(run, ch))
            self._run_end = run.x + advance

    def _tab(self) -> None:
        stop = next((t for t in self.m.tabs if t > self._x), None)
        if stop is not None:
            self._x = min(stop, self._area)

    # -- settings ---------------------------------------------------------------------------

    def _style(self, s: Style) -> None:
        changes = {k: getattr(s, k) for k in Style.__slots__ if getattr(s, k) is not None}
        self.m = replace(self.m, **changes)

    def _layout(self, event: Position | TabStops | Spacing) -> None:
        m = self.m
        if isinstance(event, Position):
            x = self._x + event.dots if event.relative else event.dots
            if 0 <= x <= self._area:
                self._x = x
        elif isinstance(event, TabStops):
            cell = (FONT_CELL[m.font][0] + m.char_spacing) * m.width
            m.tabs = [column * cell for column in event.columns]
        else:
            if event.line is not None:
                m.line = DEFAULT_LINE_DOTS if event.line < 0 else event.line
            if event.char is not None:
                m.char_spacing = event.char
            if event.wide_char is not None:
                m.wide_spacing = event.wide_char
            if event.left is not None:
                m.left = event.left
            if event.width is not None:
                m.area = event.width

    def _barcode_setup(self, s: BarcodeSetup) -> None:
        m = self.m
        m.bar_height = s.height if s.height is not None else m.bar_height
        m.bar_module = s.module if s.module is not None else m.bar_module
        m.hri = s.hri if s.hri is not None else m.hri
        m.hri_font = s.hri_font if s.hri_font is not None else m.hri_font

    # -- output -----------------------------------------------------------------------------

    def _feed(self, feed: Feed) -> None:
        if feed.lines == 0:
            self.end_line(feed.dots, legacy_blank=False)
            return
        self.end_line(self.m.line)
        for _ in range(feed.lines - 1):
            self.end_line(self.m.line)

    def end_line(self, feed: int, legacy_blank: bool = True) -> None:
        """Print the line buffer and feed ``feed`` dots (an empty buffer: just the feed)."""
        start = self._start or LineStart(self.m.align, self.m.bold, self.m.width, self.m.height)
        if self._images:
            image = replace(compose(self._images), align=start.align)
            self._emit_strip(image)
            feed = max(0, feed - image.height)
        if self._runs:
            line = self._placed(PrintLine(tuple(self._runs), start.align, feed))
            self._emit(line)
            self.legacy.append((transcript([line])[:-1], start))
        elif feed > 0:
            self.items.append(FeedItem(feed))
            if legacy_blank and not self._images:
                self.legacy.append(("", start))
        self._runs, self._images, self._x, self._start = [], [], 0, None

    def _emit_strip(self, strip: RasterImage) -> None:
        """An ``ESC *`` line image; one that abuts the previous strip (same place and width,
        no paper between) continues it: stacked strips are one picture on the paper."""
        last = self.items[-1] if self.items else None
        if (
            isinstance(last, RasterImage)
            and last.source == strip.source == "ESC *"
            and (last.x, last.width, last.align) == (strip.x, strip.width, strip.align)
        ):
            rows = last.rows + strip.rows
            self.items[-1] = replace(last, height=last.height + strip.height, rows=rows)
            return
        self._emit(strip)

    def _placed(self, line: PrintLine) -> PrintLine:
        m = self.m
        if m.left == 0 and m.area is None:
            return line
        room = self._area - line.extent
        shift = m.left + {"left": 0, "center": room // 2, "right": room}[line.align]
        runs = tuple(replace(run, x=run.x + shift) for run in line.runs)
        return PrintLine(runs, "left", line.feed)

    def _emit(self, item: Item) -> None:
        self.items.append(item)
        if isinstance(item, PrintLine):
            self.marked |= bool(item.text.strip()) or any(r.reverse for r in item.runs)
        elif not isinstance(item, FeedItem):
            self.marked = True

    def _block(self, event: Image | QrCode | Barcode | Pdf417) -> None:
        m = self.m
        if isinstance(event, Image) and event.in_line:
            x = m.left + self._x
            strip = RasterImage(event.width, event.height, event.rows, x, "left", event.source)
            self._images.append(strip)
            self._start = self._start or LineStart(m.align, m.bold, m.width, m.height)
            self._x += event.width
            return
        if self.pending:
            self.end_line(m.line)
        self._emit(self._item(event))

    def _item(self, event: Image | QrCode | Barcode | Pdf417) -> Item:
        m = self.m
        if isinstance(event, Image):
            return RasterImage(event.width, event.height, event.rows, m.left, m.align, event.source)
        if isinstance(event, QrCode):
            return QrItem(event.data, event.size, event.error_correction, m.align)
        if isinstance(event, Pdf417):
            return BarcodeItem("PDF417", event.data, event.row_height, event.module, align=m.align)
        return BarcodeItem(
            event.symbology,
            event.data,
            m.bar_height,
            m.bar_module,
            m.hri,
            m.hri_font,
            m.align,
            raw=event.raw,
        )


#: a run's style: every field but its text and position
_STYLE_OF = attrgetter(*(f.name for f in fields(TextRun) if f.name not in ("text", "x")))


def with_text(run: TextRun, text: str) -> TextRun:
    """``replace(run, text=text)`` without ``dataclasses.replace``'s field lookups: it ran
    once per printed character (issue 17). ``tests/unit/test_printhead_runs.py`` checks it
    keeps every field."""
    return TextRun(
        text,
        run.x,
        run.font,
        run.width,
        run.height,
        run.bold,
        run.underline,
        run.reverse,
        run.spacing,
    )


def _same_style(a: TextRun, b: TextRun) -> bool:
    return bool(_STYLE_OF(a) == _STYLE_OF(b))
