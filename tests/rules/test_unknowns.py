"""Three-valued logic on the rule cases: unknown facts block a rule only when they matter.

A rule whose decisive fact is unknown does not fire and names that input in ``missing_data``;
a rule that the known facts already decide (``false && unknown``, ``true || unknown``, or an
unknown whose every possible value gives the same outcome) stays silent or fires without
asking for it.
"""

from __future__ import annotations

from typing import Any

from osteoboard.case import Case
from osteoboard.engine import evaluate, trace
from tests.rules.test_rules import KB, build


def needed_for(case: Case) -> dict[str, list[str]]:
    return {m.field: m.needed_for for m in evaluate(case, KB).missing_data}


def fired(case: Case) -> set[tuple[str, str | None]]:
    return {(h.rule, h.lesion) for h in trace(case, KB)}


def spine_l2(**fields: Any) -> dict[str, Any]:
    lesion: dict[str, Any] = {
        "id": "L1",
        "region": "spine",
        "level": "L2",
        "type": "lytic",
        "pain": "mechanical",
        "pain_vas": 5,
        "alignment": "normal",
        "collapse": "none",
        "posterolateral": "none",
        "escc_grade": "1a",
        "size_cm": 2.0,
        "pathologic_fracture": False,
        "previously_irradiated": False,
        "symptomatic": True,
        "vertebral_body_involved": True,
    }
    lesion.update(fields)
    return lesion


# --------------------------------------------------------------------------------------------
# the decisive fact is unknown: no firing, the input is reported for that rule


def test_undocumented_dental_status_asks_for_the_exam() -> None:
    # A BMA is to be started (breast, two bone metastases) and no dental exam is documented:
    # the exam and the ONJ warning are proposed (an undocumented exam counts as not done), so
    # the unknown status does not hold them back.
    case = build({"base": "breast", "patch": {"patient": {"dental_exam_done": None}}})
    hits = fired(case)
    assert ("bone_modifying_agents.dental_exam", None) in hits
    assert ("bone_modifying_agents.onj_warning", None) in hits
    users = needed_for(case).get("patient.dental_exam_done", [])
    assert "bone_modifying_agents.dental_exam" not in users


def test_unknown_lesion_type_leaves_sins_6_or_7_open() -> None:
    # L2 (2) + mechanical pain (3) + type unknown (0–2): SINS 5–7, stable or indeterminate.
    case = build({"base": "breast", "patch": {"lesions": [spine_l2(type=None)]}})
    assert ("spine.sins_indeterminate_consult", "L1") not in fired(case)
    assert "spine.sins_indeterminate_consult[L1]" in needed_for(case)["lesions[L1].type"]


def test_unknown_sex_with_clearance_straddling_60_gives_one_open_dose_item() -> None:
    # Creatinine 105 µmol/L: about 55 mL/min for a woman, 65 for a man. Neither band holds for
    # the whole range, so neither gives a dose; the one item waits for the missing input
    # (the sex is reported as missing data; the text names no input one by one).
    case = build(
        {"base": "breast", "patch": {"patient": {"sex": None}, "labs": {"creatinine_umol_l": 105}}}
    )
    hits = fired(case)
    assert ("bone_modifying_agents.zoledronic_acid_4_0", None) not in hits
    assert ("bone_modifying_agents.zoledronic_acid_3_5", None) not in hits
    assert ("bone_modifying_agents.zoledronic_acid_dose_open", None) in hits
    assert "patient.sex" in needed_for(case)
    proposal = evaluate(case, KB)
    [item] = [r for r in proposal.recommendations if r.code == "BMA.ZOLEDRONIC_ACID"]
    assert "55,4–65,2" in item.text.de and "fehlenden Angaben" in item.text.de
    assert "Geschlecht" not in item.text.de  # never re-asks what is documented


def test_unknown_radium_blood_count_blocks_the_warning() -> None:
    # Radium-223 eligible; neutrophils unknown while platelets and haemoglobin are fine.
    case = build({"base": "prostate", "patch": {"labs": {"neutrophils_10e9_l": None}}})
    assert ("nuclear_medicine.ra223_blood_count", None) not in fired(case)
    assert "nuclear_medicine.ra223_blood_count" in needed_for(case)["labs.neutrophils_10e9_l"]


# --------------------------------------------------------------------------------------------
# the unknown fact cannot change the outcome: silent (or firing) without asking for it


def test_false_and_unknown_is_silent_without_missing_data() -> None:
    # Solitary metastasis, no BMA indicated (def.bma_start false): the dental status is
    # irrelevant, so neither rule fires nor asks for it.
    case = build({"base": "renal_solitary", "patch": {"patient": {"dental_exam_done": None}}})
    hits = fired(case)
    assert ("bone_modifying_agents.dental_exam", None) not in hits
    assert ("bone_modifying_agents.onj_warning", None) not in hits
    users = needed_for(case).get("patient.dental_exam_done", [])
    assert "bone_modifying_agents.dental_exam" not in users
    assert "bone_modifying_agents.onj_warning" not in users


