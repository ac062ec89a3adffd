"""The patient letter is about this patient (SPEC §8).

Page one names the patient's own cancer and where the lesions are, puts an emergency first,
lists what the board proposes (firm items, with when they happen) and what is still being
clarified, and gives the centre's contact block; the general part explains only what the
proposal contains, cites only the sources behind what it says, never contradicts itself, and
stays short and readable.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from osteoboard.case import Case, Lesion, Sex
from osteoboard.caseio import load_case, parse_case
from osteoboard.engine import evaluate
from osteoboard.guideline import load_knowledge_base
from osteoboard.proposal import ItemStatus, Priority, Proposal
from osteoboard.render.citations import compact
from osteoboard.render.letter import (
    GENERAL_TITLE,
    Contact,
    Letter,
    SettingsError,
    build_letter,
    cancer_words,
    lesion_place,
    load_contact,
    render_letter_html,
    render_letter_pdf,
    words_de,
)
from tests.render.test_documents import EXAMPLES, IDS, ROOT, case_and_proposal, letter, pdf_text
from tests.support.letter_text import section_text

CONTACT = Contact(
    centre="Testzentrum für Knochenmetastasen",
    contact_person="Pflegeteam Station 3",
    phone_day="030 23125 001",
    phone_night="030 23125 002",
    physician="Dr. med. Test Beispiel",
)

#: The longest a letter may be, in words: everything printed, the list of sources included.
MAX_WORDS = 1500
#: Sources that belong to one kind of cancer.
SITE_SOURCES = {
    "myeloma": {"kumar2016-imwg", "rajkumar2014", "laubach2016", "seed-004"},
    "sarcoma": {"gronchi2021", "s3-sarcoma2022"},
    "breast": {"gennari2021"},
    "prostate": {"eau2025", "sartor2021-vision", "poeppel2018"},
    "lung": {"hendriks2023-oncogene", "hendriks2023-non-oncogene"},
}
#: Cancers the letter may name only for a patient who has them.
OTHER_CANCERS = {
    "breast": "Brustkrebs",
    "prostate": "Prostatakrebs",
    "lung": "Lungenkrebs",
    "kidney": "Nierenkrebs",
    "thyroid": "Schilddrüsenkrebs",
    "myeloma": "Myelom",
    "sarcoma": "Sarkom",
}


def _example(name: str) -> Path:
    return next(p for p in EXAMPLES if p.name.startswith(name))


def _site_group(case: Case) -> str:
    site = case.primary.site.value if case.primary.site else ""
    if case.myeloma is not None or site == "myeloma":
        return "myeloma"
    if case.sarcoma is not None:
        return "sarcoma"
    return "lung" if site.startswith("lung") else site


def _words(lt: Letter) -> str:
    return " ".join(lt.plain_text(include_references=True).split())


def _with(proposal: Proposal, *codes: str, status: ItemStatus = ItemStatus.firm) -> Proposal:
    """The proposal with extra items (copies of its first recommendation under other codes)."""
    template = proposal.recommendations[0]
    extra = [
        template.model_copy(update={"code": c, "status": status, "lesion": None}) for c in codes
    ]
    return proposal.model_copy(update={"recommendations": [*proposal.recommendations, *extra]})


# --- page one: the patient's own cancer, lesions and proposal ------------------------------


@pytest.mark.parametrize("path", EXAMPLES, ids=IDS)
def test_first_page_names_the_patients_cancer_and_lesions(path: Path) -> None:
    case, _ = case_and_proposal(path)
    lt = letter(path)
    personal = lt.personal_text()
    if case.tissue_diagnosis is False:
        # No cancer diagnosed in tissue (a first presentation): no diagnosis is named.
        assert "steht noch nicht fest" in personal
        assert "Ihre Erkrankung ist" not in personal and "Metastasen" not in personal
    else:
        assert f"Ihre Erkrankung ist {cancer_words(case)}." in personal
    for lesion in case.lesions:
        assert lesion_place(lesion) in personal, lesion.id
    if case.sarcoma is not None and case.sarcoma.metastases is not None:
        for site in case.sarcoma.metastases.sites:
            assert words_de("metastasis_site", site.value) in personal
    own = _site_group(case)
    whole = _words(lt)
    for group, name in OTHER_CANCERS.items():
        # Several lesions without a tissue diagnosis may be a myeloma: the letter says so.
        if group != own and not (case.tissue_diagnosis is False and group == "myeloma"):
            assert name not in whole, (group, name)


def test_cancer_and_places_in_plain_words() -> None:
    lung = letter(_example("04"))
    assert "Ihre Erkrankung ist nicht-kleinzelliger Lungenkrebs." in lung.personal_text()
    assert "Er bleibt nicht-kleinzelliger Lungenkrebs" in lung.plain_text()
    assert "im 6. Brustwirbel" in lung.personal_text()
    femur = Lesion(id="F", region="long_bone", bone="femur", side="right")
    assert lesion_place(femur) == "im rechten Oberschenkelknochen"
    radius = Lesion(id="R", region="long_bone", bone="radius", side="left", segment="diaphyseal")
    assert lesion_place(radius) == "im Schaft der linken Speiche"
    assert lesion_place(Lesion(id="S", region="spine", level="T8")) == "im 8. Brustwirbel"
    assert (
        lesion_place(Lesion(id="P", region="pelvis", joint="hip")) == "im Becken nahe am Hüftgelenk"
    )


def test_a_bone_of_region_other_is_named_in_plain_words() -> None:
    """Region other names its bone when the referral gives it (a heel-bone metastasis is not
    "an einer anderen Stelle im Skelett"); without it the letter stays general."""
    heel = Lesion(id="C1", region="other", other_bone="calcaneus", side="right")
    assert lesion_place(heel) == "im rechten Fersenbein"
    assert lesion_place(Lesion(id="K", region="other", other_bone="patella", side="left")) == (
        "in der linken Kniescheibe"
    )
    assert lesion_place(Lesion(id="H", region="other", other_bone="hand")) == (
        "in einem Knochen der Hand"
    )
    assert lesion_place(Lesion(id="M", region="other", other_bone="mandible", side="left")) == (
        "im Unterkiefer links"
    )
    assert lesion_place(Lesion(id="O", region="other", side="right")) == (
        "an einer anderen Stelle im Skelett"
    )
    case = parse_case(
        {
            "id": "heel",
            "board_date": "2026-11-26",
            "patient": {"age": 71, "sex": "male", "ecog": 2},
            "primary": {"site": "lung_nsclc"},
            "lesions": [
                {
                    "id": "C1",
                    "region": "other",
                    "other_bone": "calcaneus",
                    "side": "right",
                    "type": "lytic",
                    "pain_vas": 8,
                    "symptomatic": True,
                }
            ],
        }
    )
    personal = build_letter(evaluate(case), case, contact=CONTACT).personal_text()
    # A biopsy is proposed on the condition that the lesion is the only one: the letter does
    # not call it a metastasis yet.
    assert "noch nicht durch eine Gewebeprobe gesichert: im rechten Fersenbein." in personal
    assert "anderen Stelle im Skelett" not in personal


def test_a_lesion_awaiting_its_biopsy_is_not_called_a_metastasis_anywhere() -> None:
    # A known breast cancer, one sternal hot spot, no biopsy (referral 031): the general part
    # of the letter says as little as page one that it is a metastasis.
    case = parse_case(
        {
            "id": "sternum",
            "board_date": "2026-11-26",
            "patient": {"sex": "female"},
            "primary": {"site": "breast", "controlled": True},
            "bone_metastases": {"vertebral_count": 0, "extraspinal_count": 1},
            "lesions": [{"id": "STE", "region": "sternum", "symptomatic": True}],
        }
    )
    text = build_letter(evaluate(case), case, contact=CONTACT).plain_text()
    assert "noch nicht durch eine Gewebeprobe gesichert" in text
    assert "Ein Herd im Knochen heißt Metastase" not in text
    assert "Krankheit im ganzen Körper" not in text
    assert "Eine Gewebeprobe soll das klären." in text and "Meist sind solche Herde" in text


def test_an_old_deficit_alone_is_not_called_a_sign_of_cord_compression() -> None:
    # An old traumatic paraplegia documented as not new (referral 166): the compression is
    # named on the condition that imaging shows one; the letter does not say there are signs.
    case = parse_case(
        {
            "id": "old-paraplegia",
            "board_date": "2026-11-26",
            "patient": {"age": 58, "sex": "female", "ecog": 3},
            "primary": {"site": "breast"},
            "neurology": {"frankel": "A", "new_deficit": False},
            "lesions": [{"id": "HUM", "region": "long_bone", "bone": "humerus", "type": "lytic"}],
        }
    )
    proposal = evaluate(case)
    (mscc,) = [e for e in proposal.emergencies if e.code == "EMERG.MSCC"]
    assert mscc.status.value == "suspected" and mscc.conditions
    lt = build_letter(proposal, case, contact=CONTACT)
    (box,) = [u for u in lt.personal.urgent if u.code == "EMERG.MSCC"]
    assert box.prefix == "Zu klären: " and "kein Zeichen" in box.text
    assert "Es gibt Zeichen" not in lt.plain_text()
    # A new deficit is a sign: the words of a suspicion stay.
    new = case.model_copy(
        update={"neurology": case.neurology.model_copy(update={"new_deficit": True})}
    )
    (box,) = [
        u
        for u in build_letter(evaluate(new), new, contact=CONTACT).personal.urgent
        if u.code == "EMERG.MSCC"
    ]
    assert box.prefix == "Verdacht: " and box.text.startswith("Es gibt Zeichen")


@pytest.mark.parametrize(
    ("sex", "salutation"),
    [
        (Sex.female, "Liebe Patientin,"),
        (Sex.male, "Lieber Patient,"),
        (None, "Liebe Patientin, lieber Patient,"),
    ],
)
def test_salutation_follows_sex_and_names_no_one(sex: Sex | None, salutation: str) -> None:
    case, proposal = case_and_proposal(_example("01"))
    case = case.model_copy(update={"patient": case.patient.model_copy(update={"sex": sex})})
    lt = build_letter(proposal, case, contact=CONTACT)
    assert lt.personal.salutation == salutation
    assert "Sehr geehrte" not in lt.plain_text()


def test_firm_items_are_proposed_with_when_and_conditional_ones_are_open() -> None:
    lt = letter(_example("04"))
    steps = {s.when: s.items for s in lt.personal.steps}
    assert "Notfall-Bestrahlung – im 6. Brustwirbel" in steps["Sofort"]
    assert "Kortison gegen die Schwellung am Rückenmark" in steps["Sofort"]
    # A confirmed emergency is proposed now; a suspected one is its box at the top of page
    # one ("Verdacht: …"), not also a "maybe".
    assert "Notfall-Behandlung wegen Druck auf das Rückenmark" in steps["Sofort"]
    (box,) = [u for u in lt.personal.urgent if u.code == "EMERG.HYPERCALCEMIA"]
    assert box.prefix == "Verdacht: "
    assert "Behandlung gegen zu viel Kalzium im Blut" not in lt.personal.maybe
    assert all("Vorbeugung" not in i for items in steps.values() for i in items)
    # L4 gets 1 x 8 Gy for its pain (firm): no prophylactic radiotherapy is open there.
    assert "Bestrahlung zur Vorbeugung – im 9. Brustwirbel" in lt.personal.maybe
    assert not any("Vorbeugung" in i and "Lendenwirbel" in i for i in lt.personal.maybe)
    # The proposal's questions in the patient's words, never the board's.
    assert "Ob Sie starken Durst, Übelkeit, Verstopfung oder Verwirrung bemerken" in (
        lt.personal.clarify
    )
    personal = lt.personal_text()
    for clinical in ("Läsion", "VAS", "NSAR", "Bilsky", "Hyperkalzämie", "_"):
        assert clinical not in personal, clinical


def test_an_urgent_support_step_stands_alone_under_sofort() -> None:
    """Off-loading a femur at high fracture risk is urgent; physiotherapy, nutrition and the
    other support are not, and do not follow it under "Sofort"."""
    lt = letter(_example("05"))
    steps = {s.when: s.items for s in lt.personal.steps}
    assert steps["Sofort"] == ["Hilfe gegen Stürze – im Oberschenkelknochen nahe der Hüfte"]
    support = [i for items in steps.values() for i in items if i.startswith("Begleitend:")]
    assert len(support) == 1 and "Physiotherapie" in support[0]
    assert support[0] not in steps["Sofort"]


def test_a_schedule_and_its_alternative_share_a_line() -> None:
    lt = letter(_example("06"))
    lines = [i for s in lt.personal.steps for i in s.items]
    both = [i for i in lines if "in mehreren Sitzungen" in i]
    assert len(both) == 1 and "in einer Sitzung" in both[0] and "Sie wählen" in both[0]


def test_a_deadline_from_the_knowledge_base_becomes_a_date() -> None:
    case, proposal = case_and_proposal(_example("01"))
    lt = build_letter(_with(proposal, "DX.MRI_SPINE"), case, contact=CONTACT)
    lines = [i for s in lt.personal.steps for i in s.items]
    assert "MRT der Wirbelsäule (bis spätestens 27. November 2026)" in lines
    # Wanted at once (a possibly unstable segment), the week of its usual course is no
    # deadline: the step stands under "Sofort" without a date that would contradict it.
    urgent = _with(proposal, "DX.MRI_SPINE")
    urgent.recommendations[-1] = urgent.recommendations[-1].model_copy(
        update={"priority": Priority.urgent}
    )
    steps = {s.when: s.items for s in build_letter(urgent, case, contact=CONTACT).personal.steps}
    assert "MRT der Wirbelsäule" in steps["Sofort"]
    assert not any("spätestens" in i for i in steps["Sofort"])
    # Without a board date there is no date to count from.
    undated = case.model_copy(update={"board_date": None})
    lt = build_letter(_with(proposal, "DX.MRI_SPINE"), undated, contact=CONTACT)
    assert "MRT der Wirbelsäule" in [i for s in lt.personal.steps for i in s.items]


# --- emergencies first -----------------------------------------------------------------------


@pytest.mark.parametrize("path", [_example("04"), _example("06")], ids=["mscc", "hypercalcaemia"])
def test_emergency_comes_first_on_page_one(path: Path) -> None:
    case, proposal = case_and_proposal(path)
    assert proposal.emergencies
    lt = letter(path)
    reader, _ = pdf_text(render_letter_pdf(proposal, case, contact=CONTACT))
    first = " ".join((reader.pages[0].extract_text() or "").split())
    assert first.index("Bitte zuerst lesen") < first.index(lt.personal.salutation)
    for urgent in lt.personal.urgent:
        assert urgent.title in first
        assert " ".join(urgent.act.split()) in first
    html = render_letter_html(proposal, case, contact=CONTACT)
    assert html.index('class="urgent"') < html.index(lt.personal.salutation)


def test_a_suspected_emergency_says_so() -> None:
    lt = letter(_example("04"))
    boxes = {u.code: u for u in lt.personal.urgent}
    assert not boxes["EMERG.MSCC"].suspected
    assert boxes["EMERG.HYPERCALCEMIA"].suspected
    assert "vielleicht" in boxes["EMERG.HYPERCALCEMIA"].text
    assert "Verdacht: Zu viel Kalzium im Blut" in lt.personal_text()


def test_no_emergency_box_without_an_emergency() -> None:
    lt = letter(_example("01"))
    assert lt.personal.urgent == []
    assert "Bitte zuerst lesen" not in lt.personal_text()


# --- only what the proposal contains ---------------------------------------------------------


def test_lung_letter_explains_no_breast_or_surgery_therapy() -> None:
    lt = letter(_example("04"))
    text = _words(lt)
    for absent in ("HER2", "Hormon", "Schrauben", "Bei einer Operation nimmt der Arzt"):
        assert absent not in text, absent
    assert "Eine Bestrahlung lässt den Herd schrumpfen." in text


def test_surgery_text_appears_when_surgery_is_proposed() -> None:
    case, proposal = case_and_proposal(_example("04"))
    lt = build_letter(_with(proposal, "SURG.DECOMPRESSION_STABILIZATION"), case, contact=CONTACT)
    assert "Bei einer Operation nimmt der Arzt den Druck vom Rückenmark." in _words(lt)


def test_a_conditional_item_brings_no_text_block() -> None:
    case, proposal = case_and_proposal(_example("01"))
    conditional = _with(proposal, "NUC.RA223", status=ItemStatus.conditional)
    lt = build_letter(conditional, case, contact=CONTACT)
    assert "radium" not in {b.id for s in lt.sections for b in s.blocks}
    assert "Radium-223 als Spritze in die Vene" in lt.personal.maybe
    firm = build_letter(_with(proposal, "NUC.RA223"), case, contact=CONTACT)
    assert "radium" in {b.id for s in firm.sections for b in s.blocks}


@pytest.mark.parametrize("path", EXAMPLES, ids=IDS)
def test_sources_only_behind_what_the_letter_says(path: Path) -> None:
    case, _ = case_and_proposal(path)
    kb = load_knowledge_base()
    assert kb.letter is not None
    lt = letter(path)
    by_id = {b.meta.id: b for b in kb.texts}
    allowed: set[str] = set()
    for s in lt.sections:
        for b in s.blocks:
            body = by_id[b.id].body
            allowed |= set(by_id[b.id].meta.sources)
            allowed |= {
                k for m in re.findall(r"\[@([^\]]*)\]", body) for k in re.findall(r"@?([\w.-]+)", m)
            }
    allowed |= {k for i in kb.letter.items.values() for k in i.sources}
    allowed |= {k for e in kb.letter.emergencies.values() for k in e.sources}
    listed = set(lt.reference_keys)
    assert [r.text for r in compact(lt.reference_keys, kb.sources)] == lt.references
    assert listed <= allowed
    own = _site_group(case)
    for group, keys in SITE_SOURCES.items():
        if group != own:
            assert not listed & keys, (group, listed & keys)
    assert not any("ohne Titelangabe" in r for r in lt.references)


def test_a_cited_paragraph_brings_its_source_only_when_shown() -> None:
    lt = letter(_example("07"))  # prostate: hormone withdrawal, never the breast guideline
    refs = " ".join(lt.references)
    assert "Guidelines on Prostate Cancer" in refs
    assert "metastatic breast cancer" not in refs
    assert "Hormon-Entzug" in _words(lt)


# --- no contradictions ---------------------------------------------------------------------

_CALCIUM_INTAKE = ("Kalzium und Vitamin D als Tabletten", "jeden Tag als Tablette")


@pytest.mark.parametrize("path", EXAMPLES, ids=IDS)
def test_no_calcium_tablets_beside_a_hypercalcaemia(path: Path) -> None:
    _, proposal = case_and_proposal(path)
    lt = letter(path)
    text = _words(lt)
    codes = {e.code for e in proposal.emergencies}
    calcium = {r.status for r in proposal.recommendations if r.code == "BMA.CALCIUM_VITAMIN_D"}
    if "EMERG.HYPERCALCEMIA" in codes:
        for phrase in _CALCIUM_INTAKE:
            assert phrase not in text
    elif ItemStatus.firm in calcium:
        for phrase in _CALCIUM_INTAKE:
            assert phrase in text
    elif calcium:  # only conditional: named among the open points, not explained
        assert _CALCIUM_INTAKE[0] in lt.personal.maybe
        assert _CALCIUM_INTAKE[1] not in text


def test_calcium_stays_off_even_if_a_proposal_held_both() -> None:
    case, proposal = case_and_proposal(_example("06"))
    both = _with(proposal, "BMA.CALCIUM_VITAMIN_D")
    text = _words(build_letter(both, case, contact=CONTACT))
    for phrase in _CALCIUM_INTAKE:
        assert phrase not in text
    assert "Nehmen Sie keine Tabletten mit Kalzium oder Vitamin D" in text


# --- warning signs follow the metastatic sites ---------------------------------------------


def _warnings(lt: Letter) -> str:
    return section_text(lt, "warning_signs")


def test_sarcoma_with_lung_metastases_warns_of_lung_symptoms_only() -> None:
    warnings = _warnings(letter(_example("10")))
    assert "Atemnot" in warnings and "Blut" in warnings
    for other in ("Rücken", "Urin", "Kalzium", "Bruch", "Kiefer", "Arm"):
        assert other not in warnings, other


def test_spinal_metastases_warn_of_cord_compression_not_of_the_lung() -> None:
    warnings = _warnings(letter(_example("04")))
    assert "Rücken" in warnings and "Urin" in warnings
    assert "Atemnot" not in warnings


# --- length, pages, hyphenation ----------------------------------------------------------------


@pytest.mark.parametrize("path", EXAMPLES, ids=IDS)
def test_letter_is_short(path: Path) -> None:
    lt = letter(path)
    assert lt.readability.words <= MAX_WORDS, lt.readability
    assert lt.readability.words > lt.readability.prose_words  # the sources come on top


@pytest.mark.parametrize("path", EXAMPLES, ids=IDS)
def test_personal_part_fits_two_pages_and_nothing_is_hyphenated(path: Path) -> None:
    case, proposal = case_and_proposal(path)
    data = render_letter_pdf(proposal, case, contact=CONTACT)
    reader, _ = pdf_text(data)
    pages = [" ".join((p.extract_text() or "").split()) for p in reader.pages]
    starts = [i for i, page in enumerate(pages) if page.startswith(GENERAL_TITLE)]
    assert starts and starts[0] <= 2, "the general part starts on page 2 or 3"
    raw = "".join(p.extract_text() or "" for p in reader.pages)
    assert "\xad" not in raw, "hyphenation break in the letter"


# --- the M-protein chart ---------------------------------------------------------------------


def test_mprotein_chart_uses_the_glossarys_words_beside_its_explanation() -> None:
    kb = load_knowledge_base()
    assert kb.letter is not None
    lt = letter(_example("09"))
    (block,) = [b for s in lt.sections for b in s.blocks if b.id == "meaning_myeloma"]
    kinds = [p.kind for p in block.paragraphs]
    at = kinds.index("figure")
    before = "".join(r.text for r in block.paragraphs[at - 1].runs)
    assert before.startswith("Werte im Verlauf:")
    svg = lt.figures["mprotein"].svg
    chart = kb.letter.chart
    for word in (chart.serum, chart.nadir, chart.threshold):
        assert word in svg
    for board_word in ("M-Protein", "Nadir", "Progressionsschwelle", "IMWG"):
        assert board_word not in svg, board_word
    assert "Paraprotein" in {g.term for g in lt.glossary}
    html = render_letter_html(*reversed(case_and_proposal(_example("09"))), contact=CONTACT)
    assert html.index("Werte im Verlauf") < html.index("<svg") < html.index("Die vorgeschlagenen")


# --- no raw values -------------------------------------------------------------------------


@pytest.mark.parametrize("path", EXAMPLES, ids=IDS)
def test_no_codes_or_raw_values_in_the_letter(path: Path) -> None:
    lt = letter(path)
    text = lt.plain_text()
    assert not re.search(r"\b[a-z]+_[a-z_]+\b", text), re.findall(r"\b[a-z]+_[a-z_]+\b", text)
    assert not re.search(r"\b(?:EMERG|SURG|RT|BMA|SYS|SUP|DX|NUC|IR|MM|STS)\.[A-Z]", text)
    assert lt.case_id not in lt.personal_text()


# --- contact block and settings ----------------------------------------------------------------


def test_contact_block_from_a_settings_file(tmp_path: Path) -> None:
    settings = tmp_path / "praxis.toml"
    settings.write_text(
        '[letter]\ncentre = "Zentrum A"\nphone_day = "030 23125 010"\n'
        'phone_night = "030 23125 011"\nphysician = "Dr. A"\n',
        encoding="utf-8",
    )
    contact = load_contact({"OSTEOBOARD_SETTINGS": str(settings)}, cwd=tmp_path)
    assert contact.configured and contact.centre == "Zentrum A"
    case, proposal = case_and_proposal(_example("01"))
    lt = build_letter(proposal, case, contact=contact)
    assert lt.personal.contact_lines[:3] == [
        "Zentrum A",
        "Tagsüber: 030 23125 010",
        "Nachts und am Wochenende: 030 23125 011",
    ]
    assert lt.personal.signature == "Für die Tumorkonferenz am 20. November 2026: Dr. A"


def test_environment_overrides_the_file_and_the_working_directory_is_read(tmp_path: Path) -> None:
    (tmp_path / "osteoboard.toml").write_text(
        '[letter]\ncentre = "Datei"\nphone_day = "1"\n', encoding="utf-8"
    )
    assert load_contact({}, cwd=tmp_path).centre == "Datei"
    contact = load_contact({"OSTEOBOARD_LETTER_CENTRE": "Umgebung"}, cwd=tmp_path)
    assert contact.centre == "Umgebung" and contact.phone_day == "1"


def test_without_settings_the_letter_invents_no_number(tmp_path: Path) -> None:
    contact = load_contact({}, cwd=tmp_path)
    assert not contact.configured
    case, proposal = case_and_proposal(_example("01"))
    lt = build_letter(proposal, case, contact=contact)
    assert lt.personal.contact_lines[0].startswith("Fragen Sie Ihr Team nach einer Nummer")
    assert "die behandelnde Ärztin oder der behandelnde Arzt" in lt.personal.signature
    assert not re.search(r"\d{3} \d{3,}", lt.personal_text())


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('[letter]\ncentr = "x"\n', "centr"),
        ("[letter]\nphone_day = 5\n", "phone_day"),
        ("[letter\n", "invalid TOML"),
    ],
)
def test_bad_settings_are_named(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "osteoboard.toml"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(SettingsError, match=message):
        load_contact({}, cwd=tmp_path)


def test_a_named_settings_file_must_exist(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="cannot read"):
        load_contact({"OSTEOBOARD_SETTINGS": str(tmp_path / "none.toml")}, cwd=tmp_path)


def test_the_demo_centre_is_fictitious() -> None:
    contact = load_contact({}, cwd=ROOT)
    assert contact.configured
    assert "fiktiv" in (contact.centre or "")
    for phone in (contact.phone_day, contact.phone_night):
        assert phone is not None and phone.startswith("030 23125 "), phone


def test_every_example_letter_with_the_demo_centre_renders() -> None:
    case = load_case(ROOT / "examples/03-prostate-solitary-psma.yaml")
    lt = build_letter(evaluate(case), case, contact=load_contact({}, cwd=ROOT))
    assert "030 23125 100" in lt.personal_text()
    assert "Dr. med. Alex Beispiel (fiktiv)" in lt.personal.signature


def test_cli_names_broken_letter_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from osteoboard.cli import app

    (tmp_path / "osteoboard.toml").write_text('[letter]\nphone = "1"\n', encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("OSTEOBOARD_SETTINGS", raising=False)
    case = str(ROOT / "examples/01-breast-l2-fracture.yaml")
    result = CliRunner().invoke(app, ["evaluate", case, "-a", "patient", "-f", "html"])
    assert result.exit_code == 2
    assert "letter settings" in result.stderr and "phone" in result.stderr
    board = CliRunner().invoke(app, ["evaluate", case, "-f", "json"])
    assert board.exit_code == 0, "the board's outputs do not read the letter settings"


@pytest.mark.parametrize(
    ("site", "histology", "said"),
    [
        ("lymphoma", "follicular lymphoma, grade 3A", None),
        ("unknown", "follikuläres Lymphom", None),
        ("myeloma", "papillary features, plasma cell myeloma", None),
        ("melanoma", "squamous-like melanoma", None),
        ("thyroid", "follicular carcinoma", "ein follikuläres Karzinom"),
        ("kidney", "clear cell renal cell carcinoma", "ein klarzelliges Nierenzellkarzinom"),
        ("lung_nsclc", "Adenocarcinoma, reviewed by the pathologist", "ein Adenokarzinom"),
    ],
)
def test_histology_words_describe_carcinomas_only(
    site: str, histology: str, said: str | None
) -> None:
    """ "Follicular" in a follicular lymphoma does not make it a follicular carcinoma."""
    case = parse_case(
        {
            "id": "histo-1",
            "primary": {"site": site, "histology": histology},
            "lesions": [{"id": "L1", "region": "spine", "level": "T8"}],
        }
    )
    text = build_letter(evaluate(case, load_knowledge_base()), case).personal_text()
    line = next((x for x in text.splitlines() if "Unter dem Mikroskop" in x), None)
    if said is None:
        assert line is None and "Karzinom" not in text
    else:
        assert line is not None and said in line


# --- a compression below the spinal cord -------------------------------------------------------


def _mscc_letter_text(level: str) -> str:
    case = parse_case(
        {
            "id": "cauda-1",
            "board_date": "2026-11-20",
            "patient": {"age": 61, "sex": "male", "ecog": 2},
            "primary": {"site": "colon", "histology": "adenocarcinoma"},
            "neurology": {"new_deficit": True, "deficit_level": "spinal"},
            "lesions": [{"id": "V", "region": "spine", "level": level, "type": "lytic"}],
        }
    )
    proposal = evaluate(case)
    assert proposal.emergencies and proposal.emergencies[0].code == "EMERG.MSCC"
    lt = build_letter(proposal, case)
    return lt.plain_text() + "\n".join(g.term for g in lt.glossary)


@pytest.mark.parametrize("level", ["L2", "L4", "S2"])
def test_below_the_cord_the_letter_speaks_of_nerves(level: str) -> None:
    """From L2 down the canal holds the cauda equina's nerve roots: no "Rückenmark"."""
    text = _mscc_letter_text(level)
    assert "Rückenmark" not in text
    assert "Druck auf die Nerven im Wirbelkanal" in text
    assert "Ein Herd kann auf die Nerven im unteren Wirbelkanal drücken" in text


