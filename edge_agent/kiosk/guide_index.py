"""Searching the service guide on the kiosk, offline: by Chinese text, full pinyin or pinyin
initials (``gjj`` → 公积金), over item names, keywords, departments and themes.

The index is built once per catalogue (:func:`build_index`, ~1 s for 5,000 items, in a thread)
and a search is a scan over one pre-joined lower-case string per item, so a query costs well
under the 50 ms a touch screen may take (docs/kiosk-guide.md, "On the kiosk").

Ranking, best first: **exact** (a name, keyword or their pinyin equals the query) > **prefix**
> **initials** (the pinyin initials of a name or keyword begin with or contain the query) >
**substring** (anywhere, departments and themes included). Several words must all match; an
item ranks by its worst word. Ties: items offered at this kiosk's site first, then shorter
names, then catalogue order.
"""

from __future__ import annotations

import json
import logging
import re
import subprocess
import sys
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from protocols.guide import Catalogue, Item

log = logging.getLogger(__name__)

EXACT, PREFIX, INITIALS, SUBSTRING = 0, 1, 2, 3
TIERS = ("exact", "prefix", "initials", "substring")
_ASCII_WORD = re.compile(r"^[a-z0-9]+$")
#: the object filter: a person also sees items for both, a legal person likewise
_OBJECTS = {"person": ("person", "both"), "legal_person": ("legal_person", "both")}


def norm(text: str) -> str:
    """Full-width to half-width, lower case, no spaces (as both the index and queries see
    text)."""
    return re.sub(r"[\s\x00-\x1f]+", "", unicodedata.normalize("NFKC", text)).lower()


def pinyin_keys(text: str) -> tuple[str, str]:
    """(full pinyin, initials) of ``text``: ``住房公积金`` → (``zhufanggongjijin``, ``zfgjj``);
    letters and digits pass through as they are."""
    from pypinyin import Style, lazy_pinyin  # here, not at the top: 55 MB (pinyin_table)

    full = norm("".join(lazy_pinyin(text, style=Style.NORMAL)))
    initials = norm("".join(lazy_pinyin(text, style=Style.FIRST_LETTER)))
    return full, initials


#: computes pinyin in a child process (``pinyin_table``)
PINYIN_SCRIPT = Path(__file__).with_name("guide_pinyin.py")
PINYIN_TIMEOUT_S = 120.0


def pinyin_table(texts: list[str]) -> dict[str, tuple[str, str]]:
    """:func:`pinyin_keys` of every text. Once imported, pypinyin's phrase tables hold about
    55 MB for as long as the process runs — half a kiosk agent's memory (issue 17's footprint)
    for an index built once per catalogue. So, unless this process has them already, a
    short-lived child process computes the table; if it cannot, this process does."""
    if "pypinyin" in sys.modules or not texts:
        return {t: pinyin_keys(t) for t in texts}
    try:
        done = subprocess.run(
            [sys.executable, "-P", str(PINYIN_SCRIPT)],  # -P: the kiosk's copy.py is no stdlib
            input=json.dumps(texts).encode(),
            capture_output=True,
            timeout=PINYIN_TIMEOUT_S,
            check=True,
        )
        rows = json.loads(done.stdout)
        return {t: (norm(full), norm(first)) for t, (full, first) in zip(texts, rows, strict=True)}
    except (OSError, subprocess.SubprocessError, ValueError, TypeError) as err:
        log.warning("pinyin in a child process failed (%s): computing it in the agent", err)
        return {t: pinyin_keys(t) for t in texts}


@dataclass(frozen=True)
class Entry:
    """One item as the search sees it (everything precomputed: a query only compares)."""

    item: Item
    order: int
    primary: frozenset[str]
    """Name, keywords, their full pinyin and the English name: exact and prefix matches."""
    primary_text: str
    """``primary`` joined: a word not in it cannot be an exact or prefix match."""
    initials: tuple[str, ...]
    """Pinyin initials of the name and keywords."""
    haystack: str
    """Everything searchable, joined: a word not in it cannot match."""
    sites: frozenset[str]
    themes: frozenset[str]


