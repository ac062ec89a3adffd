"""German item texts and letter clauses: how lesions are named, how an unknown value reads,
and which questions a letter asks for the sites the case has.

Checked on every example and every referral case, and on every templated text of the
knowledge base (rules and actions) with its placeholders unknown.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from osteoboard.case import Case, Region
from osteoboard.engine import _fill
from osteoboard.facts import catalogue_by_name
from osteoboard.guideline import load_knowledge_base
from osteoboard.proposal import Proposal
from osteoboard.render.letter import explained_in
from tests.render.test_documents import ROOT, case_and_proposal, letter
from tests.test_referral_cases import proposal as referral_proposal
from tests.test_referral_cases import referral

CASES = sorted((ROOT / "examples").glob("*.yaml")) + sorted(
    (ROOT / "tests" / "cases").glob("*.yaml")
)
CASE_IDS = [f"{p.parent.name}/{p.name}" for p in CASES]
_PLACEHOLDER = re.compile(r"\{([a-z_]+(?:\.[a-z0-9_]+)+)\}")


def _case_and_proposal(path: Path) -> tuple[Case, Proposal]:
    if path.parent.name == "cases":  # a referral: the case sits under `case:`
        return referral(path).case, referral_proposal(path)
    return case_and_proposal(path)


def _items(path: Path) -> list[tuple[str | None, str, str]]:
    _, proposal = _case_and_proposal(path)
    items = [*proposal.emergencies, *proposal.recommendations, *proposal.warnings]
    return [(i.lesion, i.text.de, i.text.en) for i in items]


def test_a_lesion_is_named_with_the_word_its_id_and_its_level() -> None:
    labels = load_knowledge_base().labels
    assert labels.lesion("L1", "L2", "de") == "Läsion L1 (LWK 2)"
    assert labels.lesion("L1", "L2", "en") == "lesion L1 (L2)"
    assert labels.lesion("F1", None, "de") == "Läsion F1"


@pytest.mark.parametrize("path", CASES, ids=CASE_IDS)
def test_an_item_names_its_lesion_by_id_never_a_level_with_the_id_in_brackets(
    path: Path,
) -> None:
    case, proposal = _case_and_proposal(path)
    labels = load_knowledge_base().labels
    lesions = {x.id: x for x in case.lesions}
    for lesion_id, de, en in _items(path):
        if lesion_id is None or lesion_id not in lesions:
            continue
        lesion = lesions[lesion_id]
        level = lesion.level if lesion.region is Region.spine else None
        # Wherever the id appears it is introduced as a lesion, with its level on the spine.
        for text, lang in ((de, "de"), (en, "en")):
            for m in re.finditer(rf"(?<![\w/-]){re.escape(lesion_id)}(?![\w/-])", text):
                before = text[: m.start()]
                if before.endswith("(") and text[m.end() :].startswith(")"):
                    continue  # the level itself (id and level alike), inside the name
                assert before.lower().endswith(("läsion ", "lesion ")), (lesion_id, text)
            name = labels.lesion(lesion_id, level, lang)
            if lesion_id in text:
                assert name in text, (name, text)
        assert not re.search(r"\b[CTLS]\d{1,2} \([^)]*\)", de.replace(f"Läsion {lesion_id}", "")), (
            de
        )
    for q in proposal.questions:
        if q.text.de.startswith("Läsion "):
            lesion_id = q.text.de.split()[1].rstrip(":")
            assert lesion_id in lesions, q.text.de
            lesion = lesions[lesion_id]
            level = lesion.level if lesion.region is Region.spine else None
            assert q.text.de.startswith(labels.lesion(lesion_id, level, "de") + ": "), q.text.de


def test_example_01_names_lesion_l1_at_lwk_2() -> None:
    path = ROOT / "examples" / "01-breast-l2-fracture.yaml"
    texts = " ".join(de for _, de, _ in _items(path))
    assert "Läsion L1 (LWK 2)" in texts
    assert "L2 (L1)" not in texts


@pytest.mark.parametrize("path", CASES, ids=CASE_IDS)
def test_an_unknown_value_reads_as_words_never_with_a_unit(path: Path) -> None:
    for _, de, en in _items(path):
        assert not re.search(r"\bunbekannt\s+(?:[^\s,;.]*/|mmol|µmol|mg|ml|g\b|%)", de), de
        assert not re.search(r"\bunknown\s+(?:[^\s,;.]*/|mmol|µmol|mg|ml|g\b|%)", en), en


def test_every_templated_text_with_unknown_values_reads_as_a_sentence() -> None:
    kb = load_knowledge_base()
    units = {f.unit.casefold() for f in catalogue_by_name().values() if f.unit}
    texts = [c.rule.text for c in kb.rules if c.rule.text is not None]
    texts += [a.text for a in kb.actions.values()]
    checked = 0
    for text in texts:
        for lang in ("de", "en"):
            template = str(getattr(text, lang))
            names = _PLACEHOLDER.findall(template)
            if not names:
                continue
            checked += 1
            filled = _fill(kb, template, dict.fromkeys(names), lang)
            assert "{" not in filled, filled
            unknown = "nicht bekannt" if lang == "de" else "not known"
            for m in re.finditer(re.escape(unknown) + r"\s+(\S+)", filled):
                assert m.group(1).casefold().rstrip(".,;)") not in units, filled
    assert checked > 10


def test_example_08_names_the_unknown_clearance_in_words() -> None:
    # As a carcinoma of unknown primary (with its histology, bone-modifying agents are
    # proposed; without one the biopsy comes first) whose clearance is not known.
    from osteoboard.caseio import load_case
    from osteoboard.engine import evaluate

    case = load_case(ROOT / "examples" / "08-missing-data.yaml")
    assert case.primary is not None
    cup = case.model_copy(
        update={"primary": case.primary.model_copy(update={"histology": "adenocarcinoma"})}
    )
    proposal = evaluate(cup)
    texts = " ".join(
        i.text.de for i in [*proposal.emergencies, *proposal.recommendations, *proposal.warnings]
    )
    assert "Kreatinin-Clearance nicht bekannt" in texts
    assert "unbekannt ml/min" not in texts


_SPINAL = re.compile(r"Rückenmark|Wirbel|Blase oder Darm|Urin oder Stuhl|Taubheit")


def test_a_letter_without_spinal_lesions_asks_nothing_about_the_spine() -> None:
    lt = letter(ROOT / "examples" / "10-sarcoma-lung-metastases.yaml")
    _, proposal = case_and_proposal(ROOT / "examples" / "10-sarcoma-lung-metastases.yaml")
    # The board is still asked (the engine cannot rule a compression out) ...
    assert any(q.fact.startswith(("neuro.", "spine.")) for q in proposal.questions)
    # ... the letter neither asks nor names spinal warning signs.
    assert not [c for c in lt.personal.clarify if _SPINAL.search(c)]
    assert not _SPINAL.search(lt.plain_text()), _SPINAL.findall(lt.plain_text())


def test_a_letter_with_spinal_lesions_still_asks_about_the_spine() -> None:
    lt = letter(ROOT / "examples" / "06-breast-multiple-hypercalcemia.yaml")
    assert [c for c in lt.personal.clarify if "Rückenmark" in c]


def test_a_term_the_text_explains_is_not_explained_again() -> None:
    assert explained_in(
        "Kieferosteonekrose", "Selten stirbt ein Stück Kiefer ab. Das heißt Kieferosteonekrose."
    )
    assert explained_in("Ablation", "Bei einer Ablation zerstört Hitze den Herd.")
    assert explained_in("Staging", "Untersuchungen:\nStaging: Bilder zeigen, wo Herde sind.")
    assert explained_in(
        "Palliativmedizin", "Worum es geht: Die Palliativmedizin lindert Beschwerden."
    )
    assert not explained_in("Opioid", "Ihr Team plant Mittel in Stufen, auch Opioide.")
    assert not explained_in("Metastase", "Metastasen im Knochen: im 12. Brustwirbel.")
    lt = letter(ROOT / "examples" / "02-melanoma-t10-after-rt.yaml")
    terms = {g.term for g in lt.glossary}
    assert "Opioid" in terms
    assert not terms & {"Ablation", "Stereotaxie", "Staging", "Palliativmedizin"}


def test_protocol_headings_name_the_lesion_as_the_texts_do() -> None:
    from osteoboard.render.html import render_protocol_html

    case, proposal = case_and_proposal(ROOT / "examples" / "04-lung-mscc-emergency.yaml")
    html = render_protocol_html(proposal, case)
    assert "Bestrahlung bei MSCC</strong> – Läsion T6 (BWK 6)" in html
    assert not re.search(r"</strong> \(T6\)|– T6<", html)