@pytest.mark.parametrize("level", ["T8", "L1"])
def test_at_or_above_the_conus_the_letter_speaks_of_the_cord(level: str) -> None:
    text = _mscc_letter_text(level)
    assert "Druck auf das Rückenmark" in text
    assert "Wirbelkanal" not in text


def test_a_higher_vertebral_metastasis_keeps_the_cord() -> None:
    """Two vertebral metastases counted, one listed at S2: the other may compress the cord."""
    from tests.test_referral_cases import load_referral

    path = ROOT / "tests" / "cases" / "146-colon-s2-saddle-anaesthesia-cauda-equina.yaml"
    case = load_referral(path).case
    assert "Rückenmark" not in build_letter(evaluate(case), case).plain_text()
    counted = case.model_copy(
        update={"bone_metastases": case.bone_metastases.model_copy(update={"vertebral_count": 2})}
    )
    assert "Rückenmark" in build_letter(evaluate(counted), counted).plain_text()


def test_every_cauda_replacement_meets_its_words() -> None:
    """Each replacement's words occur in the letter's texts (letter.yaml or a text block), so
    that a rewording elsewhere cannot leave one behind unnoticed."""
    kb = load_knowledge_base()
    assert kb.letter is not None and kb.letter.cauda_equina is not None
    assert kb.letter.cauda_equina.replace
    folder = ROOT / "src" / "osteoboard" / "knowledge" / "texts" / "de"
    sources = "\n".join(p.read_text(encoding="utf-8") for p in folder.iterdir() if p.is_file())
    sources = " ".join(sources.split())
    for words, _ in kb.letter.cauda_equina.replace:
        assert words in sources, words


