"""The cohort report: one self-contained HTML file, its figures computed from the rows."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from osteoboard.cohort.report import ReportError, summarise, write_report
from osteoboard.guideline import load_knowledge_base
from osteoboard.labels import field_key
from osteoboard.store import service
from osteoboard.store.db import Store
from tests.cohort.conftest import N, table_rows
from tests.store.helpers import board_member, decide_all, prepared_entry

OSTEOBOARD = Path(sys.executable).with_name("osteoboard")


def test_figures_from_the_rows(ndjson_run: Path) -> None:
    summary = summarise(ndjson_run)
    cases = table_rows(ndjson_run, "cases")
    items = table_rows(ndjson_run, "items")
    assert (summary.cases, summary.errors, summary.items) == (N, 0, len(items))
    kb = load_knowledge_base()
    surgery = {i["source"] for i in items if i["discipline"] == "surgery"}
    (row,) = [r for r in summary.disciplines if r.label.startswith(kb.disciplines["surgery"].de)]
    assert (row.count, row.of) == (len(surgery), N)
    mscc = {i["source"] for i in items if i["code"] == "EMERG.MSCC"}
    (row,) = [r for r in summary.emergencies if "EMERG.MSCC" in r.label]
    assert row.count == len(mscc)
    for qid, _, tally, over in summary.quality:
        if over != "proposal":
            assert tally.denominator == 0
            continue
        judged = [q for c in cases for q in c["quality"] if q["id"] == qid]
        assert tally.denominator == sum(q["denominator"] for q in judged)
        assert tally.numerator == sum(q["numerator"] for q in judged)
    # Missing fields: per field (lesion ids taken out), the cases that miss it, most first.
    per_field: dict[str, set[str]] = {}
    for c in cases:
        for m in c["missing"]:
            per_field.setdefault(field_key(m["field"])[0], set()).add(c["source"])
    counts = sorted((len(v) for v in per_field.values()), reverse=True)
    assert [r.count for r in summary.missing] == counts[: len(summary.missing)]
    top = max(per_field, key=lambda k: (len(per_field[k]), k))
    assert summary.missing[0].label.endswith(f"({top})") or counts[0] == counts[1]


def test_self_contained_german_html(ndjson_run: Path, tmp_path: Path) -> None:
    target = tmp_path / "report.html"
    done = subprocess.run(
        [str(OSTEOBOARD), "cohort", "report", str(ndjson_run), "-o", str(target)],
        capture_output=True,
        text=True,
        check=True,
    )
    assert done.stdout == f"Bericht: {target}\n"
    text = target.read_text(encoding="utf-8")
    assert text.startswith('<!DOCTYPE html><html lang="de">')
    for heading in (
        "Empfehlungen je Fachgebiet",
        "Notfälle",
        "Qualitätsindikatoren",
        "Häufigste fehlende Angaben",
    ):
        assert heading in text
    assert "<svg" in text
    # Nothing is loaded from elsewhere.
    assert not re.search(r"(src|href)\s*=", text)
    assert "http" not in text.replace("http-equiv", "")
    assert "nur mit <code>--database</code>" in text


def test_not_a_run_folder(tmp_path: Path) -> None:
    with pytest.raises(ReportError, match="cases/ fehlt"):
        write_report(tmp_path, tmp_path / "r.html")


def test_decision_indicators_from_the_store(ndjson_run: Path, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'board.sqlite3'}"
    store = Store(url)
    store.upgrade()
    with store.write() as session:
        member = board_member(session)
        conform = prepared_entry(session, "04")
        decide_all(session, member, conform)
        other = prepared_entry(session, "02", meeting_id=conform.meeting_id)
        service.record_item_decision(
            session, member, other.entry_id, other.items[0], "rejected", reason="lehnt ab"
        )
        service.record_overall_decision(
            session, member, other.entry_id, "Abweichend.", False, deviation_reason="Wunsch"
        )
        prepared_entry(session, "05", meeting_id=conform.meeting_id)  # not decided yet
    store.dispose()
    summary = summarise(ndjson_run, database=url)
    assert summary.decisions_read == 3
    tallies = {qid: tally for qid, _, tally, _ in summary.quality}
    assert (
        tallies["decisions_guideline_conform"].numerator,
        tallies["decisions_guideline_conform"].denominator,
    ) == (1, 2)
    text = (write_report(ndjson_run, tmp_path / "r.html", database=url)).read_text("utf-8")
    assert "1 / 2" in text and "50 %" in text
    with pytest.raises(ReportError, match="--database"):
        summarise(ndjson_run, database="nosuchdialect://x")
