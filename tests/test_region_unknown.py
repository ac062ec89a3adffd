"""A lesion whose region the referral does not state ("multiple bone metastases, site not
stated", a lesion listed with only an id and a size): accepted, scored as far as a region
allows, reasoned about in every region it could lie in, asked about, and rendered without a
site being invented."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from typer.testing import CliRunner

from osteoboard.case import SPINE_LEVELS, Case, Lesion
from osteoboard.caseio import CaseError, parse_case, read_document
from osteoboard.cli import app
from osteoboard.engine import evaluate
from osteoboard.facts import case_facts, lesion_facts
from osteoboard.guideline import load_knowledge_base
from osteoboard.prognosis import derive_prognosis
from osteoboard.proposal import Proposal
from osteoboard.render.bodymap import body_map_svg
from osteoboard.render.html import render_protocol_html
from osteoboard.render.letter import build_letter, render_letter_html
from osteoboard.render.protocol import render_protocol_pdf
from osteoboard.render.view import Speaker
from osteoboard.scores import compute_all
from osteoboard.scores.tomita import BoneSpread, bone_spread_from_case

REGIONS = ["spine", "long_bone", "pelvis", "rib", "skull", "sternum", "other"]


def case(*lesions: dict[str, Any], **blocks: Any) -> Case:
    return parse_case(
        {
            "id": "region-open",
            "board_date": "2026-11-20",
            "primary": {"site": "breast", "hormone_receptor": "positive", "her2": "negative"},
            **blocks,
            "lesions": list(lesions),
        }
    )


FRACTURE = {"id": "X1", "type": "lytic", "pain_vas": 6, "pathologic_fracture": True}


def item(p: Proposal, code: str, lesion: str | None) -> Any:
    found = [
        i for i in [*p.emergencies, *p.recommendations] if (i.code, i.lesion) == (code, lesion)
    ]
    assert found, f"{code}[{lesion}] not proposed"
    return found[0]


# --- the case ---------------------------------------------------------------------------------


def test_a_lesion_without_region_is_accepted() -> None:
    doc = read_document("id: x\nlesions:\n  - {id: X1, size_cm: 2.5}\n  - {id: X2, region: null}\n")
    c = parse_case(doc)
    assert [les.region for les in c.lesions] == [None, None]


@pytest.mark.parametrize(
    ("field", "value", "region"),
    [("level", "T4", "spine"), ("escc_grade", "2", "spine"), ("bone", "femur", "long_bone")],
)
def test_a_field_of_one_region_needs_the_region_stated(field: str, value: str, region: str) -> None:
    with pytest.raises(CaseError) as err:
        parse_case({"id": "x", "lesions": [{"id": "X1", field: value}]})
    assert str(err.value) == (
        f"lesions[0]: {field} applies only to region {region} (region is not given; state it)"
    )


def test_counts_with_lesions_of_unknown_region() -> None:
    # Two lesions somewhere, nothing counted: at least two in all, neither kind bounded.
    two = case({"id": "X1"}, {"id": "X2"})
    assert two.vertebral_count_bounds() == (0, None)
    assert two.extraspinal_count_bounds() == (0, None)
    assert two.bone_count_bounds() == (2, None)
    # One vertebra counted, no extraspinal one, one lesion somewhere: the lesion is that
    # vertebra, or one more extraspinal lesion than counted.
    counted = case({"id": "X1"}, bone_metastases={"vertebral_count": 1, "extraspinal_count": 0})
    assert counted.vertebral_count_bounds() == (1, 1)
    assert counted.extraspinal_count_bounds() == (0, 1)
    assert counted.bone_count_bounds() == (1, 2)
    # Without lesions of unknown region nothing changes.
    placed = case({"id": "R1", "region": "rib"}, bone_metastases={"vertebral_count": 2})
    assert placed.vertebral_count_bounds() == (2, 2)
    assert placed.bone_count_bounds() == (3, None)


# --- scores -----------------------------------------------------------------------------------


def test_region_scores_of_an_unplaced_lesion_are_ranges_if_in_that_region() -> None:
    scores = compute_all(case({"id": "X1", "type": "lytic"}, {"id": "R1", "region": "rib"}))
    by = {(s.name, s.lesion): s for s in scores}
    sins, mirels = by[("sins", "X1")], by[("mirels", "X1")]
    assert (sins.range, sins.category) == ((2, 18), None)  # lytic: 2 points, the rest open
    assert (mirels.range, mirels.category) == ((6, 12), None)  # lytic: 3 points
    for score, where in ((sins, "Wirbelsäule"), (mirels, "Röhrenknochen")):
        assert score.missing[0] == "lesions[X1].region"
        assert where in score.notes[0].de and "nicht angegeben" in score.notes[0].de
    # A lesion whose region is stated and has no such score gets none.
    assert ("sins", "R1") not in by and ("mirels", "R1") not in by


def test_case_scores_count_unplaced_lesions_without_placing_them() -> None:
    assert bone_spread_from_case(case({"id": "X1"}, {"id": "X2"}))[0] is BoneSpread.multiple
    one = case({"id": "X1"}, bone_metastases={"vertebral_count": 1, "extraspinal_count": 0})
    assert bone_spread_from_case(one) == (None, "lesions[X1].region")
    # Tokuhashi scores spinal metastases: a lesion somewhere does not make it apply.
    names = {s.name for s in compute_all(case({"id": "X1"}))}
    assert "tokuhashi_revised" not in names and "tomita" in names


# --- facts ------------------------------------------------------------------------------------


def facts(c: Case) -> tuple[Any, dict[str, Any]]:
    scores = compute_all(c)
    cf = case_facts(c, scores, derive_prognosis(c.patient.life_expectancy_months, scores))
    return cf, {les.id: lesion_facts(les, scores) for les in c.lesions}


def test_lesion_facts_of_an_unplaced_lesion() -> None:
    _, lesions = facts(case(FRACTURE))
    lf = lesions["X1"]
    region = ["lesions[X1].region"]
    # What the referral says stays known ...
    assert lf.values["lesion.painful"] is True
    assert lf.values["lesion.pathologic_fracture"] is True
    assert lf.values["lesion.fracture_documented"] is True
    assert lf.values["lesion.label"] == "X1"
    assert lf.values["lesion.region_documented"] is False
    # ... what depends on the region is unknown, with the values it takes across regions.
    assert lf.values["lesion.region"] is None
    assert lf.domains["lesion.region"] == REGIONS
    for name in ("lesion.spine", "lesion.long_bone", "lesion.escc_high_grade"):
        assert lf.values[name] is None and lf.domains[name] == [False, True], name
        assert lf.missing[name][0] == region[0], name
    assert lf.missing["lesion.escc_high_grade"] == [*region, "lesions[X1].escc_grade"]
    assert set(lf.domains["lesion.level"]) == {"", *SPINE_LEVELS}  # "" outside the spine
    assert lf.domains["lesion.segment"] == [
        "peritrochanteric",
        "epiphyseal",
        "metaphyseal",
        "diaphyseal",
        "none",
    ]
    assert lf.domains["lesion.sins_category"] == ["stable", "indeterminate", "unstable"]
    # A number across regions is not a measurement: no interval that could raise an item.
    assert lf.values["lesion.sins"] is None and "lesion.sins" not in lf.intervals


def test_lesion_facts_of_a_placed_lesion_are_unchanged() -> None:
    _, lesions = facts(case({**FRACTURE, "region": "rib"}))
    lf = lesions["X1"]
    assert lf.values["lesion.region"] == "rib" and lf.values["lesion.region_documented"] is True
    assert lf.values["lesion.spine"] is False and lf.values["lesion.long_bone"] is False
    assert lf.values["lesion.escc_high_grade"] is False and lf.values["lesion.sins"] == 0


def test_case_facts_with_unplaced_lesions() -> None:
    mri_done = {"whole_spine_mri_done": True, "new_deficit": True}
    cf, _ = facts(case({"id": "X1"}, {"id": "X2"}, neurology=mri_done))
    assert cf.values["bone.multiple"] is True and cf.values["bone.solitary"] is False
    assert cf.values["bone.spinal_lesion_listed"] is False  # none is listed as spinal
    # The MRI was done, but an unplaced lesion may be a spinal one whose grade is not given.
    assert cf.values["spine.any_escc_high_grade"] is None
    assert cf.missing["spine.any_escc_high_grade"] == ["lesions[X1].region", "lesions[X2].region"]
    assert cf.values["spine.mri_excludes_compression"] is None
    cf, _ = facts(case({"id": "R1", "region": "rib"}, neurology=mri_done))
    assert cf.values["spine.any_escc_high_grade"] is False
    assert cf.values["spine.mri_excludes_compression"] is True
    cf, _ = facts(case({"id": "X1"}))
    assert "neurology.whole_spine_mri_done" in cf.missing["spine.any_escc_high_grade"]


@pytest.mark.parametrize(("grade", "excludes"), [("0", True), ("1b", True), ("1c", False)])
def test_an_mri_with_disease_abutting_the_cord_excludes_no_compression(
    grade: str, excludes: bool
) -> None:
    """Bilsky 1c abuts the cord: an impending compression (NICE), so the MRI that shows it
    does not end the suspicion beside a new deficit; 0-1b leave the cord untouched."""
    lesion = {"id": "V1", "region": "spine", "level": "L1", "escc_grade": grade}
    cf, _ = facts(case(lesion, neurology={"whole_spine_mri_done": True, "new_deficit": True}))
    assert cf.values["spine.any_escc_high_grade"] is False
    assert cf.values["spine.mri_excludes_compression"] is excludes


# --- the proposal -----------------------------------------------------------------------------


def test_a_fracture_of_unstated_site_is_a_suspected_emergency_and_asks_where() -> None:
    p = evaluate(case(FRACTURE))
    emergency = item(p, "EMERG.PATHOLOGIC_FRACTURE", "X1")
    assert emergency.status.value == "suspected"
    assert emergency.rule == "emerg.pathologic_fracture_region_open"
    [condition] = emergency.conditions
    assert (condition.fact, condition.values) == ("lesion.region", ["long_bone", "pelvis"])
    assert condition.fields == ["lesions[X1].region"]
    # The text does not name the site as known; it says the site is not stated.
    assert "Lage nicht angegeben" in emergency.text.de
    assert "(langer Röhrenknochen oder Becken)" not in emergency.text.de
    # Both definitive branches, each on its conditions.
    fixation = item(p, "SURG.FRACTURE_FIXATION", "X1")
    assert fixation.status.value == "conditional"
    assert {c.group for c in fixation.conditions} == {0, 1}
    assert item(p, "RT.SINGLE_8GY", "X1").status.value == "conditional"
    # The first question is where the lesion is, and it decides the emergency.
    first = p.questions[0]
    assert first.fields == ["lesions[X1].region"]
    assert first.text.de.startswith("Läsion X1: Wo liegt diese Läsion")
    assert "EMERG.PATHOLOGIC_FRACTURE[X1]" in first.decides
    assert any(m.field == "lesions[X1].region" and m.priority == "urgent" for m in p.missing_data)


@pytest.mark.parametrize(
    ("region", "status"),
    [({"region": "long_bone", "bone": "femur"}, "confirmed"), ({"region": "pelvis"}, "confirmed")],
)
def test_a_fracture_of_a_stated_weight_bearing_site_is_confirmed(
    region: dict[str, str], status: str
) -> None:
    emergency = item(evaluate(case({**FRACTURE, **region})), "EMERG.PATHOLOGIC_FRACTURE", "X1")
    assert (emergency.status.value, emergency.rule) == (status, "emerg.pathologic_fracture")


def test_a_fracture_of_a_stated_rib_is_no_emergency() -> None:
    p = evaluate(case({**FRACTURE, "region": "rib"}))
    assert not [e for e in p.emergencies if e.code == "EMERG.PATHOLOGIC_FRACTURE"]


def test_compression_stays_suspected_when_the_region_of_its_lesion_is_not_stated() -> None:
    neurology = {"frankel": "C", "new_deficit": True, "whole_spine_mri_done": True}
    spinal = {"id": "L1", "region": "spine", "level": "T9", "escc_grade": "3", "pain_vas": 7}
    confirmed = item(evaluate(case(spinal, neurology=neurology)), "EMERG.MSCC", None)
    assert confirmed.status.value == "confirmed"
    somewhere = {"id": "L1", "pain_vas": 7}
    suspected = item(evaluate(case(somewhere, neurology=neurology)), "EMERG.MSCC", None)
    assert suspected.status.value == "suspected"
    p = evaluate(case(somewhere, neurology=neurology))
    assert item(p, "SUP.DEXAMETHASONE", None).status.value == "firm"


def test_sites_not_stated_give_nothing_firm_that_needs_a_site() -> None:
    """'Multiple bone metastases, site not stated': the bone-modifying agent for multiple
    metastases stands, waiting only for a calcium that is not low (no laboratory values are
    given); every lesion item waits for the site (or guards against it)."""
    p = evaluate(case({"id": "X1", "size_cm": 2.5}, {"id": "X2"}))
    assert not p.emergencies
    denosumab = item(p, "BMA.DENOSUMAB", None)
    assert denosumab.status.value == "conditional"
    assert {c.fact for c in denosumab.conditions} == {"labs.calcium_category"}
    for i in [*p.recommendations, *p.warnings]:
        if i.lesion is not None:
            assert i.status.value == "conditional" or i.conditions, (i.code, i.lesion)
    assert any(q.fields == ["lesions[X1].region"] for q in p.questions) or any(
        m.field == "lesions[X1].region" for m in p.missing_data
    )


# --- rendering --------------------------------------------------------------------------------


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_protocol_shows_the_lesion_without_a_site_and_asks_for_it() -> None:
    c = case(FRACTURE, {"id": "X2", "side": "left"})
    p = evaluate(c)
    text = _text(render_protocol_html(p, c))
    assert "X1 (Lokalisation nicht angegeben, osteolytisch, pathologische Fraktur)" in text
    assert "X2 (Lokalisation nicht angegeben, links)" in text
    assert "Verdacht: Pathologische Fraktur – Läsion X1" in text
    before_questions, questions = text.split("Fragen an das Board", 1)
    assert "Läsion X1: Wo liegt diese Läsion" in questions
    # No place is given to the lesions: neither the map's nor the vocabulary's "other".
    assert "andere Lokalisation" not in text and "andere Region" not in before_questions
    assert render_protocol_pdf(p, c).startswith(b"%PDF")


def test_lesion_label_and_skeleton_map_do_not_place_an_unplaced_lesion() -> None:
    speak = Speaker(load_knowledge_base())
    assert speak.lesion(Lesion(id="X1", side="left")) == "Lokalisation nicht angegeben, links"
    assert speak.lesion(Lesion(id="X1")) == "Lokalisation nicht angegeben"  # no side asked
    c = case(FRACTURE)
    svg = body_map_svg(c.lesions, compute_all(c))
    marker = svg[svg.index('data-lesion="X1"') :]
    assert 'data-region="unknown"' in marker[:200]
    title = marker[marker.index("<title>") + 7 : marker.index("</title>")]
    assert "Lokalisation nicht angegeben" in title and "kein Stabilitätsscore" in title


def test_letter_names_no_place_for_an_unplaced_lesion_and_says_it_is_being_clarified() -> None:
    c = case(FRACTURE, {"id": "R1", "region": "rib", "side": "left"})
    p = evaluate(c)
    text = _text(render_letter_html(p, c))
    assert "Verdacht: Ein Knochen ist gebrochen" in text  # the suspected emergency first
    # A biopsy of a first metastasis is proposed on its condition only (the marker retest): the
    # letter casts no doubt on the metastases, the biopsy is among the possible steps.
    assert (
        "Metastasen im Knochen: an einer noch nicht genannten Stelle im Skelett und in einer "
        "linken Rippe." in text
    )
    assert "noch nicht durch eine Gewebeprobe gesichert" not in text
    assert (
        "Vielleicht kommt noch dazu, je nach den offenen Fragen: Gewebeprobe aus einem Herd" in text
    )
    assert "Wo genau im Skelett ein Herd liegt" in text
    assert build_letter(p, c).sections


def test_schema_makes_the_region_optional() -> None:
    result = CliRunner().invoke(app, ["schema"])
    lesion = json.loads(result.stdout)["$defs"]["Lesion"]
    assert lesion["required"] == ["id"]
    assert {"type": "null"} in lesion["properties"]["region"]["anyOf"]
    assert "not say where" in lesion["properties"]["region"]["description"]