def _plain(doc: dict[str, Any]) -> str:
    """The letter of a case document, as plain text."""
    case = parse_case(doc)
    return build_letter(evaluate(case), case, contact=CONTACT).plain_text()


def test_a_pregnant_patient_is_told_not_to_take_nsaids_on_her_own() -> None:
    doc: dict[str, Any] = {
        "id": "pregnant-pain",
        "board_date": "2026-11-26",
        "patient": {"age": 34, "sex": "female", "pregnant": True},
        "primary": {"site": "breast", "hormone_receptor": "positive"},
        "lesions": [{"id": "T6", "region": "spine", "level": "T6", "pain_vas": 7, "type": "lytic"}],
    }
    assert "Ab der 20. Woche können sie Ihrem Kind schaden." in _plain(doc)
    doc["patient"] = {"age": 34, "sex": "female", "pregnant": False}
    assert "Ihrem Kind" not in _plain(doc)


def test_nsaids_beside_weak_kidneys_are_named_in_the_letter() -> None:
    doc: dict[str, Any] = {
        "id": "nsaid-kidney",
        "board_date": "2026-11-26",
        "patient": {"age": 74, "sex": "male", "weight_kg": 60},
        "primary": {"site": "prostate", "castration_status": "resistant"},
        "prior_therapy": {"nsaid_current": True},
        "labs": {"creatinine_umol_l": 210},
        "lesions": [{"id": "IL", "region": "pelvis", "pain_vas": 6, "type": "blastic"}],
    }
    assert any(w.code == "WARN.NSAID_RENAL" for w in evaluate(parse_case(doc)).warnings)
    assert "Sie schaden schwachen Nieren." in _plain(doc)
    doc["labs"] = {"creatinine_umol_l": 70}
    assert "schwachen Nieren" not in _plain(doc)


