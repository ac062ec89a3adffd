"""A lesion that has already been operated (``lesions[].operation``): the two referrals of the
clinical review, end to end.

Twelve days after decompression and stabilisation of T7 (Bilsky 3 before the operation) and
two weeks after a nailed femoral fracture, the proposal raises no emergency and proposes no
operation again; the postoperative radiotherapy is firm, no longer waiting for operability; the
patient letter calls nothing an emergency and explains the radiotherapy. An operation that is
not documented never takes an emergency away, and a new deficit after the operation is
worked up at once.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from osteoboard.caseio import parse_case, read_document
from osteoboard.engine import evaluate
from osteoboard.guideline import load_knowledge_base
from osteoboard.proposal import ItemStatus, Proposal, Recommendation
from osteoboard.render.letter import Contact, Letter, build_letter, section_text

CASES = Path(__file__).resolve().parent / "cases"
SPINE = CASES / "039-lung-t7-after-decompression.yaml"
FEMUR = CASES / "040-breast-femur-nailed.yaml"
KB = load_knowledge_base()


def _case_doc(path: Path) -> dict[str, Any]:
    doc = read_document(path.read_text(encoding="utf-8"), name=path.name)
    case: dict[str, Any] = copy.deepcopy(doc["case"])
    return case


def _evaluate(doc: dict[str, Any]) -> Proposal:
    return evaluate(parse_case(copy.deepcopy(doc)), KB)


def _items(p: Proposal, code: str, lesion: str | None = None) -> list[Recommendation]:
    return [
        i
        for i in (*p.emergencies, *p.recommendations)
        if i.code == code and (lesion is None or i.lesion == lesion)
    ]


def _letter(doc: dict[str, Any]) -> Letter:
    case = parse_case(copy.deepcopy(doc))
    return build_letter(evaluate(case, KB), case, KB, contact=Contact())


def _letter_text(lt: Letter) -> str:
    return "\n".join(section_text(s) for s in lt.sections)


# --------------------------------------------------------------------------------------------
# After decompression and stabilisation of T7


def test_decompressed_and_stabilised_spine_raises_no_emergency() -> None:
    p = _evaluate(_case_doc(SPINE))
    assert p.emergencies == []
    codes = {i.code for i in p.recommendations}
    # Neither the compression nor the instability of the preoperative MRI counts again.
    for code in (
        "SUP.DEXAMETHASONE",
        "DX.MRI_WHOLE_SPINE_URGENT",
        "SURG.DECOMPRESSION_STABILIZATION",
        "SURG.SPINE_STABILIZATION",
        "SURG.SPINE_CONSULT",
        "RT.MSCC",
    ):
        assert code not in codes, code
    assert not [i for i in p.recommendations if i.lesion == "T7" and i.code.startswith("SURG.")]
    # The SINS items and the prognosis no longer decide anything about T7.
    assert not [m for m in p.missing_data if m.priority == "urgent" and "T7" in m.field]


def _firm_postop_rt(p: Proposal, lesion: str, rule: str) -> Recommendation:
    """The one postoperative radiotherapy of the lesion, firm, from the rule, waiting for
    nothing (operability included)."""
    (rt,) = _items(p, "RT.POSTOP", lesion)
    assert (rt.status, rt.rule, rt.conditions) == (ItemStatus.firm, rule, [])
    return rt


def test_postoperative_radiotherapy_of_t7_is_firm() -> None:
    p = _evaluate(_case_doc(SPINE))
    rt = _firm_postop_rt(p, "T7", "spine.postop_rt_after_surgery")
    assert "Dekompression und Stabilisierung" in rt.text.de
    assert "2–4 Wochen" in rt.text.de
    assert {"patchell2005", "seed-002"} <= set(rt.sources)
    # The only radiotherapy of T7: no prophylactic or palliative schedule beside it.
    assert [i.code for i in p.recommendations if i.lesion == "T7" and i.code.startswith("RT.")] == [
        "RT.POSTOP"
    ]


def test_dexamethasone_is_tapered_not_continued_until_radiotherapy() -> None:
    p = _evaluate(_case_doc(SPINE))
    (taper,) = _items(p, "SUP.DEXAMETHASONE_TAPER")
    assert taper.status is ItemStatus.firm
    assert "ausschleichen" in taper.text.de
    assert "nice2023" in taper.sources
    assert not _items(p, "SUP.DEXAMETHASONE")


def test_without_the_date_the_taper_waits_for_it() -> None:
    doc = _case_doc(SPINE)
    del doc["lesions"][0]["operation_date"]
    p = _evaluate(doc)
    (taper,) = _items(p, "SUP.DEXAMETHASONE_TAPER")
    assert taper.status is ItemStatus.conditional
    assert [c.fact for c in taper.conditions] == ["spine.days_since_decompression"]
    assert any(m.field == "lesions[T7].operation_date" for m in p.missing_data)
    # The postoperative radiotherapy does not wait for the date.
    _firm_postop_rt(p, "T7", "spine.postop_rt_after_surgery")
    # The letter says what the team still clarifies, in the patient's words.
    assert "Wann Sie an der Wirbelsäule operiert wurden" in _letter(doc).personal.clarify


def test_an_undocumented_operation_never_takes_the_emergency_away() -> None:
    doc = _case_doc(SPINE)
    for key in ("operation", "operation_date"):
        del doc["lesions"][0][key]
    p = _evaluate(doc)
    assert [(e.code, e.status) for e in p.emergencies] == [("EMERG.MSCC", ItemStatus.confirmed)]
    assert _items(p, "SUP.DEXAMETHASONE")
    assert not _items(p, "SUP.DEXAMETHASONE_TAPER")


def test_a_new_deficit_after_the_operation_is_worked_up_at_once() -> None:
    doc = _case_doc(SPINE)
    doc["neurology"]["new_deficit"] = True
    p = _evaluate(doc)
    assert [(e.code, e.status) for e in p.emergencies] == [("EMERG.MSCC", ItemStatus.suspected)]
    (dex,) = _items(p, "SUP.DEXAMETHASONE")
    assert dex.status is ItemStatus.firm
    # The whole-spine MRI before the operation does not show what happened since.
    (mri,) = _items(p, "DX.MRI_WHOLE_SPINE_URGENT")
    assert mri.status is ItemStatus.firm
    assert mri.rule == "emerg.mscc_mri_after_spine_surgery"
    (consult,) = _items(p, "SURG.SPINE_CONSULT", "T7")
    assert consult.priority.value == "urgent" and consult.status is ItemStatus.firm
    # The spine surgeons decide on any further operation; none is proposed, no taper either.
    assert not _items(p, "SURG.DECOMPRESSION_STABILIZATION")
    assert not _items(p, "SUP.DEXAMETHASONE_TAPER")


def test_a_decompression_alone_leaves_an_unstable_segment_unstable() -> None:
    doc = _case_doc(SPINE)
    doc["lesions"][0].update(
        operation="decompression", pain="mechanical", alignment="de_novo_deformity"
    )
    p = _evaluate(doc)
    assert [e.code for e in p.emergencies] == ["EMERG.SPINAL_INSTABILITY"]
    # ... but the compression is relieved, and no operation is proposed again.
    assert not _items(p, "EMERG.MSCC")
    assert not _items(p, "SURG.SPINE_STABILIZATION")
    assert _items(p, "SURG.SPINE_CONSULT", "T7")


# --------------------------------------------------------------------------------------------
# The nailed femur


def test_nailed_femur_raises_no_fracture_emergency_and_no_fixation() -> None:
    p = _evaluate(_case_doc(FEMUR))
    assert p.emergencies == []
    on_femur = {i.code for i in p.recommendations if i.lesion == "FEM-R"}
    assert on_femur == {"RT.POSTOP"}
    # No "biopsy before the nail" and no weight-bearing emergency.
    assert not _items(p, "DX.BIOPSY", "FEM-R")


def test_postoperative_radiotherapy_of_the_femur_is_firm() -> None:
    p = _evaluate(_case_doc(FEMUR))
    rt = _firm_postop_rt(p, "FEM-R", "long_bone.postop_rt_after_fixation")
    # Retrospective evidence only: a conditional recommendation, with its source.
    assert rt.strength == "conditional"
    assert "townsend1995" in rt.sources
    assert "Marknagel" in rt.text.de


def test_postoperative_radiotherapy_is_for_the_recent_operation_only() -> None:
    """A femoral nail of three years ago beside a humeral plate of last week: the plate's bone
    is irradiated after the operation, the old nail's is not proposed again (the window of
    kb.postoperative_rt_window_days is each lesion's own)."""
    doc = _case_doc(FEMUR)
    doc["lesions"][0]["operation_date"] = "2023-05-12"
    doc["lesions"].append(
        {
            "id": "HUM-L",
            "region": "long_bone",
            "bone": "humerus",
            "segment": "diaphyseal",
            "side": "left",
            "type": "lytic",
            "pathologic_fracture": True,
            "operation": "plate_osteosynthesis",
            "operation_date": "2026-11-13",
        }
    )
    p = _evaluate(doc)
    assert [i.lesion for i in _items(p, "RT.POSTOP")] == ["HUM-L"]
    assert p.emergencies == []


