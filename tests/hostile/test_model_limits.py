"""Model limits that keep every downstream step safe: a plausible date window, list lengths,
printable free text."""

from __future__ import annotations

import datetime as dt

import pytest

from osteoboard.case import Case
from osteoboard.caseio import CaseError, parse_case
from osteoboard.engine import evaluate
from osteoboard.myeloma import analyse
from osteoboard.render.html import render_protocol_html
from osteoboard.render.letter import render_letter_html, render_letter_pdf
from osteoboard.render.mprotein import mprotein_svg


def _error(data: dict[str, object]) -> str:
    with pytest.raises(CaseError) as exc:
        parse_case(data)
    return str(exc.value)


@pytest.mark.parametrize("value", ["1899-12-31", "2101-01-01", "9999-12-31", "0001-01-01"])
def test_dates_outside_the_clinical_window_are_field_errors(value: str) -> None:
    assert _error({"id": "x", "board_date": value}) == (
        "board_date: must be a date from 1900-01-01 to 2100-12-31"
    )
    series = {"series": [{"date": value, "serum_m_g_dl": 1.0}]}
    assert _error({"id": "x", "myeloma": series}).startswith("myeloma.series[0].date: must be")
    since = {"bone_modifying_agent_since": value}
    assert _error({"id": "x", "prior_therapy": since}).startswith(
        "prior_therapy.bone_modifying_agent_since: must be"
    )


def _myeloma(first: str, second: str) -> Case:
    return parse_case(
        {
            "id": "mm-edge",
            "board_date": second,
            "primary": {"site": "myeloma"},
            "myeloma": {
                "stage": "active",
                "baseline": {"serum_m_g_dl": 3.0},
                "series": [
                    {"date": first, "serum_m_g_dl": 0.5},
                    {"date": second, "serum_m_g_dl": 1.6},
                ],
            },
        }
    )


@pytest.mark.parametrize(
    ("first", "second"), [("1900-01-01", "1900-02-01"), ("2100-11-01", "2100-12-31")]
)
def test_myeloma_course_at_the_window_edges_evaluates_and_plots(first: str, second: str) -> None:
    case = _myeloma(first, second)
    proposal = evaluate(case)
    assert proposal.case_id == "mm-edge"
    assert case.myeloma is not None
    assert "<svg" in mprotein_svg(analyse(case.myeloma))
    assert "mm-edge" in render_protocol_html(proposal, case)
    assert render_letter_html(proposal, case)
    assert render_letter_pdf(proposal, case).startswith(b"%PDF")


@pytest.mark.parametrize(
    ("path", "data", "limit"),
    [
        ("sarcoma.prior_agents", {"sarcoma": {"prior_agents": ["other"] * 41}}, 40),
        ("myeloma.refractory_to", {"myeloma": {"refractory_to": ["other"] * 41}}, 40),
        ("sarcoma.metastases.sites", {"sarcoma": {"metastases": {"sites": ["lung"] * 21}}}, 20),
        (
            "prior_therapy.planned_therapies",
            {"prior_therapy": {"planned_therapies": ["x"] * 21}},
            20,
        ),
        ("lesions", {"lesions": [{"id": f"L{i}", "region": "rib"} for i in range(201)]}, 200),
    ],
)
def test_every_list_has_a_maximum_length(path: str, data: dict[str, object], limit: int) -> None:
    assert _error({"id": "x", **data}).startswith(f"{path}: list should have at most {limit} items")


def test_a_million_prior_agents_are_refused_quickly() -> None:
    import time

    start = time.perf_counter()
    _error({"id": "x", "sarcoma": {"prior_agents": ["doxorubicin"] * 1_000_000}})
    assert time.perf_counter() - start < 5


def test_every_list_in_the_schema_has_a_maximum() -> None:
    def walk(node: object, where: str) -> None:
        if isinstance(node, dict):
            if node.get("type") == "array":
                assert "maxItems" in node, where
            for key, value in node.items():
                walk(value, f"{where}.{key}")
        elif isinstance(node, list):
            for i, value in enumerate(node):
                walk(value, f"{where}[{i}]")

    walk(Case.model_json_schema(), "case")


@pytest.mark.parametrize(
    "text", ["adeno\x1b[31m", "a\x00b", "line\nbreak", "rtl\u202eevil", "\ue000"]
)
def test_free_text_must_be_printable(text: str) -> None:
    message = _error({"id": "x", "primary": {"histology": text}})
    assert message.startswith("primary.histology: must be printable text (contains U+")
    message = _error({"id": "x", "prior_therapy": {"planned_therapies": [text]}})
    assert message.startswith("prior_therapy.planned_therapies[0]: must be printable text")


def test_a_lone_surrogate_is_refused() -> None:
    assert _error({"id": "x", "primary": {"histology": "a\ud800"}}).startswith("primary.histology:")


@pytest.mark.parametrize("text", ["腺癌", "carcinoma 🦴", "Ωμέγα ñ", "ক্যান্সার", "a\u200db"])
def test_printable_text_in_any_script_is_accepted(text: str) -> None:
    case = parse_case({"id": "x", "primary": {"histology": text}})
    assert case.primary.histology == text


def test_board_date_inside_the_window_is_kept() -> None:
    case = parse_case({"id": "x", "board_date": "2100-12-31"})
    assert case.board_date == dt.date(2100, 12, 31)


def test_missing_data_names_each_item_once_with_a_bounded_list_of_lesions() -> None:
    from osteoboard.guideline import load_knowledge_base
    from osteoboard.render.view import NEEDED_FOR_SHOWN, Speaker, changes

    speak = Speaker(load_knowledge_base())
    assert changes(["sins", "RT.SBRT[L1]", "RT.SBRT[L2]"], speak) == (
        "SINS (Spinal Instability Neoplastic Score); Stereotaktische Bestrahlung (SBRT) (L1, L2)"
    )
    many = [f"R{j}.X[L{i}]" for j in range(40) for i in range(200)]
    text = changes(many, speak)
    assert text.startswith("R0.X (L0, L1, L2 … 200 Läsionen); R1.X (L0, L1, L2 … 200 Läsionen)")
    assert text.endswith(f"{40 - NEEDED_FOR_SHOWN} weitere")
    assert len(text) < 1000