def test_at_the_end_of_life_the_palliative_team_comes_before_112() -> None:
    doc: dict[str, Any] = {
        "id": "hospice",
        "board_date": "2026-11-26",
        "patient": {"age": 79, "sex": "female", "ecog": 4, "life_expectancy_months": 1},
        "primary": {"site": "pancreas"},
        "lesions": [{"id": "IL", "region": "pelvis", "pain_vas": 8, "type": "lytic"}],
    }
    text = _plain(doc)
    assert "Sofort Ihr Palliativteam anrufen" in text and "Sofort die 112 rufen" not in text
    assert "Bewegen Sie sich so viel, wie es Ihnen guttut." in text
    doc["patient"] = {"age": 79, "sex": "female", "ecog": 1, "life_expectancy_months": 12}
    text = _plain(doc)
    assert "Sofort die 112 rufen" in text and "Palliativteam anrufen" not in text


def test_castration_resistance_explains_why_the_deprivation_goes_on() -> None:
    doc: dict[str, Any] = {
        "id": "crpc",
        "board_date": "2026-11-26",
        "patient": {"age": 71, "sex": "male", "ecog": 1},
        "primary": {"site": "prostate", "castration_status": "resistant"},
        "lesions": [{"id": "IL", "region": "pelvis", "pain_vas": 5, "type": "blastic"}],
    }
    text = _plain(doc)
    assert "Hormon-Entzug geht weiter: Ohne ihn wächst der Krebs schneller." in text
    assert "Er nimmt dem Tumor das männliche Hormon" not in text
    doc["primary"] = {"site": "prostate", "castration_status": "sensitive"}
    text = _plain(doc)
    assert "Er nimmt dem Tumor das männliche Hormon" in text and "geht weiter" not in text


