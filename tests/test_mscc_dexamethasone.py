"""Dexamethasone 16 mg in suspected or confirmed metastatic spinal cord compression only with
neurological symptoms or signs (NICE NG234 1.8.1; not routinely without them).

- a documented deficit (a new one, Frankel A–D, also before the MRI), radicular pain or a
  suspicion the team documents: firm and urgent, at once;
- a high-grade compression on MRI with the neurology not documented: conditional on the
  neurological finding, with the neurology question attached;
- the neurology documented normal: no suspected MSCC and no dexamethasone item, the spine
  consult says why.

The emergency, the MRI, surgery and radiotherapy keep their behaviour."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from osteoboard.case import Case
from osteoboard.caseio import parse_case
from osteoboard.engine import evaluate
from osteoboard.facts import case_facts
from osteoboard.prognosis import derive_prognosis
from osteoboard.proposal import Proposal, Recommendation
from osteoboard.render.letter import build_letter
from osteoboard.scores import compute_all
from tests.test_referral_cases import firm_codes, present_codes, referral

T10_BILSKY2 = {
    "id": "T10",
    "region": "spine",
    "level": "T10",
    "type": "lytic",
    "pain": "non_mechanical",
    "pain_vas": 6,
    "escc_grade": "2",
    "symptomatic": True,
}
T10_UNGRADED = {"id": "T10", "region": "spine", "level": "T10", "type": "lytic"}
NORMAL = {"frankel": "E", "new_deficit": False, "radicular_pain": False}


def _case(neurology: dict[str, Any], lesions: list[dict[str, Any]]) -> Case:
    return parse_case(
        {
            "id": "mscc-dexamethasone",
            "board_date": "2026-11-20",
            "patient": {"age": 64, "sex": "male", "ecog": 1, "fit_for_surgery": True},
            "primary": {"site": "lung_nsclc", "histology": "adenocarcinoma"},
            "neurology": neurology,
            "lesions": lesions,
        }
    )


def _items(p: Proposal, code: str) -> list[Recommendation]:
    return [i for i in [*p.emergencies, *p.recommendations] if i.code == code]


def _dexamethasone(p: Proposal) -> Recommendation:
    (item,) = _items(p, "SUP.DEXAMETHASONE")
    return item


@pytest.mark.parametrize(
    ("neurology", "lesions"),
    [
        # New leg weakness, the MRI not reported yet: at once, before the MRI.
        ({"new_deficit": True, "frankel": "D"}, [T10_UNGRADED]),
        ({"new_deficit": True, "whole_spine_mri_done": False}, [T10_UNGRADED]),
        # A stable deficit beside the compression on MRI.
        ({"frankel": "C"}, [T10_BILSKY2]),
        # Radicular pain is a neurological symptom of MSCC.
        ({"radicular_pain": True}, [T10_UNGRADED]),
        # A suspicion the treating team documents because of neurological findings.
        ({"mscc_suspected": True}, [T10_UNGRADED]),
        # Weakness that began 12 hours ago is new by its date, also where the referral leaves
        # the new-deficit field empty or contradicts it.
        ({"deficit_onset_hours": 12}, [T10_UNGRADED]),
        ({"new_deficit": False, "deficit_onset_hours": 12}, [T10_UNGRADED]),
    ],
    ids=[
        "new-deficit-mri-pending",
        "new-deficit-no-mri",
        "frankel-c-bilsky2",
        "radicular",
        "team",
        "onset-12h",
        "onset-12h-marked-not-new",
    ],
)
def test_documented_neurological_symptoms_get_dexamethasone_at_once(
    neurology: dict[str, Any], lesions: list[dict[str, Any]]
) -> None:
    p = evaluate(_case(neurology, lesions))
    dexa = _dexamethasone(p)
    assert (str(dexa.status), str(dexa.priority), dexa.rule) == (
        "firm",
        "urgent",
        "emerg.mscc_dexamethasone",
    )
    (emergency,) = _items(p, "EMERG.MSCC")
    assert str(emergency.status) in {"suspected", "confirmed"}
    # The steroid's own hazards: glucose, stomach, an adrenal replacement not undercut.
    for word in ("Blutzucker", "Protonenpumpenhemmer", "Ersatztherapie"):
        assert word in dexa.text.de
    contradiction = [w for w in p.warnings if w.code == "WARN.NEUROLOGY_CONFLICT"]
    assert bool(contradiction) == (neurology.get("new_deficit") is False)


def test_an_onset_more_than_a_week_back_beside_not_new_is_an_old_deficit() -> None:
    p = evaluate(
        _case(
            {
                "new_deficit": False,
                "deficit_onset_hours": 400,
                "frankel": "E",
                "radicular_pain": False,
            },
            [T10_UNGRADED],
        )
    )
    assert not _items(p, "EMERG.MSCC") and not _items(p, "SUP.DEXAMETHASONE")
    assert not [w for w in p.warnings if w.code == "WARN.NEUROLOGY_CONFLICT"]


def test_compression_on_mri_with_the_neurology_not_documented_waits_for_the_examination() -> None:
    p = evaluate(_case({}, [T10_BILSKY2]))
    dexa = _dexamethasone(p)
    assert (str(dexa.status), str(dexa.priority), dexa.rule) == (
        "conditional",
        "urgent",
        "emerg.mscc_dexamethasone_neurology_open",
    )
    # A deficit, or radicular pain on its own (NICE counts it as a symptom of MSCC): two
    # alternatives, each enough.
    assert {(c.group, c.fact) for c in dexa.conditions or []} == {
        (0, "neuro.any_deficit"),
        (1, "neuro.radicular_pain"),
    }
    assert "wenn neurologische Symptome oder Befunde" in dexa.text.de
    assert "nicht routinemäßig" in dexa.text.de
    # The neurology question is asked and decides the dexamethasone.
    (question,) = [q for q in p.questions if "neurology.new_deficit" in q.fields]
    assert "SUP.DEXAMETHASONE" in question.decides
    assert "radikulär" in question.text.de
    # The emergency and its work-up stay as they were: suspected MSCC, the urgent MRI, the
    # operation and the emergency radiotherapy on the condition of a deficit.
    (emergency,) = _items(p, "EMERG.MSCC")
    assert str(emergency.status) == "suspected"
    (mri,) = _items(p, "DX.MRI_WHOLE_SPINE_URGENT")
    assert (str(mri.status), str(mri.priority)) == ("firm", "urgent")
    (surgery,) = _items(p, "SURG.DECOMPRESSION_STABILIZATION")
    assert str(surgery.status) == "conditional"
    assert any(str(i.priority) == "urgent" for i in _items(p, "RT.MSCC"))


@pytest.mark.parametrize("site", ["myeloma", "lymphoma"])
def test_a_confirmed_haematological_malignancy_gets_dexamethasone_without_neurology(
    site: str,
) -> None:
    # NICE NG234 1.8.5: myeloma or lymphoma with spinal metastases or MSCC - 16 mg whether or
    # not there are neurological symptoms or signs; the haematology team sets the rest.
    # The neurology open (the compression rules) or documented without a sign of compression
    # (the documented Bilsky 2 itself): firm either way.
    for neurology in ({}, {"new_deficit": False, "radicular_pain": False, "frankel": "E"}):
        doc = _case(neurology, [T10_BILSKY2]).model_dump(mode="json", exclude_none=True)
        doc["primary"] = {"site": site}
        p = evaluate(parse_case(doc))
        dexa = _dexamethasone(p)
        assert (str(dexa.status), str(dexa.priority)) == ("firm", "urgent"), neurology
        assert dexa.rule == "emerg.escc_dexamethasone_haematological", neurology
        assert "hämatologischen Team" in dexa.text.de


def test_an_unknown_primary_keeps_dexamethasone_conditional_without_neurology() -> None:
    # Solid or haematological is open: the dose waits for either answer.
    doc = _case({}, [T10_BILSKY2]).model_dump(mode="json", exclude_none=True)
    del doc["primary"]
    dexa = _dexamethasone(evaluate(parse_case(doc)))
    assert str(dexa.status) == "conditional"
    assert {c.fact for c in dexa.conditions or []} >= {"neuro.any_deficit"}


def test_partly_documented_neurology_keeps_dexamethasone_conditional() -> None:
    # No new deficit and no radicular pain, the Frankel grade not reported: a known deficit
    # (Frankel A–D) is still possible beside the Bilsky 2 compression.
    p = evaluate(_case({"new_deficit": False, "radicular_pain": False}, [T10_BILSKY2]))
    dexa = _dexamethasone(p)
    assert str(dexa.status) == "conditional"
    assert [c.fact for c in dexa.conditions or []] == ["neuro.any_deficit"]


def test_compression_on_mri_with_normal_neurology_gets_no_dexamethasone() -> None:
    p = evaluate(_case(NORMAL, [T10_BILSKY2]))
    assert not _items(p, "SUP.DEXAMETHASONE")
    assert not _items(p, "EMERG.MSCC")
    # The compression itself is still assessed, and the reason is given.
    (consult,) = _items(p, "SURG.SPINE_CONSULT")
    assert consult.rule == "spine.high_grade_escc_consult"
    assert "Dexamethason erst bei neurologischen Symptomen oder Befunden" in consult.text.de
    assert "ohne dokumentiertes neurologisches Defizit" in consult.text.de


def test_a_cranial_nerve_palsy_is_no_sign_of_cord_compression_for_the_mscc_dose() -> None:
    # Skull-base palsy with a Bilsky 2 lesion at T10, the spinal neurology not documented:
    # the skull-base dose is firm, the MSCC dose waits for a spinal finding.
    clivus = {"id": "CLIVUS", "region": "skull", "skull_base": True, "type": "lytic"}
    cranial = {"new_deficit": True, "deficit_level": "cranial_nerves", "deficit_onset_hours": 120}
    p = evaluate(_case(cranial, [clivus, T10_BILSKY2]))
    (skull,) = _items(p, "SUP.DEXAMETHASONE_SKULL_BASE")
    assert str(skull.status) == "firm"
    assert "mit neurologischen Symptomen oder Befunden an Rumpf" in skull.text.de
    assert str(_dexamethasone(p).status) == "conditional"


@pytest.mark.parametrize(
    ("neurology", "deficit", "radicular"),
    [
        ({}, False, False),
        (NORMAL, False, False),
        ({"frankel": "D"}, True, False),
        ({"new_deficit": True}, True, False),
        ({"new_deficit": True, "deficit_level": "cranial_nerves"}, False, False),
        ({"radicular_pain": True, "frankel": "E", "new_deficit": False}, False, True),
    ],
)
def test_documented_findings_are_never_open(
    neurology: dict[str, Any], deficit: bool, radicular: bool
) -> None:
    case = _case(neurology, [T10_UNGRADED])
    scores = compute_all(case)
    facts = case_facts(case, scores, derive_prognosis(None, scores)).values
    assert facts["neuro.any_deficit_documented"] is deficit
    assert facts["neuro.radicular_pain_documented"] is radicular


def test_the_letter_promises_no_cortisone_before_the_neurology_is_known() -> None:
    case = _case({}, [T10_BILSKY2])
    text = json.dumps(build_letter(evaluate(case), case).model_dump(), ensure_ascii=False)
    assert "Sie bekommen sofort Kortison" not in text
    assert "Kortison gegen die Schwellung am Rückenmark" in text  # among what is being clarified
    case = _case({"new_deficit": True}, [T10_BILSKY2])
    text = json.dumps(build_letter(evaluate(case), case).model_dump(), ensure_ascii=False)
    assert "Sie bekommen sofort Kortison" in text


def test_referral_bilsky2_neurology_not_documented() -> None:
    ref = referral(
        Path(__file__).parent / "cases" / "071-lung-t10-bilsky2-neurology-not-documented.yaml"
    )
    assert ref.case.neurology.model_dump(exclude_none=True) == {}
    p = evaluate(ref.case)
    assert set(ref.required) <= present_codes(p)
    assert not set(ref.forbidden_firm) & firm_codes(p)
    assert str(_dexamethasone(p).status) == "conditional"
    (emergency,) = _items(p, "EMERG.MSCC")
    assert str(emergency.status) == "suspected"


@pytest.mark.parametrize("mri_done", [None, False])
def test_an_old_deficit_documented_as_not_new_raises_no_suspected_compression(
    mri_done: bool | None,
) -> None:
    """A paraplegia from an accident years ago (Frankel A, documented as not new), T10 not
    graded: the compression is named only on the condition that the MRI shows one (SPEC 5.1:
    "ESCC 2-3 with any deficit"), without dexamethasone or the 24-hour MRI; the MRI grade is
    the first question."""
    neurology: dict[str, Any] = {"frankel": "A", "new_deficit": False}
    if mri_done is not None:
        neurology["whole_spine_mri_done"] = mri_done
    p = evaluate(_case(neurology, [T10_UNGRADED]))
    (mscc,) = _items(p, "EMERG.MSCC")
    assert "spine.any_escc_high_grade" in {c.fact for c in mscc.conditions}
    # Its definitive treatment on the same condition (both branches, SPEC 4.1).
    treatments = [*_items(p, "RT.MSCC"), *_items(p, "SURG.DECOMPRESSION_STABILIZATION")]
    assert treatments and all(str(i.status) == "conditional" for i in treatments)
    for code in ("SUP.DEXAMETHASONE", "DX.MRI_WHOLE_SPINE_URGENT"):
        assert code not in firm_codes(p), code
        # Only a new sign (radicular pain) would call for them now.
        assert all(
            "neuro.radicular_pain" in {c.fact for c in i.conditions} for i in _items(p, code)
        ), code
    assert p.questions[0].fact in ("spine.any_escc_high_grade", "lesion.escc_grade")
    # Graded Bilsky 2: the compression with the old deficit is an emergency.
    graded = evaluate(_case(neurology, [T10_BILSKY2]))
    assert str(_items(graded, "EMERG.MSCC")[0].status) == "confirmed"


@pytest.mark.parametrize("new_deficit", [True, None])
def test_a_deficit_not_documented_as_old_still_raises_it_before_the_mri(
    new_deficit: bool | None,
) -> None:
    """Leg weakness (Frankel C), new or not stated, T10 not graded, MRI pending: suspected cord
    compression with dexamethasone at once."""
    neurology: dict[str, Any] = {"frankel": "C", "whole_spine_mri_done": False}
    if new_deficit is not None:
        neurology["new_deficit"] = new_deficit
    p = evaluate(_case(neurology, [T10_UNGRADED]))
    assert str(_items(p, "EMERG.MSCC")[0].status) == "suspected"
    assert "SUP.DEXAMETHASONE" in firm_codes(p)
    assert "DX.MRI_WHOLE_SPINE_URGENT" in firm_codes(p)


def test_radicular_pain_alone_open_keeps_the_conditional_emergency_steps() -> None:
    """No new deficit and Frankel E documented, radicular pain and the onset of any deficit
    not: dexamethasone and the 24-hour MRI stay conditional on radicular pain - an
    undocumented onset is no second open fact that would silence them."""
    p = evaluate(
        _case({"frankel": "E", "new_deficit": False, "whole_spine_mri_done": False}, [T10_UNGRADED])
    )
    for code in ("SUP.DEXAMETHASONE", "DX.MRI_WHOLE_SPINE_URGENT"):
        (item,) = _items(p, code)
        assert item.status == "conditional", code
        assert [c.fact for c in item.conditions] == ["neuro.radicular_pain"], code


@pytest.mark.parametrize("hours", [150, 169, 200, 720])
def test_an_onset_of_any_age_never_takes_away_a_documented_new_deficit(hours: int) -> None:
    """A new deficit with radicular pain documented: the suspected compression, dexamethasone,
    the 24-hour MRI and both treatment branches stand whatever the onset - an onset beyond the
    week counts for nothing (it was once read so that it took the whole emergency away)."""
    p = evaluate(
        _case(
            {
                "new_deficit": True,
                "frankel": "C",
                "radicular_pain": True,
                "deficit_onset_hours": hours,
            },
            [T10_BILSKY2],
        )
    )
    (emergency,) = _items(p, "EMERG.MSCC")
    assert str(emergency.status) in {"suspected", "confirmed"}
    assert _dexamethasone(p).status == "firm"
    assert [i.status for i in _items(p, "DX.MRI_WHOLE_SPINE_URGENT")] == ["firm"]
    branches = {
        i.code for i in _items(p, "RT.MSCC") + _items(p, "SURG.DECOMPRESSION_STABILIZATION")
    }
    assert branches == {"RT.MSCC", "SURG.DECOMPRESSION_STABILIZATION"}
    # An onset beyond the week is shown as what it is, not as a recent one.
    for item in [emergency, _dexamethasone(p)]:
        for reason in item.because:
            if reason.fact == "neuro.deficit_onset_recent":
                assert reason.value is (hours <= 168)


def test_a_corticosteroid_on_the_medication_raises_no_dexamethasone_by_itself() -> None:
    """Prednisolone beside abiraterone, or dexamethasone in a myeloma regimen, is no finding of
    a cord compression: a painful irradiated vertebra with the neurology not documented gets
    no urgent steroid item, as without the co-medication; with radicular pain documented the
    dose is raised (not started again)."""
    lesion = {**T10_UNGRADED, "pain": "mechanical", "pain_vas": 6, "symptomatic": True}
    for medication in ([], ["Abirateron 1000 mg", "Prednisolon 5 mg"]):
        doc = _case({}, [lesion]).model_dump(mode="json", exclude_none=True)
        doc["prior_therapy"] = {"current_medication": medication}
        assert _items(evaluate(parse_case(doc)), "SUP.DEXAMETHASONE") == [], medication
    doc = _case({"radicular_pain": True}, [lesion]).model_dump(mode="json", exclude_none=True)
    doc["prior_therapy"] = {"current_medication": ["Prednisolon 5 mg"]}
    dexa = _dexamethasone(evaluate(parse_case(doc)))
    assert (str(dexa.status), dexa.rule) == ("firm", "emerg.mscc_dexamethasone_on_corticosteroid")


def test_a_weekly_myeloma_dose_is_raised_at_a_high_grade_compression() -> None:
    """Myeloma on daratumumab, carfilzomib and dexamethasone 40 mg once a week, Bilsky 2 at T10,
    the neurology documented normal: the daily dose is raised to 16 mg (NICE NG234 1.8.5), not
    left at the weekly dose and not started a second time; the spine consult does not say
    "only with neurological symptoms" without the exception."""
    doc = _case(NORMAL, [T10_BILSKY2]).model_dump(mode="json", exclude_none=True)
    doc["primary"] = {"site": "myeloma"}
    doc["prior_therapy"] = {
        "current_medication": ["Daratumumab", "Carfilzomib", "Dexamethason 40 mg wöchentlich"]
    }
    p = evaluate(parse_case(doc))
    dexa = _dexamethasone(p)
    assert dexa.rule == "emerg.escc_dexamethasone_haematological_on_corticosteroid"
    assert "Tagesdosis auf 16 mg" in dexa.text.de
    (consult,) = _items(p, "SURG.SPINE_CONSULT")
    assert "bei gesichertem Myelom oder Lymphom schon jetzt" in consult.text.de
