"""PDF output through Typst: tagged PDF/UA-1, language German, hyphenated.

The Typst templates read the same display model as the HTML templates, passed as JSON, so the
PDF never shows anything the HTML does not. Fonts are Typst's embedded ones with Noto Sans as
the fallback (see :mod:`osteoboard.render.fonts`); nothing is loaded from the system or the
network.
"""

from __future__ import annotations

import json
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
    result = typst.compile(
        str(path),
        root=str(path.parent),
        format="pdf",
        sys_inputs=inputs,
        pdf_standards=["ua-1"],
        font_paths=[str(font_dir())],
        ignore_system_fonts=True,
    )
    if not isinstance(result, bytes):  # pragma: no cover - typst returns bytes for one page set
        raise TypeError("typst did not return PDF bytes")
    return result