def test_a_suspected_emergency_heads_the_letter_and_is_no_maybe_besides() -> None:
    # New leg weakness, no MRI yet (referral 001): the suspected compression is the box at the
    # top of page one, not also a "Vielleicht kommt noch dazu".
    doc = {
        "id": "weak-legs",
        "board_date": "2026-11-26",
        "patient": {"age": 61, "sex": "female"},
        "primary": {"site": "breast"},
        "neurology": {"new_deficit": True},
        "lesions": [{"id": "TH", "region": "spine", "pain": "mechanical"}],
    }
    case = parse_case(doc)
    proposal = evaluate(case)
    assert any(
        e.code == "EMERG.MSCC" and e.status.value == "suspected" for e in proposal.emergencies
    )
    lt = build_letter(proposal, case, contact=CONTACT)
    assert [u.code for u in lt.personal.urgent][:1] == ["EMERG.MSCC"]
    assert not any("Notfall-Behandlung wegen Druck" in m for m in lt.personal.maybe)


def _bone_letter(prior: dict[str, Any], labs: dict[str, Any], **patient: Any) -> str:
    # Breast cancer with several bone metastases; what the letter says of bone protection.
    case = parse_case(
        {
            "id": "bone-protection",
            "board_date": "2026-11-26",
            "patient": {"age": 34, "sex": "female", "weight_kg": 62, "ecog": 1, **patient},
            "primary": {"site": "breast", "hormone_receptor": "negative", "her2": "positive"},
            "visceral_metastases": {"present": False},
            "bone_metastases": {"vertebral_count": 2, "extraspinal_count": 2},
            "prior_therapy": prior,
            "labs": {"creatinine_umol_l": 70, "albumin_g_l": 40, **labs},
        }
    )
    return build_letter(evaluate(case), case, contact=CONTACT).plain_text()


