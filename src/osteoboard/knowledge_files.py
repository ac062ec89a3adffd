"""Reading the files of the knowledge base (``osteoboard/knowledge/``): the folder, YAML, the
validation of one entry, and the one error every loader raises.

The loaders of the parts that the scores and the facts need before a whole knowledge base is
loaded (the primary-site table in :mod:`osteoboard.sites`, the prognosis mapping in
:mod:`osteoboard.prognosis`) live beside those modules and use these helpers, so that their
errors read like every other knowledge-base error: file, entry, problem.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from osteoboard.caseio import format_validation_error
from osteoboard.errors import OsteoboardError

__all__ = [
    "KnowledgeError",
    "check_sources",
    "default_kb_dir",
    "read_yaml",
    "validate",
]

M = TypeVar("M", bound=BaseModel)


class KnowledgeError(OsteoboardError, ValueError):
    """The knowledge base is invalid; the message names file and entry."""


def default_kb_dir() -> Path:
    """The knowledge base that ships with the package."""
    return Path(__file__).resolve().parent / "knowledge"


_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when available


def read_yaml(path: Path) -> Any:
    try:
        return yaml.load(path.read_text(encoding="utf-8"), Loader=_LOADER)
    except FileNotFoundError:
        raise KnowledgeError(f"{path.name}: missing") from None
    except yaml.YAMLError as exc:
        raise KnowledgeError(f"{path.name}: invalid YAML: {exc}") from None


def validate(model: type[M], data: Any, where: str) -> M:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise KnowledgeError(format_validation_error(exc, prefix=f"{where}: ")) from None


def check_sources(keys: Iterable[str], sources: Mapping[str, Any], where: str) -> None:
    """Every source key must be in the bibliography (``sources.yaml``)."""
    for key in keys:
        if key not in sources:
            raise KnowledgeError(f"{where}: unknown source key {key!r}")