def test_the_fracture_without_its_operation_is_still_an_emergency() -> None:
    doc = _case_doc(FEMUR)
    for key in ("operation", "operation_date"):
        del doc["lesions"][0][key]
    p = _evaluate(doc)
    assert [e.code for e in p.emergencies] == ["EMERG.PATHOLOGIC_FRACTURE"]


# --------------------------------------------------------------------------------------------
# The patient letter


@pytest.mark.parametrize("path", [SPINE, FEMUR], ids=["spine", "femur"])
def test_letter_calls_nothing_an_emergency_and_explains_the_radiotherapy(path: Path) -> None:
    lt = _letter(_case_doc(path))
    assert lt.personal.urgent == []
    blocks = [b.id for s in lt.sections for b in s.blocks]
    assert "emergency_mscc" not in blocks and "emergency_fracture_instability" not in blocks
    assert "rt_after_surgery" in blocks
    text = _letter_text(lt)
    assert "Ihre Operation ist schon gemacht" in text
    assert any(line.startswith("Schon operiert: ") for line in lt.personal.diagnosis)
    steps = [item for step in lt.personal.steps for item in step.items]
    assert any(item.startswith("Bestrahlung nach der Operation") for item in steps)
    assert "Belasten Sie den Knochen nicht" not in text
    assert lt.readability.flesch_amstad >= 60, lt.readability


def test_letter_after_decompression_says_the_cortisone_is_tapered() -> None:
    lt = _letter(_case_doc(SPINE))
    steps = [item for step in lt.personal.steps for item in step.items]
    assert "Kortison nach der Operation langsam absetzen" in steps
    assert "Kortison gegen die Schwellung am Rückenmark" not in steps
    assert "wird es über einige Tage weniger und dann abgesetzt" in _letter_text(lt)
    diagnosis = " ".join(lt.personal.diagnosis)
    assert "im 7. Brustwirbel (Druck vom Rückenmark genommen" in diagnosis