def test_the_agents_benefits_and_harms_are_told_only_beside_an_agent() -> None:
    # Pregnant, denosumab withheld: no block on what the agents bring and cost (it stood above
    # "Im Moment bekommen Sie kein Mittel"), no dentist line for agents she does not get;
    # calcium and vitamin D go on.
    pregnant = _bone_letter(
        {"bone_modifying_agent": "denosumab", "bone_modifying_agent_dose": "bone_metastasis"},
        {"calcium_mmol_l": 2.35},
        pregnant=True,
    )
    assert "Im Moment bekommen Sie kein Mittel zum Schutz der Knochen" in pregnant
    assert "Brüche und andere Schäden am Knochen werden seltener" not in pregnant
    assert "dass Sie Mittel für die Knochen bekommen" not in pregnant
    assert "Sie nehmen sie weiter jeden Tag als Tablette" in pregnant
    # On denosumab: the current agent is named with its harms.
    on_it = _bone_letter(
        {"bone_modifying_agent": "denosumab", "bone_modifying_agent_dose": "bone_metastasis"},
        {"calcium_mmol_l": 2.35},
    )
    assert (
        "Denosumab:** Sie bekommen es schon" in on_it or "Denosumab: Sie bekommen es schon" in on_it
    )
    assert "Unter Denosumab kann das Kalzium zu tief fallen" in on_it
    # Hypocalcaemia first: calcium alone is no agent, and the letter says the agent waits.
    low = _bone_letter({"bone_modifying_agent": "none"}, {"calcium_mmol_l": 1.95})
    assert "Es beginnt erst, wenn das Kalzium im Blut wieder normal ist" in low


