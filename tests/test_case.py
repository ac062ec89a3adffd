"""The case model: what it accepts, what it rejects, and how it names the problem."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from osteoboard.case import Case, EsccGrade, Region
from osteoboard.caseio import MAX_PROBLEMS, CaseError, load_case, parse_case, read_document

EXAMPLES = sorted(Path(__file__).resolve().parents[1].joinpath("examples").glob("*.yaml"))


def test_there_are_at_least_ten_examples() -> None:
    assert len(EXAMPLES) >= 10


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_every_example_is_valid(path: Path) -> None:
    case = load_case(path)
    assert case.id.startswith("demo-")


def test_example_ids_are_unique() -> None:
    ids = [load_case(p).id for p in EXAMPLES]
    assert len(ids) == len(set(ids))


def test_minimal_case_needs_only_an_id() -> None:
    case = parse_case({"id": "x-1"})
    assert case.patient.age is None
    assert case.lesions == []


def error_of(data: dict[str, object]) -> str:
    with pytest.raises(CaseError) as exc:
        parse_case(data)
    return str(exc.value)


def test_missing_id_is_named() -> None:
    assert error_of({}) == "id: is required"


def test_unknown_field_is_rejected_with_its_path() -> None:
    msg = error_of({"id": "x", "patient": {"agee": 60}})
    assert msg.startswith("patient.agee: unknown field")


def test_enum_error_lists_allowed_values() -> None:
    msg = error_of({"id": "x", "lesions": [{"id": "L1", "region": "spine", "type": "lyric"}]})
    assert msg.startswith("lesions[0].type: must be one of 'lytic', 'mixed' or 'blastic'")
    assert "(got 'lyric')" in msg


def test_range_error_names_bound_and_value() -> None:
    msg = error_of({"id": "x", "patient": {"ecog": 5}})
    assert msg.startswith("patient.ecog:")
    assert "4" in msg and "(got 5)" in msg


def test_karnofsky_must_be_in_tens() -> None:
    assert error_of({"id": "x", "patient": {"karnofsky": 75}}).startswith("patient.karnofsky:")


def test_every_error_is_listed() -> None:
    with pytest.raises(CaseError) as exc:
        parse_case({"id": "x", "patient": {"ecog": 9, "karnofsky": 7}})
    assert exc.value.lines("en") == [
        "patient.ecog: must be at most 4 (got 9)",
        "patient.karnofsky: must be a multiple of 10 (got 7)",
    ]
    assert exc.value.lines("de") == [
        "patient.ecog: darf höchstens 4 sein (erhalten 9)",
        "patient.karnofsky: muss ein Vielfaches von 10 sein (erhalten 7)",
    ]
    assert str(exc.value) == "\n".join(exc.value.lines("en"))


def test_errors_beyond_the_limit_are_counted() -> None:
    lesions = [{"id": f"L{i}", "region": "spine", "level": "X"} for i in range(MAX_PROBLEMS + 3)]
    with pytest.raises(CaseError) as exc:
        parse_case({"id": "x", "lesions": lesions})
    lines = exc.value.lines("en")
    assert len(lines) == MAX_PROBLEMS + 1
    assert lines[-1] == "… and 3 more errors (fix the ones shown first)"


def test_spine_fields_on_long_bone_are_rejected() -> None:
    msg = error_of({"id": "x", "lesions": [{"id": "F", "region": "long_bone", "level": "L2"}]})
    assert msg == "lesions[0]: level applies only to region spine"


def test_kind_of_pain_is_the_spine_and_the_pelvis() -> None:
    # At the pelvis it is the pain on loading; a long bone states it as mirels_pain.
    for region in ("long_bone", "rib"):
        msg = error_of(
            {"id": "x", "lesions": [{"id": "F", "region": region, "pain": "mechanical"}]}
        )
        assert msg == "lesions[0]: pain applies only to region spine or pelvis"
    case = parse_case(
        {"id": "x", "lesions": [{"id": "P", "region": "pelvis", "pain": "mechanical"}]}
    )
    assert case.lesions[0].pain == "mechanical"


def test_long_bone_fields_on_spine_are_rejected() -> None:
    msg = error_of({"id": "x", "lesions": [{"id": "S", "region": "spine", "bone": "femur"}]})
    assert msg == "lesions[0]: bone applies only to region long_bone"


def test_the_bone_of_region_other_is_named_or_rejected_elsewhere() -> None:
    heel = {"id": "C1", "region": "other", "other_bone": "calcaneus", "side": "right"}
    (lesion,) = parse_case({"id": "x", "lesions": [heel]}).lesions
    assert lesion.other_bone == "calcaneus"
    femur = {"id": "F", "region": "long_bone", "other_bone": "calcaneus"}
    with pytest.raises(CaseError) as exc:
        parse_case({"id": "x", "lesions": [femur]})
    assert str(exc.value) == "lesions[0]: other_bone applies only to region other"
    (line,) = exc.value.lines("de")
    assert "other_bone" in line and "other" in line and "applies" not in line
    with pytest.raises(CaseError) as exc:
        parse_case({"id": "x", "lesions": [{"id": "C", "region": "other", "other_bone": "heel"}]})
    assert "'calcaneus'" in str(exc.value)  # the allowed values are listed


def test_peritrochanteric_only_in_femur() -> None:
    msg = error_of(
        {
            "id": "x",
            "lesions": [
                {"id": "H", "region": "long_bone", "bone": "humerus", "segment": "peritrochanteric"}
            ],
        }
    )
    assert "peritrochanteric applies only to bone femur" in msg


@pytest.mark.parametrize("level", ["C0", "C8", "T13", "L6", "S6", "X1", ""])
def test_invalid_levels(level: str) -> None:
    msg = error_of({"id": "x", "lesions": [{"id": "S", "region": "spine", "level": level}]})
    assert msg.startswith("lesions[0].level:")


def test_levels_are_normalised_to_upper_case() -> None:
    case = parse_case({"id": "x", "lesions": [{"id": "S", "region": "spine", "level": "t11"}]})
    assert case.lesions[0].level == "T11"


@pytest.mark.parametrize(
    ("given", "level"),
    [
        ("HWK 1", "C1"),
        ("HWK7", "C7"),
        ("BWK 8", "T8"),
        ("BWK 12", "T12"),
        ("Th8", "T8"),
        ("TH 1", "T1"),
        ("Th.12", "T12"),
        ("th 5", "T5"),
        ("LWK 1", "L1"),
        ("lwk3", "L3"),
        ("L.W.K. 5", "L5"),
        ("SWK 1", "S1"),
        ("swk5", "S5"),
        ("BWK 08", "T8"),
        ("T 4", "T4"),
    ],
)
def test_german_vertebra_notation_is_normalised(given: str, level: str) -> None:
    case = parse_case({"id": "x", "lesions": [{"id": "BWK8", "region": "spine", "level": given}]})
    assert case.lesions[0].level == level
    assert case.lesions[0].id == "BWK8"  # the id is kept as given


@pytest.mark.parametrize(
    "given", ["HWK 8", "HWK 0", "BWK 13", "Th13", "LWK 6", "SWK 6", "SWK 0", "BW 8", "Th", "8"]
)
def test_german_vertebra_notation_outside_the_spine_is_refused(given: str) -> None:
    msg = error_of({"id": "x", "lesions": [{"id": "S", "region": "spine", "level": given}]})
    assert msg.startswith("lesions[0].level: must be a vertebral level C1…C7")


def test_escc_grade_accepts_yaml_integers() -> None:
    doc = read_document("id: x\nlesions:\n  - {id: S, region: spine, escc_grade: 2}\n")
    case = parse_case(doc)
    assert case.lesions[0].escc_grade is EsccGrade.g2


def test_duplicate_lesion_ids_are_rejected() -> None:
    msg = error_of(
        {"id": "x", "lesions": [{"id": "L1", "region": "rib"}, {"id": "L1", "region": "rib"}]}
    )
    assert "'L1' is used twice" in msg


def test_duplicate_yaml_keys_are_rejected() -> None:
    with pytest.raises(CaseError, match="key 'age' appears twice"):
        read_document("id: x\npatient:\n  age: 60\n  age: 61\n")


def test_invalid_yaml_names_the_line() -> None:
    with pytest.raises(CaseError, match=r"invalid YAML at line \d"):
        read_document("id: x\npatient: [age: 60\nlesions: 3\n")


def test_invalid_json_names_the_line() -> None:
    with pytest.raises(CaseError, match="invalid JSON at line 1"):
        read_document('{"id": "x",}')


def test_receptor_status_only_for_breast() -> None:
    msg = error_of({"id": "x", "primary": {"site": "prostate", "her2": "positive"}})
    assert msg == "primary: her2 applies only to primary.site breast"


def test_visceral_details_require_presence() -> None:
    msg = error_of({"id": "x", "visceral_metastases": {"present": False, "pattern": "nodular"}})
    assert "pattern must be empty when present is false" in msg


def test_conventional_units_are_converted() -> None:
    case = parse_case(
        {"id": "x", "labs": {"calcium_mg_dl": 10.0, "creatinine_mg_dl": 1.0, "albumin_g_dl": 4}}
    )
    assert case.labs.calcium_mmol_l == pytest.approx(2.495, abs=0.001)
    assert case.labs.creatinine_umol_l == pytest.approx(88.42)
    assert case.labs.albumin_g_l == 40


def test_disagreeing_units_name_both_fields() -> None:
    msg = error_of({"id": "x", "labs": {"calcium_mg_dl": 10.0, "calcium_mmol_l": 3.0}})
    assert "calcium_mg_dl" in msg and "calcium_mmol_l" in msg


def test_converted_value_is_range_checked_in_the_unit_written() -> None:
    assert error_of({"id": "x", "labs": {"creatinine_mg_dl": 100}}).startswith(
        "labs.creatinine_mg_dl: must be at least 0.2036 and less than 33.93 (got 100)"
    )


def test_myeloma_series_must_be_chronological() -> None:
    msg = error_of(
        {
            "id": "x",
            "myeloma": {
                "series": [
                    {"date": "2026-02-01", "serum_m_g_dl": 1},
                    {"date": "2026-01-01", "serum_m_g_dl": 1},
                ]
            },
        }
    )
    assert msg.startswith("myeloma.series: assessments must be in date order")


def test_count_bounds_combine_listing_and_counts() -> None:
    lesions = [
        {"id": "a", "region": "spine", "level": "T4"},
        {"id": "b", "region": "spine", "level": "T5"},
        {"id": "c", "region": "rib"},
    ]
    open_case = parse_case({"id": "x", "lesions": lesions})
    assert open_case.vertebral_count_bounds() == (2, None)
    assert open_case.extraspinal_count_bounds() == (1, None)
    closed = parse_case(
        {
            "id": "x",
            "lesions": lesions,
            "bone_metastases": {"vertebral_count": 1, "extraspinal_count": 4},
        }
    )
    # The listing wins over a smaller count; a larger count wins over the listing.
    assert closed.vertebral_count_bounds() == (2, 2)
    assert closed.extraspinal_count_bounds() == (4, 4)


def test_case_is_immutable() -> None:
    case = parse_case({"id": "x", "lesions": [{"id": "a", "region": "rib"}]})
    with pytest.raises(Exception):  # noqa: B017 - pydantic raises ValidationError
        case.lesions[0].region = Region.spine  # type: ignore[misc]


def test_dates_parse() -> None:
    case = parse_case({"id": "x", "board_date": "2026-11-20"})
    assert case.board_date == dt.date(2026, 11, 20)


def test_json_schema_forbids_extra_fields() -> None:
    schema = Case.model_json_schema()
    assert schema["additionalProperties"] is False
    assert "id" in schema["required"]
    lesion = schema["$defs"]["Lesion"]
    assert lesion["additionalProperties"] is False


@pytest.mark.parametrize(
    ("block", "value", "meant"),
    [
        # by spelling, "nsclc" is closest to the opposite histology
        ({"primary": {"site": "nsclc"}}, "nsclc", "'lung_nsclc'"),
        ({"primary": {"site": "Lungen-Ca"}}, "Lungen-Ca", "'lung_nsclc' or 'lung_sclc'"),
        ({"prior_therapy": {"bone_modifying_agent": "XGEVA"}}, "XGEVA", "'denosumab'"),
        ({"lesions": [{"id": "L1", "region": "Os sacrum"}]}, "Os sacrum", "'spine'"),
        ({"lesions": [{"id": "L1", "region": "acetabulum"}]}, "acetabulum", "'pelvis'"),
        # The femoral neck is the joint end (a prosthesis), not the trochanteric region (a nail).
        (
            {"lesions": [{"id": "F1", "region": "long_bone", "segment": "Schenkelhals"}]},
            "Schenkelhals",
            "'epiphyseal'",
        ),
        (
            {"lesions": [{"id": "F1", "region": "long_bone", "segment": "femoral_neck"}]},
            "femoral_neck",
            "'epiphyseal'",
        ),
    ],
)
def test_a_word_referrals_use_names_the_value_it_means(
    block: dict[str, object], value: str, meant: str
) -> None:
    message = error_of({"id": "x", **block})
    assert f"(got {value!r}); did you mean {meant}?" in message


def test_a_synonym_hint_never_accepts_the_word() -> None:
    with pytest.raises(CaseError):
        parse_case({"id": "x", "primary": {"site": "nsclc"}})


@pytest.mark.parametrize(
    ("block", "where"),
    [
        (
            {
                "prior_therapy": {
                    "bone_modifying_agent": "denosumab",
                    "bone_modifying_agent_since": "2027-11-01",
                }
            },
            "prior_therapy.bone_modifying_agent_since",
        ),
        (
            {
                "myeloma": {
                    "stage": "active",
                    "series": [
                        {"date": "2026-09-01", "serum_m_g_dl": 2.0},
                        {"date": "2026-12-24", "serum_m_g_dl": 1.1},
                    ],
                }
            },
            "myeloma.series[1].date",
        ),
    ],
)
def test_history_after_the_board_date_is_refused_naming_the_field(
    block: dict[str, object], where: str
) -> None:
    # A start of therapy or a measurement lies before the board: a year typed wrongly would
    # make the months on an agent, or a myeloma response, come out of the future.
    with pytest.raises(CaseError) as exc:
        parse_case({"id": "x", "board_date": "2026-11-20", "primary": {"site": "myeloma"}, **block})
    (problem,) = exc.value.problems
    assert problem.where == where
    assert "2026-11-20" in problem.render("de") and "nach dem Konferenzdatum" in problem.render(
        "de"
    )


def test_history_on_the_board_date_is_accepted() -> None:
    case = parse_case(
        {
            "id": "x",
            "board_date": "2026-11-20",
            "primary": {"site": "myeloma"},
            "prior_therapy": {
                "bone_modifying_agent": "zoledronic_acid",
                "bone_modifying_agent_since": "2026-11-20",
            },
            "myeloma": {"stage": "active", "series": [{"date": "2026-11-20", "serum_m_g_dl": 2.0}]},
        }
    )
    assert case.prior_therapy.bone_modifying_agent_since == dt.date(2026, 11, 20)


def test_a_minor_is_told_where_children_belong_not_to_leave_the_age_out() -> None:
    with pytest.raises(CaseError) as exc:
        parse_case({"id": "teen", "patient": {"age": 15}})
    (line,) = exc.value.lines("en")
    assert line.startswith("patient.age: must be at least 18 (got 15); osteoboard is for adults")
    assert "paediatric oncology centre" in line and "do not leave the age out" in line
