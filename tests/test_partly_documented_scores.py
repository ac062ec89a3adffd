"""A score with some items documented and others open raises what its worst completion
proposes once the documented items alone reach its warning band (facts.yaml ``worst_from``).

SINS 10-13 at C7 with the posterolateral involvement not reported: the documented items are
in the upper half of "potentially unstable" (10 or more), and the open one can make it
unstable, so the instability is a suspected emergency with an urgent consult - not silence
until the pedicle is read (SPEC §4.1, §5.1; Fisher 2010). Read at the middle of its range
(11.5), it said nothing. A score whose documented items stay below the band is read at the
middle as before: an unreported lesion type does not make every spine lesion an emergency.

Mirels 7-9 in a femoral shaft with the cortex not yet assessed: the fixation is conditional
on a high score (9 or more) instead of missing (Mirels 1989)."""

from __future__ import annotations

from typing import Any

import pytest

from osteoboard.caseio import parse_case
from osteoboard.engine import evaluate
from osteoboard.factbook import FactInfo, lint_fact_info
from osteoboard.facts import catalogue_by_name
from osteoboard.proposal import Proposal
from osteoboard.text import Text


def _spine(lesion: dict[str, Any]) -> Proposal:
    return evaluate(
        parse_case(
            {
                "id": "sins-partial",
                "board_date": "2026-12-03",
                "patient": {"age": 48, "sex": "female", "weight_kg": 60, "ecog": 1},
                "primary": {"site": "breast", "hormone_receptor": "negative", "her2": "positive"},
                "visceral_metastases": {"present": False},
                "bone_metastases": {"vertebral_count": 2, "extraspinal_count": 3},
                "labs": {"creatinine_umol_l": 70, "calcium_mmol_l": 2.35, "albumin_g_l": 40},
                "neurology": {
                    "frankel": "E",
                    "new_deficit": False,
                    "radicular_pain": False,
                    "whole_spine_mri_done": True,
                },
                "lesions": [{"id": "C7", "region": "spine", "level": "C7", **lesion}],
            }
        )
    )


def _sins(p: Proposal) -> tuple[float, float] | None:
    (score,) = [s for s in p.scores if s.name == "sins"]
    return None if score.range is None else (score.range[0], score.range[1])


def _codes(p: Proposal) -> dict[str, str]:
    return {i.code: str(i.status) for i in [*p.emergencies, *p.recommendations]}


C7_LYTIC = {
    "type": "lytic",
    "pain": "mechanical",
    "alignment": "normal",
    "collapse": "lt_50",
    "escc_grade": "1b",
}


def test_a_potentially_unstable_spine_that_may_reach_13_is_a_suspected_instability() -> None:
    p = _spine(C7_LYTIC)  # posterolateral involvement not reported
    assert _sins(p) == (10, 13)
    codes = _codes(p)
    assert codes["EMERG.SPINAL_INSTABILITY"] == "suspected"
    (consult,) = [i for i in p.recommendations if i.code == "SURG.SPINE_CONSULT"]
    assert str(consult.priority) == "urgent"
    # The pedicle decides: asked, and urgent.
    assert any("lesions[C7].posterolateral" in q.fields for q in p.questions)


def test_documented_below_the_band_the_middle_still_counts() -> None:
    # Junctional level (3) and lytic (2) only: 5-15, read at its middle (10).
    p = _spine({"type": "lytic", "escc_grade": "1b"})
    low, high = _sins(p) or (0, 0)
    assert low < 10 and high >= 13
    assert "EMERG.SPINAL_INSTABILITY" not in _codes(p)


@pytest.mark.parametrize(
    ("posterolateral", "expected"),
    [("none", None), ("bilateral", "confirmed")],
)
def test_the_open_item_documented_settles_it(posterolateral: str, expected: str | None) -> None:
    codes = _codes(_spine({**C7_LYTIC, "posterolateral": posterolateral}))
    assert codes.get("EMERG.SPINAL_INSTABILITY") == expected


def _femur(lesion: dict[str, Any]) -> Proposal:
    return evaluate(
        parse_case(
            {
                "id": "mirels-partial",
                "board_date": "2026-12-03",
                "patient": {"age": 59, "sex": "female", "ecog": 1},
                "primary": {"site": "lung_nsclc", "histology": "adenocarcinoma"},
                "lesions": [
                    {
                        "id": "FEM-L",
                        "region": "long_bone",
                        "side": "left",
                        "bone": "femur",
                        "segment": "diaphyseal",
                        **lesion,
                    }
                ],
            }
        )
    )


