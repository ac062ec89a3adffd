"""Drugs that change a procedure (prior_therapy.current_medication, with the planned therapies):
an anticoagulant or antiplatelet agent before a procedure of high bleeding risk (SIR 2019), an
antiangiogenic drug before surgery (the SmPCs), a BRAF/MEK inhibitor around radiotherapy (ECOG
consensus, Anker 2016). A medication left out is unknown, not "none": no warning fires on it,
one question asks for it where such a procedure is in view, and nowhere else. A measured
platelet count below a procedure's threshold keeps the procedure conditional on raising it."""

from __future__ import annotations

import copy
from typing import Any, get_args

import pytest

from osteoboard.caseio import CaseError, parse_case
from osteoboard.engine import evaluate
from osteoboard.facts import DRUG_CLASSES, case_facts
from osteoboard.guideline import Therapy, load_knowledge_base
from osteoboard.prognosis import derive_prognosis
from osteoboard.proposal import Proposal
from osteoboard.render.letter import build_letter
from osteoboard.scores import compute_all
from tests.support.letter_text import section_text

MEDICATION_QUESTION = "Welche Medikamente werden aktuell eingenommen"

# NSCLC, acute L2 compression fracture (< 50 %), no epidural tumour, neurology normal: cement
# augmentation is in view (after a ward referral; platelets and medication left out here).
KYPHOPLASTY: dict[str, Any] = {
    "id": "med-kyphoplasty",
    "board_date": "2026-11-27",
    "patient": {
        "age": 67,
        "sex": "male",
        "ecog": 2,
        "weight_kg": 74,
        "hypercalcemia_symptoms": False,
        "hypocalcemia_symptoms": False,
    },
    "primary": {"site": "lung_nsclc", "targetable_driver": False},
    "visceral_metastases": {"present": True, "pattern": "nodular"},
    "bone_metastases": {"vertebral_count": 1, "extraspinal_count": 2},
    "labs": {"calcium_mmol_l": 2.4, "albumin_g_l": 38, "creatinine_umol_l": 90},
    "neurology": {
        "frankel": "E",
        "new_deficit": False,
        "radicular_pain": False,
        "whole_spine_mri_done": True,
    },
    "lesions": [
        {
            "id": "L2",
            "region": "spine",
            "level": "L2",
            "type": "lytic",
            "pain": "mechanical",
            "pain_vas": 8,
            "collapse": "lt_50",
            "alignment": "normal",
            "posterolateral": "none",
            "escc_grade": "0",
            "pathologic_fracture": True,
            "symptomatic": True,
        }
    ],
}


def _with(doc: dict[str, Any], **changes: Any) -> dict[str, Any]:
    out = copy.deepcopy(doc)
    for block, values in changes.items():
        out.setdefault(block, {}).update(values)
    return out


def _codes(p: Proposal, status: str | None = None) -> set[str]:
    items = [*p.emergencies, *p.recommendations, *p.warnings]
    return {i.code for i in items if status is None or i.status == status}


def _item(p: Proposal, code: str) -> Any:
    found = [i for i in [*p.recommendations, *p.warnings] if i.code == code]
    assert len(found) == 1, [i.code for i in found]
    return found[0]


def _asks_medication(p: Proposal) -> bool:
    return any(q.text.de.startswith(MEDICATION_QUESTION) for q in p.questions)


def _facts(doc: dict[str, Any]) -> dict[str, Any]:
    case = parse_case(doc)
    scores = compute_all(case)
    return case_facts(case, scores, derive_prognosis(None, scores)).values


def test_doac_before_kyphoplasty_warns_with_the_pause_by_drug_and_kidney() -> None:
    doc = _with(
        KYPHOPLASTY,
        prior_therapy={"current_medication": ["Eliquis 5 mg 1-0-1"]},
        labs={"platelets_10e9_l": 180},
    )
    p = evaluate(parse_case(doc))
    warning = _item(p, "WARN.ANTICOAGULANT_PROCEDURE")
    assert warning.status == "firm" and warning.lesion == "L2"
    text = warning.text.de
    assert text.startswith("Antikoagulans (Apixaban) vor einem Eingriff an Läsion L2")
    assert "Apixaban 2 Tage (Clearance unter 25 ml/min 3 Tage)" in text
    assert "Kreatinin-Clearance nicht bekannt" not in text
    assert warning.sources == ["patel2019-sir"]
    # The procedure itself stays proposed: the drug is paused, not a contraindication.
    assert "IR.CEMENT_AUGMENTATION" in _codes(p)
    assert not _asks_medication(p)


