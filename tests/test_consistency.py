"""The consistency check: every check catches its contradiction and passes a coherent proposal,
and the engine's proposals for the examples, the rule cases and generated cases hang together.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest

from osteoboard.case import Case
from osteoboard.caseio import load_case, parse_case
from osteoboard.consistency import CHECKS, Inconsistency, check
from osteoboard.engine import evaluate
from osteoboard.proposal import Because, Priority, Proposal, Recommendation, Warning
from osteoboard.text import Text
from tests.rules.test_rules import ENTRIES, build, entry_id

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = sorted((ROOT / "examples").glob("*.yaml"))

#: An evaluated proposal to patch: it brings a prognosis and the case-level scores.
BASE = evaluate(Case(id="consistency-base"))


def item(
    code: str,
    lesion: str | None = None,
    *,
    because: dict[str, Any] | None = None,
    status: str | None = None,
    rule: str | None = None,
    en: str = "",
) -> Recommendation | Warning:
    facts = [Because(fact=k, value=v) for k, v in (because or {}).items()]
    common: dict[str, Any] = {
        "code": code,
        "lesion": lesion,
        "text": Text(de=en, en=en),
        "because": facts,
        "sources": [],
        "rule": rule or f"test.{code.lower()}",
    }
    made: Recommendation | Warning
    if code.startswith("WARN."):
        made = Warning(**common)
    else:
        discipline = "emergency" if code.startswith("EMERG.") else code.split(".")[0].lower()
        made = Recommendation(
            **common, discipline=discipline, priority=Priority.soon, strength="strong"
        )
    # The status field is being added to the contract; until then it rides along as an
    # attribute, which is what the checker reads.
    return made.model_copy(update={"status": status}) if status else made


def proposal(*items: Recommendation | Warning, crcl: Any = None) -> Proposal:
    update: dict[str, Any] = {
        "emergencies": [i for i in items if i.code.startswith("EMERG.")],
        "recommendations": [
            i for i in items if isinstance(i, Recommendation) and not i.code.startswith("EMERG.")
        ],
        "warnings": [i for i in items if isinstance(i, Warning)],
    }
    if crcl is not None:
        scores = []
        for s in BASE.scores:
            if s.name == "crcl_cockcroft_gault":
                total, low_high = (
                    (crcl, (crcl, crcl)) if not isinstance(crcl, tuple) else (None, crcl)
                )
                s = dataclasses.replace(s, total=total, range=low_high)
            scores.append(s)
        update["scores"] = scores
    return BASE.model_copy(update=update)


def case(**blocks: Any) -> Case:
    return parse_case({"id": "consistency-case", **blocks})


def found(p: Proposal, c: Case | None = None) -> list[str]:
    return [i.code for i in check(p, c)]


def spine(ident: str, escc: str) -> dict[str, Any]:
    return {"id": ident, "region": "spine", "level": "T6", "escc_grade": escc}


# --- the register -------------------------------------------------------------------------------


def test_every_check_has_a_reason_and_is_tested_here() -> None:
    tested = {
        "zoledronic_low_clearance",
        "zoledronic_renal_warning",
        "mri_one_week_beside_mscc",
        "cement_high_grade_escc",
        "local_therapy_at_mscc_lesion",
        "postop_rt_without_surgery",
        "two_fractionations",
        "calcium_vitamin_d_in_hypercalcemia",
        "high_dose_bma_in_hypocalcemia",
        "tki_excluded_subtype",
        "lu177_dotatate_without_progression",
        "high_dose_bma_cspc",
    }
    assert set(CHECKS) == tested
    for code, entry in CHECKS.items():
        assert entry.code == code
        assert entry.reason and "\n" not in entry.reason
        assert entry.sources, f"{code}: clinical checks name their source"


def test_an_inconsistency_names_items_lesions_and_rules() -> None:
    p = proposal(item("RT.POSTOP", "F1", rule="long_bone.postop_rt"))
    [inc] = check(p)
    assert isinstance(inc, Inconsistency)
    assert inc.code == "postop_rt_without_surgery"
    assert inc.items == ("RT.POSTOP",) and inc.lesions == ("F1",)
    assert inc.rules == ("long_bone.postop_rt",)
    assert "RT.POSTOP" in inc.message and "F1" in inc.message


def test_the_plain_evaluated_proposal_is_consistent() -> None:
    assert check(BASE) == []


# --- zoledronic acid and renal function ---------------------------------------------------------


@pytest.mark.parametrize("crcl", [24.0, (12.0, 28.5)], ids=["total", "range"])
def test_zoledronic_acid_below_clearance_30(crcl: Any) -> None:
    p = proposal(item("BMA.ZOLEDRONIC_ACID"), crcl=crcl)
    assert found(p) == ["zoledronic_low_clearance"]


@pytest.mark.parametrize("crcl", [30.0, 64.0, (20.0, 45.0)], ids=["30", "64", "open-range"])
def test_zoledronic_acid_at_clearance_30_or_possibly_above(crcl: Any) -> None:
    assert found(proposal(item("BMA.ZOLEDRONIC_ACID"), crcl=crcl)) == []
    assert found(proposal(item("BMA.DENOSUMAB"), crcl=24.0)) == []


def test_zoledronic_acid_beside_a_renal_warning_against_it() -> None:
    warning = item("WARN.RENAL_BISPHOSPHONATE", en="zoledronic acid not recommended below 30")
    assert found(proposal(item("BMA.ZOLEDRONIC_ACID"), warning)) == ["zoledronic_renal_warning"]
    generic = item("WARN.RENAL_BISPHOSPHONATE", en="no bisphosphonate on dialysis")
    assert found(proposal(item("BMA.ZOLEDRONIC_ACID"), generic)) == ["zoledronic_renal_warning"]


def test_zoledronic_acid_beside_a_warning_against_another_agent_or_a_conditional_one() -> None:
    pamidronate = item("WARN.RENAL_BISPHOSPHONATE", en="pamidronate not below 30 mL/min")
    assert found(proposal(item("BMA.ZOLEDRONIC_ACID"), pamidronate)) == []
    conditional = item("WARN.RENAL_BISPHOSPHONATE", en="zoledronic acid", status="conditional")
    assert found(proposal(item("BMA.ZOLEDRONIC_ACID"), conditional)) == []
    assert found(proposal(item("BMA.DENOSUMAB"), item("WARN.RENAL_BISPHOSPHONATE"))) == []


# --- MSCC ---------------------------------------------------------------------------------------


def test_one_week_mri_beside_suspected_mscc() -> None:
    p = proposal(item("EMERG.MSCC", status="suspected"), item("DX.MRI_SPINE", "L1"))
    assert found(p) == ["mri_one_week_beside_mscc"]


def test_urgent_mri_beside_mscc_and_one_week_mri_alone() -> None:
    assert found(proposal(item("EMERG.MSCC"), item("DX.MRI_WHOLE_SPINE_URGENT"))) == []
    assert found(proposal(item("DX.MRI_SPINE", "L1"))) == []


def test_an_urgent_spine_mri_of_an_unstable_segment_is_not_the_one_week_mri() -> None:
    urgent = item("DX.MRI_SPINE", "L1", rule="spine.unstable_mri")
    assert isinstance(urgent, Recommendation)
    urgent = urgent.model_copy(update={"priority": Priority.urgent})
    assert found(proposal(item("EMERG.MSCC", status="suspected"), urgent)) == []


@pytest.mark.parametrize(
    "because", [{"lesion.escc_high_grade": True}, {"lesion.escc_grade": "3"}], ids=str
)
def test_cement_at_high_grade_escc_from_the_facts(because: dict[str, Any]) -> None:
    p = proposal(item("IR.CEMENT_AUGMENTATION", "L1", because=because))
    assert found(p) == ["cement_high_grade_escc"]


def test_cement_at_high_grade_escc_from_the_case() -> None:
    p = proposal(item("IR.CEMENT_AUGMENTATION", "L1"))
    assert found(p, case(lesions=[spine("L1", "2")])) == ["cement_high_grade_escc"]


def test_cement_at_low_grade_or_unknown_escc() -> None:
    low = proposal(item("IR.CEMENT_AUGMENTATION", "L1", because={"lesion.escc_high_grade": False}))
    assert found(low) == []
    assert found(proposal(item("IR.CEMENT_AUGMENTATION", "L1"))) == []
    # The case decides over the items' facts when it is given.
    high_in_facts = proposal(
        item("IR.CEMENT_AUGMENTATION", "L1", because={"lesion.escc_high_grade": True})
    )
    assert found(high_in_facts, case(lesions=[spine("L1", "1b")])) == []


@pytest.mark.parametrize("code", ["RT.REIRRADIATION", "IR.THERMAL_ABLATION"])
@pytest.mark.parametrize("emergency", ["RT.MSCC", "SURG.DECOMPRESSION_STABILIZATION"])
def test_local_therapy_at_the_mscc_lesion(code: str, emergency: str) -> None:
    p = proposal(item(code, "T6", status="conditional"), item(emergency, "T6"))
    assert "local_therapy_at_mscc_lesion" in found(p)


@pytest.mark.parametrize("code", ["RT.REIRRADIATION", "IR.THERMAL_ABLATION"])
def test_local_therapy_at_high_grade_escc(code: str) -> None:
    assert found(proposal(item(code, "T6")), case(lesions=[spine("T6", "3")])) == [
        "local_therapy_at_mscc_lesion"
    ]
    p = proposal(item(code, "T6", because={"lesion.escc_high_grade": True}))
    assert found(p) == ["local_therapy_at_mscc_lesion"]


@pytest.mark.parametrize("code", ["RT.REIRRADIATION", "IR.THERMAL_ABLATION"])
def test_local_therapy_away_from_the_mscc_lesion(code: str) -> None:
    p = proposal(item("EMERG.MSCC"), item("RT.MSCC", "L4"), item(code, "T6"))
    assert found(p, case(lesions=[spine("T6", "1a"), spine("L4", "3")])) == []


# --- postoperative radiotherapy -----------------------------------------------------------------


@pytest.mark.parametrize(
    "other",
    [None, ("SURG.ORTHO_CONSULT", "F1"), ("SURG.INTRAMEDULLARY_NAIL", "F2")],
    ids=["alone", "consult", "other-lesion"],
)
def test_postop_rt_without_surgery(other: tuple[str, str] | None) -> None:
    extra = [item(*other)] if other else []
    assert found(proposal(item("RT.POSTOP", "F1"), *extra)) == ["postop_rt_without_surgery"]


@pytest.mark.parametrize(
    "surgery",
    [
        ("SURG.INTRAMEDULLARY_NAIL", "F1"),
        ("SURG.DECOMPRESSION_STABILIZATION", "F1"),
        ("SURG.EN_BLOC_RESECTION", None),
    ],
    ids=["nail", "decompression", "case-level"],
)
def test_postop_rt_after_surgery(surgery: tuple[str, str | None]) -> None:
    assert found(proposal(item("RT.POSTOP", "F1"), item(*surgery))) == []


# --- one fractionation per lesion ---------------------------------------------------------------


@pytest.mark.parametrize(
    "pair",
    [
        ("RT.SINGLE_8GY", "RT.FRACTIONATED"),
        ("RT.SBRT", "RT.PROPHYLACTIC"),
        ("RT.MSCC", "RT.REIRRADIATION"),
    ],
    ids="+".join,
)
def test_two_firm_fractionations_for_one_lesion(pair: tuple[str, str]) -> None:
    p = proposal(item(pair[0], "L1"), item(pair[1], "L1"))
    assert "two_fractionations" in found(p)


def test_oligometastatic_sbrt_of_every_lesion_beside_a_lesion_schedule() -> None:
    p = proposal(item("RT.OLIGOMETASTATIC_SBRT"), item("RT.SINGLE_8GY", "L1"))
    [inc] = check(p)
    assert inc.code == "two_fractionations" and inc.lesions == ("L1",)


def test_one_fractionation_per_lesion() -> None:
    # A conditional alternative, another lesion, RT after surgery, SBRT after separation.
    alternative = proposal(
        item("RT.SINGLE_8GY", "L1"), item("RT.FRACTIONATED", "L1", status="conditional")
    )
    assert found(alternative) == []
    assert found(proposal(item("RT.SINGLE_8GY", "L1"), item("RT.FRACTIONATED", "L2"))) == []
    postop = proposal(
        item("SURG.SPINE_STABILIZATION", "L1"), item("RT.POSTOP", "L1"), item("RT.SINGLE_8GY", "L1")
    )
    assert found(postop) == []
    separation = proposal(item("SURG.SEPARATION_SURGERY", "L1"), item("RT.SBRT", "L1"))
    assert found(separation) == []


def test_a_lower_schedule_stands_only_as_the_alternative_its_rule_offers() -> None:
    single = item("RT.SINGLE_8GY", "L1", rule="radiotherapy.painful_single_fraction")
    offered = single.model_copy(update={"alternative_to": "RT.FRACTIONATED"})
    assert found(proposal(item("RT.FRACTIONATED", "L1"), offered)) == []
    # Not marked as the alternative, or marked by a rule that offers no alternative.
    assert found(proposal(item("RT.FRACTIONATED", "L1"), single)) == ["two_fractionations"]
    prophylactic = item("RT.PROPHYLACTIC", "L1", rule="radiotherapy.prophylactic_high_risk")
    marked = prophylactic.model_copy(update={"alternative_to": "RT.FRACTIONATED"})
    assert found(proposal(item("RT.FRACTIONATED", "L1"), marked)) == ["two_fractionations"]
    # A higher schedule of the lesion's own beside a case-level one: the lesion's stands.
    assert found(proposal(item("RT.OLIGOMETASTATIC_SBRT"), item("RT.REIRRADIATION", "L1"))) == []


# --- hypercalcaemia, sarcoma, NET, prostate -----------------------------------------------------


def test_calcium_and_vitamin_d_beside_hypercalcemia() -> None:
    p = proposal(item("EMERG.HYPERCALCEMIA", status="suspected"), item("BMA.CALCIUM_VITAMIN_D"))
    assert found(p) == ["calcium_vitamin_d_in_hypercalcemia"]


def test_supplements_waiting_for_the_calcium_a_suspected_hypercalcemia_waits_for() -> None:
    suspected = item("EMERG.HYPERCALCEMIA", status="suspected")
    waiting = item("BMA.CALCIUM_VITAMIN_D", status="conditional")
    assert found(proposal(suspected, waiting)) == []
    assert found(proposal(item("EMERG.HYPERCALCEMIA", status="confirmed"), waiting)) == [
        "calcium_vitamin_d_in_hypercalcemia"
    ]


def test_calcium_and_vitamin_d_without_hypercalcemia() -> None:
    assert found(proposal(item("BMA.CALCIUM_VITAMIN_D"), item("BMA.DENOSUMAB"))) == []
    assert found(proposal(item("EMERG.HYPERCALCEMIA"), item("BMA.DENOSUMAB"))) == []


@pytest.mark.parametrize("code", ["BMA.ZOLEDRONIC_ACID", "BMA.DENOSUMAB", "BMA.PAMIDRONATE"])
def test_high_dose_agent_beside_a_confirmed_hypocalcemia(code: str) -> None:
    p = proposal(item("EMERG.HYPOCALCEMIA", status="confirmed"), item(code))
    assert found(p) == ["high_dose_bma_in_hypocalcemia"]


def test_agent_waiting_for_calcium_or_beside_a_suspected_hypocalcemia() -> None:
    confirmed = item("EMERG.HYPOCALCEMIA", status="confirmed")
    assert found(proposal(confirmed, item("BMA.DENOSUMAB", status="conditional"))) == []
    assert found(proposal(confirmed, item("BMA.CALCIUM_VITAMIN_D"))) == []
    suspected = item("EMERG.HYPOCALCEMIA", status="suspected")
    assert found(proposal(suspected, item("BMA.ZOLEDRONIC_ACID"))) == []


@pytest.mark.parametrize("subtype", ["liposarcoma_myxoid", "liposarcoma_dedifferentiated", "gist"])
def test_tki_for_an_excluded_subtype(subtype: str) -> None:
    p = proposal(item("STS.TARGETED_TKI"))
    assert found(p, case(sarcoma={"subtype": subtype})) == ["tki_excluded_subtype"]
    from_facts = proposal(item("STS.TARGETED_TKI", because={"sts.subtype": subtype}))
    assert found(from_facts) == ["tki_excluded_subtype"]


def test_tki_for_another_subtype() -> None:
    p = proposal(item("STS.TARGETED_TKI", because={"sts.subtype": "liposarcoma_myxoid"}))
    assert found(p, case(sarcoma={"subtype": "leiomyosarcoma"})) == []
    assert found(proposal(item("STS.TARGETED_TKI", because={"sts.subtype": "angiosarcoma"}))) == []


def test_lu177_dotatate_without_documented_progression() -> None:
    assert found(proposal(item("NUC.LU177_DOTATATE"))) == ["lu177_dotatate_without_progression"]
    net = {
        "site": "neuroendocrine",
        "sstr_positive": True,
        "neuroendocrine_grade": "g2",
        "neuroendocrine_origin": "gastroenteropancreatic",
    }
    p = proposal(item("NUC.LU177_DOTATATE", because={"primary.net_progressive": False}))
    assert found(p, case(primary=net)) == ["lu177_dotatate_without_progression"]
    assert found(p, case(primary={**net, "progressive": False})) == [
        "lu177_dotatate_without_progression"
    ]
    # Conditional on the progression still to be documented: consistent.
    waiting = proposal(item("NUC.LU177_DOTATATE", status="conditional"))
    assert found(waiting, case(primary=net)) == []


def test_lu177_dotatate_with_documented_progression() -> None:
    p = proposal(item("NUC.LU177_DOTATATE", because={"primary.net_progressive": True}))
    assert found(p) == []
    net = {"site": "neuroendocrine", "sstr_positive": True, "progressive": True}
    assert found(proposal(item("NUC.LU177_DOTATATE")), case(primary=net)) == []


CSPC = {"primary": {"site": "prostate", "castration_status": "sensitive"}}


@pytest.mark.parametrize(
    "code", ["BMA.ZOLEDRONIC_ACID", "BMA.DENOSUMAB", "BMA.IBANDRONATE", "BMA.PAMIDRONATE"]
)
def test_high_dose_agent_in_castration_sensitive_prostate_cancer(code: str) -> None:
    lytic = case(**CSPC, lesions=[{"id": "P1", "region": "pelvis", "type": "lytic"}])
    assert found(proposal(item(code)), lytic) == ["high_dose_bma_cspc"]
    from_facts = proposal(item(code, because={"primary.castration_sensitive": True}))
    assert found(from_facts) == ["high_dose_bma_cspc"]


def test_no_high_dose_agent_or_not_castration_sensitive() -> None:
    low = proposal(item("BMA.OSTEOPOROSIS_DOSE"), item("BMA.NO_HIGH_DOSE"))
    assert found(low, case(**CSPC)) == []
    crpc = case(primary={"site": "prostate", "castration_status": "resistant"})
    assert found(proposal(item("BMA.DENOSUMAB")), crpc) == []
    assert found(proposal(item("BMA.DENOSUMAB")), case(primary={"site": "breast"})) == []


def test_high_dose_agent_as_hypercalcemia_treatment_in_castration_sensitive_disease() -> None:
    treatment = item("BMA.ZOLEDRONIC_ACID", rule="emerg.hypercalcemia_zoledronic_acid")
    p = proposal(item("EMERG.HYPERCALCEMIA"), treatment)
    assert found(p, case(**CSPC)) == []
    # The same agent from a bone-metastasis rule is not part of the emergency.
    course = proposal(item("EMERG.HYPERCALCEMIA"), item("BMA.ZOLEDRONIC_ACID"))
    assert found(course, case(**CSPC)) == ["high_dose_bma_cspc"]


# --- the engine's proposals hang together -------------------------------------------------------


def _report(found: list[Inconsistency]) -> str:
    return "\n".join(f"{i.code}: {i.message}" for i in found)


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_examples_are_consistent(path: Path) -> None:
    c = load_case(path)
    inconsistencies = check(evaluate(c), c)
    assert inconsistencies == [], _report(inconsistencies)


RULE_SIDES = [
    pytest.param(entry[side], id=f"{entry_id(entry)}:{side}")
    for entry in ENTRIES
    for side in ("fires", "near_miss")
    if side in entry
]


@pytest.mark.parametrize("side", RULE_SIDES)
def test_rule_cases_are_consistent(side: dict[str, Any]) -> None:
    c = build(side)
    inconsistencies = check(evaluate(c), c)
    assert inconsistencies == [], _report(inconsistencies)
