"""Bilingual user-facing text: German first, English second."""

from collections.abc import Sequence

from pydantic import BaseModel, ConfigDict

__all__ = ["Text", "join"]


class Text(BaseModel):
    """A user-facing text, German first."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    de: str
    en: str


def join(parts: Sequence[str], lang: str = "de", *, last: str | None = None) -> str:
    """``a, b und c`` (German) or ``a, b and c``; empty parts are left out."""
    items = [p for p in parts if p]
    if len(items) < 2:
        return "".join(items)
    word = last or ("und" if lang == "de" else "and")
    return f"{', '.join(items[:-1])} {word} {items[-1]}"
