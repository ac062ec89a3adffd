"""A planned GnRH (LHRH) agonist in castration-sensitive prostate cancer with bone metastases
warns of the testosterone flare and names the safe starts (EAU prostate guideline; leuprorelin
SmPC 4.3/4.4): a GnRH antagonist or an orchiectomy, or an antiandrogen with the first dose.
The warning is silent once one of those is planned, when androgen deprivation began four weeks
ago or more, and in castration-resistant disease. The patient, who would notice the flare
first, reads in the letter why the first weeks matter, that the team plans a cover, and which
symptoms make him call at once."""

from __future__ import annotations

from typing import Any

import pytest

from osteoboard.caseio import CaseError, parse_case
from osteoboard.engine import evaluate
from osteoboard.render.letter import Letter, build_letter
from tests.support.letter_text import section_text


def _case(**prior: Any) -> dict[str, Any]:
    # New castration-sensitive prostate cancer, T10 with epidural tumour (Bilsky 2), an agonist
    # depot planned for tomorrow; the neurological examination is not documented.
    return {
        "id": "flare",
        "board_date": "2026-11-20",
        "patient": {"age": 71, "sex": "male", "ecog": 1},
        "primary": {"site": "prostate", "castration_status": "sensitive"},
        "bone_metastases": {"vertebral_count": 5, "extraspinal_count": 8},
        "prior_therapy": {"planned_therapies": ["Leuprorelin"], **prior},
        "lesions": [
            {"id": "T10", "region": "spine", "level": "T10", "type": "blastic", "escc_grade": "2"}
        ],
    }


def _flare(doc: dict[str, Any]) -> Any:
    found = [w for w in evaluate(parse_case(doc)).warnings if w.code == "WARN.GNRH_AGONIST_FLARE"]
    return found[0] if found else None


def test_agonist_with_spinal_metastases_warns_and_names_the_alternatives() -> None:
    warning = _flare(_case())
    assert warning is not None and warning.status == "firm"
    assert warning.rule == "systemic.gnrh_agonist_flare_spine"
    text = warning.text.de
    assert "Wirbelsäulenmetastasen" in text and "Degarelix" in text and "Orchiektomie" in text
    assert "Antiandrogen" in text
    # The planned entry is read as the knowledge base's class of drug, which is no name to
    # show: the text names the class in words.
    assert text.startswith("GnRH-Agonist geplant bei") and "gnrh-agonist" not in text
    # The start of the deprivation is not documented: read as not begun, and said so.
    assert [a.fact for a in warning.assumed] == ["prior.adt_started"]


@pytest.mark.parametrize(
    "planned",
    [["Leuprorelin", "Degarelix"], ["Leuprorelin", "bicalutamid"], ["Orchiektomie"], ["Firmagon"]],
    ids=["antagonist", "antiandrogen-cover", "orchiectomy", "antagonist-only"],
)
def test_a_start_without_surge_or_with_cover_is_silent(planned: list[str]) -> None:
    assert _flare(_case(planned_therapies=planned)) is None


def test_a_deprivation_begun_four_weeks_ago_is_silent_and_a_recent_one_is_not() -> None:
    assert _flare(_case(androgen_deprivation_since="2026-10-23")) is None
    recent = _flare(_case(androgen_deprivation_since="2026-11-13"))
    assert recent is not None and recent.assumed == []


def test_castration_resistant_disease_is_silent() -> None:
    doc = _case()
    doc["primary"]["castration_status"] = "resistant"
    assert _flare(doc) is None


def test_unknown_castration_status_keeps_the_warning_with_its_condition() -> None:
    doc = _case()
    del doc["primary"]["castration_status"]
    warning = _flare(doc)
    assert warning is not None
    assert [c.fact for c in warning.conditions] == ["primary.castration_resistant"]


def test_painful_bone_metastases_without_spinal_ones_get_the_general_warning() -> None:
    doc = _case()
    doc["bone_metastases"] = {"vertebral_count": 0, "extraspinal_count": 3}
    doc["lesions"] = [{"id": "IL", "region": "pelvis", "pain_vas": 6}]
    warning = _flare(doc)
    assert warning is not None and warning.rule == "systemic.gnrh_agonist_flare_symptomatic"
    assert "Wirbelsäule" not in warning.text.de
    doc["lesions"] = [{"id": "IL", "region": "pelvis", "pain_vas": 0, "symptomatic": False}]
    assert _flare(doc) is None


def test_a_start_after_the_board_is_refused_naming_the_field() -> None:
    with pytest.raises(CaseError) as exc:
        parse_case(_case(androgen_deprivation_since="2026-12-01"))
    (problem,) = exc.value.problems
    assert problem.where == "prior_therapy.androgen_deprivation_since"
    assert problem.render("de") == (
        "prior_therapy.androgen_deprivation_since: darf nicht nach dem Konferenzdatum "
        "board_date 2026-11-20 liegen (erhalten 2026-12-01)"
    )


def _letter(doc: dict[str, Any]) -> Letter:
    case = parse_case(doc)
    return build_letter(evaluate(case), case)


def _section(lt: Letter, section_id: str) -> str:
    return section_text(lt, section_id)


#: Words of the letter's flare paragraphs (the explanation and the warning signs).
FLARE_WORDS = ("Testosteron", "Hormon-Spritze")


def test_the_letter_explains_the_flare_its_cover_and_when_to_call() -> None:
    lt = _letter(_case())
    options = _section(lt, "options")
    assert "Die ersten Wochen des Hormon-Entzugs:" in options
    assert "Testosteron" in options and "kurz an" in options
    assert "plant Ihr Team einen Schutz" in options and "Tabletten" in options
    assert "Hormon-Mittel ohne diesen Anstieg" in options
    signs = _section(lt, "warning_signs")
    assert "In den ersten Wochen nach der ersten Hormon-Spritze:" in signs
    assert "keinen Urin lassen: Rufen Sie sofort die 112." in signs
    assert "Rücken oder Knochen werden stärker" in signs
    assert "camcevi-smpc" in lt.reference_keys


def test_the_letter_with_the_flare_keeps_its_reading_level() -> None:
    """SPEC §8 on this letter (the blocks' sentences are measured in test_patient_texts)."""
    r = _letter(_case()).readability
    assert r.flesch_amstad >= 60 and r.wstf <= 8, r
    assert min(r.sections.values()) >= 50, r.sections


@pytest.mark.parametrize("change", ["antagonist", "resistant", "deprivation-begun"])
def test_no_flare_words_without_the_flare_warning(change: str) -> None:
    doc = _case()
    if change == "antagonist":
        doc["prior_therapy"]["planned_therapies"] = ["Leuprorelin", "Degarelix"]
    elif change == "resistant":
        doc["primary"]["castration_status"] = "resistant"
    else:  # four weeks after the first injection the surge is over
        doc["prior_therapy"]["androgen_deprivation_since"] = "2026-10-23"
    text = _letter(doc).plain_text(include_references=True)
    for word in FLARE_WORDS:
        assert word not in text, (change, word)
    assert "camcevi-smpc" not in _letter(doc).reference_keys
