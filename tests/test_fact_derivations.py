"""Fact derivations whose "not documented" case was reviewed against their meaning in facts.yaml:
pain with no lesion listed, vertebral body involvement and fracture from the SINS collapse grade,
and involvement of a high-risk joint from the lesion's location."""

from __future__ import annotations

from typing import Any

import pytest

from osteoboard.caseio import parse_case
from osteoboard.engine import evaluate
from osteoboard.facts import case_facts, lesion_facts
from osteoboard.prognosis import derive_prognosis
from osteoboard.proposal import Proposal
from osteoboard.scores import compute_all


def _case_facts(data: dict[str, Any]) -> tuple[dict[str, Any], dict[str, list[str]]]:
    case = parse_case({"id": "d", **data})
    scores = compute_all(case)
    fs = case_facts(case, scores, derive_prognosis(None, scores))
    return fs.values, fs.missing


def _lesion(lesion: dict[str, Any]) -> tuple[dict[str, Any], dict[str, list[str]]]:
    case = parse_case({"id": "d", "lesions": [{"id": "X", **lesion}]})
    fs = lesion_facts(case.lesions[0], compute_all(case))
    return fs.values, fs.missing


def _item(p: Proposal, code: str, lesion: str | None = None) -> Any:
    items = [*p.emergencies, *p.recommendations, *p.warnings]
    return next((i for i in items if i.code == code and i.lesion == lesion), None)


# --- bone.any_painful ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "expected", "missing"),
    [
        ({}, None, ["lesions"]),  # nothing about the skeleton: unknown, not "painless"
        ({"bone_metastases": {"vertebral_count": 2}}, None, ["lesions"]),
        ({"bone_metastases": {"vertebral_count": 0, "extraspinal_count": 0}}, False, None),
        ({"lesions": [{"id": "A", "region": "rib", "symptomatic": True}]}, True, None),
        (
            {
                "lesions": [
                    {"id": "A", "region": "rib", "symptomatic": False},
                    {"id": "B", "region": "spine", "level": "L2", "pain": "none"},
                ]
            },
            False,
            None,
        ),
        (
            {"lesions": [{"id": "A", "region": "rib"}]},
            None,
            ["lesions[A].pain_vas", "lesions[A].symptomatic"],
        ),
    ],
    ids=["nothing", "counts-only", "no-bone-metastasis", "painful", "painless", "not-stated"],
)
def test_any_painful(
    data: dict[str, Any], expected: bool | None, missing: list[str] | None
) -> None:
    values, missing_paths = _case_facts(data)
    assert values["bone.any_painful"] is expected
    if missing is not None:
        assert missing_paths["bone.any_painful"] == missing


def test_analgesia_is_conditional_when_no_lesion_is_listed() -> None:
    p = evaluate(parse_case({"id": "a", "primary": {"site": "myeloma"}}))
    item = _item(p, "SUP.ANALGESIA")
    assert item is not None and item.status.value == "conditional"
    assert [c.fact for c in item.conditions] == ["bone.any_painful"]
    none = evaluate(
        parse_case(
            {
                "id": "a",
                "primary": {"site": "myeloma"},
                "bone_metastases": {"vertebral_count": 0, "extraspinal_count": 0},
            }
        )
    )
    assert _item(none, "SUP.ANALGESIA") is None


# --- lesion.vertebral_body_involved and lesion.vertebral_fracture ------------------------------


@pytest.mark.parametrize(
    ("fields", "body", "missing"),
    [
        # SINS "none": no collapse and at most half of the body involved - not "no involvement".
        ({"collapse": "none"}, None, ["lesions[X].vertebral_body_involved"]),
        ({"collapse": "body_involved_gt_50"}, True, None),
        ({"collapse": "lt_50"}, True, None),
        ({"collapse": "gt_50"}, True, None),
        ({"collapse": "none", "vertebral_body_involved": False}, False, None),
        ({"collapse": "none", "vertebral_body_involved": True}, True, None),
        ({}, None, ["lesions[X].vertebral_body_involved", "lesions[X].collapse"]),
    ],
)
def test_vertebral_body_involved(
    fields: dict[str, Any], body: bool | None, missing: list[str] | None
) -> None:
    values, missing_paths = _lesion({"region": "spine", "level": "T8", **fields})
    assert values["lesion.vertebral_body_involved"] is body
    if missing is not None:
        assert missing_paths["lesion.vertebral_body_involved"] == missing


@pytest.mark.parametrize(
    ("fields", "fracture"),
    [
        ({"collapse": "none"}, False),  # no height loss: no compression fracture
        ({"collapse": "body_involved_gt_50"}, False),
        ({"collapse": "lt_50"}, True),
        ({"collapse": "none", "pathologic_fracture": True}, True),
        ({"pathologic_fracture": False}, False),
        ({}, None),
    ],
)
def test_vertebral_fracture(fields: dict[str, Any], fracture: bool | None) -> None:
    values, _ = _lesion({"region": "spine", "level": "T8", **fields})
    assert values["lesion.vertebral_fracture"] is fracture


def test_cement_augmentation_is_open_when_body_involvement_is_not_stated() -> None:
    """A fractured vertebra without collapse grade or body status: the cement item waits for
    the body involvement instead of being ruled out."""
    base = {
        "id": "c",
        "primary": {"site": "breast"},
        "patient": {"life_expectancy_months": 24},
        "lesions": [
            {
                "id": "T8",
                "region": "spine",
                "level": "T8",
                "collapse": "none",
                "pain": "mechanical",
                "alignment": "normal",
                "posterolateral": "none",
                "type": "lytic",
                "escc_grade": "0",
                "previously_irradiated": True,
            }
        ],
    }
    p = evaluate(parse_case(base))
    item = _item(p, "IR.CEMENT_AUGMENTATION", "T8")
    assert item is not None and item.status.value == "conditional"
    assert "lesion.vertebral_body_involved" in {c.fact for c in item.conditions}
    base["lesions"][0]["vertebral_body_involved"] = False
    assert _item(evaluate(parse_case(base)), "IR.CEMENT_AUGMENTATION", "T8") is None


