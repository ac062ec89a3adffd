"""Harvard references (Cite Them Right, German locale) for protocols and patient letters.

The bibliography of the knowledge base (``knowledge/sources.yaml``, CSL-JSON items) is
rendered with citeproc-py, the CSL style ``harvard-cite-them-right`` and the locale
``de-DE``; both files ship with citeproc-py, nothing is downloaded. The parsed style is
cached for the life of the process.

citeproc-py implements most, not all, of CSL 1.0. This module fills the gaps that matter
for our sources instead of passing them on to the reader:

* **Adapter.** Every item is converted to the shapes citeproc-py reads: only CSL
  variables, strings for text and numbers, names as ``{family, given, …}`` or
  ``{literal}``, dates as ``date-parts`` (``"2010"``, ``raw`` and year-like literals are
  converted). Types citeproc-py does not know (e.g. ``dataset``, ``standard``) are
  rendered as ``report``.
* **Undated documents.** ``issued: {literal: "n.d."}`` or ``{literal: "o. J."}`` (and
  similar markers) mean "no date": the date is dropped and the style prints its own term,
  which in de-DE is "ohne Datum" (Cite Them Right: "no date"). Other literal dates are
  printed as written.
* **Truncated author lists.** ``note: "et al."`` marks a list cut to its first authors.
  Such works have more authors than the style's et-al threshold (4), so they are rendered
  as the style renders any long list: first author followed by "u. a." (the de-DE term,
  with a no-break space, italic in HTML) — in the reference list and in the text.
* **No author.** The style substitutes the title (journal title for articles); CSL
  suppresses the substituted variable in the rest of the entry, citeproc-py does not, so
  the duplicate is removed here.
* **Ambiguous citations.** Works whose in-text citations would be identical (e.g. several
  undated EMA product informations) get year suffixes a, b, c in reference-list order
  ("ohne Datum a", "2010b"), as the style's ``disambiguate-add-year-suffix`` asks.
* **Group citations.** Cites are sorted by year and cites with the same names are grouped
  and collapsed ("Tokuhashi u. a., 1990, 2005"), as ``collapse="year"`` asks.
* **Sorting.** The style sorts by author, year, title; citeproc-py compares code points
  (umlauts after "z", quotation marks first). Here the same keys are compared after
  folding accents, case and punctuation; undated works follow dated ones of the same
  author, works with one author precede co-authored ones.
* **HTML.** citeproc-py does not escape variable text in its HTML output; text is
  escaped (``<``, ``>``, ``&``) before it is handed over, so the only markup is the
  style's own (``<i>`` for italics).
"""

from __future__ import annotations

import datetime
import html
import json
import re
import threading
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path
from typing import Any

import citeproc  # type: ignore[import-untyped]
import citeproc.types  # type: ignore[import-untyped]
from citeproc import (
    Citation,
    CitationItem,
    CitationStylesBibliography,
    CitationStylesStyle,
)
from citeproc import formatter as _formatters
from citeproc.source.json import CiteProcJSON  # type: ignore[import-untyped]

__all__ = ["LOCALE", "STYLE", "Reference", "bibliography", "compact", "in_text"]

STYLE = "harvard-cite-them-right"
LOCALE = "de-DE"

_ET_AL_MIN = 4  # et-al-min of the style (citation and bibliography)
_UNDATED = re.compile(
    r"^\s*(?:n\.?\s*d\.?|o\.?\s*j\.?|o\.?\s*d\.?|s\.?\s*d\.?"
    r"|undated|no date|ohne (?:jahr|datum))\s*$",
    re.IGNORECASE,
)
_YEAR = re.compile(r"^\s*(\d{4})\s*$")
_RAW_YEAR = re.compile(r"\b(\d{4})\b")
_NAME_PARTS = ("family", "given", "dropping-particle", "non-dropping-particle", "suffix")
_VARIABLES = frozenset(v.replace("_", "-") for v in citeproc.VARIABLES) | {"DOI", "URL"}
_NAMES = frozenset(v.replace("_", "-") for v in citeproc.NAMES)
_DATES = frozenset(v.replace("_", "-") for v in citeproc.DATES)
_TYPES = frozenset(v for k, v in vars(citeproc.types).items() if k.isupper() and isinstance(v, str))
_JOURNALISTIC = frozenset({"article-journal", "article-magazine", "article-newspaper"})
_SENTINEL = "\ue000"  # a private-use character: stands in for an author while measuring
_LOCK = threading.Lock()  # the parsed style holds the formatter and render state


