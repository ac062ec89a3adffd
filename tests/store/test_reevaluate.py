"""Re-evaluation after a knowledge-base change: unsigned agenda cases get a new evaluation and
a report of what changed; signed records are listed and left alone."""

from __future__ import annotations

import json
from typing import Any

import pytest
from typer.testing import CliRunner

from osteoboard.cli import app
from osteoboard.guideline import KnowledgeBase, load_knowledge_base
from osteoboard.store import service
from osteoboard.store.db import Store
from osteoboard.store.errors import PermissionDenied
from osteoboard.store.permissions import SYSTEM
from osteoboard.store.reevaluate import ItemChange, compare, format_report, reevaluate
from tests.kb_copies import edited_copy
from tests.store.helpers import COORDINATOR, VIEWER, board_member, decide_all, prepared_entry


def _supportive(data: Any) -> None:
    rules = data["rules"]
    for rule in rules:
        if rule["id"] == "supportive.psychooncology":
            rule["priority"] = "soon"
    data["rules"] = [rule for rule in rules if rule["id"] != "supportive.nutrition"]


def _board(data: Any) -> None:
    data["rules"].append(
        {
            "id": "board.clinical_trial_everyone",
            "when": "true",
            "action": "BOARD.CLINICAL_TRIAL",
            "priority": "routine",
            "sources": ["seed-002"],
        }
    )


@pytest.fixture(scope="module")
def changed_kb(tmp_path_factory: pytest.TempPathFactory) -> KnowledgeBase:
    """A copy of the knowledge base with one rule's priority raised, one rule removed and one
    added."""
    kb_dir = edited_copy(tmp_path_factory.mktemp("kb"), "rules/supportive.yaml", _supportive)
    path = kb_dir / "rules" / "board.yaml"
    import yaml

    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    _board(data)
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return load_knowledge_base(kb_dir.resolve())


EXPECTED = [
    ItemChange("BOARD.CLINICAL_TRIAL", "added"),
    ItemChange("SUP.NUTRITION", "removed"),
    ItemChange("SUP.PSYCHOONCOLOGY", "priority", "routine", "soon"),
]


def test_unsigned_cases_are_evaluated_again_and_signed_ones_left_alone(
    store: Store, changed_kb: KnowledgeBase
) -> None:
    with store.write() as session:
        open_entry = prepared_entry(session, "04")
        signed_entry = prepared_entry(session, "01", meeting_id=open_entry.meeting_id)
        member = board_member(session)
        decide_all(session, member, signed_entry)
        service.sign_off(session, member, signed_entry.entry_id)
    bundled = load_knowledge_base()
    assert changed_kb.sha256 != bundled.sha256
    with store.write() as session:
        report = reevaluate(session, COORDINATOR, kb=changed_kb)
    (case,) = report.reevaluated
    assert (case.case_id, case.pseudonym, case.meeting_ids) == (
        open_entry.case_id,
        "demo-004",
        (open_entry.meeting_id,),
    )
    assert case.old_evaluation_id == open_entry.evaluation_id
    assert list(case.changes) == EXPECTED
    (signed,) = report.signed
    assert (signed.case_id, signed.kb_sha256) == (signed_entry.case_id, bundled.sha256)
    with store.read() as session:
        new = service.latest_evaluation(session, open_entry.case_id)
        assert new is not None and new.id == case.new_evaluation_id
        assert new.kb_sha256 == changed_kb.sha256
        codes = [item.code for item in service.proposal_items(new)]
        assert "BOARD.CLINICAL_TRIAL" in codes and "SUP.NUTRITION" not in codes
        kept = service.get_agenda_entry(session, VIEWER, signed_entry.entry_id)
        assert kept.evaluation_id == signed_entry.evaluation_id
        assert [e.id for e in service.list_evaluations(session, VIEWER, signed_entry.case_id)] == [
            signed_entry.evaluation_id
        ]
    text = format_report(report)
    assert f"Fall demo-004 (Nr. {open_entry.case_id}" in text
    assert "  + BOARD.CLINICAL_TRIAL hinzugekommen\n" in text
    assert "  - SUP.NUTRITION entfallen\n" in text
    assert "  ~ SUP.PSYCHOONCOLOGY: Priorität routine → soon\n" in text
    assert (
        f"Fall demo-001 (Nr. {signed_entry.case_id}, Sitzung {signed_entry.meeting_id}): "
        f"entschieden unter Wissensbasis {bundled.version} ({bundled.sha256[:12]}), nicht verändert"
    ) in text
    assert "decided under knowledge base" in format_report(report, "en")
    with store.write() as session:  # a second run finds nothing left to do
        again = reevaluate(session, COORDINATOR, kb=changed_kb)
    assert (again.reevaluated, again.current) == ([], 1)


def test_only_the_meeting_asked_for(store: Store, changed_kb: KnowledgeBase) -> None:
    with store.write() as session:
        first = prepared_entry(session, "04")
        second = prepared_entry(session, "01")
    with store.write() as session:
        report = reevaluate(session, COORDINATOR, kb=changed_kb, meeting_id=second.meeting_id)
    assert [c.case_id for c in report.reevaluated] == [second.case_id]
    with store.read() as session:
        latest = service.latest_evaluation(session, first.case_id)
        assert latest is not None and latest.id == first.evaluation_id
    with pytest.raises(PermissionDenied), store.write() as session:
        reevaluate(session, VIEWER, kb=changed_kb)


def test_compare_names_status_changes() -> None:
    def proposal(status: str) -> str:
        item = {"code": "RT.SBRT", "lesion": "L1", "priority": "soon", "status": status}
        return json.dumps({"emergencies": [], "recommendations": [item], "warnings": []})

    assert compare(proposal("firm"), proposal("conditional")) == [
        ItemChange("RT.SBRT[L1]", "status", "firm", "conditional")
    ]
    assert compare(proposal("firm"), proposal("firm")) == []


def test_the_command_prints_the_report(
    database_url: str, store: Store, changed_kb: KnowledgeBase
) -> None:
    with store.write() as session:
        prepared = prepared_entry(session, "04")
    runner = CliRunner()
    env = {"OSTEOBOARD_DATABASE_URL": database_url}
    args = ["reevaluate", "--meeting", str(prepared.meeting_id), "--kb", str(changed_kb.directory)]
    result = runner.invoke(app, args, env=env)
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == f"Wissensbasis {changed_kb.version} ({changed_kb.sha256[:12]})"
    assert lines[1].startswith(f"Fall demo-004 (Nr. {prepared.case_id}, Sitzung ")
    assert lines[2:] == [
        "  + BOARD.CLINICAL_TRIAL hinzugekommen",
        "  - SUP.NUTRITION entfallen",
        "  ~ SUP.PSYCHOONCOLOGY: Priorität routine → soon",
    ]
    missing = runner.invoke(app, ["--lang", "en", "reevaluate", "--meeting", "999"], env=env)
    assert (missing.exit_code, missing.stderr) == (2, "error: meeting 999 not found\n")
    with store.write() as session:  # back to the bundled knowledge base: evaluated again
        back = reevaluate(session, SYSTEM, meeting_id=prepared.meeting_id)
    assert [change.kind for change in back.reevaluated[0].changes] == [
        "added",
        "removed",
        "priority",
    ]
