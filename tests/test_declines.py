"""The patient's informed refusal of a treatment (``patient.declines``), end to end: the case
field and its errors, the proposal (nothing declined is proposed, the refusal is recorded, the
alternatives follow, emergencies stay), the protocol and the patient letter, for the referral
case ``tests/cases/041-…`` and variants of it; and the guarantee that a case without a
documented refusal is read exactly as before."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from osteoboard.case import BoneModifyingAgent, Case, Treatment
from osteoboard.caseio import CaseError, load_case, parse_case
from osteoboard.cli import app
from osteoboard.engine import evaluate
from osteoboard.guideline import load_knowledge_base
from osteoboard.proposal import ItemStatus, Proposal
from osteoboard.render.letter import build_letter
from osteoboard.render.view import protocol_view
from tests.test_pregnancy_and_jaw_osteonecrosis import facts_named
from tests.test_referral_cases import CASE_FILES, referral

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = sorted((ROOT / "examples").glob("*.yaml"))
FEMUR = ROOT / "tests" / "cases" / "041-breast-femur-impending-surgery-declined.yaml"
KB = load_knowledge_base()

#: Per declined treatment, the actions kb.yaml keeps out (treatment_conditions).
KEPT_OUT = {
    t.treatment.when.removeprefix("!patient.declines_"): set(t.treatment.actions)
    for t in KB.treatment_conditions
    if t.treatment.when.startswith("!patient.declines_")
}
REFUSAL = {
    "surgery": "BOARD.DECLINED_SURGERY",
    "radiotherapy": "BOARD.DECLINED_RADIOTHERAPY",
    "bone_modifying_agent": "BOARD.DECLINED_BONE_MODIFYING_AGENT",
    "systemic_therapy": "BOARD.DECLINED_SYSTEMIC_THERAPY",
}
DECLINE_FACTS = {f"patient.declines_{t.value}" for t in Treatment}
#: Warnings and checks that matter only while a bone-modifying agent is given.
AGENT_ONLY = {
    "DX.DENTAL_EXAM",
    "WARN.ONJ_DENTAL",
    "WARN.RENAL_BISPHOSPHONATE",
    "WARN.HYPOCALCEMIA_DENOSUMAB",
    "BMA.CALCIUM_VITAMIN_D",
}


def _items(p: Proposal) -> list[Any]:
    return [*p.emergencies, *p.recommendations, *p.warnings]


def _codes(p: Proposal) -> set[str]:
    return {i.code for i in _items(p)}


def _firm(p: Proposal) -> set[str]:
    return {i.code for i in _items(p) if i.status in (ItemStatus.firm, ItemStatus.confirmed)}


def _item(p: Proposal, code: str, lesion: str | None = None) -> Any:
    (found,) = [i for i in _items(p) if i.code == code and i.lesion == lesion]
    return found


def _case(doc: dict[str, Any]) -> Case:
    return parse_case({"id": "declines-test", "board_date": "2026-11-20", **doc})


def _femur(*declines: str, **patient: Any) -> Case:
    case = referral(FEMUR).case
    update = {"declines": list(declines) or None, **patient}
    return case.model_copy(update={"patient": case.patient.model_copy(update=update)})


#: Cord compression confirmed at T8 (Bilsky 2, Frankel D since yesterday), fit for surgery.
MSCC: dict[str, Any] = {
    "patient": {"age": 64, "sex": "female", "ecog": 1, "fit_for_surgery": True},
    "primary": {"site": "breast", "hormone_receptor": "positive", "her2": "negative"},
    "neurology": {"frankel": "D", "new_deficit": True, "deficit_onset_hours": 20},
    "lesions": [
        {"id": "L1", "region": "spine", "level": "T8", "type": "lytic", "escc_grade": "2",
         "pain": "non_mechanical", "pain_vas": 6, "symptomatic": True},
    ],
}  # fmt: skip


def _mscc(*declines: str, **patient: Any) -> Case:
    doc = {**MSCC, "patient": {**MSCC["patient"], **patient, "declines": list(declines)}}
    return _case(doc)


# --- the case field -------------------------------------------------------------------------


def test_the_field_reads_a_list_of_treatments() -> None:
    case = _case({"patient": {"declines": ["surgery", "bone_modifying_agent"]}})
    assert case.patient.declines == [Treatment.surgery, Treatment.bone_modifying_agent]
    assert _case({}).patient.declines is None


@pytest.mark.parametrize(
    ("declines", "german"),
    [
        (
            ["surgery", "surgery"],
            "patient.declines: 'surgery' steht zweimal in der Liste; jede Behandlung nur "
            "einmal nennen",
        ),
        (
            ["operation"],
            "patient.declines[0]: muss einer dieser Werte sein: 'surgery', 'radiotherapy', "
            "'bone_modifying_agent' oder 'systemic_therapy' (erhalten 'operation'); meinten "
            "Sie 'surgery'?",
        ),
        ("surgery", "patient.declines: muss eine Liste sein (erhalten 'surgery')"),
    ],
    ids=["twice", "german-word", "not-a-list"],
)
def test_a_wrong_list_is_refused_in_german(tmp_path: Path, declines: Any, german: str) -> None:
    import yaml

    path = tmp_path / "case.yaml"
    path.write_text(yaml.safe_dump({"id": "x", "patient": {"declines": declines}}), "utf-8")
    result = CliRunner().invoke(app, ["evaluate", str(path)])
    assert result.exit_code == 2
    assert result.stderr.strip() == f"Fehler: {german}"
    with pytest.raises(CaseError):
        load_case(path)


# --- nothing declined is proposed, the refusal is recorded -----------------------------------


@pytest.mark.parametrize("treatment", sorted(REFUSAL))
def test_a_declined_treatment_is_never_proposed_and_its_refusal_is_recorded(
    treatment: str,
) -> None:
    for case in (_femur(treatment), _mscc(treatment)):
        p = evaluate(case)
        assert not _codes(p) & KEPT_OUT[treatment], sorted(_codes(p) & KEPT_OUT[treatment])
        assert REFUSAL[treatment] in _firm(p)
        refusal = _item(p, REFUSAL[treatment])
        assert "bleibt offen" in refusal.text.de
        assert "einwilligungsfähig" in refusal.text.de
        assert {"bgb630", "s3-palliative2020"} <= set(refusal.sources)
        # Only the refusal that is documented is recorded.
        others = set(REFUSAL.values()) - {REFUSAL[treatment]}
        assert not _codes(p) & others


DOCUMENTED = [*EXAMPLES, *CASE_FILES]


@pytest.mark.parametrize("treatment", sorted(REFUSAL))
def test_every_case_keeps_its_emergencies_and_drops_what_is_declined(treatment: str) -> None:
    """Over every example and referral case: the declined treatment's actions are gone, the
    refusal is recorded, and the emergencies with dexamethasone and the urgent MRI are the same
    as without the refusal."""
    urgent_care = {"SUP.DEXAMETHASONE", "DX.MRI_WHOLE_SPINE_URGENT"}
    for path in DOCUMENTED:
        case = load_case(path) if path.parent.name == "examples" else referral(path).case
        before = evaluate(case)
        declined = case.model_copy(
            update={"patient": case.patient.model_copy(update={"declines": [treatment]})}
        )
        after = evaluate(declined)
        assert not _codes(after) & KEPT_OUT[treatment], (
            path.name,
            _codes(after) & KEPT_OUT[treatment],
        )
        assert REFUSAL[treatment] in _firm(after), path.name
        emergencies = {(e.code, e.lesion, e.status) for e in before.emergencies}
        assert {(e.code, e.lesion, e.status) for e in after.emergencies} == emergencies, path.name
        kept = {(i.code, i.status) for i in _items(before) if i.code in urgent_care}
        assert kept == {(i.code, i.status) for i in _items(after) if i.code in urgent_care}


def test_the_undeclined_case_proposes_what_the_refusal_takes_away() -> None:
    """The referral case without the refusal: fixation, radiotherapy after it, no refusal."""
    p = evaluate(_femur())
    assert {"SURG.INTRAMEDULLARY_NAIL", "SURG.PROPHYLACTIC_FIXATION", "RT.POSTOP"} <= _firm(p)
    assert not _codes(p) & set(REFUSAL.values())


# --- surgery declined: the alternatives of a patient unfit for surgery -----------------------


def test_surgery_declined_gives_radiotherapy_with_walking_aids_for_an_impending_fracture() -> None:
    declined = evaluate(_femur("surgery"))
    unfit = evaluate(_femur(fit_for_surgery=False))
    rt = _item(declined, "RT.SINGLE_8GY", "FEM-L")
    assert rt.status is ItemStatus.firm
    assert rt.rule == "long_bone.mirels_high_unfit_rt"
    assert "Gehhilfen" in rt.text.de and "abgelehnt" in rt.text.de
    assert ("patient.declines_surgery", True) in {(b.fact, b.value) for b in rt.because}
    # The same plan as for a patient not fit for surgery, bar the refusal item.
    assert _codes(declined) - {"BOARD.DECLINED_SURGERY"} == _codes(unfit)
    # The surgeon still advises (off-loading, what the refusal means).
    assert "SURG.ORTHO_CONSULT" in _firm(declined)
    # Operability no longer decides anything: it is not asked.
    assert "patient.fit_for_surgery" not in {q.fact for q in declined.questions}


def test_surgery_declined_keeps_the_emergency_and_irradiates_the_compression() -> None:
    p = evaluate(_mscc("surgery"))
    assert {"EMERG.MSCC", "SUP.DEXAMETHASONE"} <= _firm(p)
    rt = _item(p, "RT.MSCC", "L1")
    assert rt.status is ItemStatus.firm
    assert rt.rule == "emerg.mscc_radiotherapy_unfit"
    assert "Operation abgelehnt" in rt.text.de
    assert "SURG.DECOMPRESSION_STABILIZATION" not in _codes(p)
    assert "RT.POSTOP" not in _codes(p)


def test_surgery_declined_at_an_unstable_segment_offers_cement_and_radiotherapy() -> None:
    doc = {
        **MSCC,
        "patient": {**MSCC["patient"], "declines": ["surgery"]},
        "neurology": {"frankel": "E", "new_deficit": False, "radicular_pain": False},
        "lesions": [
            {"id": "L1", "region": "spine", "level": "T12", "type": "lytic",
             "pain": "mechanical", "pain_vas": 7, "alignment": "de_novo_deformity",
             "collapse": "lt_50", "posterolateral": "unilateral", "escc_grade": "1a",
             "symptomatic": True, "vertebral_body_involved": True},
        ],
    }  # fmt: skip
    p = evaluate(_case(doc))
    assert {"EMERG.SPINAL_INSTABILITY", "SURG.SPINE_CONSULT"} <= _firm(p)
    assert "IR.CEMENT_AUGMENTATION" in _codes(p)
    assert "RT.SINGLE_8GY" in _firm(p)
    assert not {"SURG.SPINE_STABILIZATION", "RT.POSTOP"} & _codes(p)


# --- radiotherapy declined: surgery where indicated, ablation, analgesia ---------------------


def test_radiotherapy_declined_operates_on_the_compression_without_radiotherapy_after() -> None:
    p = evaluate(_mscc("radiotherapy"))
    assert {"EMERG.MSCC", "SUP.DEXAMETHASONE"} <= _firm(p)
    surgery = _item(p, "SURG.DECOMPRESSION_STABILIZATION", "L1")
    assert surgery.rule == "emerg.mscc_surgery_radiotherapy_declined"
    assert "Bestrahlung ist abgelehnt" in surgery.text.de
    assert not {"RT.MSCC", "RT.POSTOP"} & _codes(p)


def test_radiotherapy_declined_operates_on_a_radiosensitive_compression_too() -> None:
    doc = {**MSCC, "primary": {"site": "lymphoma"}}
    irradiated = evaluate(_case(doc))
    # Irradiated, not operated - unless the segment proves unstable (SINS open here).
    assert "SURG.DECOMPRESSION_STABILIZATION" not in _firm(irradiated)
    for item in irradiated.recommendations:
        if item.code == "SURG.DECOMPRESSION_STABILIZATION":
            assert "lesion.sins" in {c.fact for c in item.conditions}, item.conditions
    # The emergency radiotherapy is the branch of a stable segment (SINS below 13).
    (rt,) = [i for i in irradiated.recommendations if i.code == "RT.MSCC"]
    assert rt.status is ItemStatus.firm or "lesion.sins" in {c.fact for c in rt.conditions}
    doc["patient"] = {**MSCC["patient"], "declines": ["radiotherapy"]}
    operated = evaluate(_case(doc))
    assert "SURG.DECOMPRESSION_STABILIZATION" in _firm(operated)


def test_surgery_and_radiotherapy_declined_still_name_the_emergency() -> None:
    doc = {**MSCC, "neurology": {"new_deficit": True}, "lesions": []}
    doc["patient"] = {**MSCC["patient"], "declines": ["surgery", "radiotherapy"]}
    p = evaluate(_case(doc))
    assert {i.code for i in p.emergencies} == {"EMERG.MSCC"}
    assert {"SUP.DEXAMETHASONE", "DX.MRI_WHOLE_SPINE_URGENT"} <= _firm(p)
    assert not {c for c in _codes(p) if c.startswith(("RT.", "SURG.DECOMP"))}
    assert {"BOARD.DECLINED_SURGERY", "BOARD.DECLINED_RADIOTHERAPY"} <= _firm(p)


def test_radiotherapy_declined_offers_ablation_for_a_painful_lesion() -> None:
    p = evaluate(_case({**MSCC, "neurology": {"frankel": "E", "new_deficit": False,
                                              "radicular_pain": False},
                        "patient": {**MSCC["patient"], "declines": ["radiotherapy"]},
                        "lesions": [{"id": "R1", "region": "rib", "type": "lytic",
                                     "pain_vas": 6, "symptomatic": True}]}))  # fmt: skip
    ablation = _item(p, "IR.THERMAL_ABLATION", "R1")
    assert ablation.status is ItemStatus.firm
    assert "Bestrahlung ist abgelehnt" in ablation.text.de
    assert "SUP.ANALGESIA" in _firm(p)
    assert not {c for c in _codes(p) if c.startswith("RT.")}


# --- bone-modifying agents declined: no agent, none of its warnings --------------------------


def test_agents_declined_take_their_checks_and_warnings_with_them() -> None:
    proposed = evaluate(_femur())
    assert {"BMA.DENOSUMAB", "DX.DENTAL_EXAM", "WARN.ONJ_DENTAL"} <= _codes(proposed)
    p = evaluate(_femur("bone_modifying_agent"))
    assert not {c for c in _codes(p) if c.startswith("BMA.")}
    assert not _codes(p) & AGENT_ONLY
    assert "BOARD.DECLINED_BONE_MODIFYING_AGENT" in _firm(p)


def test_agents_declined_on_denosumab_explain_the_rebound() -> None:
    case = _femur("bone_modifying_agent")
    case = case.model_copy(
        update={
            "prior_therapy": case.prior_therapy.model_copy(
                update={"bone_modifying_agent": BoneModifyingAgent.denosumab}
            )
        }
    )
    p = evaluate(case)
    refusal = _item(p, "BOARD.DECLINED_BONE_MODIFYING_AGENT")
    assert refusal.rule == "board.declined_bone_modifying_agent_denosumab"
    assert "Rebound" in refusal.text.de
    assert not {"BMA.DENOSUMAB", "BMA.DENOSUMAB_REBOUND_PREVENTION"} & _codes(p)
    assert "WARN.HYPOCALCEMIA_DENOSUMAB" not in _codes(p)


def test_agents_declined_keep_the_hypercalcaemia_emergency_without_them() -> None:
    doc: dict[str, Any] = {
        "patient": {"age": 70, "sex": "female", "weight_kg": 70, "hypercalcemia_symptoms": True},
        "primary": {"site": "breast"},
        "labs": {"calcium_mmol_l": 3.6, "albumin_g_l": 40, "creatinine_umol_l": 90},
    }
    proposed = evaluate(_case(doc))
    assert "Denosumab" in _item(proposed, "EMERG.HYPERCALCEMIA").text.de
    doc["patient"]["declines"] = ["bone_modifying_agent"]
    p = evaluate(_case(doc))
    emergency = _item(p, "EMERG.HYPERCALCEMIA")
    assert emergency.rule == "emerg.hypercalcemia_bma_declined"
    assert "Calcitonin" in emergency.text.de
    assert "einmalige Gabe" in emergency.text.de
    assert not {c for c in _codes(p) if c.startswith("BMA.")}


# --- systemic therapy declined -----------------------------------------------------------------


def test_systemic_therapy_declined_irradiates_myeloma_pain_at_once() -> None:
    doc: dict[str, Any] = {
        "patient": {"age": 66, "sex": "male", "ecog": 1},
        "primary": {"site": "myeloma"},
        "myeloma": {"stage": "active", "prior_lines": 0, "crab": {"bone": True}},
        "lesions": [
            {"id": "L1", "region": "spine", "level": "L1", "type": "lytic", "pain": "mechanical",
             "pain_vas": 7, "escc_grade": "0", "symptomatic": True},
        ],
    }  # fmt: skip
    waits = evaluate(_case(doc))
    assert _item(waits, "RT.SINGLE_8GY", "L1").rule == "myeloma.rt_pain_persisting"
    assert "MM.START_OR_SWITCH_THERAPY" in _codes(waits)
    doc["patient"]["declines"] = ["systemic_therapy"]
    p = evaluate(_case(doc))
    assert _item(p, "RT.SINGLE_8GY", "L1").rule == "radiotherapy.painful_single_fraction"
    assert "MM.START_OR_SWITCH_THERAPY" not in _codes(p)
    assert "BOARD.DECLINED_SYSTEMIC_THERAPY" in _firm(p)


def test_systemic_therapy_declined_keeps_palliative_care() -> None:
    p = evaluate(_femur("systemic_therapy"))
    assert not {c for c in _codes(p) if c.startswith("SYS.")}
    assert {"SUP.PALLIATIVE_CARE", "BMA.DENOSUMAB"} <= _codes(p)


# --- protocol and letter -----------------------------------------------------------------------


def test_the_protocol_shows_the_refusal_among_the_case_facts() -> None:
    from osteoboard.render.html import render_protocol_html

    case = _femur("surgery", "radiotherapy")
    p = evaluate(case)
    view = protocol_view(p, case, KB)
    assert view["declined"] == "Nach Aufklärung abgelehnt: Operation und Strahlentherapie"
    html = render_protocol_html(p, case, KB)
    assert "Nach Aufklärung abgelehnt: Operation und Strahlentherapie" in html
    assert protocol_view(evaluate(_femur()), _femur(), KB)["declined"] == ""


def _letter_text(case: Case) -> tuple[str, list[str], set[str]]:
    letter = build_letter(evaluate(case), case, KB)
    steps = [item for step in letter.personal.steps for item in step.items]
    blocks = {b.id for s in letter.sections for b in s.blocks}
    return " ".join(letter.plain_text().split()), steps, blocks


def test_the_letter_does_not_plan_the_declined_operation_and_keeps_the_offer_open() -> None:
    text, steps, blocks = _letter_text(_femur())
    assert any("Metall-Nagel" in s for s in steps)
    assert "surgery_long_bone" in blocks and "declined" not in blocks
    text, steps, blocks = _letter_text(_femur("surgery"))
    for words in ("Metall-Nagel", "Operation zum Stützen", "Bestrahlung nach der Operation"):
        assert words not in text, words
    assert "surgery_long_bone" not in blocks and "declined" in blocks
    assert any("Entscheidung gegen eine Operation" in s for s in steps)
    assert "Das Angebot bleibt bestehen. Sie können sich jederzeit anders entscheiden." in text
    # Long expected survival: the bone that is not fixed is irradiated in fractions, with the
    # single fraction as the alternative.
    assert "Bestrahlung gegen Schmerzen in mehreren Sitzungen oder in einer Sitzung" in " ".join(
        steps
    )


def test_the_letter_of_a_fracture_without_operation_promises_none() -> None:
    case = _femur("surgery")
    lesion = case.lesions[0].model_copy(update={"pathologic_fracture": True})
    case = case.model_copy(update={"lesions": [lesion]})
    text, _, blocks = _letter_text(case)
    assert "emergency_fracture_instability" in blocks
    assert "operiert" not in text.replace("nicht operiert werden", "")
    assert "Ohne Operation heilt ein solcher Bruch oft nur schlecht." in text


# --- not documented: read exactly as before ------------------------------------------------------


#: Every referral that documents no refusal (041 was written for one; later referrals that
#: document one are left out by the check).
UNDOCUMENTED = [
    *EXAMPLES,
    *(p for p in CASE_FILES if p != FEMUR and referral(p).case.patient.declines is None),
]


@pytest.mark.parametrize("path", UNDOCUMENTED, ids=lambda p: p.name)
def test_an_undocumented_refusal_is_never_named(path: Path) -> None:
    case = load_case(path) if path.parent.name == "examples" else referral(path).case
    assert case.patient.declines is None
    p = evaluate(case)
    assert not set(facts_named(p)) & DECLINE_FACTS
    assert not _codes(p) & set(REFUSAL.values())
    # An empty list documents no refusal: the same proposal, byte for byte.
    empty = case.model_copy(update={"patient": case.patient.model_copy(update={"declines": []})})
    assert evaluate(empty).model_dump_json() == p.model_dump_json()


def test_a_drafted_agent_meets_the_refusal() -> None:
    from osteoboard.cds.orders import check_order, load_order_rules

    for agent in ("zoledronic_acid", "denosumab"):
        check = check_order(
            _femur("bone_modifying_agent"),
            {"resourceType": "MedicationRequest"},
            BoneModifyingAgent(agent),
            KB,
            load_order_rules(KB),
        )
        assert "BOARD.DECLINED_BONE_MODIFYING_AGENT" in {item.code for item in check.items}
        assert check.dose is None, "no dose is suggested for an agent the patient declined"
