"""The knowledge base loads, and the linter rejects each kind of mistake with file and rule."""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from osteoboard.cli import app
from osteoboard.facts import CATALOGUE
from osteoboard.guideline import (
    RECOMMENDABLE,
    default_kb_dir,
    flatten_expression,
    kb_hash,
    load_knowledge_base,
)
from tests.kb_copies import load_error

SPEC = Path(__file__).resolve().parents[2] / "shared" / "clinical" / "SPEC.md"


def test_bundled_knowledge_base_loads() -> None:
    kb = load_knowledge_base()
    assert re.fullmatch(r"\d{4}\.\d{1,2}\.\d+", kb.version)
    assert len(kb.sha256) == 64
    assert len(kb.rules) > 80
    assert all(r.rule.sources for r in kb.rules)


def test_every_spec_action_code_is_in_the_knowledge_base() -> None:
    """SPEC §4 lists the vocabulary; myeloma and sarcoma codes belong to their module."""
    codes_in_spec = _spec_action_codes()
    kb = load_knowledge_base()
    assert codes_in_spec, "could not read the action codes from SPEC §4"
    assert codes_in_spec <= set(kb.actions), sorted(codes_in_spec - set(kb.actions))


def test_every_spec_action_code_has_a_rule() -> None:
    kb = load_knowledge_base()
    used = {r.rule.action for r in kb.rules}
    missing = _spec_action_codes() - used
    assert not missing, sorted(missing)


def _spec_action_codes() -> set[str]:
    if SPEC.exists():
        text = SPEC.read_text(encoding="utf-8")
        section = text.split("## 4. Action codes", 1)[1].split("Score names and categories", 1)[0]
        return set(
            re.findall(
                r"`((?:EMERG|DX|SURG|RT|IR|BMA|NUC|SYS|SUP|BOARD|WARN)\.[A-Z0-9_]+)`", section
            )
        )
    # Without the shared folder, fall back to the knowledge base's own list.
    return {c for c in load_knowledge_base().actions if not c.startswith(("MM.", "STS."))}


def test_strontium_and_samarium_are_never_recommendable() -> None:
    kb = load_knowledge_base()
    for name in ("strontium-89", "samarium-153", "phosphorus-32"):
        assert kb.therapies[name].status not in RECOMMENDABLE
        assert name in kb.constants["not_approved_therapies"]
    texts = " ".join(a.label.en + a.text.en for a in kb.actions.values()).lower()
    assert "strontium" not in texts and "samarium" not in texts


def test_every_action_has_german_and_english_text() -> None:
    for action in load_knowledge_base().actions.values():
        for t in (action.label, action.text):
            assert t.de.strip() and t.en.strip()


def test_hash_changes_with_content(tmp_path: Path) -> None:
    kb_dir = _copy(tmp_path)
    before = kb_hash(kb_dir)
    (kb_dir / "rules" / "board.yaml").write_text(
        (kb_dir / "rules" / "board.yaml").read_text() + "\n# reviewed\n"
    )
    assert kb_hash(kb_dir) != before


def test_flatten_leaves_strings_alone() -> None:
    expr = 'primary.site == "primary.site" && lesion.spine'
    assert flatten_expression(expr) == 'primary__site == "primary.site" && lesion__spine'


def test_catalogue_names_are_unique() -> None:
    names = [f.name for f in CATALOGUE]
    assert len(names) == len(set(names))


# --- the linter -------------------------------------------------------------------------------


def _copy(tmp_path: Path) -> Path:
    target = tmp_path / "knowledge"
    shutil.copytree(default_kb_dir(), target)
    return target