@dataclass(frozen=True)
class Reference:
    """One entry of a reference list.

    ``text`` is plain text, ``html`` the same entry HTML-escaped with ``<i>`` where the
    style sets italics, ``in_text`` the parenthetical citation, e.g.
    ``(Fisher u. a., 2010)`` (``u. a.`` and ``o. J.``-like terms contain U+00A0).
    """

    key: str
    text: str
    html: str
    in_text: str


@lru_cache(maxsize=1)
def _style() -> Any:
    """The parsed style with the de-DE locale (parsed once per process)."""
    path = Path(citeproc.STYLES_PATH) / f"{STYLE}.csl"
    if not path.is_file():  # bundled since the citeproc-py release that retired harvard1
        raise RuntimeError(
            f"citeproc-py {citeproc.__version__} does not ship {STYLE}.csl; "
            "install a newer citeproc-py (tested with 0.11.1)"
        )
    return CitationStylesStyle(str(path), locale=LOCALE, validate=False)


# -- adapter --------------------------------------------------------------------------


def _text(value: Any, escape: bool) -> str:
    s = " ".join(str(value).split())
    return html.escape(s, quote=False) if escape else s


def _names(value: Any, escape: bool) -> list[dict[str, str]]:
    raw = value if isinstance(value, list) else [value]
    names: list[dict[str, str]] = []
    for entry in raw:
        if isinstance(entry, Mapping):
            if entry.get("literal"):
                names.append({"literal": _text(entry["literal"], escape)})
            elif entry.get("family"):
                names.append(
                    {p: _text(entry[p], escape) for p in _NAME_PARTS if entry.get(p) is not None}
                )
            elif entry.get("given"):
                names.append({"literal": _text(entry["given"], escape)})
        elif entry is not None and str(entry).strip():
            names.append({"literal": _text(entry, escape)})
    return names


def _int(value: Any) -> int | None:
    try:
        return int(str(value).strip())
    except ValueError:
        return None


def _date(value: Any) -> dict[str, Any] | None:
    """A CSL date in a shape citeproc-py reads, or None for "no date"."""
    if isinstance(value, Mapping):
        parts = value.get("date-parts")
        if isinstance(parts, list) and parts:
            dates: list[list[int]] = []
            for part in parts[:2]:
                if not isinstance(part, list):
                    part = [part]
                numbers = [_int(p) for p in part[:3]]
                cut = numbers.index(None) if None in numbers else len(numbers)
                if cut:
                    dates.append([n for n in numbers[:cut] if n is not None])
            if dates:
                out: dict[str, Any] = {"date-parts": dates}
                if value.get("circa"):
                    out["circa"] = 1
                if value.get("season") and len(dates[0]) == 1:
                    out["season"] = value["season"]
                return out
        for field in ("literal", "raw"):
            if value.get(field) is not None:
                return _date(value[field])
        return None
    if isinstance(value, datetime.date):  # YAML reads an unquoted 2020-01-31 as a date
        return {"date-parts": [[value.year, value.month, value.day]]}
    if isinstance(value, int) and not isinstance(value, bool):
        return {"date-parts": [[value]]}
    if isinstance(value, str):
        if _UNDATED.match(value) or not value.strip():
            return None
        year = _YEAR.match(value) or (None if " " in value.strip() else _RAW_YEAR.search(value))
        if year:
            return {"date-parts": [[int(year.group(1))]]}
        return {"literal": " ".join(value.split())}
    return None


@dataclass(frozen=True)
class _Item:
    """A source adapted for citeproc-py (plain and HTML-escaped), with its sort key."""

    key: str
    plain: dict[str, Any]
    escaped: dict[str, Any]
    substituted: str | None  # variable standing in for a missing author
    sort_key: tuple[Any, ...]
    year: int | None


def _adapt(key: str, source: Mapping[str, Any], escape: bool) -> dict[str, Any]:
    csl_type = str(source.get("type") or "report")
    item: dict[str, Any] = {"type": csl_type if csl_type in _TYPES else "report"}
    for field, value in source.items():
        if field in ("id", "type") or field not in _VARIABLES or value is None:
            continue
        if field in _NAMES:
            names = _names(value, escape)
            if names:
                item[field] = names
        elif field in _DATES:
            date = _date(value)
            if date is not None:
                item[field] = date
        elif field == "language":
            if isinstance(value, str) and value.strip():
                item[field] = value.strip()
        elif field == "note" and _truncated(source):
            continue
        elif str(value).strip():
            item[field] = _text(value, escape)
    if _truncated(source) and item.get("author"):
        pad = _ET_AL_MIN - len(item["author"])
        item["author"] = item["author"] + [{"literal": _SENTINEL}] * max(pad, 0)
    if not item.get("title"):
        item["title"] = _text(key, escape)
    return item


