"""Small round-cell sarcomas of soft tissue (ESMO-EURACAN-GENTURIS-ERN PaedCan 2021; S3
Weichgewebesarkome 2022) and fertility before gonadotoxic treatment (ASCO 2018, ESMO 2020).

An extraskeletal Ewing sarcoma, an embryonal or alveolar rhabdomyosarcoma or a DSRCT is not an
adult soft-tissue sarcoma: a paediatric-type protocol at a reference centre (chemotherapy first,
local therapy when the protocol sets it), full staging before it, a radiosensitive histology (no
stereotactic radiotherapy "for a radioresistant histology"), and - for Ewing sarcoma and
rhabdomyosarcoma - cure as the aim, also when metastatic. A patient up to 40 facing
chemotherapy or pelvic radiotherapy is offered fertility counselling, conditionally while the
age is not documented.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from osteoboard.caseio import parse_case
from osteoboard.engine import evaluate
from osteoboard.proposal import ItemStatus, Proposal
from osteoboard.render.letter import build_letter


def ewing_case(**patient: Any) -> Any:
    return parse_case(
        {
            "id": "ewing-t11",
            "board_date": "2026-11-27",
            "patient": {"age": 26, "sex": "female", "ecog": 1, **patient},
            "primary": {"site": "sarcoma", "histology": "extraskeletal Ewing sarcoma"},
            "sarcoma": {"subtype": "extraskeletal_ewing", "metastases_synchronous": True},
            "lesions": [
                {
                    "id": "T11",
                    "region": "spine",
                    "level": "T11",
                    "type": "lytic",
                    "escc_grade": "1c",
                    "pain": "mechanical",
                    "pain_vas": 6,
                    "symptomatic": True,
                }
            ],
        }
    )


def items(p: Proposal, code: str) -> list[Any]:
    return [i for i in p.recommendations if i.code == code]


def status(p: Proposal, code: str) -> ItemStatus | None:
    found = items(p, code)
    return found[0].status if found else None


def test_ewing_goes_to_a_paediatric_type_protocol_with_curative_intent() -> None:
    p = evaluate(ewing_case())
    (protocol,) = items(p, "STS.SPECIAL_PROTOCOL")
    assert protocol.status is ItemStatus.firm
    assert protocol.rule == "sarcoma.paediatric_type_protocol_curative"
    assert "kurativer Intention" in protocol.text.de
    assert "zuerst Chemotherapie" in protocol.text.de
    assert status(p, "STS.SARCOMA_CENTER") is ItemStatus.firm
    for code in ("STS.DOXORUBICIN_MONO", "STS.DOXORUBICIN_COMBINATION"):
        assert not items(p, code), code


def test_ewing_is_not_irradiated_as_a_radioresistant_histology() -> None:
    p = evaluate(ewing_case())
    assert not items(p, "RT.SBRT")
    texts = " ".join(i.text.de for i in p.recommendations)
    assert "Strahlenresistent" not in texts and "strahlenresistent" not in texts


def test_ewing_is_staged_before_the_protocol() -> None:
    p = evaluate(ewing_case())
    (staging,) = items(p, "DX.WHOLE_BODY_STAGING")
    assert staging.status is ItemStatus.firm
    assert staging.rule == "sarcoma.paediatric_type_staging"
    assert "CT des Thorax" in staging.text.de and "Knochenmark" in staging.text.de


def test_dsrct_gets_the_protocol_without_a_curative_promise() -> None:
    case = parse_case(
        {
            "id": "dsrct",
            "patient": {"age": 24, "sex": "male"},
            "primary": {"site": "sarcoma"},
            "sarcoma": {"subtype": "dsrct", "metastases": {"sites": ["abdomen", "liver"]}},
        }
    )
    (protocol,) = items(evaluate(case), "STS.SPECIAL_PROTOCOL")
    assert protocol.rule == "sarcoma.paediatric_type_protocol"
    assert "kurativ" not in protocol.text.de


def _letter(case: Any) -> str:
    return json.dumps(build_letter(evaluate(case), case).model_dump(), ensure_ascii=False)


def test_letter_names_cure_as_the_aim_for_ewing_without_promising_it() -> None:
    text = _letter(ewing_case())
    assert "das Ziel der Heilung" in text
    assert "Versprechen kann das niemand" in text
    assert "nur selten" not in text
    assert "Zuerst kommt eine Chemotherapie" in text


def test_letter_keeps_the_palliative_aim_for_adult_soft_tissue_sarcoma() -> None:
    case = parse_case(
        {
            "id": "lms",
            "patient": {"age": 61, "sex": "female"},
            "primary": {"site": "sarcoma"},
            "sarcoma": {"subtype": "leiomyosarcoma", "metastases": {"sites": ["lung"]}},
        }
    )
    text = _letter(case)
    assert "Meist kann die Behandlung das Sarkom in dieser Lage nicht heilen" in text
    assert "das Ziel der Heilung" not in text


# --- fertility ----------------------------------------------------------------------------------


def test_fertility_counselling_before_the_ewing_protocol() -> None:
    p = evaluate(ewing_case())
    assert status(p, "SUP.FERTILITY_COUNSELING") is ItemStatus.firm
    text = _letter(ewing_case())
    assert "Kinderwunsch und Fruchtbarkeit" in text


def test_fertility_counselling_is_conditional_while_the_age_is_open() -> None:
    p = evaluate(ewing_case(age=None))
    (item,) = items(p, "SUP.FERTILITY_COUNSELING")
    assert item.status is ItemStatus.conditional
    assert [c.fact for c in item.conditions] == ["patient.age"]


@pytest.mark.parametrize("age", [41, 67])
def test_no_fertility_counselling_past_the_age_bound(age: int) -> None:
    assert not items(evaluate(ewing_case(age=age)), "SUP.FERTILITY_COUNSELING")


def test_no_fertility_counselling_when_chemotherapy_is_declined() -> None:
    p = evaluate(ewing_case(declines=["systemic_therapy"]))
    assert not items(p, "SUP.FERTILITY_COUNSELING")
    assert not items(p, "STS.SPECIAL_PROTOCOL")


@pytest.mark.parametrize(
    ("region", "level", "expected"),
    [("pelvis", None, True), ("spine", "S2", True), ("spine", "L3", False), ("rib", None, False)],
)
def test_pelvic_radiotherapy_raises_it_for_any_tumour(
    region: str, level: str | None, expected: bool
) -> None:
    lesion: dict[str, Any] = {"id": "X", "region": region, "type": "lytic", "pain_vas": 5}
    if level is not None:
        lesion["level"] = level
    case = parse_case(
        {
            "id": "breast-young",
            "patient": {"age": 34, "sex": "female"},
            "primary": {"site": "breast", "hormone_receptor": "positive", "her2": "negative"},
            "lesions": [lesion],
        }
    )
    assert bool(items(evaluate(case), "SUP.FERTILITY_COUNSELING")) is expected


def test_ewing_sarcoma_of_bone_takes_the_same_protocol() -> None:
    """Ewing sarcoma of the ilium with bone metastases (subtype ewing, as the FHIR import maps
    ICD-O 9260/3): the curative protocol of the extraskeletal one, at a sarcoma centre, with
    no palliative single fraction; the letter does not place it in soft tissue only."""
    doc = ewing_case().model_dump(mode="json", exclude_none=True)
    doc["primary"]["histology"] = "Ewing-Sarkom des Os ilium"
    doc["sarcoma"]["subtype"] = "ewing"
    case = parse_case(doc)
    p = evaluate(case)
    (protocol,) = items(p, "STS.SPECIAL_PROTOCOL")
    assert protocol.rule == "sarcoma.paediatric_type_protocol_curative"
    assert status(p, "STS.SARCOMA_CENTER") is ItemStatus.firm
    assert not items(p, "RT.SBRT")
    text = _letter(case)
    assert "das Ziel der Heilung" in text
    assert "seltener im Knochen" in text


@pytest.mark.parametrize(
    ("sex", "named", "not_named"),
    [("female", "Eizellen", "Samen"), ("male", "Samen", "Eizellen")],
)
def test_the_letter_names_the_fertility_preservation_of_the_patients_sex(
    sex: str, named: str, not_named: str
) -> None:
    case = ewing_case(sex=sex)
    text = _letter(case)
    assert named in text
    assert not_named not in text
