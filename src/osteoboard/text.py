"""Bilingual user-facing text: German first, English second."""

from pydantic import BaseModel, ConfigDict

__all__ = ["Text"]


class Text(BaseModel):
    """A user-facing text, German first."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    de: str
    en: str
