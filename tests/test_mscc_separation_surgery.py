"""Cord or cauda compression from a radioresistant histology (NOMS, Laufer 2013): the urgent
decompression is the separation surgery, and the radiotherapy after it is stereotactic - not
the conventional postoperative course that a radiosensitive histology gets (Patchell 2005).
Radicular pain with high-grade epidural compression makes the compression pathway at every
level, the sacrum below the conus included; the texts then speak of the spinal canal, the cord
or the nerve roots rather than of a compressed cord alone."""

from __future__ import annotations

from typing import Any

import pytest

from osteoboard.caseio import parse_case
from osteoboard.engine import evaluate
from osteoboard.proposal import ItemStatus, Proposal, Recommendation


def case(site: str | None = "kidney", level: str = "S1", **patch: Any) -> dict[str, Any]:
    """A fit patient (ECOG 1, 18 months expected) with radicular pain and Bilsky 2 at ``level``."""
    doc: dict[str, Any] = {
        "id": "noms-mscc",
        "board_date": "2026-11-27",
        "patient": {
            "age": 60,
            "sex": "male",
            "weight_kg": 80,
            "ecog": 1,
            "fit_for_surgery": True,
            "life_expectancy_months": 18,
        },
        "primary": {"site": site} if site else {},
        "neurology": {"frankel": "E", "new_deficit": False, "radicular_pain": True},
        "lesions": [
            {
                "id": "X",
                "region": "spine",
                "level": level,
                "type": "lytic",
                "escc_grade": "2",
                "pain": "mechanical",
                "symptomatic": True,
            }
        ],
    }
    for key, value in patch.items():
        doc[key] = {**doc.get(key, {}), **value}
    return doc


def run(doc: dict[str, Any]) -> Proposal:
    return evaluate(parse_case(doc))


def at(p: Proposal, code: str, lesion: str = "X") -> list[Recommendation]:
    return [r for r in p.recommendations if r.code == code and r.lesion == lesion]


@pytest.mark.parametrize("level", ["C5", "T6", "L2", "S1"])
def test_radioresistant_compression_gets_stereotactic_radiotherapy_after_the_decompression(
    level: str,
) -> None:
    p = run(case(level=level))
    assert [e.code for e in p.emergencies if e.status is ItemStatus.confirmed] == ["EMERG.MSCC"]
    (surgery,) = at(p, "SURG.DECOMPRESSION_STABILIZATION")
    assert surgery.status is ItemStatus.firm and surgery.priority == "urgent"
    (sbrt,) = at(p, "RT.SBRT")
    assert sbrt.rule == "emerg.mscc_postop_sbrt" and sbrt.status is ItemStatus.firm
    assert "Separationschirurgie" in sbrt.text.de and "stereotaktische" in sbrt.text.de
    assert {"laufer2013", "laufer2013-separation"} <= set(sbrt.sources)
    # No conventional postoperative course beside it for the compression.
    assert not [r for r in at(p, "RT.POSTOP") if r.rule == "emerg.mscc_postop_rt"]


def test_below_the_conus_the_texts_do_not_speak_of_a_compressed_cord_alone() -> None:
    p = run(case(level="S1"))
    (sbrt,) = at(p, "RT.SBRT")
    assert "Rückenmark oder Nervenwurzeln" in sbrt.text.de
    assert "cord or nerve roots" in sbrt.text.en
    # Without the neurological symptom, the NOMS rules of the spine say the same.
    quiet = run(case(level="S1", neurology={"radicular_pain": False}))
    (after,) = at(quiet, "RT.SBRT")
    assert after.rule == "spine.radioresistant_high_grade_postop_sbrt"
    assert "Rückenmark komprimiert" not in after.text.de
    assert "Nervenwurzeln" in after.text.de
    assert [r.rule for r in at(quiet, "SURG.SEPARATION_SURGERY")] == [
        "spine.radioresistant_high_grade_separation"
    ]


def test_radiosensitive_histology_keeps_the_conventional_postoperative_course() -> None:
    p = run(case(site="breast", level="T6"))
    (postop,) = at(p, "RT.POSTOP")
    assert postop.rule == "emerg.mscc_postop_rt" and postop.status is ItemStatus.firm
    assert not at(p, "RT.SBRT")


def test_unknown_primary_waits_for_the_histology() -> None:
    p = run(case(site=None, level="T6"))
    (sbrt,) = at(p, "RT.SBRT")
    assert sbrt.status is ItemStatus.conditional
    assert "primary.radiosensitivity" in {c.fact for c in sbrt.conditions}


@pytest.mark.parametrize(
    ("patient", "reason"),
    [({"fit_for_surgery": False}, "unfit"), ({"life_expectancy_months": 2}, "short prognosis")],
)
def test_no_operation_means_no_stereotactic_course_after_it(
    patient: dict[str, Any], reason: str
) -> None:
    p = run(case(level="S1", patient=patient))
    assert not at(p, "RT.SBRT"), reason
    assert not at(p, "SURG.DECOMPRESSION_STABILIZATION"), reason
    assert [r.status for r in at(p, "RT.MSCC")] == [ItemStatus.firm], reason


def test_paraplegia_of_unknown_duration_keeps_the_stereotactic_course_open() -> None:
    p = run(case(level="T6", neurology={"frankel": "A", "new_deficit": True}))
    (emergency_rt,) = at(p, "RT.MSCC")
    assert emergency_rt.status is ItemStatus.firm
    (sbrt,) = at(p, "RT.SBRT")
    assert sbrt.status is ItemStatus.conditional
    assert {c.fact for c in sbrt.conditions} == {"neuro.paraplegia_over_window"}
