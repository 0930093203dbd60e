"""The kiosk's screen as the operator may see it: an allow-list copy of the HTML the kiosk sent.

The kiosk already serialises a clean copy (``kiosk.cobrowse.js``: no scripts, values as
attributes, personal fields masked); the cloud does not trust that and rebuilds the markup
here from an allow-list of tags and attributes, so a kiosk that was tampered with cannot put a
script, an event handler, a form that posts somewhere or a remote image in front of an
operator. Images survive only as small inline ``data:image/jpeg|png`` URLs (the scans'
thumbnails). The console shows the result in an ``<iframe sandbox="allow-same-origin">``
(scripts refused; same-origin so the console's script can take the operator's clicks on it).
"""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser

#: tags kept (their attributes filtered); anything else is dropped, its text kept
TAGS = frozenset(
    [
        "div",
        "span",
        "p",
        "h1",
        "h2",
        "h3",
        "h4",
        "ul",
        "ol",
        "li",
        "dl",
        "dt",
        "dd",
        "strong",
        "em",
        "b",
        "i",
        "small",
        "br",
        "hr",
        "section",
        "header",
        "fieldset",
        "legend",
        "label",
        "button",
        "input",
        "select",
        "option",
        "textarea",
        "img",
        "table",
        "thead",
        "tbody",
        "tr",
        "th",
        "td",
        "figure",
        "figcaption",
    ]
)
#: tags dropped with everything inside them
DROP_WITH_CONTENT = frozenset(
    ["script", "style", "iframe", "object", "embed", "template", "noscript", "svg", "math"]
)
VOID = frozenset({"br", "hr", "input", "img"})
ATTRS = frozenset(
    [
        "class",
        "data-ref",
        "data-kind",
        "value",
        "type",
        "checked",
        "disabled",
        "selected",
        "placeholder",
        "alt",
        "role",
        "aria-label",
        "aria-pressed",
        "aria-current",
        "aria-disabled",
        "aria-invalid",
        "for",
        "id",
        "name",
        "lang",
        "src",
        "title",
        "maxlength",
    ]
)
#: an image is kept only as a small inline JPEG or PNG (a thumbnail the kiosk made)
DATA_IMAGE = re.compile(r"^data:image/(jpeg|png);base64,[A-Za-z0-9+/=]{1,200000}$")
MAX_HTML = 600_000
#: the screen's own data attributes (``data-item``, ``data-material``) carry no behaviour here
DATA_ATTR = re.compile(r"^data-[a-z0-9-]{1,30}$")
#: an ID number or a mobile number the kiosk left unmasked is masked as its screens mask them
ID_NUMBER = re.compile(r"(?<![0-9])([0-9]{4})[0-9]{10}([0-9]{3}[0-9Xx])(?![0-9])")
BANK_CARD = re.compile(r"(?<![0-9])([0-9]{4})[0-9]{8,11}([0-9]{4})(?![0-9])")
MOBILE = re.compile(r"(?<![0-9])(1[3-9][0-9])[0-9]{4}([0-9]{4})(?![0-9])")


def mask(text: str) -> str:
    """ID numbers → ``1101**********1234``, bank cards → ``6222 **** 3446``, mobile numbers →
    ``138****1234``."""
    text = ID_NUMBER.sub(r"\1**********\2", text)
    return MOBILE.sub(r"\1****\2", BANK_CARD.sub(r"\1 **** \2", text))


def sanitise(markup: str) -> str:
    """The markup rebuilt from the allow-list (text escaped, nothing executable)."""
    parser = _Sanitiser()
    parser.feed(markup[:MAX_HTML])
    parser.close()
    return "".join(parser.out)


class _Sanitiser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self._dropping = 0
        self._open: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in DROP_WITH_CONTENT:
            self._dropping += 1
            return
        if self._dropping or tag not in TAGS:
            return
        kept = "".join(_attr(tag, k, v) for k, v in attrs)
        self.out.append(f"<{tag}{kept}>")
        if tag not in VOID:
            self._open.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in VOID and tag in TAGS and not self._dropping:
            self.handle_endtag(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in DROP_WITH_CONTENT:
            self._dropping = max(0, self._dropping - 1)
            return
        if self._dropping or tag not in self._open:
            return
        while self._open:  # close what the kiosk left open inside it
            top = self._open.pop()
            self.out.append(f"</{top}>")
            if top == tag:
                break

    def handle_data(self, data: str) -> None:
        if not self._dropping:
            self.out.append(html.escape(mask(data), quote=False))

    def close(self) -> None:
        super().close()
        self.out.extend(f"</{t}>" for t in reversed(self._open))
        self._open.clear()


def _attr(tag: str, name: str, value: str | None) -> str:
    if name not in ATTRS and not DATA_ATTR.match(name):
        return ""
    text = value if value is not None else ""
    if name == "src" and not (tag == "img" and DATA_IMAGE.match(text)):
        return ""
    if name == "type" and text.lower() in ("submit", "image", "file"):
        text = "button"  # nothing in the copy can post or open a file chooser
    if name != "src":
        text = mask(text)
    return f' {name}="{html.escape(text, quote=True)}"'