def _edit_rule(kb_dir: Path, file: str, rule_id: str, change: Callable[[dict], None]) -> None:
    path = kb_dir / "rules" / file
    data = yaml.safe_load(path.read_text())
    for rule in data["rules"]:
        if rule["id"] == rule_id:
            change(rule)
            break
    else:  # pragma: no cover - test set-up error
        raise AssertionError(rule_id)
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False))


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            lambda r: r.update(when="lesion.sins_categroy == 'unstable'"),
            "rules/spine.yaml: rule spine.sins_indeterminate_consult: unknown fact "
            "'lesion.sins_categroy'",
        ),
        (
            lambda r: r.update(action="SURG.SPINE_CONSLUT"),
            "rules/spine.yaml: rule spine.sins_indeterminate_consult: unknown action code "
            "SURG.SPINE_CONSLUT",
        ),
        (
            lambda r: r.update(sources=["fisher2011"]),
            "rules/spine.yaml: rule spine.sins_indeterminate_consult: unknown source key "
            "'fisher2011'",
        ),
        (
            lambda r: r.update(when="lesion.sins_category == "),
            "rules/spine.yaml: rule spine.sins_indeterminate_consult: CEL syntax error",
        ),
        (
            lambda r: r.update(when="lesion.sins_category > 3"),
            "rules/spine.yaml: rule spine.sins_indeterminate_consult: CEL type error",
        ),
        (
            lambda r: r.update(when="lesion.sins"),
            "rules/spine.yaml: rule spine.sins_indeterminate_consult: 'when' must be a boolean",
        ),
        (
            lambda r: r.update(when="sins_max >= 7"),
            "rules/spine.yaml: rule spine.sins_indeterminate_consult: unknown name 'sins_max'",
        ),
        (
            # A flat name reads like a fact to CEL but names none here; one the probes never
            # reach (behind a false part) is refused as well.
            lambda r: r.update(when="lesion.sins_category == 'unstable' && lesion__nonesuch"),
            "rules/spine.yaml: rule spine.sins_indeterminate_consult: unknown name "
            "'lesion__nonesuch'",
        ),
        (
            lambda r: r.update(when="lesion.sins_category == 'unstable' || lesion__spine"),
            "rules/spine.yaml: rule spine.sins_indeterminate_consult: unknown name 'lesion__spine'",
        ),
        (
            lambda r: r.update(text={"de": "Nur Deutsch"}),
            "rules/spine.yaml[spine.sins_indeterminate_consult]",
        ),
        (lambda r: r.update(when="def.nonesuch"), "unknown definition 'def.nonesuch'"),
        (
            lambda r: r.update(text={"de": "{lesion.nonesuch}", "en": "x"}),
            "unknown fact {lesion.nonesuch} in text",
        ),
    ],
    ids=[
        "fact",
        "action",
        "source",
        "syntax",
        "type",
        "not-bool",
        "stray-name",
        "flat-name",
        "flat-name-of-a-fact",
        "text-en",
        "definition",
        "placeholder",
    ],
)
def test_lint_names_file_rule_and_problem(
    tmp_path: Path, change: Callable[[dict], None], expected: str
) -> None:
    kb_dir = _copy(tmp_path)
    _edit_rule(kb_dir, "spine.yaml", "spine.sins_indeterminate_consult", change)
    message = load_error(kb_dir)
    if expected.startswith("rules/spine.yaml["):
        assert "rules/spine.yaml" in message and "text.en" in message
    else:
        assert expected in message


def test_lesion_fact_in_case_rule_is_rejected(tmp_path: Path) -> None:
    kb_dir = _copy(tmp_path)
    _edit_rule(
        kb_dir, "supportive.yaml", "supportive.analgesia", lambda r: r.update(when="lesion.painful")
    )
    assert "lesion fact 'lesion.painful' in a rule with per: case" in load_error(kb_dir)


def test_duplicate_rule_id_is_rejected(tmp_path: Path) -> None:
    kb_dir = _copy(tmp_path)
    _edit_rule(
        kb_dir,
        "board.yaml",
        "board.interdisciplinary_review",
        lambda r: r.update(id="supportive.analgesia"),
    )
    message = load_error(kb_dir)
    assert "rule supportive.analgesia: duplicate rule id" in message


@pytest.mark.parametrize("status", ["investigational", "preclinical", "obsolete"])
def test_evidence_guard_rejects_unapproved_recommendations(tmp_path: Path, status: str) -> None:
    kb_dir = _copy(tmp_path)
    path = kb_dir / "actions.yaml"
    actions = yaml.safe_load(path.read_text())
    for action in actions:
        if action["code"] == "NUC.RA223":
            action["status"] = status
    path.write_text(yaml.safe_dump(actions, allow_unicode=True, sort_keys=False))
    message = load_error(kb_dir)
    assert "rule nuclear_medicine.ra223: action NUC.RA223 has status " + status in message


def test_missing_german_action_text_is_rejected(tmp_path: Path) -> None:
    kb_dir = _copy(tmp_path)
    path = kb_dir / "actions.yaml"
    actions = yaml.safe_load(path.read_text())
    del actions[0]["text"]["de"]
    path.write_text(yaml.safe_dump(actions, allow_unicode=True, sort_keys=False))
    assert "actions.yaml[0]: text.de: is required" in load_error(kb_dir)


def test_unlisted_rule_file_is_rejected(tmp_path: Path) -> None:
    kb_dir = _copy(tmp_path)
    (kb_dir / "rules" / "extra.yaml").write_text("discipline: extra\nrules: []\n")
    assert "rules/extra.yaml: not listed in kb.yaml" in load_error(kb_dir)


def test_kb_lint_command() -> None:
    result = CliRunner().invoke(app, ["kb", "lint"])
    assert result.exit_code == 0
    assert result.stdout.startswith("ok: knowledge base ")


def test_kb_lint_command_fails_on_bad_kb(tmp_path: Path) -> None:
    kb_dir = _copy(tmp_path)
    _edit_rule(kb_dir, "spine.yaml", "spine.pain_mri", lambda r: r.update(action="DX.NOPE"))
    load_knowledge_base.cache_clear()
    result = CliRunner().invoke(app, ["kb", "lint", "--directory", str(kb_dir)])
    load_knowledge_base.cache_clear()
    assert result.exit_code == 1
    assert "rule spine.pain_mri: unknown action code DX.NOPE" in result.stderr


@pytest.mark.parametrize("part", ["rules", "actions", "sources", "facts", "definitions"])
def test_kb_show(part: str) -> None:
    result = CliRunner().invoke(app, ["kb", "show", part])
    assert result.exit_code == 0
    assert len(result.stdout.splitlines()) > 5