def test_radium_planned_beside_organ_metastases_is_told_as_not_possible() -> None:
    # mCRPC with lung metastases, radium-223 planned by the urologist: the letter explains why
    # it is not possible now, and the survival figure names the patients it was shown for.
    case = parse_case(
        {
            "id": "radium-visceral",
            "board_date": "2026-11-26",
            "patient": {"age": 71, "sex": "male", "weight_kg": 80, "ecog": 1},
            "primary": {"site": "prostate", "castration_status": "resistant"},
            "visceral_metastases": {"present": True, "pattern": "nodular"},
            "bone_metastases": {"vertebral_count": 4, "extraspinal_count": 6},
            "prior_therapy": {"systemic_lines_mcrpc": 1, "planned_therapies": ["Xofigo"]},
            "labs": {"creatinine_umol_l": 90, "calcium_mmol_l": 2.3, "albumin_g_l": 40},
        }
    )
    text = build_letter(evaluate(case), case, contact=CONTACT).plain_text()
    assert "Bei Ihnen sind solche Herde bekannt. Darum kommt es derzeit nicht infrage." in text
    assert "mit Menschen ohne Metastasen in Organen" in text
    assert "Dazu bekommen Sie ein Mittel zum Schutz der Knochen" not in text


def test_a_denosumab_already_stopped_is_not_told_to_be_kept() -> None:
    # Stopped six weeks ago at her own wish, the metastases still call for an agent: the letter
    # names the two ways and does not say "do not stop it on your own".
    stopped = _bone_letter(
        {"bone_modifying_agent": "none", "denosumab_stopped_recently": True},
        {"calcium_mmol_l": 2.35},
    )
    assert "Ihr Denosumab ist schon beendet: Es kann wieder beginnen." in stopped
    assert "Beides zugleich ist nicht nötig." in stopped
    assert "Beenden Sie Denosumab nicht auf eigene Faust" not in stopped


