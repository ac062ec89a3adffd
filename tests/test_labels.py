"""The vocabulary of every output (knowledge/labels.yaml): complete, exact, shared with facts."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from osteoboard.case import Alignment, Collapse, EsccGrade, PrimarySite
from osteoboard.guideline import load_knowledge_base
from osteoboard.labels import case_fields, field_key, score_vocabularies, vocabularies
from tests.kb_copies import edited_copy, load_error


def test_every_enumeration_value_has_a_label() -> None:
    labels = load_knowledge_base().labels
    for name, values in vocabularies().items():
        assert set(labels.vocabularies[name]) == {str(v) for v in values}, name
    for score, categories in score_vocabularies().items():
        assert set(labels.score_categories[score]) == set(categories), score
    assert set(labels.fields) == set(case_fields())


def test_case_enumerations_are_found_without_a_list() -> None:
    found = vocabularies()
    assert found["alignment"] == tuple(Alignment)
    assert found["collapse"] == tuple(Collapse)
    assert found["escc_grade"] == tuple(EsccGrade)
    assert {"priority", "strength", "item_status", "prognosis_band", "missing_priority"} <= set(
        found
    )


def test_the_words_the_issue_found_raw() -> None:
    labels = load_knowledge_base().labels
    assert labels.say("alignment", "de_novo_deformity") == "neue Deformität (Kyphose oder Skoliose)"
    assert labels.say("collapse", "lt_50") == "Einbruch unter 50 %"
    assert labels.say("posterolateral", "bilateral").startswith("beidseitige")
    assert labels.say("escc_grade", "2", short=True) == "Bilsky 2"
    assert labels.category("imwg_response", "vgpr", short=False).startswith("sehr gute")
    assert labels.say("primary_site", PrimarySite.lung_nsclc) == (
        "nicht-kleinzelliges Lungenkarzinom"
    )
    assert labels.score_value("sins", "location", "semi_rigid") == "semirigide"
    assert labels.say("joint", "hip") == "Hüftgelenk"


def test_fact_values_come_from_the_vocabulary() -> None:
    kb = load_knowledge_base()
    site = kb.facts["primary.site"].values
    assert site["lung_nsclc"].de == kb.labels.say("primary_site", "lung_nsclc")
    segment = kb.facts["lesion.segment"].values
    assert set(segment) == {"peritrochanteric", "epiphyseal", "metaphyseal", "diaphyseal", "none"}
    assert segment["diaphyseal"].de == kb.labels.say("segment", "diaphyseal")


def test_field_paths_in_words() -> None:
    labels = load_knowledge_base().labels
    assert field_key("lesions[L1].escc_grade") == ("lesions[].escc_grade", ["L1"])
    assert labels.field("lesions[L1].escc_grade").endswith("(Läsion L1)")
    assert labels.field("labs.calcium_mmol_l") == "Serumkalzium"
    assert labels.field("labs.calcium_mmol_l", "en") == "serum calcium"


def test_vertebral_levels_in_german_notation() -> None:
    labels = load_knowledge_base().labels
    assert [labels.level(x) for x in ("C5", "T8", "L2", "S1")] == [
        "HWK 5",
        "BWK 8",
        "LWK 2",
        "SWK 1",
    ]
    assert labels.level("L2", "en") == "L2"


def _drop(path: list[str]) -> Any:
    def change(data: Any) -> None:
        node = data
        for key in path[:-1]:
            node = node[key]
        del node[path[-1]]

    return change


def _add(path: list[str], value: Any) -> Any:
    def change(data: Any) -> None:
        node = data
        for key in path[:-1]:
            node = node[key]
        node[path[-1]] = value

    return change


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            _drop(["vocabularies", "collapse", "lt_50"]),
            "vocabularies.collapse: no label for 'lt_50'",
        ),
        (
            _add(["vocabularies", "collapse", "lt_30"], {"de": "x", "en": "x"}),
            "label for 'lt_30', which does not exist",
        ),
        (_drop(["vocabularies", "sarcoma_site"]), "vocabularies: no label for 'sarcoma_site'"),
        (_drop(["score_categories", "imwg_response", "vgpr"]), "no label for 'vgpr'"),
        (_drop(["fields", "lesions[].level"]), "fields: no label for 'lesions[].level'"),
        (
            _add(["fields", "lesions[].colour"], {"de": "Farbe", "en": "colour"}),
            "label for 'lesions[].colour', which does not exist",
        ),
        (
            _add(["score_values", "sins", "pain"], "pain_kinds"),
            "score_values.sins.pain: unknown vocabulary 'pain_kinds'",
        ),
        (
            _add(["score_values", "sinss"], {}),
            "score_values.sinss: not a score",
        ),
        (_add(["vocabularies", "priority", "urgent"], {"de": "dringend"}), "en"),
        (
            _add(
                ["vocabularies", "region", "pelvis"],
                {"de": "Becken", "en": "pelvis", "synonyms": ["Long-Bone"]},
            ),
            "vocabularies.region.pelvis: synonym 'longbone' is a value or listed twice",
        ),
        (
            _add(
                ["vocabularies", "region", "rib"],
                {"de": "Rippe", "en": "rib", "synonyms": ["costa", "Costa"]},
            ),
            "synonym 'costa' is a value or listed twice",
        ),
    ],
)
def test_labels_are_linted_on_load(tmp_path: Path, change: Any, message: str) -> None:
    assert message in load_error(edited_copy(tmp_path, "labels.yaml", change))


def test_a_vocabulary_a_fact_names_must_exist(tmp_path: Path) -> None:
    def change(data: Any) -> None:
        data["facts"]["lesion.segment"]["vocabulary"] = "segments"

    message = load_error(edited_copy(tmp_path, "facts.yaml", change))
    assert "unknown vocabulary 'segments'" in message


def test_a_value_is_named_in_one_place_only(tmp_path: Path) -> None:
    def change(data: Any) -> None:
        data["facts"]["lesion.segment"]["values"]["diaphyseal"] = {"de": "Schaft", "en": "shaft"}

    message = load_error(edited_copy(tmp_path, "facts.yaml", change))
    assert "'diaphyseal' named here and in labels.yaml" in message


def test_a_fact_without_its_vocabulary_misses_values(tmp_path: Path) -> None:
    def change(data: Any) -> None:
        del data["facts"]["lesion.type"]["vocabulary"]

    assert "values must name every value" in load_error(edited_copy(tmp_path, "facts.yaml", change))