def _truncated(source: Mapping[str, Any]) -> bool:
    note = source.get("note")
    return isinstance(note, str) and note.strip().lower().rstrip(".") in ("et al", "u. a", "u.a")


def _fold(value: Any) -> str:
    """Collation form: accents, case and punctuation folded (DIN 5007-1 style)."""
    decomposed = unicodedata.normalize("NFKD", str(value))
    letters = "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
    spaced = re.sub(r"[\s\-‐‑‒–—/]+", " ", letters)
    return " ".join(re.sub(r"[^\w ]", "", spaced).split())


def _item(key: str, source: Mapping[str, Any]) -> _Item:
    plain = _adapt(key, source, escape=False)
    substituted: str | None = None
    if not any(plain.get(v) for v in ("author", "editor", "translator")):
        if plain["type"] in _JOURNALISTIC and plain.get("container-title"):
            substituted = "container-title"
        else:
            substituted = "title"
    names: list[tuple[str, str]]
    if substituted is not None:
        names = [(_fold(plain[substituted]), "")]
    else:
        person = next(v for v in ("author", "editor", "translator") if plain.get(v))
        listed = [n for n in plain[person] if n.get("literal") != _SENTINEL]
        if len(plain[person]) >= _ET_AL_MIN:
            listed = listed[:1]
        names = [
            (_fold(n["literal"]), "")
            if "literal" in n
            else (
                _fold(" ".join(filter(None, (n.get("family"), n.get("non-dropping-particle"))))),
                _fold(n.get("given", "")),
            )
            for n in listed
        ]
    issued = plain.get("issued", {})
    parts = issued.get("date-parts")
    year: int | None = parts[0][0] if parts else None
    year_key = (0, year) if year is not None else (1, _fold(issued.get("literal", "")))
    sort_key = (tuple(names), year_key, _fold(plain["title"]), key)
    return _Item(key, plain, _adapt(key, source, escape=True), substituted, sort_key, year)


# -- rendering ------------------------------------------------------------------------
#
# Entries are rendered one at a time and memoised on the adapted item (canonical JSON):
# citeproc-py needs ~2 ms per render, a protocol re-renders the same few dozen sources.
# Each entry is rendered once, as HTML from HTML-escaped input; the plain text is that
# HTML with the formatter's tags removed and the entities resolved.


def _canonical(item: Mapping[str, Any]) -> str:
    return json.dumps(item, sort_keys=True, ensure_ascii=False)


def _bibliography_for(item_json: str, output: Any) -> tuple[Any, Any]:
    data = dict(json.loads(item_json), id="r")
    bib = CitationStylesBibliography(_style(), CiteProcJSON([data]), output)
    citation = Citation([CitationItem("r")])
    bib.register(citation)
    return bib, citation


@lru_cache(maxsize=4096)
def _entry_html(item_json: str) -> str:
    """One reference-list entry as HTML (the item's text must already be escaped)."""
    with _LOCK:
        bib, _ = _bibliography_for(item_json, _formatters.html)
        entries = bib.bibliography()
    return str(entries[0]) if entries else ""


@lru_cache(maxsize=4096)
def _cite_plain(item_json: str) -> str:
    """The in-text citation of one item as plain text."""
    with _LOCK:
        bib, citation = _bibliography_for(item_json, _formatters.plain)
        return str(bib.cite(citation, _ignore))


def _ignore(_item: Any) -> None:
    return None


_TAGS = re.compile(r"</?(?:i|b|l|u|sup|sub|span)(?: [^>]*)?>")


def _plain(markup: str) -> str:
    return html.unescape(_TAGS.sub("", markup))


def _entry(it: _Item) -> str:
    """HTML entry; a variable substituted for the author is not repeated (CSL 1.0 rule)."""
    full = _entry_html(_canonical(it.escaped))
    if it.substituted is None:
        return full.replace(_SENTINEL, "")
    stand_in = dict(it.escaped, author=[{"literal": _SENTINEL}])
    tail = _entry_html(_canonical(stand_in))
    short = _entry_html(_canonical({k: v for k, v in stand_in.items() if k != it.substituted}))
    if tail.startswith(_SENTINEL) and short.startswith(_SENTINEL) and full.endswith(tail[1:]):
        head = full[: len(full) - len(tail) + 1]
        if head:
            return (head + short[1:]).replace(_SENTINEL, "")
    return full.replace(_SENTINEL, "")


