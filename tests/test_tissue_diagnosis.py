"""A bone lesion before any tissue diagnosis of a cancer, and the biopsy of a first metastasis.

No cancer known (``primary.histology_confirmed: false``), or a cancer of unknown primary without
any histology: the lesion may be a primary bone tumour (ESMO bone sarcoma guideline 2021), so
the biopsy with the sarcoma centre is firm and every local treatment and drug therapy of a
cancer waits for its result (conditional), while the emergencies keep their handling. The letter
names no diagnosis nobody has made. The first metastases of a breast cancer are biopsied whether
solitary or not (ESMO ABC 5-7).
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from osteoboard.caseio import CaseError, parse_case
from osteoboard.engine import evaluate
from osteoboard.guideline import load_knowledge_base
from osteoboard.proposal import Proposal
from osteoboard.render.letter import build_letter
from tests.test_referral_cases import proposal

ROOT = Path(__file__).resolve().parents[1]
FEMUR = ROOT / "tests" / "cases" / "111-no-known-cancer-lytic-femur-first-lesion.yaml"
BREAST = ROOT / "tests" / "cases" / "112-breast-first-relapse-two-bone-lesions.yaml"
KB = load_knowledge_base()
LOCAL = set(
    next(
        t.treatment.actions
        for t in KB.treatment_conditions
        if t.treatment.id == "local_treatment_after_tissue_diagnosis"
    )
)

#: No cancer known, a lytic femur lesion with a high fracture risk, fit for surgery.
BASE: dict[str, Any] = {
    "id": "tissue-1",
    "board_date": "2026-11-26",
    "patient": {"age": 55, "sex": "male", "ecog": 1, "fit_for_surgery": True},
    "primary": {"site": "unknown", "histology_confirmed": False},
    "lesions": [
        {
            "id": "F1",
            "region": "long_bone",
            "bone": "femur",
            "segment": "diaphyseal",
            "type": "lytic",
            "mirels_pain": "functional",
            "cortical_involvement": "gt_two_thirds",
            "symptomatic": True,
        }
    ],
}


def _case(**primary: Any) -> dict[str, Any]:
    doc = copy.deepcopy(BASE)
    doc["primary"] = primary
    return doc


def _run(doc: dict[str, Any]) -> Proposal:
    return evaluate(parse_case(doc), KB)


def _items(p: Proposal, code: str, lesion: str | None = None) -> list[Any]:
    return [
        i
        for i in [*p.emergencies, *p.recommendations, *p.warnings]
        if i.code == code and (lesion is None or i.lesion == lesion)
    ]


def _local(p: Proposal) -> list[Any]:
    return [i for i in p.recommendations if i.code in LOCAL]


def test_no_known_cancer_biopsy_firm_and_local_treatment_conditional() -> None:
    p = _run(BASE)
    biopsy = [i for i in _items(p, "DX.BIOPSY") if i.rule == "board.biopsy_no_tissue_diagnosis"]
    assert [i.status for i in biopsy] == ["firm"]
    assert "Knochensarkom-Referenzzentrum" in biopsy[0].text.de
    assert "MRT des ganzen betroffenen Knochens" in biopsy[0].text.de
    local = _local(p)
    assert {i.code for i in local} >= {"SURG.PROPHYLACTIC_FIXATION", "SURG.INTRAMEDULLARY_NAIL"}
    for item in local:
        assert item.status == "conditional", item.code
        assert "primary.tissue_diagnosis" in {c.fact for c in item.conditions}, item.code
    # No drug therapy of a cancer nobody has diagnosed: the biopsy comes first.
    assert not [i for i in p.recommendations if i.code.startswith("SYS.")]
    # The tissue diagnosis decides: it is asked for.
    assert any(m.field == "primary.histology_confirmed" for m in p.missing_data)


#: Two bone lesions of unknown nature in a young adult: what a cancer's bone metastases
#: would bring (a bone-modifying agent and its dental check, early palliative care, a trial for
#: a rare entity) waits for a tissue diagnosis.
SPINE_AND_PELVIS: dict[str, Any] = {
    **BASE,
    "patient": {"age": 24, "sex": "male", "ecog": 1},
    "bone_metastases": {"vertebral_count": 1, "extraspinal_count": 1},
    "lesions": [
        {"id": "T12", "region": "spine", "level": "T12", "type": "lytic", "pain_vas": 6},
        {"id": "IL", "region": "pelvis", "type": "lytic", "symptomatic": False},
    ],
}
AFTER_DIAGNOSIS = {
    "BMA.ZOLEDRONIC_ACID",
    "BMA.DENOSUMAB",
    "DX.DENTAL_EXAM",
    "WARN.ONJ_DENTAL",
    "BOARD.CLINICAL_TRIAL",
}


def test_no_bone_drug_palliative_framing_or_trial_before_a_tissue_diagnosis() -> None:
    p = _run(SPINE_AND_PELVIS)
    codes = {i.code for i in [*p.recommendations, *p.warnings]}
    assert not codes & AFTER_DIAGNOSIS
    assert not [i for i in _items(p, "SUP.PALLIATIVE_CARE") if i.status == "firm"]
    # A carcinoma of unknown primary with its histology: a cancer's proposal.
    cup = copy.deepcopy(SPINE_AND_PELVIS)
    cup["primary"] = {"site": "unknown", "histology": "adenocarcinoma"}
    p = _run(cup)
    codes = {i.code for i in [*p.recommendations, *p.warnings]}
    assert codes >= AFTER_DIAGNOSIS
    assert [i.rule for i in _items(p, "SUP.PALLIATIVE_CARE")] == [
        "supportive.palliative_care_early"
    ]


@pytest.mark.parametrize(
    "primary",
    [
        {"site": "unknown", "histology": "adenocarcinoma"},
        {"site": "unknown", "histology_confirmed": True},
        {"site": "kidney"},
    ],
    ids=["cup-with-histology", "confirmed", "named-site"],
)
def test_a_tissue_diagnosis_makes_the_operation_firm(primary: dict[str, Any]) -> None:
    p = _run(_case(**primary))
    fixation = _items(p, "SURG.PROPHYLACTIC_FIXATION", "F1")
    assert [i.status for i in fixation] == ["firm"]
    assert not [i for i in _items(p, "DX.BIOPSY") if i.rule == "board.biopsy_no_tissue_diagnosis"]


def test_unknown_primary_without_histology_is_a_lesion_of_unknown_nature() -> None:
    """``site: unknown`` alone cannot tell a cancer of unknown primary from no cancer known:
    without a histology documented nothing local is firm, and the biopsy is the one before any
    local treatment (not the CUP work-up's)."""
    p = _run(_case(site="unknown"))
    assert all(i.status == "conditional" for i in _local(p))
    rules = {i.rule for i in _items(p, "DX.BIOPSY") if i.status == "firm"}
    assert rules == {"board.biopsy_no_tissue_diagnosis"}


def test_a_biopsied_lesion_is_the_tissue_diagnosis() -> None:
    doc = _case(site="unknown")
    doc["lesions"][0]["histology_confirmed"] = True
    p = _run(doc)
    assert [i.status for i in _items(p, "SURG.PROPHYLACTIC_FIXATION", "F1")] == ["firm"]


def test_site_not_given_leaves_local_treatment_open_without_a_firm_biopsy() -> None:
    """No primary documented at all: the local treatments wait on the tissue diagnosis (asked
    for as the primary site), the medical-oncology pointer stays."""
    p = _run(_case())
    assert _local(p) and all(i.status == "conditional" for i in _local(p))
    assert not [i for i in _items(p, "DX.BIOPSY") if i.status == "firm"]
    assert [i.status for i in _items(p, "SYS.MEDICAL_ONCOLOGY")] == ["firm"]
    assert any(m.field == "primary.site" for m in p.missing_data)


def test_a_fracture_stays_an_emergency_and_waits_for_the_biopsy() -> None:
    doc = copy.deepcopy(BASE)
    doc["lesions"][0]["pathologic_fracture"] = True
    p = _run(doc)
    assert _items(p, "EMERG.PATHOLOGIC_FRACTURE", "F1")
    urgent = _items(p, "DX.BIOPSY", "F1")
    assert [(i.status, i.priority) for i in urgent] == [("firm", "urgent")]
    assert "ruhigstellen" in urgent[0].text.de
    fixation = _items(p, "SURG.FRACTURE_FIXATION", "F1")
    assert fixation and all(i.status == "conditional" for i in fixation)


def test_cord_compression_forks_on_the_open_histology() -> None:
    """The neurological emergency is not silenced by the missing tissue: both treatments are
    named, the decompression (which gives the tissue) for a solid tumour and radiotherapy
    for a myeloma, lymphoma or germ-cell tumour (SPEC 4.1, 5.1), neither waiting for a biopsy."""
    doc = _case(site="unknown", histology_confirmed=False)
    doc["patient"]["life_expectancy_months"] = 12
    doc["neurology"] = {"new_deficit": True, "deficit_onset_hours": 12, "frankel": "C"}
    doc["lesions"] = [
        {
            "id": "T7",
            "region": "spine",
            "level": "T7",
            "type": "lytic",
            "escc_grade": "3",
            "vertebral_body_involved": True,
            "symptomatic": True,
        }
    ]
    p = _run(doc)
    assert _items(p, "EMERG.MSCC")

    def histology(item: Any) -> set[Any]:
        return {
            value
            for c in item.conditions
            if c.fact == "primary.highly_radiosensitive"
            for value in c.values
        }

    surgery = _items(p, "SURG.DECOMPRESSION_STABILIZATION", "T7")
    assert [(i.status, histology(i)) for i in surgery] == [("conditional", {False, True})]
    # A highly radiosensitive histology is operated only at an unstable segment (SINS 13 or
    # more, open here): that branch names the instability too.
    groups: dict[int, set[str]] = {}
    for c in surgery[0].conditions:
        if c.fact == "primary.highly_radiosensitive" and c.values == [True]:
            groups[c.group] = {x.fact for x in surgery[0].conditions if x.group == c.group}
    assert groups and all("lesion.sins" in facts for facts in groups.values())
    radiotherapy = _items(p, "RT.MSCC", "T7")
    assert radiotherapy and all(i.status == "conditional" for i in radiotherapy)
    assert any(histology(i) == {True} for i in radiotherapy)
    # Neither waits for the biopsy (no tissue-diagnosis condition on the emergency's branches).
    assert not any(
        c.fact == "primary.tissue_diagnosis"
        for i in [*surgery, *radiotherapy]
        for c in i.conditions
    )


def test_letter_names_no_diagnosis_without_tissue() -> None:
    case = parse_case(BASE)
    letter = build_letter(evaluate(case, KB), case, KB)
    diagnosis = " ".join(letter.personal.diagnosis)
    assert "Krebs" not in diagnosis and "Metastase" not in diagnosis
    assert "Gewebeprobe" in diagnosis
    meaning = next(b for s in letter.sections for b in s.blocks if b.id == "meaning_bone")
    text = " ".join(r.text for para in meaning.paragraphs for r in para.runs)
    assert "steht noch nicht fest" in text
    assert "heißt Metastase" not in text
    # With a tissue diagnosis the letter speaks of the cancer as before.
    known = parse_case(_case(site="unknown", histology="adenocarcinoma"))
    letter = build_letter(evaluate(known, KB), known, KB)
    assert "Krebs, dessen Ursprung noch gesucht wird" in " ".join(letter.personal.diagnosis)


def _meaning(letter: Any) -> str:
    block = next(b for s in letter.sections for b in s.blocks if b.id == "meaning_bone")
    return " ".join(r.text for para in block.paragraphs for r in para.runs)


def test_several_lesions_without_tissue_point_to_metastases_or_myeloma() -> None:
    """Several lytic lesions without a tissue diagnosis are most likely metastases of an
    unknown primary or a myeloma (ESMO CUP 2023): the myeloma tests and a biopsy of the most
    accessible lesion, not the work-up of a primary bone tumour at a sarcoma centre."""
    doc = copy.deepcopy(BASE)
    doc["lesions"].append({"id": "T10", "region": "spine", "level": "T10", "type": "lytic"})
    case = parse_case(doc)
    p = evaluate(case, KB)
    (biopsy,) = [i for i in _items(p, "DX.BIOPSY") if i.lesion is None]
    assert biopsy.rule == "board.biopsy_no_tissue_diagnosis_multiple"
    assert "Myelom" in biopsy.text.de and "Sarkom" not in biopsy.text.de
    letter = build_letter(p, case, KB)
    assert "mehrere Herde" in " ".join(letter.personal.diagnosis)
    meaning = _meaning(letter)
    assert "Multiplen Myelom" in meaning and "Zentrum für Knochentumoren" not in meaning
    # One lesion: a primary bone tumour stays the concern. (Its pain on loading raises a
    # suspected fracture while the fracture is not stated, whose emergency care the letter
    # puts first; the radiograph here has excluded one.)
    unfractured = copy.deepcopy(BASE)
    unfractured["lesions"][0]["pathologic_fracture"] = False
    single = parse_case(unfractured)
    p = evaluate(single, KB)
    (biopsy,) = [i for i in _items(p, "DX.BIOPSY") if i.lesion is None]
    assert biopsy.rule == "board.biopsy_no_tissue_diagnosis"
    assert "Zentrum für Knochentumoren" in _meaning(build_letter(p, single, KB))


@pytest.mark.parametrize(
    ("change", "field", "german"),
    [
        (
            lambda d: d["primary"].update(histology="adenocarcinoma"),
            "primary",
            "histology ist angegeben, aber histology_confirmed ist false",
        ),
        (
            lambda d: d["lesions"][0].update(histology_confirmed=True),
            "lesions[0].histology_confirmed",
            "ist true, aber primary.histology_confirmed ist false",
        ),
    ],
    ids=["histology-text", "biopsied-lesion"],
)
def test_contradictions_are_clear_errors(change: Any, field: str, german: str) -> None:
    doc = copy.deepcopy(BASE)
    change(doc)
    with pytest.raises(CaseError) as err:
        parse_case(doc)
    line = err.value.lines("de")[0]
    assert line.startswith(f"{field}: ") and german in line


def test_referral_femur_case() -> None:
    p = proposal(FEMUR)
    firm = {i.rule for i in _items(p, "DX.BIOPSY") if i.status == "firm"}
    assert "board.biopsy_no_tissue_diagnosis" in firm


# -- the first metastases of a breast cancer ----------------------------------------------


def _breast(first: bool | None, **lesion: Any) -> Proposal:
    doc: dict[str, Any] = {
        "id": "first-1",
        "board_date": "2026-11-26",
        "patient": {"age": 61, "sex": "female", "ecog": 1},
        "primary": {"site": "breast", "hormone_receptor": "positive", "her2": "negative"},
        "visceral_metastases": {"present": False},
        "bone_metastases": {"vertebral_count": 1, "extraspinal_count": 1},
        "lesions": [
            {"id": "T10", "region": "spine", "level": "T10", "type": "lytic", **lesion},
            {"id": "ST", "region": "sternum", "type": "mixed", **lesion},
        ],
    }
    if first is not None:
        doc["primary"]["first_metastatic_presentation"] = first
    return _run(doc)


def _first_biopsy(p: Proposal) -> list[str]:
    return [str(i.status) for i in p.recommendations if i.rule == "board.biopsy_first_metastasis"]


def test_first_breast_metastases_are_biopsied_whether_solitary_or_not() -> None:
    assert _first_biopsy(_breast(True, histology_confirmed=False)) == ["firm"]
    # Not documented whether the lesions were biopsied: on that condition.
    assert _first_biopsy(_breast(True)) == ["conditional"]
    # Not documented whether it is the first relapse: on that condition too.
    p = _breast(None, histology_confirmed=False)
    assert _first_biopsy(p) == ["conditional"]
    item = next(i for i in p.recommendations if i.rule == "board.biopsy_first_metastasis")
    assert "primary.first_metastatic_presentation" in {c.fact for c in item.conditions}
    assert "ER" in item.text.de and "HER2" in item.text.de


def test_a_progression_is_not_biopsied_again_by_this_rule() -> None:
    assert _first_biopsy(_breast(False, histology_confirmed=False)) == []


def test_referral_breast_case() -> None:
    p = proposal(BREAST)
    assert _items(p, "DX.BIOPSY")


#: A man with breast cancer treated five years ago: a single painful rib lesion, documented as
#: the only one, no organ metastases, not biopsied (a first relapse, or a second cancer).
SOLITARY_RIB: dict[str, Any] = {
    "id": "tissue-solitary",
    "board_date": "2026-11-27",
    "patient": {"age": 66, "sex": "male", "ecog": 0},
    "primary": {
        "site": "breast",
        "histology": "invasive carcinoma of no special type",
        "hormone_receptor": "positive",
        "her2": "negative",
    },
    "visceral_metastases": {"present": False},
    "bone_metastases": {"vertebral_count": 0, "extraspinal_count": 1},
    "lesions": [
        {"id": "R8", "region": "rib", "type": "mixed", "size_cm": 2.5, "pain_vas": 5},
    ],
}


@pytest.mark.parametrize("biopsied", [None, True])
def test_a_solitary_lesion_is_no_metastasis_before_its_biopsy(biopsied: bool | None) -> None:
    """The first line of drug therapy waits for the biopsy of a documented solitary lesion,
    which also tests the receptors again (ESMO 2020; Gennari 2021), and the letter does not
    call the lesion a metastasis until then."""
    doc = copy.deepcopy(SOLITARY_RIB)
    doc["lesions"][0]["histology_confirmed"] = biopsied
    case = parse_case(doc)
    p = evaluate(case, KB)
    (endocrine,) = _items(p, "SYS.ENDOCRINE_THERAPY")
    diagnosis = " ".join(build_letter(p, case, KB).personal.diagnosis)
    if biopsied:
        assert endocrine.status == "firm"
        assert "Metastasen im Knochen" in diagnosis
    else:
        assert endocrine.status == "conditional"
        assert {c.fact for c in endocrine.conditions} == {"bone.biopsy_shows_metastasis"}
        assert "Metastase" not in diagnosis and "Gewebeprobe" in diagnosis


@pytest.mark.parametrize(
    ("change", "first"),
    [
        # Documented as not biopsied: the biopsy is firm, and it comes first.
        ({"histology_confirmed": False}, True),
        # Not stated whether it was biopsied: the biopsy is only conditional.
        ({}, False),
    ],
)
def test_the_letter_says_the_biopsy_comes_first_only_when_it_does(
    change: dict[str, Any], first: bool
) -> None:
    from tests.support.letter_text import section_text

    doc = copy.deepcopy(SOLITARY_RIB)
    doc["primary"]["first_metastatic_presentation"] = True
    doc["lesions"][0].update(change)
    case = parse_case(doc)
    p = evaluate(case, KB)
    assert bool([i for i in _items(p, "DX.BIOPSY") if i.status == "firm"]) is first
    meaning = section_text(build_letter(p, case, KB), "meaning")
    assert "noch nicht durch eine Gewebeprobe gesichert" in meaning
    assert ("zuerst eine kleine Gewebeprobe" in meaning) is first
    assert "heißt Metastase" not in meaning


def test_no_biopsy_first_beside_a_cord_compression() -> None:
    from tests.support.letter_text import section_text

    doc = copy.deepcopy(SOLITARY_RIB)
    doc["primary"]["first_metastatic_presentation"] = True
    doc["bone_metastases"] = {"vertebral_count": 1, "extraspinal_count": 0}
    doc["neurology"] = {"new_deficit": True, "frankel": "C", "deficit_onset_hours": 20}
    doc["lesions"] = [
        {
            "id": "T8",
            "region": "spine",
            "level": "T8",
            "type": "lytic",
            "escc_grade": "3",
            "histology_confirmed": False,
        }
    ]
    case = parse_case(doc)
    p = evaluate(case, KB)
    assert _items(p, "EMERG.MSCC")
    meaning = section_text(build_letter(p, case, KB), "meaning")
    assert "zuerst eine kleine Gewebeprobe" not in meaning


def test_beside_earlier_metastases_the_therapy_goes_on_and_the_letter_follows_the_biopsy() -> None:
    """Metastases known before, one new unbiopsied lesion documented as the only one now: the
    running endocrine therapy does not wait for the biopsy, but as long as the board proposes
    the biopsy the letter does not call the lesion a metastasis."""
    from tests.support.letter_text import section_text

    doc = copy.deepcopy(SOLITARY_RIB)
    doc["primary"]["first_metastatic_presentation"] = False
    doc["lesions"][0]["histology_confirmed"] = False
    case = parse_case(doc)
    p = evaluate(case, KB)
    assert [i.status for i in _items(p, "SYS.ENDOCRINE_THERAPY")] == ["firm"]
    assert [i.status for i in _items(p, "DX.BIOPSY")] == ["firm"]
    letter = build_letter(p, case, KB)
    assert "noch nicht durch eine Gewebeprobe gesichert" in " ".join(letter.personal.diagnosis)
    assert "heißt Metastase" not in section_text(letter, "meaning")