def _mirels(p: Proposal) -> tuple[float, float] | None:
    (score,) = [s for s in p.scores if s.name == "mirels"]
    return None if score.range is None else (score.range[0], score.range[1])


def test_a_possible_high_mirels_shows_the_fixation_as_conditional() -> None:
    p = _femur({"type": "mixed", "mirels_pain": "moderate"})  # cortex not assessed
    assert _mirels(p) == (7, 9)
    (fixation,) = [i for i in p.recommendations if i.code == "SURG.PROPHYLACTIC_FIXATION"]
    assert str(fixation.status) == "conditional"
    assert {c.fact for c in fixation.conditions} == {"lesion.mirels", "patient.fit_for_surgery"}
    (mirels,) = [c for c in fixation.conditions if c.fact == "lesion.mirels"]
    assert mirels.values and all(v >= 9 for v in mirels.values)  # type: ignore[operator]
    assert "lesions[FEM-L].cortical_involvement" in {f for q in p.questions for f in q.fields} | {
        m.field for m in p.missing_data
    }


def test_a_mirels_documented_low_raises_no_fixation() -> None:
    # Lower limb (2), mild pain (1), blastic (1): 4 documented + the open cortex (1 to 3) = 5
    # to 7, never high.
    p = _femur({"type": "blastic", "mirels_pain": "mild"})
    low, high = _mirels(p) or (0, 0)
    assert high < 9 or low < 7
    assert "SURG.PROPHYLACTIC_FIXATION" not in _codes(p)


def test_worst_from_is_linted() -> None:
    facts = catalogue_by_name()
    label = Text(de="x", en="x")
    bool_fact = FactInfo(label=label, if_true=label, if_false=label, worst_from=3.0)
    assert lint_fact_info(facts["neuro.new_deficit"], bool_fact) is not None
    outside = FactInfo(label=label, range=(0, 18), worst_from=19.0)
    assert lint_fact_info(facts["lesion.sins"], outside) is not None
    inside = FactInfo(label=label, range=(0, 18), worst_from=10.0)
    assert lint_fact_info(facts["lesion.sins"], inside) is None


def test_a_fractured_vertebra_is_read_as_possibly_unstable() -> None:
    """A documented pathologic fracture of C7 with its instability items not reported: the
    vertebral body has collapsed (the collapse item is 2 or 3, not 0), and the SINS is read at
    its worst (facts.yaml ``worst_if``): a suspected instability with an urgent consult and an
    urgent MRI, the stabilisation conditional on it. Without the fracture the same lesion is
    a consult that waits for its items."""
    fractured = _spine({"pathologic_fracture": True})
    (score,) = [s for s in fractured.scores if s.name == "sins"]
    (collapse,) = [i for i in score.items if i.name == "collapse"]
    assert collapse.possible == [2, 3] and collapse.note is not None
    assert _sins(fractured) == (5, 18)
    codes = _codes(fractured)
    assert codes["EMERG.SPINAL_INSTABILITY"] == "suspected"
    assert codes["SURG.SPINE_STABILIZATION"] == "conditional"
    (consult,) = [i for i in fractured.recommendations if i.code == "SURG.SPINE_CONSULT"]
    assert str(consult.priority) == "urgent"
    assert "Zervikalorthese" in fractured.emergencies[0].text.de
    plain = _spine({"pathologic_fracture": False})
    assert _sins(plain) == (3, 18)
    assert "EMERG.SPINAL_INSTABILITY" not in _codes(plain)
    # The collapse reported settles the item: a documented "none" beside a fracture stands.
    reported = _spine({"pathologic_fracture": True, "collapse": "none"})
    (score,) = [s for s in reported.scores if s.name == "sins"]
    assert [i.possible for i in score.items if i.name == "collapse"] == [[0]]


def test_worst_if_is_linted() -> None:
    facts = catalogue_by_name()
    label = Text(de="x", en="x")
    on_a_flag = FactInfo(label=label, if_true=label, if_false=label, worst_if="lesion.lytic")
    assert lint_fact_info(facts["neuro.new_deficit"], on_a_flag) is not None
    on_a_score = FactInfo(label=label, range=(0, 18), worst_if="lesion.pathologic_fracture")
    assert lint_fact_info(facts["lesion.sins"], on_a_score) is None


def test_worst_if_must_name_a_yes_no_fact_of_the_same_scope(tmp_path: Any) -> None:
    from tests.kb_copies import edited_copy, load_error

    def change(data: Any) -> None:
        data["facts"]["lesion.sins"]["worst_if"] = "patient.on_dialysis"

    message = load_error(edited_copy(tmp_path, "facts.yaml", change))
    assert "worst_if 'patient.on_dialysis' must name a yes/no fact of the same scope" in message
