"""The prognosis band (SPEC §3): the mapping in knowledge/prognosis.yaml, its linter, and the
mechanism that applies it (team estimate first, then the deciding scores in order)."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from osteoboard.guideline import KnowledgeError, default_kb_dir, load_knowledge_base
from osteoboard.prognosis import (
    Band,
    MonthRange,
    derive_prognosis,
    load_prognosis_mapping,
    read_prognosis_mapping,
)
from osteoboard.scores.base import ScoreResult
from tests.kb_copies import edited_copy, load_error


def result(
    name: str,
    category: str | None,
    total: int | None = None,
    span: tuple[int, int] | None = None,
    possible: list[str] | None = None,
) -> ScoreResult:
    return ScoreResult(
        name=name,
        assessable=True,
        total=total,
        range=span if span is not None else (total, total),  # type: ignore[arg-type]
        category=category,
        possible_categories=possible or ([category] if category else []),
        interpretation=None,
        items=[],
        missing=[] if category else ["patient.ecog"],
        source=name,
    )


# --- the mechanism ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("months", "band", "ge6"),
    [
        (0, Band.short, False),
        (2.9, Band.short, False),
        (3, Band.intermediate, False),
        (5.9, Band.intermediate, False),
        (6, Band.intermediate, True),
        (12, Band.intermediate, True),
        (12.1, Band.long, True),
        (120, Band.long, True),
    ],
)
def test_team_estimate_is_mapped_by_the_month_ranges(months: float, band: Band, ge6: bool) -> None:
    p = derive_prognosis(months, [])
    assert (p.band, p.ge_6_months, p.basis) == (band, ge6, "team_estimate")
    assert p.estimates[0].statement.de.startswith("Einschätzung des Behandlungsteams: etwa")


def test_team_estimate_wins_over_a_decided_score() -> None:
    p = derive_prognosis(2, [result("katagiri_new", "low", 2)])
    assert (p.band, p.basis) == (Band.short, "team_estimate")
    assert p.scores_disagree  # Katagiri low says long


def test_katagiri_decides_before_bauer() -> None:
    p = derive_prognosis(
        None, [result("bauer_modified", "poor", 1), result("katagiri_new", "high", 8)]
    )
    assert (p.band, p.ge_6_months, p.basis) == (Band.short, False, "katagiri_new")
    # Listed in the mapping's order, whatever the order of the scores.
    assert [e.basis for e in p.estimates] == ["katagiri_new", "bauer_modified"]
    assert p.estimates[0].statement.de == (
        "neuer Katagiri-Score: 8 Punkte, 6-Monats-Überleben etwa 27 %"
    )


def test_bauer_decides_when_katagiri_is_open() -> None:
    open_katagiri = result("katagiri_new", None, span=(3, 5), possible=["low", "intermediate"])
    p = derive_prognosis(None, [open_katagiri, result("bauer_modified", "good", 3)])
    assert (p.band, p.basis) == (Band.long, "bauer_modified")
    assert p.estimates[0].bands == [Band.intermediate, Band.long]
    assert p.estimates[0].ge_6_months is True  # both categories answer yes


def test_bauer_does_not_settle_a_band_that_every_katagiri_completion_rules_out() -> None:
    """Katagiri 5-8 (intermediate or high: short or intermediate band) beside Bauer 3 (long):
    whatever the missing Katagiri items are, the scores disagree; the band stays open over
    what Katagiri allows instead of taking Bauer's 'long'."""
    open_katagiri = result("katagiri_new", None, span=(5, 8), possible=["intermediate", "high"])
    p = derive_prognosis(None, [open_katagiri, result("bauer_modified", "good", 3)])
    assert p.band is None and p.basis is None
    assert p.possible_bands == [Band.short, Band.intermediate]
    assert p.ge_6_months is None
    assert p.scores_disagree


def test_an_open_score_that_still_allows_the_band_does_not_disagree() -> None:
    open_tokuhashi = result(
        "tokuhashi_revised", None, span=(10, 13), possible=["ge_6_months", "ge_12_months"]
    )
    p = derive_prognosis(None, [result("bauer_modified", "good", 3), open_tokuhashi])
    assert (p.band, p.basis) == (Band.long, "bauer_modified")
    assert not p.scores_disagree


def test_a_poor_bauer_score_leaves_the_three_month_limit_open() -> None:
    """Modified Bauer 0-1: median survival 4.8 months (Leithner 2008), so the category spans
    the 3-month limit of MSCC surgery: it does not settle the band, the team's estimate does."""
    p = derive_prognosis(None, [result("bauer_modified", "poor", 1)])
    assert p.band is None and p.ge_6_months is False
    assert p.possible_bands == [Band.short, Band.intermediate]
    assert derive_prognosis(4, [result("bauer_modified", "poor", 1)]).band == Band.intermediate