def _with_suffixes(items: Sequence[_Item]) -> tuple[list[_Item], list[str]]:
    """Items (in reference-list order) with year suffixes where citations coincide."""
    cites = [_cite_plain(_canonical(it.plain)) for it in items]
    groups: dict[str, list[int]] = {}
    for i, c in enumerate(cites):
        groups.setdefault(c, []).append(i)
    out = list(items)
    for group in groups.values():
        if len(group) < 2:
            continue
        for n, i in enumerate(group):
            it = out[i]
            suffix = {"year-suffix": _suffix(n)}
            out[i] = replace(it, plain=it.plain | suffix, escaped=it.escaped | suffix)
            cites[i] = _cite_plain(_canonical(out[i].plain))
    return out, cites


def _suffix(n: int) -> str:
    letters = "abcdefghijklmnopqrstuvwxyz"
    return letters[n] if n < len(letters) else _suffix(n // len(letters) - 1) + letters[n % 26]


def _resolve(keys: Iterable[str], sources: Mapping[str, Mapping[str, Any]]) -> list[_Item]:
    seen: dict[str, None] = {}
    for key in keys:
        if key not in sources:
            raise KeyError(f"unknown source key: {key!r}")
        seen.setdefault(key, None)
    return sorted((_item(k, sources[k]) for k in seen), key=lambda it: it.sort_key)


def bibliography(keys: Iterable[str], sources: Mapping[str, Mapping[str, Any]]) -> list[Reference]:
    """The reference list for ``keys`` in the style's order; duplicates appear once.

    Raises KeyError (naming the key) for a key that is not in ``sources``.
    """
    items = _resolve(keys, sources)
    if not items:
        return []
    items, cites = _with_suffixes(items)
    refs: list[Reference] = []
    for it, cite in zip(items, cites, strict=True):
        markup = _entry(it)
        refs.append(Reference(it.key, _plain(markup), markup, cite))
    return refs


def compact(keys: Iterable[str], sources: Mapping[str, Mapping[str, Any]]) -> list[Reference]:
    """The reference list for ``keys`` as short entries, in the same order as
    :func:`bibliography`: the citation, the journal (or, for anything else, the title) and
    the DOI link or web address: ``Coleman u. a., 2020: Annals of Oncology.
    https://doi.org/10.1016/j.annonc.2020.07.019`` (for the patient letter)."""
    out: list[Reference] = []
    for ref in bibliography(keys, sources):
        source = sources[ref.key]
        cite = ref.in_text.strip().removeprefix("(").removesuffix(")")
        where = source.get("container-title") if source.get("type") == "article-journal" else None
        what = str(where or source.get("title") or "").strip()
        link = f"https://doi.org/{source['DOI']}" if source.get("DOI") else source.get("URL")
        text = f"{cite}: {what}." if what else f"{cite}."
        if link:
            text += f" {link}"
        out.append(Reference(ref.key, text, html.escape(text), ref.in_text))
    return out


def in_text(
    keys: Iterable[str],
    sources: Mapping[str, Mapping[str, Any]],
    *,
    within: Iterable[str] | None = None,
) -> str:
    """One parenthetical citation for several works, e.g. ``(Bauer und Wedin, 1995; …)``.

    Cites are ordered by year, cites with the same names grouped and their years
    collapsed. ``within`` are the keys of the whole reference list the citation belongs
    to; year suffixes ("2010a") are assigned over them so that the citation matches
    :func:`bibliography`. Without it, only ``keys`` are considered. Returns ``""`` for no
    keys; raises KeyError for an unknown key.
    """
    wanted = list(dict.fromkeys(keys))
    pool = _resolve([*wanted, *(within or ())], sources)
    if not wanted:
        return ""
    pool, cites = _with_suffixes(pool)
    by_key = {it.key: (it, c) for it, c in zip(pool, cites, strict=True)}
    chosen = [by_key[k] for k in wanted]
    chosen.sort(key=_citation_order)
    groups: list[tuple[str, list[str]]] = []  # cite grouping: same names, first position
    for _, cite in chosen:
        names, year = _split_cite(cite)
        group = next((g for g in groups if names and g[0] == names), None)
        if group is None:
            groups.append((names, [year]))
        else:
            group[1].append(year)
    parts = [", ".join([names, *years] if names else years) for names, years in groups]
    return "(" + "; ".join(parts) + ")"


def _citation_order(pair: tuple[_Item, str]) -> tuple[Any, ...]:
    it, _ = pair
    suffix = it.plain.get("year-suffix", "")
    return (0, it.year, suffix) if it.year is not None else (1, 0, suffix)


def _split_cite(cite: str) -> tuple[str, str]:
    """'(Bauer und Wedin, 1995)' -> ('Bauer und Wedin', '1995')."""
    body = cite[1:-1] if cite.startswith("(") and cite.endswith(")") else cite
    names, sep, year = body.rpartition(", ")
    return (names, year) if sep else ("", body)
