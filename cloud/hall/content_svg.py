"""Safety checks on an uploaded SVG floor plan (the stdlib's expat, with every DTD refused).

An SVG is a document that can run code and fetch things; a floor plan needs neither. Refused:
a DTD or entity declaration (entity expansion bombs, external entities), a root that is not
``<svg>``, ``<script>``/``<foreignObject>``/embedding elements, any ``on…`` event-handler
attribute, an ``href`` (or ``xlink:href``) that is not a ``#fragment`` inside the file, and a
``url(…)``/``@import`` in styles that points outside it. What remains is drawn, nothing more.
"""

from __future__ import annotations

import re
from typing import NoReturn
from xml.parsers import expat

from cloud.errors import Unprocessable

SVG_NS = "http://www.w3.org/2000/svg"
#: elements that run code or pull in other documents
FORBIDDEN = {"script", "foreignobject", "iframe", "embed", "object", "handler", "listener"}
_NUMBER = re.compile(r"^\s*([0-9]*\.?[0-9]+)\s*(px)?\s*$")
#: possessive quantifiers: a long run of spaces must not make the search backtrack
_OUTSIDE_URL = re.compile(r"url\(\s*+['\"]?+\s*+(?!#)|@import|expression\(|javascript:", re.I)


class ImageInvalid(Unprocessable):
    """An image of an accepted type that cannot be used: corrupt, too many pixels, unsafe SVG."""


class SvgUnsafe(ImageInvalid):
    """An SVG that is not well-formed, or could act (script, events, outside references)."""


def _refuse(what: str, why: str) -> NoReturn:
    raise SvgUnsafe(
        f"{what} is an SVG that cannot be shown safely: {why}. Save the plan as plain SVG "
        "(drawing only: no scripts, links to other files or interactive parts), or as PNG"
    )


class _Walk:
    def __init__(self, what: str) -> None:
        self.what = what
        self.root: tuple[str, dict[str, str]] | None = None
        self.in_style = 0

    def start(self, name: str, attrs: dict[str, str]) -> None:
        ns, _, local = name.rpartition(" ")
        if self.root is None:
            if local != "svg" or ns != SVG_NS:
                _refuse(self.what, f"its root element is <{local}>, not an SVG <svg> element")
            self.root = (local, attrs)
        if local.lower() in FORBIDDEN:
            _refuse(self.what, f"it contains a <{local}> element")
        if local == "style":
            self.in_style += 1
        for key, value in attrs.items():
            self._attribute(local, key.rpartition(" ")[2], value)

    def _attribute(self, element: str, attr: str, value: str) -> None:
        if attr.lower().startswith("on"):
            _refuse(self.what, f"<{element}> has an event handler attribute {attr!r}")
        if attr == "href" and not value.strip().startswith("#"):
            _refuse(
                self.what,
                f"<{element}> refers to {value[:60]!r} outside the file (only #fragments "
                "within it are allowed)",
            )
        if _OUTSIDE_URL.search(value):
            _refuse(self.what, f"<{element}> attribute {attr!r} refers outside the file")

    def end(self, name: str) -> None:
        if name.rpartition(" ")[2] == "style":
            self.in_style -= 1

    def text(self, data: str) -> None:
        if self.in_style and _OUTSIDE_URL.search(data):
            _refuse(self.what, "a <style> refers outside the file (url(), @import)")


def _no_dtd(what: str) -> NoReturn:
    _refuse(what, "it declares a DTD or entities (not needed by a drawing, and a known attack)")


def _parse(data: bytes, what: str) -> _Walk:
    walk = _Walk(what)
    parser = expat.ParserCreate(namespace_separator=" ")
    parser.StartDoctypeDeclHandler = lambda *a: _no_dtd(what)
    parser.EntityDeclHandler = lambda *a: _no_dtd(what)
    parser.ExternalEntityRefHandler = lambda *a: _no_dtd(what)
    parser.StartElementHandler = walk.start
    parser.EndElementHandler = walk.end
    parser.CharacterDataHandler = walk.text
    try:
        parser.Parse(data, True)
    except expat.ExpatError as err:
        raise SvgUnsafe(
            f"{what} is not well-formed XML ({expat.errors.messages.get(err.code, err)} at line "
            f"{err.lineno}): save it again from the drawing program, or export a PNG"
        ) from None
    if walk.root is None:
        _refuse(what, "it has no <svg> element")
    return walk


def _length(value: str | None) -> float | None:
    if value is None or len(value) > 32:  # a size is short; a long one is not a size
        return None
    match = _NUMBER.match(value)
    return float(match.group(1)) if match else None


def svg_size(data: bytes, what: str) -> tuple[int, int]:
    """Check the SVG (see the module doc) and return its size in user units, rounded."""
    walk = _parse(data, what)
    assert walk.root is not None
    attrs = {k.rpartition(" ")[2]: v for k, v in walk.root[1].items()}
    box = (attrs.get("viewBox") or "").replace(",", " ").split()
    w, h = _length(attrs.get("width")), _length(attrs.get("height"))
    if (w is None or h is None) and len(box) == 4:
        w, h = _length(box[2]), _length(box[3])
    if not w or not h or w < 1 or h < 1:
        raise SvgUnsafe(
            f"{what} gives no usable size: set width and height in pixels, or a viewBox, on "
            "its <svg> element (positions on the plan are fractions of that size)"
        )
    if max(w, h) > 20000:
        raise SvgUnsafe(f"{what} is {w:g} × {h:g} units; at most 20000 on each side")
    return round(w), round(h)
