"""The message table: both languages for every message, and every error our own validators
raise has its German words."""

from __future__ import annotations

import re
import string
from pathlib import Path

import pytest

from osteoboard.caseio import CaseError, parse_case
from osteoboard.messages import MESSAGES, USAGE_ERRORS, VALUE_ERRORS, Msg, value_error

SRC = Path(__file__).resolve().parents[1] / "src" / "osteoboard"


def _fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


@pytest.mark.parametrize("key", sorted(MESSAGES))
def test_both_languages_take_the_same_parameters(key: str) -> None:
    de, en = MESSAGES[key]
    assert de.strip() and en.strip()
    assert _fields(de) == _fields(en), key


def test_every_message_used_in_the_code_exists() -> None:
    calls = re.compile(
        r"""(?:Msg\(|_m\(|_document_error\([^,()]+,\s*|_NodeError\([^,()]+,\s*)"(\w+)\""""
    )
    used = {m for path in SRC.rglob("*.py") for m in calls.findall(path.read_text())}
    used |= {key for _, key in (*VALUE_ERRORS, *USAGE_ERRORS)}
    assert len(used) > 40  # the scan finds the calls
    assert used <= set(MESSAGES), used - set(MESSAGES)


# One case per error our validators raise (src/osteoboard/case.py, units.py).
VALIDATOR_ERRORS = {
    "date_window": {"board_date": "1800-01-01"},
    "not_printable": {"primary": {"histology": "a\x1bb"}},
    "only_for_site": {"primary": {"site": "prostate", "her2": "positive"}},
    "only_for_sites": {"primary": {"site": "breast", "targetable_driver": True}},
    "empty_unless_present": {"visceral_metastases": {"present": False, "pattern": "nodular"}},
    "count_unless_present": {"visceral_metastases": {"present": False, "count": 2}},
    "brain_not_present": {"visceral_metastases": {"present": False, "brain": True}},
    "only_for_region": {"lesions": [{"id": "F", "region": "long_bone", "level": "L2"}]},
    "only_for_region_unstated": {"lesions": [{"id": "X", "level": "L2"}]},
    "peritrochanteric_femur": {
        "lesions": [
            {"id": "H", "region": "long_bone", "bone": "humerus", "segment": "peritrochanteric"}
        ]
    },
    "spine_level": {"lesions": [{"id": "S", "region": "spine", "level": "BWK 13"}]},
    "series_order": {
        "myeloma": {"series": [{"date": "2026-02-01"}, {"date": "2026-01-01"}]},
    },
    "block_for_site": {"primary": {"site": "breast"}, "sarcoma": {"subtype": "leiomyosarcoma"}},
    "lesion_id_twice": {"lesions": [{"id": "a", "region": "rib"}, {"id": "a", "region": "rib"}]},
    "histology_without_confirmation": {
        "primary": {"site": "unknown", "histology": "adenocarcinoma", "histology_confirmed": False}
    },
    "lesion_confirmed_without_tissue_diagnosis": {
        "primary": {"histology_confirmed": False},
        "lesions": [{"id": "F", "region": "long_bone", "histology_confirmed": True}],
    },
    "true_for_male": {"patient": {"sex": "male", "pregnant": True}},
    "fetal_dose_unless_pregnant": {"patient": {"fetal_dose_acceptable": True}},
    "stage_without_jaw_osteonecrosis": {
        "patient": {"jaw_osteonecrosis": False, "jaw_osteonecrosis_stage": 2}
    },
    "mr_conditional_without_device": {
        "patient": {"cardiac_device": "none", "cardiac_device_mr_conditional": True}
    },
    "mri_reason_without_contraindication": {
        "patient": {"mri_contraindicated": False, "mri_contraindication_reason": "Schrittmacher"}
    },
    "declined_twice": {"patient": {"declines": ["surgery", "radiotherapy", "surgery"]}},
    "dose_without_agent": {
        "prior_therapy": {
            "bone_modifying_agent": "none",
            "bone_modifying_agent_dose": "osteoporosis",
        }
    },
    "lab_not_number": {"labs": {"calcium_mg_dl": "zehn"}},
    "units_disagree": {"labs": {"calcium_mg_dl": 10.0, "calcium_mmol_l": 3.0}},
    "operation_region": {
        "lesions": [{"id": "S", "region": "spine", "operation": "endoprosthesis"}]
    },
    "operation_region_unstated": {"lesions": [{"id": "X", "operation": "decompression"}]},
    "deficit_level_alone": {"neurology": {"new_deficit": False, "deficit_level": "spinal"}},
    "operation_date_alone": {
        "lesions": [{"id": "F", "region": "long_bone", "operation_date": "2026-11-01"}]
    },
    "after_board_date": {
        "board_date": "2026-11-20",
        "lesions": [
            {
                "id": "F",
                "region": "long_bone",
                "operation": "intramedullary_nail",
                "operation_date": "2026-11-21",
            }
        ],
    },
}


def test_every_validator_message_has_a_case() -> None:
    assert set(VALIDATOR_ERRORS) == {key for _, key in VALUE_ERRORS}


@pytest.mark.parametrize("key", sorted(VALIDATOR_ERRORS))
def test_validator_errors_speak_german(key: str) -> None:
    with pytest.raises(CaseError) as exc:
        parse_case({"id": "x", **VALIDATOR_ERRORS[key]})
    (problem,) = exc.value.problems
    assert problem.what.key == key
    english, german = problem.what.render("en"), problem.what.render("de")
    assert english != german
    # English is the validator's own text, word for word.
    assert value_error(english) == Msg(key, problem.what.params)


def test_unknown_validator_text_is_shown_as_it_is() -> None:
    msg = value_error("something new went wrong")
    assert msg.render("de") == msg.render("en") == "something new went wrong"


def test_operation_errors_name_the_field_and_what_is_allowed() -> None:
    """The operation's date is checked against the board date and named as its own field;
    the regions an operation allows are listed, with "oder" in German."""
    with pytest.raises(CaseError) as exc:
        parse_case(
            {
                "id": "x",
                "board_date": "2026-11-20",
                "lesions": [
                    {"id": "S", "region": "spine", "level": "T7"},
                    {
                        "id": "F",
                        "region": "long_bone",
                        "operation": "intramedullary_nail",
                        "operation_date": "2026-12-01",
                    },
                ],
            }
        )
    (problem,) = exc.value.problems
    assert problem.where == "lesions[1].operation_date"
    assert problem.render("de") == (
        "lesions[1].operation_date: darf nicht nach dem Konferenzdatum board_date 2026-11-20 "
        "liegen (erhalten 2026-12-01)"
    )
    with pytest.raises(CaseError) as exc:
        parse_case(
            {"id": "x", "lesions": [{"id": "P", "region": "skull", "operation": "endoprosthesis"}]}
        )
    (problem,) = exc.value.problems
    assert problem.render("de") == (
        "lesions[0]: operation endoprosthesis gilt nur für region long_bone oder pelvis"
    )
    assert problem.render("en") == (
        "lesions[0]: operation endoprosthesis applies only to region long_bone or pelvis"
    )
    # On the board date itself the operation is allowed.
    case = parse_case(
        {
            "id": "x",
            "board_date": "2026-11-20",
            "lesions": [
                {
                    "id": "F",
                    "region": "long_bone",
                    "operation": "intramedullary_nail",
                    "operation_date": "2026-11-20",
                }
            ],
        }
    )
    assert case.lesions[0].operation_date is not None