# --- lesion.high_risk_joint -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("lesion", "expected"),
    [
        ({"region": "long_bone", "bone": "humerus"}, None),  # the shoulder may be involved
        ({"region": "long_bone", "bone": "femur", "segment": "metaphyseal"}, None),
        ({"region": "long_bone", "bone": "femur", "segment": "peritrochanteric"}, None),
        ({"region": "long_bone", "bone": "humerus", "segment": "diaphyseal"}, False),
        ({"region": "long_bone", "segment": "diaphyseal"}, False),
        ({"region": "long_bone"}, None),
        ({"region": "long_bone", "bone": "tibia"}, False),  # knee and ankle are not high-risk
        ({"region": "long_bone", "bone": "radius", "segment": "epiphyseal"}, False),
        ({"region": "long_bone", "bone": "other"}, None),
        ({"region": "long_bone", "bone": "humerus", "joint": "shoulder"}, True),
        ({"region": "long_bone", "bone": "femur", "joint": "knee"}, False),
        ({"region": "long_bone", "bone": "femur", "joint": "none"}, False),
        ({"region": "pelvis"}, None),
        ({"region": "pelvis", "joint": "hip"}, True),
        ({"region": "spine", "level": "S1"}, None),  # beside the sacroiliac joint
        ({"region": "spine", "level": "L2"}, False),
        ({"region": "spine"}, False),
        ({"region": "rib"}, False),
        ({"region": "sternum"}, False),
        ({"region": "other"}, None),
    ],
)
def test_high_risk_joint(lesion: dict[str, Any], expected: bool | None) -> None:
    values, missing = _lesion(lesion)
    assert values["lesion.high_risk_joint"] is expected
    if expected is None:
        assert missing["lesion.high_risk_joint"] == ["lesions[X].joint"]


def _asymptomatic_humerus(**fields: Any) -> Proposal:
    return evaluate(
        parse_case(
            {
                "id": "j",
                "primary": {"site": "breast", "controlled": True},
                "bone_metastases": {"vertebral_count": 3, "extraspinal_count": 6},
                "patient": {"life_expectancy_months": 24, "ecog": 1},
                "lesions": [
                    {
                        "id": "HUM",
                        "region": "long_bone",
                        "bone": "humerus",
                        "segment": "metaphyseal",
                        "type": "blastic",
                        "pain_vas": 0,
                        "symptomatic": False,
                        "size_cm": 1.0,
                        "cortical_involvement": "lt_one_third",
                        "pathologic_fracture": False,
                        "previously_irradiated": False,
                        **fields,
                    }
                ],
            }
        )
    )


def test_prophylactic_rt_waits_for_the_joint_of_a_humerus_lesion() -> None:
    """Only the shoulder joint can make this small asymptomatic lesion high-risk."""
    item = _item(_asymptomatic_humerus(), "RT.PROPHYLACTIC", "HUM")
    assert item is not None and item.status.value == "conditional"
    assert [c.fact for c in item.conditions] == ["lesion.high_risk_joint"]
    firm = _item(_asymptomatic_humerus(joint="shoulder"), "RT.PROPHYLACTIC", "HUM")
    assert firm is not None and firm.status.value == "firm"
    assert _item(_asymptomatic_humerus(joint="elbow"), "RT.PROPHYLACTIC", "HUM") is None
    assert _item(_asymptomatic_humerus(segment="diaphyseal"), "RT.PROPHYLACTIC", "HUM") is None


# --- mm.exposed_agents and the creatinine-clearance range --------------------------------------


@pytest.mark.parametrize(
    ("myeloma", "expected"),
    [
        (None, []),
        ({"stage": "active"}, []),
        ({"refractory_to": ["lenalidomide"]}, ["lenalidomide"]),
        (
            {"exposed_to": ["daratumumab", "bortezomib"], "refractory_to": ["bortezomib"]},
            ["bortezomib", "daratumumab"],
        ),
    ],
    ids=["no-myeloma", "none-named", "refractory-counts-as-given", "union-once-each"],
)
def test_exposed_agents(myeloma: dict[str, Any] | None, expected: list[str]) -> None:
    data: dict[str, Any] = {"primary": {"site": "myeloma"}}
    if myeloma is not None:
        data["myeloma"] = myeloma
    values, _ = _case_facts(data)
    assert values["mm.exposed_agents"] == expected


def test_clearance_range_ends() -> None:
    patient = {"age": 70, "weight_kg": 70}
    values, _ = _case_facts(
        {"patient": {**patient, "sex": "male"}, "labs": {"creatinine_umol_l": 90}}
    )
    assert (
        values["labs.crcl_low_ml_min"]
        == values["labs.crcl_high_ml_min"]
        == values["labs.crcl_ml_min"]
    )
    values, _ = _case_facts({"patient": patient, "labs": {"creatinine_umol_l": 90}})
    assert values["labs.crcl_ml_min"] is None
    assert values["labs.crcl_low_ml_min"] < values["labs.crcl_high_ml_min"]
    values, missing = _case_facts({"patient": patient})
    assert values["labs.crcl_low_ml_min"] is None and values["labs.crcl_high_ml_min"] is None
    assert "labs.creatinine_umol_l" in missing["labs.crcl_low_ml_min"]
