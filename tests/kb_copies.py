"""Edited copies of the bundled knowledge base, for tests of the linter."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from osteoboard.guideline import KnowledgeError, default_kb_dir, load_knowledge_base


def edited_copy(tmp_path: Path, file: str, change: Callable[[Any], None]) -> Path:
    """Copy the knowledge base under ``tmp_path`` and apply ``change`` to one YAML file."""
    kb_dir = tmp_path / "knowledge"
    shutil.copytree(default_kb_dir(), kb_dir)
    path = kb_dir / file
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return kb_dir


def load_error(kb_dir: Path) -> str:
    """The message with which loading the knowledge base in ``kb_dir`` fails."""
    load_knowledge_base.cache_clear()
    try:
        with pytest.raises(KnowledgeError) as exc:
            load_knowledge_base(kb_dir)
    finally:
        load_knowledge_base.cache_clear()
    return str(exc.value)