def test_surgery_on_a_poor_bauer_score_is_conditional_and_the_estimate_is_asked() -> None:
    """NSCLC, ECOG 3, visceral metastases, MRI-confirmed MSCC, declared fit, no labs: Katagiri
    is open (5-10 points), Bauer poor; neither surgery nor radiotherapy is firm, and the team's
    survival estimate is among the questions."""
    from osteoboard.caseio import parse_case
    from osteoboard.engine import evaluate

    p = evaluate(
        parse_case(
            {
                "id": "t-bauer",
                "board_date": "2026-11-20",
                "patient": {"age": 74, "sex": "male", "ecog": 3, "fit_for_surgery": True},
                "primary": {"site": "lung_nsclc", "targetable_driver": False},
                "visceral_metastases": {"present": True},
                "neurology": {
                    "new_deficit": True,
                    "deficit_onset_hours": 10,
                    "frankel": "C",
                    "whole_spine_mri_done": True,
                },
                "lesions": [{"id": "T5", "region": "spine", "level": "T5", "escc_grade": "3"}],
            }
        )
    )
    status = {r.code: r.status for r in p.recommendations}
    assert status["SURG.DECOMPRESSION_STABILIZATION"] == "conditional"
    assert status["RT.MSCC"] == "conditional"
    (asked,) = [q for q in p.questions if q.fact == "prognosis.band"]
    assert "Behandlungsteam" in asked.text.de and "_" not in asked.text.de


def test_tokuhashi_is_a_cross_check_and_never_the_basis() -> None:
    p = derive_prognosis(None, [result("tokuhashi_revised", "ge_12_months", 13)])
    assert p.band is None and p.basis is None
    assert p.possible_bands == list(Band)
    assert [e.basis for e in p.estimates] == ["tokuhashi_revised"]


def test_open_first_estimate_gives_the_possible_bands() -> None:
    open_katagiri = result("katagiri_new", None, span=(5, 8), possible=["intermediate", "high"])
    p = derive_prognosis(None, [open_katagiri])
    assert p.band is None
    assert p.possible_bands == [Band.short, Band.intermediate]
    assert p.ge_6_months is None


def test_disagreement_on_six_months_alone_is_flagged() -> None:
    # Bauer poor (intermediate, < 6 months) beside Tokuhashi ≥ 6 months (intermediate).
    agree = derive_prognosis(None, [result("bauer_modified", "poor", 1)])
    assert not agree.scores_disagree
    p = derive_prognosis(
        None, [result("bauer_modified", "poor", 1), result("tokuhashi_revised", "ge_6_months", 10)]
    )
    assert p.scores_disagree


def test_band_labels_and_names_come_from_the_mapping() -> None:
    mapping = load_knowledge_base().prognosis
    assert [mapping.band_label(b).de for b in Band] == [
        "kurz (< 3 Monate)",
        "mittel (3–12 Monate)",
        "lang (> 12 Monate)",
    ]
    assert mapping.band_label(Band.long).en == "long (> 12 months)"
    name = mapping.name("bauer_modified")
    assert name is not None and name.de == "modifizierter Bauer-Score"
    assert mapping.name("tomita") is None
    assert mapping.deciding_scores == ("katagiri_new", "bauer_modified")


def test_bundled_mapping_is_the_knowledge_base_one() -> None:
    assert load_prognosis_mapping() == load_knowledge_base().prognosis


@pytest.mark.parametrize(
    ("text", "inside", "outside"),
    [
        ("[0, 3)", [0, 2.99], [3, -0.1]),
        ("[3, 12]", [3, 12], [2.99, 12.01]),
        ("(12, inf)", [12.01, 1e6], [12]),
    ],
)
def test_month_ranges(text: str, inside: list[float], outside: list[float]) -> None:
    r = MonthRange.parse(text)
    assert all(m in r for m in inside)
    assert not any(m in r for m in outside)


@pytest.mark.parametrize("text", ["0-3", "[3, 2]", "(3, 3)", "[12, inf]", "[a, 3)"])
def test_malformed_month_ranges(text: str) -> None:
    with pytest.raises(ValueError):
        MonthRange.parse(text)


# --- the linter -------------------------------------------------------------------------------


def _lint(tmp_path: Path, change: Callable[[dict[str, Any]], None]) -> str:
    return load_error(edited_copy(tmp_path, "prognosis.yaml", change))


def test_the_mapping_alone_is_checked_too(tmp_path: Path) -> None:
    """The scores and facts can read the mapping without the whole knowledge base."""
    kb_dir = tmp_path / "knowledge"
    shutil.copytree(default_kb_dir(), kb_dir)
    path = kb_dir / "prognosis.yaml"
    path.write_text(path.read_text().replace('months: "[3, 12]"', 'months: "[4, 12]"'))
    with pytest.raises(KnowledgeError, match="month ranges leave a gap at 3"):
        read_prognosis_mapping(kb_dir)


