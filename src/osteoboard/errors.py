"""The base class of every error osteoboard raises on purpose."""

from __future__ import annotations

__all__ = ["OsteoboardError"]


class OsteoboardError(Exception):
    """Base of the errors osteoboard raises: catch this one to handle any of them."""
