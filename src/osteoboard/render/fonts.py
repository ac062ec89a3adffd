"""Fonts for the PDF: Typst's embedded ones first, Noto Sans (the ``fontpkg-noto-sans``
package, SIL OFL) as the fallback, and text made safe for them.

PDF/UA-1 fails a document with a character that no font can show, so every string of a PDF
view passes :func:`pdf_safe`: control characters are dropped (tabs and carriage returns
become spaces), and a character that neither the fallback font has nor the package's own
texts use (Chinese, emoji …) becomes U+FFFD, which the fallback font has. The package's own
texts (knowledge base, templates, labels) render with the embedded fonts; a test compiles
all of their characters. Nothing is loaded from the system or the network.
"""

from __future__ import annotations

import struct
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

__all__ = [
    "FALLBACK_FAMILY",
    "REPLACEMENT",
    "authored_characters",
    "covered",
    "font_dir",
    "pdf_safe",
    "pdf_safe_view",
]

FALLBACK_FAMILY = "Noto Sans"
REPLACEMENT = "\ufffd"
_FONT_FILE = "NotoSans[wdth,wght].ttf"


@cache
def font_dir() -> Path:
    """The folder of the fallback font files (inside the installed package)."""
    return Path(str(resources.files("fontpkg_noto_sans") / "files"))


def _cmap(data: bytes) -> frozenset[int]:
    """Code points mapped by a TrueType/OpenType font (cmap formats 4 and 12)."""
    (num_tables,) = struct.unpack_from(">H", data, 4)
    tables = {}
    for i in range(num_tables):
        tag, _, offset, _ = struct.unpack_from(">4sIII", data, 12 + 16 * i)
        tables[tag] = offset
    base = tables[b"cmap"]
    (count,) = struct.unpack_from(">H", data, base + 2)
    points: set[int] = set()
    for i in range(count):
        platform, encoding, offset = struct.unpack_from(">HHI", data, base + 4 + 8 * i)
        if (platform, encoding) not in {(3, 1), (3, 10), (0, 3), (0, 4)}:
            continue
        sub = base + offset
        (fmt,) = struct.unpack_from(">H", data, sub)
        if fmt == 4:
            (seg2,) = struct.unpack_from(">H", data, sub + 6)
            ends = struct.unpack_from(f">{seg2 // 2}H", data, sub + 14)
            starts = struct.unpack_from(f">{seg2 // 2}H", data, sub + 16 + seg2)
            for start, end in zip(starts, ends, strict=True):
                points.update(range(start, end + 1))
        elif fmt == 12:
            (groups,) = struct.unpack_from(">I", data, sub + 12)
            for g in range(groups):
                start, end, _ = struct.unpack_from(">III", data, sub + 16 + 12 * g)
                points.update(range(start, end + 1))
    points.discard(0xFFFF)
    return frozenset(points)


_PACKAGE = Path(__file__).resolve().parents[1]
_AUTHORED = ("*.py", "*.yaml", "*.md", "*.j2", "*.typ")


@cache
def authored_characters() -> frozenset[int]:
    """Code points used in the package's own texts (knowledge base, templates, labels)."""
    points: set[int] = set()
    for pattern in _AUTHORED:
        for path in _PACKAGE.rglob(pattern):
            points.update(map(ord, path.read_text(encoding="utf-8")))
    return frozenset(p for p in points if p >= 0xA0)


@cache
def covered() -> frozenset[int]:
    """Code points a PDF can show: the fallback font's and those of the package's own texts."""
    return _cmap((font_dir() / _FONT_FILE).read_bytes()) | authored_characters()


def pdf_safe(text: str) -> str:
    """``text`` with every character a PDF font can show: controls dropped (line breaks and
    tabs become spaces), characters the fallback font lacks replaced by U+FFFD."""
    known = covered()
    out = []
    for ch in text:
        point = ord(ch)
        if ch in "\n\t\r":
            out.append(ch if ch == "\n" else " ")
        elif point < 0x20 or 0x7F <= point < 0xA0:
            continue
        elif point < 0x80 or point in known:
            out.append(ch)
        else:
            out.append(REPLACEMENT)
    return "".join(out)


def pdf_safe_view(value: Any) -> Any:
    """A view model (nested dicts, lists, strings) with every string made :func:`pdf_safe`."""
    if isinstance(value, str):
        return pdf_safe(value)
    if isinstance(value, dict):
        return {k: pdf_safe_view(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [pdf_safe_view(v) for v in value]
    return value
