"""The imwg_response score: category, items, bilingual notes, applicability."""

from __future__ import annotations

from pathlib import Path

from osteoboard.case import Case, Myeloma
from osteoboard.caseio import load_case
from osteoboard.scores.base import ScoreResult
from osteoboard.scores.imwg import CATEGORIES, SPEC, ImwgInput, imwg_response

EXAMPLES = Path(__file__).parent.parent.parent / "examples"


def _items(r: ScoreResult) -> dict[str, object]:
    return {i.name: i.value for i in r.items}


def test_example_09_score() -> None:
    case = load_case(EXAMPLES / "09-myeloma-relapse.yaml")
    [r] = SPEC.run(case)
    assert r.name == "imwg_response"
    assert r.category == "pd" and r.possible_categories == ["pd"]
    assert r.total is None and r.assessable
    assert r.interpretation == CATEGORIES["pd"]
    assert r.source == "kumar2016-imwg"
    items = _items(r)
    assert items["baseline_serum_m_g_dl"] == 3.2
    assert items["nadir_serum_m_g_dl"] == 0.2
    assert items["nadir_serum_date"] == "2025-06-01"
    assert items["latest_serum_m_g_dl"] == 0.8
    assert items["latest_date"] == "2026-09-01"
    assert items["progression_threshold_serum_g_dl"] == 0.7
    assert items["best_response"] == "vgpr"
    assert items["serum_m_sustained_rise_g_dl"] == 0.3
    assert items["serum_m_doubling_reference_g_dl"] == 0.2
    assert items["serum_m_doubling_months"] == 12.0
    assert "relapse_tier" not in items  # the tier is the knowledge base's decision
    de = "\n".join(n.de for n in r.notes)
    en = "\n".join(n.en for n in r.notes)
    assert "VGPR" in de and "unbestätigt" in de
    assert "Bestätigt (zwei Kontrollen in Folge): partielle Remission (PR)" in de
    assert "Progressionsschwelle 0,7 g/dl" in de and "Nadir Serum-M-Protein 0,2 g/dl" in de
    assert "MRD nicht bekannt" in de
    assert "MM." not in de
    assert "unconfirmed" in en and "progression threshold 0.7 g/dL" in en


def test_applies_only_with_myeloma_block() -> None:
    assert SPEC.run(Case(id="x")) == []
    assert SPEC.applies(Case(id="x", myeloma=Myeloma()))


def test_empty_series_score_not_assessable() -> None:
    r = imwg_response(ImwgInput(myeloma=Myeloma(stage="active")))
    assert r.category == "not_assessable" and not r.assessable
    assert r.missing == ["myeloma.baseline", "myeloma.series"]
    assert r.total is None


def test_confirmed_best_response_note() -> None:
    m = Myeloma.model_validate(
        {
            "stage": "active",
            "baseline": {"serum_m_g_dl": 3.0},
            "series": [
                {"date": "2025-01-01", "serum_m_g_dl": 0.2},
                {"date": "2025-03-01", "serum_m_g_dl": 0.25},
            ],
            "mrd_negative": False,
        }
    )
    r = imwg_response(ImwgInput(myeloma=m))
    assert r.category == "vgpr"
    de = "\n".join(n.de for n in r.notes)
    assert "(01.01.2025), bestätigt." in de
    assert "MRD-positiv" in de


def test_score_measures_but_does_not_decide_the_tier() -> None:
    m = Myeloma.model_validate(
        {
            "stage": "mgus",
            "baseline": {"serum_m_g_dl": 1.2},
            "series": [{"date": "2025-01-01", "serum_m_g_dl": 2.0}],
        }
    )
    r = imwg_response(ImwgInput(myeloma=m))
    text = "\n".join(n.de + n.en for n in r.notes)
    assert "MM." not in text and "Rezidiv-Stufe" not in text
    assert {i.name for i in r.items} >= {"serum_m_sustained_rise_g_dl", "serum_m_doubling_months"}
    # Without any assessment there is no rise to report.
    empty = imwg_response(ImwgInput(myeloma=Myeloma(stage="active")))
    assert "serum_m_sustained_rise_g_dl" not in {i.name for i in empty.items}


def test_mrd_negativity_without_a_complete_response_is_not_an_mrd_response() -> None:
    def notes(series: list[dict[str, object]]) -> str:
        m = Myeloma.model_validate(
            {
                "stage": "active",
                "baseline": {"serum_m_g_dl": 3.0, "urine_m_mg_24h": 0},
                "series": series,
                "mrd_negative": True,
            }
        )
        return "\n".join(n.en for n in imwg_response(ImwgInput(myeloma=m)).notes)

    # VGPR: electrophoresis 0, immunofixation still positive
    vgpr = notes([{"date": "2025-01-01", "serum_m_g_dl": 0.0, "immunofixation_negative": False}])
    assert "MRD-negative" in vgpr and "require a complete response" in vgpr
    cr = notes(
        [
            {
                "date": "2025-01-01",
                "serum_m_g_dl": 0.0,
                "immunofixation_negative": True,
                "bm_plasma_cells_pct": 1,
            }
        ]
    )
    assert "MRD-negative" in cr and "require a complete response" not in cr


def _pasted_course(line_start: bool | None) -> Myeloma:
    # The course since diagnosis, as a referral pastes it: VGPR, a confirmed relapse in 2025,
    # a new line from August 2025, and a deep response to it since.
    relapse: dict[str, object] = {"date": "2025-08-01", "serum_m_g_dl": 2.4}
    if line_start is not None:
        relapse["line_start"] = line_start
    return Myeloma.model_validate(
        {
            "stage": "active",
            "baseline": {"serum_m_g_dl": 4.0},
            "series": [
                {"date": "2024-01-01", "serum_m_g_dl": 0.3},
                {"date": "2025-06-01", "serum_m_g_dl": 1.6},
                relapse,
                {"date": "2026-01-01", "serum_m_g_dl": 0.2},
                {"date": "2026-06-01", "serum_m_g_dl": 0.1},
                {"date": "2026-10-01", "serum_m_g_dl": 0.1},
            ],
        }
    )


def test_a_new_line_is_judged_from_its_own_start() -> None:
    # Without the mark the relapse of the earlier line stands (IMWG: progression from the
    # nadir), and a note says how to mark the new line.
    unmarked = imwg_response(ImwgInput(myeloma=_pasted_course(None)))
    assert unmarked.category == "pd"
    assert any("line_start" in n.en for n in unmarked.notes)
    # Marked, response and progression are judged from the relapse values (2.4 g/dL): a
    # reduction to 0.1 is a VGPR (≥ 90 %), confirmed, and no progression.
    marked = imwg_response(ImwgInput(myeloma=_pasted_course(True)))
    assert marked.category == "vgpr"
    en = "\n".join(n.en for n in marked.notes)
    assert "Progression criteria not met." in en
    assert "Judged from the start of the current line of therapy (2025-08-01" in en
    assert marked.missing == []
