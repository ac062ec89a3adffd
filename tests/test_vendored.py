"""Files vendored from npm (no CDN, no npm at run or test time) are the ones their
VENDORED.md names: the sha256 in its table is the file's."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
TABLES = [ROOT / "src" / "osteoboard" / "web" / "static", ROOT / "tests" / "browser" / "vendor"]
ROW = re.compile(r"^\| `([^`]+)` \|.*\| `([0-9a-f]{64})` \|$", re.M)


@pytest.mark.parametrize("folder", TABLES, ids=lambda p: p.name)
def test_vendored_files_match_their_recorded_sha256(folder: Path) -> None:
    rows = ROW.findall((folder / "VENDORED.md").read_text(encoding="utf-8"))
    assert rows, "VENDORED.md lists no file"
    for name, sha256 in rows:
        assert hashlib.sha256((folder / name).read_bytes()).hexdigest() == sha256, name
    listed = {name for name, _ in rows}
    present = {p.name for p in folder.glob("*.js")}
    assert present == listed, "every vendored script is listed, every listed one present"