def test_unknown_medication_is_asked_once_where_a_procedure_is_in_view() -> None:
    p = evaluate(parse_case(KYPHOPLASTY))
    assert not {c for c in _codes(p) if c.startswith("WARN.ANTI")}
    assert sum(q.text.de.startswith(MEDICATION_QUESTION) for q in p.questions) == 1
    assert any(m.field == "prior_therapy.current_medication" for m in p.missing_data)


def test_no_medication_question_without_a_procedure_in_view() -> None:
    # The same patient with a painful but intact, unirradiated L2 (SINS 6): radiotherapy, no
    # cement, no operation - asking for anticoagulants would be noise.
    doc = copy.deepcopy(KYPHOPLASTY)
    doc["lesions"][0].update(collapse="none", pathologic_fracture=False, type="mixed")
    p = evaluate(parse_case(doc))
    assert not _asks_medication(p)
    assert not any(m.field == "prior_therapy.current_medication" for m in p.missing_data)


def test_an_empty_list_documents_no_such_drug() -> None:
    p = evaluate(parse_case(_with(KYPHOPLASTY, prior_therapy={"current_medication": []})))
    assert not _asks_medication(p)
    assert not {c for c in _codes(p) if c.startswith("WARN.ANTI")}


def test_names_are_read_by_brand_or_generic_and_unknown_names_are_kept() -> None:
    facts = _facts(
        _with(
            KYPHOPLASTY,
            prior_therapy={
                "current_medication": ["Cabometyx 40 mg", "Pantoprazol 40 mg", "ASS 100"],
                "planned_therapies": ["Dabrafenib/Trametinib fortsetzen"],
            },
        )
    )
    assert facts["medication.names"] == [
        "cabozantinib",
        "pantoprazol 40 mg",
        "aspirin",
        "dabrafenib",
        "trametinib",
    ]
    assert facts["medication.antiangiogenic_names"] == ["cabozantinib"]
    assert facts["medication.braf_mek_names"] == ["dabrafenib", "trametinib"]
    assert facts["medication.antiplatelet"] is True
    assert facts["medication.anticoagulant"] is False  # documented list without one
    # Left out, the medication is unknown - but a drug named among the planned therapies
    # counts as documented for its class.
    facts = _facts(_with(KYPHOPLASTY, prior_therapy={"planned_therapies": ["Apixaban"]}))
    assert facts["medication.anticoagulant"] is True
    assert facts["medication.antiplatelet"] is None
    assert facts["medication.documented"] is False


def test_cabozantinib_before_spinal_surgery_names_the_28_days() -> None:
    # Clear-cell RCC, S1 Bilsky 2 with radicular pain, fit: decompression is proposed.
    doc = {
        "id": "med-cabo",
        "board_date": "2026-11-27",
        "patient": {
            "age": 60,
            "sex": "male",
            "ecog": 1,
            "fit_for_surgery": True,
            "life_expectancy_months": 24,
        },
        "primary": {"site": "kidney", "controlled": True},
        "prior_therapy": {"current_medication": ["Nivolumab", "Cabometyx 40 mg"]},
        "neurology": {"radicular_pain": True, "new_deficit": False, "frankel": "E"},
        "lesions": [
            {
                "id": "S1",
                "region": "spine",
                "level": "S1",
                "type": "lytic",
                "pain": "mechanical",
                "escc_grade": "2",
                "posterolateral": "unilateral",
                "alignment": "normal",
                "collapse": "body_involved_gt_50",
                "symptomatic": True,
            }
        ],
    }
    p = evaluate(parse_case(doc))
    warning = _item(p, "WARN.ANTIANGIOGENIC_SURGERY")
    assert warning.lesion == "S1" and warning.status == "firm"
    assert "Cabozantinib mindestens 28 Tage vorher" in warning.text.de
    assert "dringliche Operation" in warning.text.de  # an emergency does not wait 28 days
    assert "cabometyx-smpc" in warning.sources
    assert "SURG.DECOMPRESSION_STABILIZATION" in _codes(p, "firm")
    # Surgery declined: no operation, so no warning about one.
    doc["patient"]["declines"] = ["surgery"]
    assert "WARN.ANTIANGIOGENIC_SURGERY" not in _codes(evaluate(parse_case(doc)))


