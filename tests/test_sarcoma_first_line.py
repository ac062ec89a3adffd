"""First-line therapy of advanced soft-tissue sarcoma when the referral leaves the line, the
tempo and the symptom burden unstated (ESMO-EURACAN-GENTURIS 2021): the documented metastases
support a conditional doxorubicin-based first line; nothing is proposed for a sarcoma that is
neither metastatic nor beyond local treatment."""

from __future__ import annotations

from typing import Any

from osteoboard.caseio import parse_case
from osteoboard.engine import evaluate
from osteoboard.proposal import ItemStatus, Proposal


def run(**sarcoma: Any) -> Proposal:
    return evaluate(
        parse_case(
            {
                "id": "sts-line",
                "board_date": "2026-11-20",
                "patient": {"age": 57, "sex": "male", "ecog": 1},
                "primary": {"site": "sarcoma"},
                "sarcoma": {"subtype": "undifferentiated_pleomorphic_sarcoma", **sarcoma},
            }
        )
    )


#: A metachronous sarcoma after a long disease-free interval, no line given yet, calm course.
METACHRONOUS: dict[str, Any] = {
    "metastases_synchronous": False,
    "disease_free_interval_months": 38,
    "primary_resectable": True,
    "prior_agents": [],
    "rapid_progression": False,
    "high_symptom_burden": False,
}


def first_line(p: Proposal) -> dict[str, ItemStatus]:
    return {
        i.code: i.status
        for i in p.recommendations
        if i.code in ("STS.DOXORUBICIN_MONO", "STS.DOXORUBICIN_COMBINATION")
    }


def test_metastases_with_the_line_unstated_give_a_conditional_first_line() -> None:
    p = run(metastases={"sites": ["lung", "bone"]})
    assert first_line(p) == {
        "STS.DOXORUBICIN_MONO": ItemStatus.conditional,
        "STS.DOXORUBICIN_COMBINATION": ItemStatus.conditional,
    }
    (mono,) = [i for i in p.recommendations if i.code == "STS.DOXORUBICIN_MONO"]
    assert [a.fact for a in mono.assumed] == ["sts.first_line"]  # no prior therapy: assumed


def test_stage_iv_alone_is_advanced() -> None:
    assert "STS.DOXORUBICIN_MONO" in first_line(run(uicc_stage="IV"))


def test_no_metastases_and_locally_treatable_gives_no_first_line() -> None:
    p = run(metastases={"count": 0}, locally_treatable=True, uicc_stage="III")
    assert first_line(p) == {}


def test_resectable_metachronous_lung_metastases_are_operated_first() -> None:
    """ESMO-EURACAN-GENTURIS 2021: few resectable metachronous lung metastases are treated like
    localised disease - metastasectomy; chemotherapy is an option beside it, not the standard.
    Outside the lung, resection is for selected cases and systemic therapy comes first."""
    common = dict(METACHRONOUS)
    lung = run(metastases={"sites": ["lung"], "count": 2, "resectable": True}, **common)
    items = {i.code: i for i in lung.recommendations}
    assert items["STS.METASTASECTOMY"].strength == "strong"
    assert items["STS.METASTASECTOMY"].priority == "soon"
    mono = items["STS.DOXORUBICIN_MONO"]
    assert mono.strength == "option" and mono.priority == "routine"
    liver = run(metastases={"sites": ["lung", "liver"], "count": 3, "resectable": True}, **common)
    items = {i.code: i for i in liver.recommendations}
    assert items["STS.DOXORUBICIN_MONO"].strength == "strong"
    assert items["STS.METASTASECTOMY"].strength == "conditional"


def test_lung_metastases_beside_bone_metastases_are_not_lung_only() -> None:
    """The sarcoma block may list only the lung while the case lists bone lesions: then the
    disease is not "lung only", and the first line stays the standard."""
    common = {**METACHRONOUS, "metastases": {"sites": ["lung"], "count": 2, "resectable": True}}
    doc = {
        "id": "sts-bone",
        "board_date": "2026-11-20",
        "patient": {"age": 57, "sex": "male", "ecog": 1},
        "primary": {"site": "sarcoma"},
        "sarcoma": {"subtype": "undifferentiated_pleomorphic_sarcoma", **common},
        "lesions": [{"id": "T8", "region": "spine", "level": "T8"}],
    }
    items = {i.code: i for i in evaluate(parse_case(doc)).recommendations}
    assert items["STS.DOXORUBICIN_MONO"].strength == "strong"
    assert items["STS.METASTASECTOMY"].strength == "conditional"