def test_castration_sensitive_makes_taxane_status_irrelevant() -> None:
    # castration_resistant is false, so `… && prior.taxane_received` is false either way.
    case = build(
        {
            "base": "prostate",
            "patch": {
                "primary": {"castration_status": "sensitive"},
                "prior_therapy": {"taxane_received": None},
            },
        }
    )
    hits = fired(case)
    assert ("board.clinical_trial_exhausted", None) not in hits
    assert ("nuclear_medicine.lu177_psma", None) not in hits
    users = needed_for(case).get("prior_therapy.taxane_received", [])
    assert "board.clinical_trial_exhausted" not in users
    assert "nuclear_medicine.lu177_psma" not in users


def test_true_or_unknown_fires_without_missing_data() -> None:
    # A new deficit is MSCC whatever the (unrecorded) radicular pain.
    case = build(
        {
            "base": "breast",
            "patch": {
                "neurology": {
                    "frankel": "D",
                    "new_deficit": True,
                    "deficit_onset_hours": 10,
                    "radicular_pain": None,
                    "whole_spine_mri_done": False,
                }
            },
        }
    )
    hits = fired(case)
    assert ("emerg.mscc_suspected", None) in hits
    assert ("emerg.mscc_dexamethasone", None) in hits
    users = needed_for(case).get("neurology.radicular_pain", [])
    assert "emerg.mscc_suspected" not in users
    assert "emerg.mscc_dexamethasone" not in users


def test_unknown_sex_with_clearance_above_60_either_way_still_doses_4_mg() -> None:
    # Creatinine 70 µmol/L: about 83 mL/min for a woman, 98 for a man — both above 60.
    case = build({"base": "breast", "patch": {"patient": {"sex": None}}})
    assert ("bone_modifying_agents.zoledronic_acid_4_0", None) in fired(case)
    assert "bone_modifying_agents.zoledronic_acid_4_0" not in needed_for(case)["patient.sex"]


def zoledronic_acid_items(case: Case) -> list[Any]:
    return [r for r in evaluate(case, KB).recommendations if r.code == "BMA.ZOLEDRONIC_ACID"]


def test_open_calcium_on_zoledronic_acid_keeps_the_renal_dose_conditional() -> None:
    # Myeloma on zoledronic acid, clearance 44.8 mL/min (creatinine 160 µmol/L), calcium not
    # measured: hypercalcaemia on a bisphosphonate (which would switch to denosumab) is open,
    # the dose band is not - the 3.3 mg dose stays, on condition, and calcium is asked for.
    case = build(
        {"base": "myeloma", "patch": {"labs": {"creatinine_umol_l": 160, "calcium_mmol_l": None}}}
    )
    [item] = zoledronic_acid_items(case)
    assert item.rule == "bone_modifying_agents.zoledronic_acid_3_3"
    assert item.status == "conditional"
    assert {c.fact for c in item.conditions} <= {
        "labs.calcium_corrected_mmol_l",
        "patient.hypercalcemia_symptoms",
    }
    assert "3,3 mg" in item.text.de
    assert "bone_modifying_agents.zoledronic_acid_3_3" in needed_for(case)["labs.calcium_mmol_l"]


def test_measured_calcium_on_zoledronic_acid_makes_the_renal_dose_firm() -> None:
    case = build({"base": "myeloma", "patch": {"labs": {"creatinine_umol_l": 160}}})
    [item] = zoledronic_acid_items(case)
    assert (item.rule, item.status) == ("bone_modifying_agents.zoledronic_acid_3_3", "firm")


def test_open_prognosis_keeps_the_dose_of_a_new_course_conditional() -> None:
    # Renal cell carcinoma, two bone metastases, no bisphosphonate yet, clearance 87 mL/min:
    # the agent depends on an expected survival of 3 months or more, which is open (no team
    # estimate, performance status and visceral spread not recorded).
    case = build(
        {
            "base": "kidney",
            "patch": {
                "patient": {"life_expectancy_months": None, "ecog": None, "karnofsky": None},
                "prior_therapy": {"bone_modifying_agent": "none"},
                "visceral_metastases": {
                    "present": None,
                    "pattern": None,
                    "count": None,
                    "removable": None,
                    "treatable": None,
                    "brain": None,
                },
            },
        }
    )
    assert evaluate(case, KB).prognosis.possible_bands == ["short", "intermediate"]
    [item] = zoledronic_acid_items(case)
    assert item.rule == "bone_modifying_agents.zoledronic_acid_4_0"
    assert item.status == "conditional"
    assert [c.fact for c in item.conditions] == ["prognosis.band"]


def test_open_band_that_cannot_be_short_decides_what_it_can() -> None:
    # No team estimate and visceral status unrecorded: Katagiri 3–5 and Bauer 1–2 leave the
    # band open between intermediate and long, but it cannot be short.
    case = build(
        {
            "base": "prostate",
            "patch": {
                "patient": {"life_expectancy_months": None},
                "visceral_metastases": {"present": None, "brain": None, "count": None},
                "prior_therapy": {"chemotherapy": False},
                "labs": {"crp_mg_l": 3},
            },
        }
    )
    proposal = evaluate(case, KB)
    assert proposal.prognosis.band is None
    assert "short" not in proposal.prognosis.possible_bands
    hits = fired(case)
    # "Not short" is decided: the short-prognosis rule is silent and needs nothing.
    assert ("spine.radiosensitive_rt_short", "L4") not in hits
    for users in needed_for(case).values():
        assert "spine.radiosensitive_rt_short[L4]" not in users
    # Fractionation of a painful lesion without compression needs a long band, which is still
    # open: the rule waits for the data that decides it.
    assert ("spine.radiosensitive_rt_fractionated", "L4") not in hits
    assert any("spine.radiosensitive_rt_fractionated[L4]" in u for u in needed_for(case).values())