MELANOMA: dict[str, Any] = {
    "id": "med-melanoma",
    "board_date": "2026-11-27",
    "patient": {
        "age": 49,
        "sex": "male",
        "ecog": 0,
        "weight_kg": 80,
        "fit_for_surgery": True,
        "life_expectancy_months": 24,
        "hypercalcemia_symptoms": False,
        "hypocalcemia_symptoms": False,
        "dental_exam_done": True,
    },
    "primary": {"site": "melanoma"},
    "visceral_metastases": {"present": True, "pattern": "nodular", "count": 3},
    "bone_metastases": {"vertebral_count": 0, "extraspinal_count": 1},
    "labs": {"calcium_mmol_l": 2.4, "albumin_g_l": 40, "creatinine_umol_l": 80},
    "neurology": {"frankel": "E", "new_deficit": False, "radicular_pain": False},
    "lesions": [
        {
            "id": "HUM",
            "region": "long_bone",
            "bone": "humerus",
            "segment": "diaphyseal",
            "type": "lytic",
            "mirels_pain": "moderate",
            "cortical_involvement": "lt_one_third",
            "pathologic_fracture": False,
            "symptomatic": True,
        }
    ],
}


def test_braf_mek_around_radiotherapy() -> None:
    doc = _with(MELANOMA, prior_therapy={"current_medication": ["Tafinlar", "Mekinist"]})
    p = evaluate(parse_case(doc))
    warning = _item(p, "WARN.BRAF_MEK_RADIOTHERAPY")
    assert warning.text.de.startswith("BRAF-/MEK-Hemmer (Dabrafenib, Trametinib)")
    assert "mindestens 3 Tage vor bis 3 Tage nach" in warning.text.de
    assert "1 Tag" in warning.text.de and warning.sources == ["anker2016"]


def test_braf_mek_is_asked_in_melanoma_only() -> None:
    assert _asks_medication(evaluate(parse_case(MELANOMA)))
    lung = _with(MELANOMA, primary={"site": "lung_nsclc"})
    assert not _asks_medication(evaluate(parse_case(lung)))
    # Named among the planned therapies, the drug counts whatever the primary.
    lung["prior_therapy"] = {"planned_therapies": ["Dabrafenib + Trametinib"]}
    assert "WARN.BRAF_MEK_RADIOTHERAPY" in _codes(evaluate(parse_case(lung)))


@pytest.mark.parametrize(
    ("platelets", "refractory", "expected"),
    [(30, None, "conditional"), (50, None, "firm"), (30, True, None)],
    ids=["raise-first", "enough", "refractory"],
)
def test_low_platelets_keep_cement_augmentation_conditional(
    platelets: float, refractory: bool | None, expected: str | None
) -> None:
    patient: dict[str, Any] = {"life_expectancy_months": 12}
    if refractory is not None:
        patient["platelet_transfusion_refractory"] = refractory
    doc = _with(
        KYPHOPLASTY,
        patient=patient,
        labs={"platelets_10e9_l": platelets},
        prior_therapy={"current_medication": []},
    )
    p = evaluate(parse_case(doc))
    cement = [i for i in p.recommendations if i.code == "IR.CEMENT_AUGMENTATION"]
    if expected is None:
        assert not cement
    else:
        assert [i.status for i in cement] == [expected]
    if expected == "conditional":
        assert [c.fact for c in cement[0].conditions] == ["labs.platelets_raised"]
        assert "mindestens 50 × 10⁹/l" in cement[0].conditions[0].text.de
    # Radiotherapy needs no platelet threshold: it stays.
    assert "RT.SINGLE_8GY" in _codes(p) or "RT.FRACTIONATED" in _codes(p)


def test_spinal_surgery_needs_100() -> None:
    doc = {
        "id": "med-spine-plt",
        "board_date": "2026-11-27",
        "patient": {
            "age": 60,
            "sex": "female",
            "ecog": 1,
            "fit_for_surgery": True,
            "life_expectancy_months": 24,
        },
        "primary": {"site": "breast", "hormone_receptor": "positive"},
        "neurology": {"new_deficit": True, "frankel": "D", "deficit_onset_hours": 12},
        "labs": {"platelets_10e9_l": 80},
        "lesions": [
            {"id": "T9", "region": "spine", "level": "T9", "escc_grade": "3", "symptomatic": True}
        ],
    }
    p = evaluate(parse_case(doc))
    surgery = [i for i in p.recommendations if i.code == "SURG.DECOMPRESSION_STABILIZATION"]
    assert [i.status for i in surgery] == ["conditional"]
    assert "labs.platelets_raised" in [c.fact for c in surgery[0].conditions]
    # The emergency itself stands whatever the count (SPEC §4.1).
    assert "EMERG.MSCC" in _codes(p)
    doc["labs"]["platelets_10e9_l"] = 100
    assert "SURG.DECOMPRESSION_STABILIZATION" in _codes(evaluate(parse_case(doc)), "firm")