def _estimate(data: dict[str, Any], basis: str) -> dict[str, Any]:
    return next(e for e in data["estimates"] if e["basis"] == basis)


def _set(path: list[Any], value: Any) -> Callable[[dict[str, Any]], None]:
    def change(data: dict[str, Any]) -> None:
        node: Any = data
        for key in path[:-1]:
            node = (
                next(e for e in node if e["basis"] == key) if isinstance(node, list) else node[key]
            )
        node[path[-1]] = value

    return change


def _rename_category(data: dict[str, Any]) -> None:
    cats = _estimate(data, "katagiri_new")["categories"]
    cats["medium"] = cats.pop("intermediate")


def _drop_category(data: dict[str, Any]) -> None:
    del _estimate(data, "bauer_modified")["categories"]["good"]


def _unknown_score(data: dict[str, Any]) -> None:
    _estimate(data, "bauer_modified")["basis"] = "bauer_revised"


def _drop_team(data: dict[str, Any]) -> None:
    data["estimates"] = [e for e in data["estimates"] if e["basis"] != "team_estimate"]


def _twice(data: dict[str, Any]) -> None:
    data["estimates"].append(dict(_estimate(data, "katagiri_new")))


def _rename_band(data: dict[str, Any]) -> None:
    data["bands"]["medium"] = data["bands"].pop("intermediate")


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            _set(["bands", "intermediate", "months"], "[2, 12]"),
            "prognosis.yaml: bands.short and bands.intermediate: month ranges overlap at 2",
        ),
        (
            _set(["bands", "short", "months"], "[0, 3]"),
            "prognosis.yaml: bands.short and bands.intermediate: month ranges overlap at 3",
        ),
        (
            _set(["bands", "intermediate", "months"], "(3, 12]"),
            "prognosis.yaml: bands.short and bands.intermediate: month ranges leave a gap at 3",
        ),
        (
            _set(["bands", "long", "months"], "(13, inf)"),
            "prognosis.yaml: bands.intermediate and bands.long: month ranges leave a gap at 12",
        ),
        (
            _set(["bands", "long", "months"], "(12, 600)"),
            "prognosis.yaml: bands.long: the last range must end at inf)",
        ),
        (
            _set(["bands", "short", "months"], "(0, 3)"),
            "prognosis.yaml: bands.short: the first range must start at [0",
        ),
        (
            _set(["bands", "short", "months"], "0 to 3"),
            "prognosis.yaml: bands.short.months: '0 to 3' is not a month range",
        ),
        (
            _rename_band,
            "prognosis.yaml: bands.medium: 'medium' is not a prognosis band "
            "(short, intermediate, long)",
        ),
        (
            _set(["estimates", "katagiri_new", "categories", "low", "bands"], ["very_long"]),
            "prognosis.yaml: estimates[1] (katagiri_new): categories.low.bands: 'very_long' is "
            "not a prognosis band",
        ),
        (
            _rename_category,
            "prognosis.yaml: estimates[1] (katagiri_new): category 'medium' cannot be produced "
            "by this score (it gives low, intermediate, high)",
        ),
        (
            _drop_category,
            "prognosis.yaml: estimates[2] (bauer_modified): no mapping for category good",
        ),
        (
            _unknown_score,
            "prognosis.yaml: estimates[2] (bauer_revised): unknown score",
        ),
        (
            _drop_team,
            "prognosis.yaml: estimates: the team's estimate (team_estimate) is missing",
        ),
        (_twice, "prognosis.yaml: estimates[4] (katagiri_new): listed twice"),
        (
            _set(["estimates", "katagiri_new", "categories", "high", "ge_6_months"], True),
            "prognosis.yaml: estimates[1] (katagiri_new): categories.high: ge_6_months is true "
            "but every band it names lies below 6 months",
        ),
        (
            _set(["estimates", "bauer_modified", "categories", "good", "ge_6_months"], False),
            "prognosis.yaml: estimates[2] (bauer_modified): categories.good: ge_6_months is "
            "false but every band it names lies at or above 6 months",
        ),
        (
            _set(["estimates", "tokuhashi_revised", "sources"], ["tokuhashi2055"]),
            "prognosis.yaml: unknown source key 'tokuhashi2055'",
        ),
    ],
    ids=[
        "overlap",
        "overlap-at-limit",
        "gap-at-limit",
        "gap",
        "open-end",
        "open-start",
        "notation",
        "band-name",
        "category-band",
        "category-not-produced",
        "category-missing",
        "unknown-score",
        "no-team-estimate",
        "twice",
        "ge6-yes-below",
        "ge6-no-above",
        "source",
    ],
)
def test_lint_names_the_entry(
    tmp_path: Path, change: Callable[[dict[str, Any]], None], expected: str
) -> None:
    message = _lint(tmp_path, change)
    assert message.startswith(expected), message