@dataclass(frozen=True)
class Hit:
    entry: Entry
    tier: int
    here: bool


@dataclass(frozen=True)
class GuideIndex:
    catalogue: Catalogue
    entries: tuple[Entry, ...]
    by_code: dict[str, Item]


def build_index(catalogue: Catalogue) -> GuideIndex:
    """The index of a catalogue (pure; seconds at most, run it off the event loop)."""
    departments = {d.code: (d.name, d.name_en) for d in catalogue.departments}
    themes = {t.code: (t.name, t.name_en) for t in catalogue.themes}

    def around_of(item: Item) -> list[str]:
        return [*departments.get(item.department, ("", "")), *_names(item.themes, themes)]

    texts = {
        w: None for i in catalogue.items for w in (i.name, *i.keywords, *filter(None, around_of(i)))
    }
    keys = pinyin_table(list(texts)).__getitem__
    entries = []
    for order, item in enumerate(catalogue.items):
        words = [item.name, *item.keywords]
        pinyin = [keys(w) for w in words]
        primary = (*(norm(w) for w in words), *(p for p, _ in pinyin), norm(item.name_en))
        initials = tuple(i for _, i in pinyin)
        around = around_of(item)
        extra = [norm(a) for a in around if a] + [k for a in around if a for k in keys(a)]
        words_of = frozenset(p for p in primary if p)
        entries.append(
            Entry(
                item=item,
                order=order,
                primary=words_of,
                primary_text="\x00".join(words_of),
                initials=initials,
                haystack="\x00".join((*primary, *initials, *extra)),
                sites=frozenset(item.sites),
                themes=frozenset(item.themes),
            )
        )
    return GuideIndex(catalogue, tuple(entries), {i.code: i for i in catalogue.items})


def _names(codes: Iterable[str], names: dict[str, tuple[str, str]]) -> list[str]:
    return [n for c in codes for n in names.get(c, ("", ""))]


def search(
    index: GuideIndex,
    query: str,
    *,
    site: str = "",
    object: str = "",
    theme: str = "",
    department: str = "",
    limit: int | None = None,
) -> list[Hit]:
    """The items matching ``query`` (all of them for an empty query) and the filters, best
    first (the first ``limit`` of them: :func:`count_and_search` also says how many match)."""
    return count_and_search(
        index, query, site=site, object=object, theme=theme, department=department, limit=limit
    )[1]


def count_and_search(
    index: GuideIndex,
    query: str,
    *,
    site: str = "",
    object: str = "",
    theme: str = "",
    department: str = "",
    limit: int | None = None,
) -> tuple[int, list[Hit]]:
    """(how many items match, the best ``limit`` of them in order)."""
    words = [w for w in (norm(w) for w in query.split()) if w]
    allowed = _OBJECTS.get(object)
    keys = []
    for entry in index.entries:
        item = entry.item
        if allowed is not None and item.object not in allowed:
            continue
        if (theme and theme not in entry.themes) or (department and item.department != department):
            continue
        tier = _tier(entry, words)
        if tier is not None:
            away = bool(entry.sites) and site not in entry.sites
            keys.append((tier, away, len(item.name), entry.order))
    keys.sort()
    top = keys if limit is None else keys[:limit]
    return len(keys), [Hit(index.entries[k[3]], k[0], not k[1]) for k in top]


def _tier(entry: Entry, words: list[str]) -> int | None:
    worst = EXACT
    for word in words:
        if word not in entry.haystack:
            return None
        worst = max(worst, _word_tier(entry, word))
    return worst


def _word_tier(entry: Entry, word: str) -> int:
    if word in entry.primary_text:  # else it matched a department, a theme or initials
        if word in entry.primary:
            return EXACT
        if any(p.startswith(word) for p in entry.primary):
            return PREFIX
    if len(word) >= 2 and _ASCII_WORD.match(word) and any(word in i for i in entry.initials):
        return INITIALS
    return SUBSTRING