def test_a_medication_that_is_not_a_list_is_refused() -> None:
    with pytest.raises(CaseError) as err:
        parse_case(_with(KYPHOPLASTY, prior_therapy={"current_medication": "Apixaban"}))
    assert err.value.lines("de") == [
        "prior_therapy.current_medication: muss eine Liste sein (erhalten 'Apixaban')"
    ]


def test_every_drug_class_has_its_facts_and_a_name_for_every_drug() -> None:
    annotation = Therapy.model_fields["drug_class"].annotation
    literal = next(a for a in get_args(annotation) if a is not type(None))
    assert get_args(literal) == DRUG_CLASSES
    kb = load_knowledge_base()
    for therapy in kb.therapies.values():
        if therapy.drug_class is not None:
            names = kb.facts[f"medication.{therapy.drug_class}_names"].values
            assert therapy.name in names, therapy.name


def _options(doc: dict[str, Any]) -> str:
    case = parse_case(doc)
    return section_text(build_letter(evaluate(case), case), "options")


PAUSE = "bitte nicht selbst absetzen, wir sagen Ihnen, wann"


def test_the_letter_says_the_blood_thinner_is_paused_by_the_team() -> None:
    doc = _with(
        KYPHOPLASTY,
        prior_therapy={"current_medication": ["Marcumar nach INR"]},
        labs={"platelets_10e9_l": 180},
    )
    options = _options(doc)
    assert "Ihr Blutverdünner muss vor dem Eingriff pausiert werden" in options
    assert PAUSE in options
    # Only the sentence for the drug the patient takes.
    assert "Heilung der Wunde" not in options and "Wirkung der Strahlen" not in options
    # Without a blood thinner there is nothing to pause.
    plain = _with(KYPHOPLASTY, prior_therapy={"current_medication": []})
    assert PAUSE not in _options(plain)


def test_the_letter_names_the_pause_around_radiotherapy() -> None:
    options = _options(_with(MELANOMA, prior_therapy={"current_medication": ["Braftovi"]}))
    assert "verstärken die Wirkung der Strahlen" in options and PAUSE in options
    assert "Blutverdünner" not in options


def test_the_protocol_shows_the_medication_as_entered() -> None:
    from osteoboard.render.html import render_protocol_html
    from osteoboard.render.view import protocol_view

    drugs = ["Eliquis 5 mg 1-0-1", "Kräutertee <Hausmittel>"]
    case = parse_case(_with(KYPHOPLASTY, prior_therapy={"current_medication": drugs}))
    p = evaluate(case)
    kb = load_knowledge_base()
    line = "Aktuelle Medikation: Eliquis 5 mg 1-0-1; Kräutertee <Hausmittel>"
    assert protocol_view(p, case, kb)["medication"] == line
    html = render_protocol_html(p, case, kb)
    assert "Kräutertee &lt;Hausmittel&gt;" in html  # kept, shown and escaped
    unknown = parse_case(KYPHOPLASTY)
    assert protocol_view(evaluate(unknown), unknown, kb)["medication"] == ""


@pytest.mark.parametrize(
    ("medication", "dose"),
    [
        (["Xgeva 120 mg s.c. q4w"], "bone_metastasis"),
        (["Prolia 60 mg alle 6 Monate"], "osteoporosis"),
        (["Denosumab"], None),  # the generic name alone says no dose
        (["Xgeva 120 mg", "Prolia 60 mg"], None),  # two doses: the board asks
    ],
)
def test_a_denosumab_product_on_the_medication_names_its_dose(
    medication: list[str], dose: str | None
) -> None:
    doc = _with(
        KYPHOPLASTY,
        prior_therapy={"bone_modifying_agent": "denosumab", "current_medication": medication},
    )
    assert _facts(doc)["prior.bma_dose"] == dose
    # A documented dose is never overridden by the list.
    doc["prior_therapy"]["bone_modifying_agent_dose"] = "osteoporosis"
    assert _facts(doc)["prior.bma_dose"] == "osteoporosis"


def test_a_denosumab_product_gives_no_dose_to_another_agent() -> None:
    doc = _with(
        KYPHOPLASTY,
        prior_therapy={
            "bone_modifying_agent": "zoledronic_acid",
            "current_medication": ["Xgeva 120 mg"],
        },
    )
    assert _facts(doc)["prior.bma_dose"] is None


