"""PDF output through Typst: tagged PDF/UA-1, language German, hyphenated.

The Typst templates read the same display model as the HTML templates, passed as JSON, so the
PDF never shows anything the HTML does not. Fonts are Typst's embedded ones with Noto Sans as
the fallback (see :mod:`osteoboard.render.fonts`); nothing is loaded from the system or the
network.
"""

from __future__ import annotations

import json
import threading
from importlib import resources
from pathlib import Path
from typing import Any

import typst

from osteoboard.render.fonts import font_dir, pdf_safe_view

__all__ = ["compile_pdf", "compile_typst"]


def _template(name: str) -> Path:
    return Path(str(resources.files("osteoboard.render") / "templates" / name))


def compile_pdf(template: str, view: dict[str, Any]) -> bytes:
    """Compile one of the bundled Typst templates with a view model into PDF/UA-1 bytes."""
    return compile_typst(_template(template), {"data": json.dumps(pdf_safe_view(view))})


def compile_typst(path: Path, inputs: dict[str, str]) -> bytes:
    """Compile a Typst file to PDF/UA-1 with the bundled fonts only."""
    try:
        result = typst.compile(
            str(path),
            root=str(path.parent),
            format="pdf",
            sys_inputs=inputs,
            pdf_standards=["ua-1"],
            font_paths=[str(font_dir())],
            ignore_system_fonts=True,
        )
    finally:
        _forget()
    if not isinstance(result, bytes):  # pragma: no cover - typst returns bytes for one page set
        raise TypeError("typst did not return PDF bytes")
    return result


#: Typst memoizes the work of a compilation for the whole process, and the binding evicts an
#: entry only once ten later compilations have not used it: a long-lived process (the API,
#: the web app) kept the last ten documents' work, about 450 MB for the protocol of a case
#: with 200 lesions. Compiling an empty document that many times after each document ages
#: its work out (well under a millisecond each).
_AGE_OUT = 11
_aging: list[typst.Compiler] = []
#: One compiler of the empty document, used by one thread at a time (the API renders in a
#: thread pool).
_aging_lock = threading.Lock()


def _forget() -> None:
    with _aging_lock:
        if not _aging:
            empty = _template("empty.typ")
            _aging.append(
                typst.Compiler(str(empty), root=str(empty.parent), ignore_system_fonts=True)
            )
        for _ in range(_AGE_OUT):
            _aging[0].compile(format="svg")