# --------------------------------------------------------------------------------------------
# a missing weight: the clearance is the range over the plausible weights


def _bma_items(case: Case) -> dict[str, set[str]]:
    """Code → statuses of the bone-modifying-agent items and warnings of a proposal."""
    p = evaluate(case, KB)
    out: dict[str, set[str]] = {}
    for item in [*p.recommendations, *p.warnings]:
        if item.code.startswith(("BMA.", "WARN.")):
            out.setdefault(item.code, set()).add(item.status.value)
    return out


def test_missing_weight_with_clearance_below_30_for_every_weight_is_firm() -> None:
    # Woman, 58 years, creatinine 600 µmol/L: 5.7–21.4 mL/min over 40–150 kg.
    case = build(
        {
            "base": "breast",
            "patch": {"patient": {"weight_kg": None}, "labs": {"creatinine_umol_l": 600}},
        }
    )
    items = _bma_items(case)
    assert items["WARN.RENAL_BISPHOSPHONATE"] == {"firm"}
    assert items["BMA.DENOSUMAB"] == {"firm"}
    assert items["WARN.HYPOCALCEMIA_DENOSUMAB"] == {"firm"}
    assert "BMA.ZOLEDRONIC_ACID" not in items
    assert ("bone_modifying_agents.denosumab_renal", None) in fired(case)
    # A documented weight gives the same decisions from one value.
    weighed = build({"base": "breast", "patch": {"labs": {"creatinine_umol_l": 600}}})
    assert _bma_items(weighed)["WARN.RENAL_BISPHOSPHONATE"] == {"firm"}
    assert "patient.weight_kg" not in needed_for(weighed)


def test_missing_weight_with_clearance_straddling_30_warns_and_keeps_zoledronic_open() -> None:
    # Woman, 58 years, creatinine 250 µmol/L: 13.7–51.4 mL/min over 40–150 kg.
    case = build(
        {
            "base": "breast",
            "patch": {"patient": {"weight_kg": None}, "labs": {"creatinine_umol_l": 250}},
        }
    )
    p = evaluate(case, KB)
    warn = next(w for w in p.warnings if w.code == "WARN.RENAL_BISPHOSPHONATE")
    assert warn.status.value == "firm"  # harm-preventing: any plausible weight may need it
    assert [c.fact for c in warn.conditions] == ["labs.crcl_ml_min"]
    assert "< 30" in warn.conditions[0].text.en
    assert _bma_items(case)["BMA.ZOLEDRONIC_ACID"] == {"conditional"}
    assert "BMA.DENOSUMAB" in _bma_items(case)
    assert "bone_modifying_agents.renal_bisphosphonate" in needed_for(case)["patient.weight_kg"]
    # Near miss: a documented weight of 68 kg gives 23.3 mL/min – no longer open.
    weighed = build({"base": "breast", "patch": {"labs": {"creatinine_umol_l": 250}}})
    assert _bma_items(weighed)["WARN.RENAL_BISPHOSPHONATE"] == {"firm"}
    assert "BMA.ZOLEDRONIC_ACID" not in _bma_items(weighed)


def test_a_thin_referral_on_zoledronic_acid_with_failing_kidneys_gets_the_renal_warning() -> None:
    """Site and sex not given, so the clearance is a range and the agent's definitions stay
    open on many facts; the warning must still be found (enough runs to find a completion)."""
    from osteoboard.caseio import parse_case
    from osteoboard.engine import evaluate

    p = evaluate(
        parse_case(
            {
                "id": "thin-renal",
                "board_date": "2026-11-20",
                "patient": {"age": 41, "weight_kg": 70, "hypercalcemia_symptoms": True},
                "primary": {"controlled": True},
                "bone_metastases": {"vertebral_count": 0},
                "prior_therapy": {"chemotherapy": True, "bone_modifying_agent": "zoledronic_acid"},
                "labs": {"creatinine_umol_l": 420, "ldh_u_l": 300, "hemoglobin_g_dl": 12.5},
                "neurology": {"new_deficit": True, "mscc_suspected": True},
                "lesions": [
                    {"id": "S0", "region": "spine", "level": "L1", "collapse": "lt_50"},
                    {"id": "B0", "region": "long_bone", "type": "lytic", "symptomatic": True},
                    {"id": "O0", "region": "skull", "size_cm": 2.5},
                ],
            }
        )
    )
    warnings = {w.code: w.status for w in p.warnings}
    assert warnings.get("WARN.RENAL_BISPHOSPHONATE") == "firm"
