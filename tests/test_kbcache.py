"""The compiled knowledge base cached on disk: read back instead of built, identical in
every proposal, and never used for other knowledge files, other code, or a file it cannot
trust."""

from __future__ import annotations

import os
import pickle
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from osteoboard import _cel, guideline, kbcache
from osteoboard.caseio import load_case
from osteoboard.engine import evaluate, reference_conditions
from osteoboard.guideline import KnowledgeBase, KnowledgeError, default_kb_dir
from osteoboard.quality import proposal_view

EXAMPLES = sorted(Path(__file__).resolve().parents[1].joinpath("examples").glob("*.yaml"))


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """An empty cache directory, and a count of the knowledge bases built from their files."""
    directory = tmp_path / "cache"
    monkeypatch.setenv("OSTEOBOARD_CACHE_DIR", str(directory))
    monkeypatch.delenv("OSTEOBOARD_KB_CACHE", raising=False)
    guideline.load_knowledge_base.cache_clear()
    yield directory
    guideline.load_knowledge_base.cache_clear()


@pytest.fixture
def builds(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    built: list[Path] = []
    real = guideline._build_knowledge_base

    def counting(kb_dir: Path, sha256: str) -> KnowledgeBase:
        built.append(kb_dir)
        return real(kb_dir, sha256)

    monkeypatch.setattr(guideline, "_build_knowledge_base", counting)
    return built


def _copy(tmp_path: Path) -> Path:
    kb_dir = tmp_path / "knowledge"
    shutil.copytree(default_kb_dir(), kb_dir)
    return kb_dir


def _load(kb_dir: Path) -> KnowledgeBase:
    guideline.load_knowledge_base.cache_clear()
    return guideline.load_knowledge_base(kb_dir)


def test_second_load_reads_the_cache_and_proposes_byte_identically(
    cache: Path, builds: list[Path], tmp_path: Path
) -> None:
    kb_dir = _copy(tmp_path)
    built = _load(kb_dir)
    assert builds == [kb_dir]
    files = list(cache.glob("kb-*.pickle"))
    assert len(files) == 1 and files[0].name.startswith(f"kb-{built.sha256[:20]}-")
    assert oct(cache.stat().st_mode & 0o777) == "0o700"

    cached = _load(kb_dir)
    assert builds == [kb_dir]  # not built again
    assert cached is not built
    assert cached.sha256 == built.sha256 and cached.version == built.version
    assert cached.directory == kb_dir
    assert "verdicts" not in cached.__dict__  # nothing one process learnt is carried over
    for path in EXAMPLES:
        case = load_case(path)
        expected = evaluate(case, built).model_dump_json()
        assert evaluate(case, cached).model_dump_json() == expected, path.name
        with reference_conditions():  # CEL's own programs, compiled again on first use
            assert evaluate(case, cached).model_dump_json() == expected, path.name


def test_quality_indicators_read_back_judge_as_built(
    cache: Path, builds: list[Path], tmp_path: Path
) -> None:
    """Read back, an indicator keeps its Python functions and compiles CEL's programs on
    first use; both judge every example as the indicators built from the files do."""
    kb_dir = _copy(tmp_path)
    built = _load(kb_dir)
    cached = _load(kb_dir)
    assert builds == [kb_dir] and cached.quality
    for path in EXAMPLES:
        case = load_case(path)
        view = proposal_view(
            evaluate(case, built), primary_site=case.primary.site if case.primary else None
        )
        for fresh, read in zip(built.quality, cached.quality, strict=True):
            if fresh.definition.over != "proposal":
                continue
            assert read.python is not None and fresh.python is not None
            for part in (0, 1):
                program = (read.denominator, read.numerator)[part]
                reference = (fresh.denominator, fresh.numerator)[part]
                expected = reference.execute(_cel.Context(view))
                assert program.execute(_cel.Context(view)) == expected, (fresh.id, path.name)
                assert read.python[part].run(view) == fresh.python[part].run(view)
            assert read.variables == fresh.variables
            assert read.judge(view) == fresh.judge(view), (fresh.id, path.name)


def test_an_edited_knowledge_file_is_built_and_linted_again(
    cache: Path, builds: list[Path], tmp_path: Path
) -> None:
    kb_dir = _copy(tmp_path)
    first = _load(kb_dir)
    meta = kb_dir / "kb.yaml"
    text = meta.read_text(encoding="utf-8")
    assert f"version: {first.version}" in text or f'version: "{first.version}"' in text
    meta.write_text(text.replace(first.version, "2099.1.1", 1), encoding="utf-8")
    second = _load(kb_dir)
    assert second.version == "2099.1.1" and second.sha256 != first.sha256
    assert builds == [kb_dir, kb_dir]
    assert len(list(cache.glob("kb-*.pickle"))) == 2

    # A file that fails the lint fails although an earlier state of the directory is cached.
    rules = sorted((kb_dir / "rules").glob("*.yaml"))[0]
    rules.write_text(
        rules.read_text(encoding="utf-8").replace("when:", "when: no_such.fact &&", 1),
        encoding="utf-8",
    )
    with pytest.raises(KnowledgeError, match="no_such"):
        _load(kb_dir)


def test_another_code_version_does_not_read_the_file(
    cache: Path, builds: list[Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    kb_dir = _copy(tmp_path)
    _load(kb_dir)
    monkeypatch.setattr(kbcache, "code_fingerprint", lambda: "f" * 64)
    _load(kb_dir)
    assert builds == [kb_dir, kb_dir]
    assert len(list(cache.glob("kb-*.pickle"))) == 2


def test_the_fingerprint_changes_with_any_python_file_of_the_package(tmp_path: Path) -> None:
    package = Path(kbcache.__file__).parent
    assert kbcache.code_fingerprint() == kbcache.fingerprint_of(package)
    copy = tmp_path / "osteoboard"
    shutil.copytree(package, copy, ignore=shutil.ignore_patterns("__pycache__", "*.yaml", "*.md"))
    first = kbcache.fingerprint_of(copy)
    assert first == kbcache.code_fingerprint()  # the knowledge files are not code
    deep = copy / "scores" / "sins.py"
    deep.write_text(deep.read_text(encoding="utf-8") + "\n# edited\n", encoding="utf-8")
    second = kbcache.fingerprint_of(copy)
    assert second != first
    (copy / "new_module.py").write_text("X = 1\n", encoding="utf-8")
    assert kbcache.fingerprint_of(copy) not in (first, second)
    # The same files under another name are another fingerprint (the path counts).
    (copy / "new_module.py").rename(copy / "other_module.py")
    assert len({first, second, kbcache.fingerprint_of(copy)}) == 3


@pytest.mark.parametrize("damage", ["truncated", "garbage", "other object", "other hash"])
def test_an_unreadable_or_foreign_file_is_built_over(
    cache: Path, builds: list[Path], tmp_path: Path, damage: str
) -> None:
    kb_dir = _copy(tmp_path)
    built = _load(kb_dir)
    (path,) = cache.glob("kb-*.pickle")
    data = path.read_bytes()
    if damage == "truncated":
        path.write_bytes(data[: len(data) // 2])
    elif damage == "garbage":
        path.write_bytes(b"not a pickle")
    elif damage == "other object":
        path.write_bytes(pickle.dumps({"sha256": built.sha256}))
    else:
        other = pickle.loads(data)
        object.__setattr__(other, "sha256", "0" * 64)
        path.write_bytes(pickle.dumps(other))
    again = _load(kb_dir)
    assert builds == [kb_dir, kb_dir]
    assert again.sha256 == built.sha256
    assert pickle.loads(path.read_bytes()).sha256 == built.sha256  # written anew


def test_a_file_others_may_write_is_not_read(
    cache: Path, builds: list[Path], tmp_path: Path
) -> None:
    kb_dir = _copy(tmp_path)
    _load(kb_dir)
    (path,) = cache.glob("kb-*.pickle")
    path.chmod(0o666)
    _load(kb_dir)
    assert builds == [kb_dir, kb_dir]
    cache.chmod(0o777)
    path.chmod(0o600)
    _load(kb_dir)
    assert len(builds) == 3
    cache.chmod(0o700)
    _load(kb_dir)
    assert len(builds) == 3


def test_turned_off_or_unwritable_the_knowledge_base_still_loads(
    cache: Path, builds: list[Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    kb_dir = _copy(tmp_path)
    monkeypatch.setenv("OSTEOBOARD_KB_CACHE", "0")
    assert kbcache.path_for("a" * 64) is None
    _load(kb_dir)
    _load(kb_dir)
    assert len(builds) == 2 and not cache.exists()

    monkeypatch.delenv("OSTEOBOARD_KB_CACHE")
    blocked = tmp_path / "a-file"
    blocked.write_text("not a directory")
    monkeypatch.setenv("OSTEOBOARD_CACHE_DIR", str(blocked / "cache"))
    kb = _load(kb_dir)
    assert kb.rules and len(builds) == 3
    assert not list(tmp_path.glob("**/.kb-*.tmp"))  # nothing half-written left behind


def test_only_the_newest_files_are_kept(cache: Path, tmp_path: Path) -> None:
    cache.mkdir(mode=0o700)
    for n in range(kbcache.KEEP + 3):
        old = cache / f"kb-{n:020d}-{'0' * 16}.pickle"
        old.write_bytes(b"x")
        os.utime(old, ns=(n * 10**9, n * 10**9))
    written = kbcache.write("f" * 64, {"sha256": "f" * 64})
    assert written is not None and written.exists()
    kept = sorted(cache.glob("kb-*.pickle"))
    assert len(kept) == kbcache.KEEP and written in kept
    assert cache / f"kb-{0:020d}-{'0' * 16}.pickle" not in kept


def test_kb_lint_always_reads_the_files(cache: Path, builds: list[Path], tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from osteoboard.cli import app

    kb_dir = _copy(tmp_path)
    _load(kb_dir)
    for _ in range(2):
        result = CliRunner().invoke(app, ["kb", "lint", "--directory", str(kb_dir)])
        assert result.exit_code == 0, result.output
        assert result.output.startswith("ok: knowledge base")
    assert builds == [kb_dir, kb_dir, kb_dir]


def test_every_spelling_of_a_directory_loads_one_object(
    cache: Path, builds: list[Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Scores call ``load_knowledge_base()`` while a worker loaded ``load_knowledge_base(None)``:
    one copy in memory, not one per spelling (a cohort worker held two, about 9 MB)."""
    packaged = guideline.load_knowledge_base()
    assert guideline.load_knowledge_base(None) is packaged
    assert guideline.load_knowledge_base(default_kb_dir()) is packaged
    monkeypatch.chdir(default_kb_dir().parent)
    assert guideline.load_knowledge_base(Path("knowledge")) is packaged
    assert guideline.load_knowledge_base(Path("knowledge/../knowledge")) is packaged
    assert builds == [default_kb_dir()]  # built once, for the empty cache
    kb_dir = _copy(tmp_path)
    copy = guideline.load_knowledge_base(kb_dir)
    assert copy is not packaged and copy.directory == kb_dir
    assert guideline.load_knowledge_base(kb_dir / ".." / "knowledge") is copy
    # A packaged folder that is a link to the copy: the same object as the copy's path.
    link = tmp_path / "link"
    link.symlink_to(kb_dir, target_is_directory=True)
    monkeypatch.setattr(guideline, "default_kb_dir", lambda: link)
    guideline._default_dir.cache_clear()
    try:
        assert guideline.load_knowledge_base() is copy
    finally:
        guideline._default_dir.cache_clear()