def test_a_denosumab_product_names_the_agent_when_the_field_is_empty() -> None:
    """ "Xgeva 120 mg" on the medication, the agent not stated: the patient is on denosumab at
    the bone-metastasis dose - not to be started on denosumab and zoledronic acid as well."""
    doc = _with(KYPHOPLASTY, prior_therapy={"current_medication": ["Xgeva 120 mg s.c. q4w"]})
    facts = _facts(doc)
    assert (facts["prior.bma"], facts["prior.bma_dose"]) == ("denosumab", "bone_metastasis")
    assert facts["prior.on_denosumab"] is True
    p = evaluate(parse_case(doc))
    assert not {"BMA.ZOLEDRONIC_ACID", "BMA.DENOSUMAB"} & _codes(p)
    # A documented agent is never overridden by the list.
    doc["prior_therapy"]["bone_modifying_agent"] = "none"
    assert _facts(doc)["prior.bma"] == "none"


@pytest.mark.parametrize(
    ("entry", "agent", "dose"),
    [
        ("Zoledronsäure (Zometa) 4 mg i.v. alle 4 Wochen", "zoledronic_acid", "bone_metastasis"),
        ("Zoledronsäure 4 mg i.v. q4w", "zoledronic_acid", "bone_metastasis"),
        ("Aclasta 5 mg i.v. 1x jährlich", "zoledronic_acid", "osteoporosis"),
        ("Zoledronat i.v.", "zoledronic_acid", None),
        ("Bondronat 6 mg", "ibandronate", "bone_metastasis"),
        ("Bonviva 150 mg 1x/Monat", "ibandronate", "osteoporosis"),
        ("Pamidronat 90 mg", "pamidronate", "bone_metastasis"),
    ],
)
def test_a_bisphosphonate_product_names_the_agent_and_its_dose(
    entry: str, agent: str, dose: str | None
) -> None:
    """A bisphosphonate on the medication list is the current agent (not to be started again,
    nor denosumab beside it); a product sold at one dose names the dose, a generic name does
    not. At the osteoporosis dose (Aclasta, Bonviva) the course at the dose for bone
    metastases starts instead, denosumab among its agents, and the osteoporosis dose ends."""
    doc = _with(KYPHOPLASTY, prior_therapy={"current_medication": [entry]})
    facts = _facts(doc)
    assert (facts["prior.bma"], facts["prior.bma_dose"]) == (agent, dose)
    assert facts["prior.on_bma"] is True
    codes = _codes(evaluate(parse_case(doc)))
    if dose == "osteoporosis":
        assert {"BMA.DENOSUMAB", "WARN.TWO_ANTIRESORPTIVES"} <= codes
    else:
        assert "BMA.DENOSUMAB" not in codes


def test_an_oral_osteoporosis_bisphosphonate_is_no_agent_against_skeletal_events() -> None:
    """Alendronate against osteoporosis does not prevent skeletal events: the agent at the
    dose for bone metastases is proposed, with the warning to stop alendronate then."""
    doc = _with(KYPHOPLASTY, prior_therapy={"current_medication": ["Fosamax 70 mg 1x/Woche"]})
    facts = _facts(doc)
    assert facts["prior.on_bma"] is not True
    assert facts["medication.oral_bisphosphonate_names"] == ["alendronate"]
    p = evaluate(parse_case(doc))
    assert {"BMA.DENOSUMAB", "WARN.TWO_ANTIRESORPTIVES"} <= _codes(p)


def test_an_entry_marked_as_stopped_is_no_current_drug() -> None:
    doc = _with(
        KYPHOPLASTY,
        prior_therapy={"current_medication": ["Xgeva 120 mg abgesetzt 03/2026", "Apixaban 5 mg"]},
    )
    facts = _facts(doc)
    assert facts["prior.bma"] is None  # not read as on denosumab
    assert facts["medication.anticoagulant"] is True
    doc["prior_therapy"]["current_medication"] = ["Eliquis (stopped)"]
    facts = _facts(doc)
    assert facts["medication.anticoagulant"] is False  # documented, without a current one
    assert facts["medication.names"] == []


def test_a_product_names_its_agent_and_dose_together(tmp_path: Any) -> None:
    from tests.kb_copies import edited_copy, load_error

    def change(data: Any) -> None:
        product = next(t for t in data if t["name"] == "denosumab-bone-metastasis-dose")
        del product["bone_modifying_agent"]

    message = load_error(edited_copy(tmp_path, "therapies.yaml", change))
    assert "bone_modifying_agent_dose needs a bone_modifying_agent" in message