def test_a_crpc_after_an_arpi_is_promised_no_newer_hormone_drug() -> None:
    # The proposal gives no second ARPI after one (cross-resistance); the letter said "Dazu
    # kommen neuere Hormon-Mittel" to every castration-resistant patient.
    case = load_case(ROOT / "examples" / "07-crpc-radium.yaml")
    assert case.prior_therapy.arpi_received is True
    after = build_letter(evaluate(case), case, contact=CONTACT).plain_text()
    assert "Ein neueres Hormon-Mittel haben Sie schon bekommen" in after
    assert "Dazu kommen neuere Hormon-Mittel" not in after
    before = case.model_copy(
        update={"prior_therapy": case.prior_therapy.model_copy(update={"arpi_received": False})}
    )
    naive = build_letter(evaluate(before), before, contact=CONTACT).plain_text()
    assert "Dazu kommen neuere Hormon-Mittel" in naive
    assert "Ein neueres Hormon-Mittel haben Sie schon bekommen" not in naive


def _mscc_letter(medication: list[str]) -> str:
    case = parse_case(
        {
            "id": "letter-steroid",
            "board_date": "2026-11-28",
            "patient": {"age": 61, "sex": "male", "ecog": 1},
            "primary": {"site": "kidney"},
            "neurology": {"new_deficit": True, "frankel": "D", "whole_spine_mri_done": False},
            "prior_therapy": {"current_medication": medication},
        }
    )
    return build_letter(evaluate(case), case, contact=CONTACT).plain_text()


def test_a_corticosteroid_already_taken_is_raised_not_started_again() -> None:
    on_it = _mscc_letter(["Dexamethason 4 mg 1-0-0", "Cabozantinib 40 mg"])
    assert "Sie nehmen schon Kortison. Wenn nötig, wird die Dosis erhöht." in on_it
    assert "Danach geht es zurück auf Ihre bisherige Dosis." in on_it
    assert "Sie bekommen sofort Kortison" not in on_it
    without = _mscc_letter(["Cabozantinib 40 mg"])
    assert "Sie bekommen sofort Kortison" in without
    assert "Sie nehmen schon Kortison" not in without
