"""Patient text blocks (SPEC §8): ``knowledge/texts/de/*.md``, ``knowledge/texts/de/letter.yaml``
and ``knowledge/glossary.de.yaml``.

Each block is Markdown with YAML front matter (exactly the keys in ``FRONT_MATTER_KEYS``). The
letter shows a block when its module matches the case (or is ``all``) and either its ``codes``
list is empty or one of its codes is a firm item of the proposal; inside a block, a paragraph
may carry a condition (``{if …}``, ``{unless …}``) and citations (``[@key]``). These tests check
the structure, the links into ``actions.yaml``, ``sources.yaml`` and the glossary, the
decision-aid layout of option blocks (IPDAS/DISCERN: the same four lead-ins, benefits and harms
side by side), the coverage of the action codes, the markers and the letter's wording file, and
the readability thresholds of SPEC §8.
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from osteoboard.guideline import DISCIPLINES, default_kb_dir, load_knowledge_base
from osteoboard.patient_texts import (
    TAGS,
    Condition,
    plain_body,
    split_citations,
    split_condition,
)
from tests.kb_copies import load_error

KNOWLEDGE = Path(__file__).resolve().parents[1] / "src" / "osteoboard" / "knowledge"
TEXTS = KNOWLEDGE / "texts" / "de"
GLOSSARY = KNOWLEDGE / "glossary.de.yaml"

FRONT_MATTER_KEYS = (
    "id",
    "title",
    "section",
    "discipline",
    "codes",
    "module",
    "order",
    "sources",
    "glossary",
    "last_review",
)
SECTIONS = ("meaning", "options", "self_care", "warning_signs", "questions", "closing")
OPTION_DISCIPLINES = tuple(d for d in DISCIPLINES if d != "warning")
MODULES = ("bone", "myeloma", "sarcoma", "all")
LEAD_INS = (
    "**Worum es geht:**",
    "**Was es bringen kann:**",
    "**Was belasten kann:**",
    "**Was noch unsicher ist:**",
)

# Myeloma and sarcoma codes of SPEC §6 and §7 (their module owns them in actions.yaml).
MODULE_CODES = {
    "MM.MONITOR",
    "MM.CLOSE_MONITORING",
    "MM.START_OR_SWITCH_THERAPY",
    "MM.RENAL_PROTECTION",
    "STS.SPECIAL_PROTOCOL",
    "STS.DOXORUBICIN_MONO",
    "STS.DOXORUBICIN_COMBINATION",
    "STS.METASTASECTOMY",
    "STS.NEXT_LINE_UNUSED_AGENT",
    "STS.TARGETED_TKI",
    "STS.SARCOMA_CENTER",
    "STS.FOLLOW_UP",
}

# Codes of the warning, supportive and board disciplines that DO get a block of their own.
COVERED_SUPPORT_CODES = {
    "SUP.DEXAMETHASONE",
    "SUP.ANALGESIA",
    "SUP.PALLIATIVE_CARE",
    "SUP.FERTILITY_COUNSELING",
    "BOARD.CLINICAL_TRIAL",
    "BOARD.SPECIALIZED_CENTER",
    "WARN.ONJ_DENTAL",
    "WARN.NOT_APPROVED",
    "BOARD.OBSTETRICS",
    "WARN.PREGNANCY",
    "WARN.BREASTFEEDING",
    "WARN.ONJ_ESTABLISHED",
}

# Codes intentionally left without a block, with the reason. Only warning, supportive and board
# codes may appear here; every other code is a treatment or test the patient must read about.
NO_BLOCK: dict[str, str] = {
    "SUP.PHYSIOTHERAPY": "always-shown self_care block (movement adapted to the bones)",
    "SUP.FALL_PREVENTION": "always-shown self_care block (fall prevention at home)",
    "SUP.NUTRITION": "always-shown self_care blocks (eating, fluids)",
    "SUP.PSYCHOONCOLOGY": "always-shown self_care blocks (psycho-oncological support)",
    "SUP.SOCIAL_COUNSELING": "always-shown self_care blocks (Sozialdienst)",
    "BOARD.INTERDISCIPLINARY_REVIEW": "always-shown intro block (the Tumorkonferenz)",
    "SUP.DEXAMETHASONE_TAPER": "page-one item; rt_after_surgery says it after a decompression",
    "WARN.RENAL_BISPHOSPHONATE": "clinician dosing warning; bone_drugs explains kidney checks",
    "WARN.HYPOCALCEMIA_DENOSUMAB": "clinician warning; bone_drugs explains low calcium signs",
    "WARN.RA223_ABIRATERONE": "clinician safety rule; the radium block states it",
    "WARN.RA223_VISCERAL": "fires when radium-223 is NOT suitable; a radium text would mislead",
    "WARN.RA223_BLOOD_COUNT": "clinician threshold; the radium block explains blood counts",
    "WARN.LU177_MARROW": "clinician warning; the lutetium blocks explain marrow toxicity",
    "WARN.LU177_LABS": "fires when lutetium is NOT given now; a lutetium text would mislead",
    "WARN.LU177_DOTATATE_LABS": "fires when lutetium is NOT given now; a lutetium text "
    "would mislead",
    "WARN.RA223_COMBINATION": "clinician licensing note; the radium block comes with the others",
    "WARN.RAI_SPINAL_EPIDURAL": "a paragraph of the radioiodine block, proposed beside it",
    "WARN.LU177_PSMA_NEGATIVE": "fires when lutetium is NOT given; a lutetium text would mislead",
    "WARN.PROGNOSIS_MARROW_FAILURE": "clinician caveat on the prognostic scores, not an option",
    "WARN.CALCIUM_IMPLAUSIBLE": "data check for the team; the emergency box speaks to the patient",
    "WARN.NSAID_RENAL": "clinician prescribing warning; pain_support and self_care_myeloma",
    "WARN.LENALIDOMIDE_RENAL": "clinician dosing warning; the team adjusts the dose",
    "WARN.SCORE_DISAGREEMENT": "internal disagreement of prognosis scores, not a patient option",
    "WARN.PERFORMANCE_STATUS_CONFLICT": "data check for the team; the open question is named",
    "WARN.NEUROLOGY_CONFLICT": "data check for the team; the emergency box speaks to the patient",
    "WARN.MTOR_SURGERY": "clinician perioperative warning; the team plans the pause",
    "WARN.TWO_ANTIRESORPTIVES": "clinician medication check; the bone-drug block names the agent",
    "WARN.PROGNOSIS_SCORES_NET": "clinician caveat on the prognostic scores, not an option",
    "WARN.MTOR_RADIOTHERAPY": "clinician radiotherapy caution; the team plans the fields",
    "WARN.THROMBOCYTOPENIA_PROCEDURE": "clinician procedural threshold; the team plans the step",
    "WARN.GNRH_AGONIST_FLARE": "the systemic block explains the flare and its cover, "
    "warning_signs its symptoms",
    "WARN.CDK46_BLOOD_COUNT": "clinician prescribing threshold; the systemic block explains",
    "SUP.TRANSFUSION_SUPPORT": "ward measures named on page one; the team explains them",
    "SUP.PARALYSIS_CARE": "ward nursing measures beside the cord-compression block",
    "WARN.MSCC_PREVIOUSLY_IRRADIATED": "radiotherapy planning step for the team; the "
    "cord-compression block explains the emergency",
    "WARN.CARDIAC_DEVICE_RADIOTHERAPY": "radiotherapy planning steps for the team; the "
    "diagnostics block tells the patient about the device check",
}
NO_BLOCK_DISCIPLINES = {"warning", "supportive", "board"}

FLESCH_MIN_BLOCK = 50.0
FLESCH_MIN_LETTER = 60.0
WSTF_MAX = 8.0
MAX_SENTENCE_WORDS = 20

_FRONT_MATTER = re.compile(r"\A---\n(.*?)\n---\n(.*)\Z", re.DOTALL)


@dataclass(frozen=True)
class Block:
    path: Path
    meta: dict[str, Any]
    body: str


def _load_block(path: Path) -> Block:
    text = path.read_text(encoding="utf-8")
    match = _FRONT_MATTER.match(text)
    assert match, f"{path.name}: no YAML front matter between '---' lines"
    meta = yaml.safe_load(match.group(1))
    assert isinstance(meta, dict), f"{path.name}: front matter is not a mapping"
    return Block(path=path, meta=meta, body=match.group(2))


BLOCK_PATHS = sorted(TEXTS.glob("*.md"))
BLOCKS = [_load_block(p) for p in BLOCK_PATHS]
OPTION_BLOCKS = [b for b in BLOCKS if b.meta.get("section") == "options"]


def _ids(blocks: list[Block]) -> list[str]:
    return [b.path.stem for b in blocks]


@pytest.fixture(scope="module")
def actions() -> dict[str, dict[str, Any]]:
    data = yaml.safe_load((KNOWLEDGE / "actions.yaml").read_text(encoding="utf-8"))
    return {a["code"]: a for a in data}


@pytest.fixture(scope="module")
def source_keys() -> set[str]:
    data = yaml.safe_load((KNOWLEDGE / "sources.yaml").read_text(encoding="utf-8"))
    return {item["id"] for item in data}


@pytest.fixture(scope="module")
def glossary() -> dict[str, str]:
    data = yaml.safe_load(GLOSSARY.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def _norm(text: str) -> str:
    """Lower case without hyphens and white space ("Hormon-Therapie" == "Hormontherapie")."""
    return re.sub(r"[\s\-\u00ad]", "", text.casefold())


# --------------------------------------------------------------------------------------------
# Structure
# --------------------------------------------------------------------------------------------


def test_there_are_blocks() -> None:
    assert len(BLOCKS) >= 40
    assert "intro" not in {b.path.stem for b in BLOCKS}, "the letter's first page replaces it"
    ids = {b.path.stem for b in BLOCKS}
    for required in (
        "meaning_bone",
        "warning_signs",
        "questions",
        "closing",
        "self_care",
        "meaning_myeloma",
        "meaning_sarcoma",
    ):
        assert required in ids


@pytest.mark.parametrize("block", BLOCKS, ids=_ids(BLOCKS))
def test_front_matter(block: Block) -> None:
    m = block.meta
    keys = tuple(k for k in m if k != "unless")
    assert keys == FRONT_MATTER_KEYS, f"keys must be exactly {FRONT_MATTER_KEYS} in order"
    if "unless" in m:
        # Optional, right after the codes: the codes that keep the block out of a letter.
        assert list(m).index("unless") == list(m).index("codes") + 1
        assert isinstance(m["unless"], list) and m["unless"]
        assert not set(m["unless"]) & set(m["codes"])
    assert m["id"] == block.path.stem
    assert isinstance(m["title"], str) and m["title"].strip()
    assert m["section"] in SECTIONS
    if m["section"] == "options":
        assert m["discipline"] in OPTION_DISCIPLINES
    else:
        assert m["discipline"] is None
    assert m["module"] in MODULES
    assert isinstance(m["order"], int) and not isinstance(m["order"], bool)
    assert isinstance(m["codes"], list)
    assert len(set(m["codes"])) == len(m["codes"])
    assert isinstance(m["sources"], list)
    assert isinstance(m["glossary"], list)
    assert isinstance(m["last_review"], dt.date)
    assert block.body.strip()


@pytest.mark.parametrize("block", BLOCKS, ids=_ids(BLOCKS))
def test_codes_are_known(block: Block, actions: dict[str, dict[str, Any]]) -> None:
    for code in [*block.meta["codes"], *block.meta.get("unless", [])]:
        if code.startswith(("MM.", "STS.")):
            assert code in MODULE_CODES, f"{code}: not a myeloma/sarcoma code of SPEC §6/§7"
        else:
            assert code in actions, f"{code}: not in actions.yaml"


def test_option_blocks_have_codes_and_other_sections_do_not() -> None:
    for b in BLOCKS:
        if b.meta["section"] == "options":
            assert b.meta["codes"], f"{b.path.name}: an option block must be tied to codes"
        else:
            assert b.meta["codes"] == [], f"{b.path.name}: only option blocks carry codes"


def test_module_blocks_use_their_module() -> None:
    for b in BLOCKS:
        codes = b.meta["codes"]
        if any(c.startswith("MM.") for c in codes):
            assert b.meta["module"] == "myeloma", b.path.name
        if any(c.startswith("STS.") for c in codes):
            assert b.meta["module"] == "sarcoma", b.path.name


def test_each_module_has_its_core_sections() -> None:
    for module in ("bone", "myeloma", "sarcoma"):
        sections = {
            b.meta["section"]
            for b in BLOCKS
            if b.meta["module"] in (module, "all") and not b.meta["codes"]
        }
        for section in ("meaning", "self_care", "warning_signs", "questions", "closing"):
            assert section in sections, f"module {module}: no always-shown {section} block"


@pytest.mark.parametrize("block", BLOCKS, ids=_ids(BLOCKS))
def test_sources_exist(block: Block, source_keys: set[str]) -> None:
    for key in block.meta["sources"]:
        assert key in source_keys, f"{key}: not in sources.yaml"


@pytest.mark.parametrize("block", BLOCKS, ids=_ids(BLOCKS))
def test_glossary_terms_exist_and_are_used(block: Block, glossary: dict[str, str]) -> None:
    body = _norm(plain_body(block.body))
    for term in block.meta["glossary"]:
        assert term in glossary, f"{term}: not in glossary.de.yaml"
        assert _norm(term) in body, f"{term}: listed but not used in the text"


def test_glossary_entries_are_short_plain_sentences(glossary: dict[str, str]) -> None:
    for term, text in glossary.items():
        assert isinstance(term, str) and term.strip()
        assert isinstance(text, str) and text.strip(), term
        sentences = [s for s in re.split(r"(?<=[.!?])\s+", text.strip()) if s]
        assert 1 <= len(sentences) <= 3, f"{term}: one or two plain sentences"
    keys = list(glossary)
    assert keys == sorted(keys, key=str.casefold), "glossary keys sorted case-insensitively"


# --------------------------------------------------------------------------------------------
# Decision-aid layout (IPDAS / DISCERN)
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("block", OPTION_BLOCKS, ids=_ids(OPTION_BLOCKS))
def test_option_blocks_have_the_four_lead_ins(block: Block) -> None:
    positions = []
    for lead in LEAD_INS:
        assert block.body.count(lead) == 1, f"{block.path.name}: {lead} must appear exactly once"
        positions.append(block.body.index(lead))
    assert positions == sorted(positions), "lead-ins in the fixed order"
    # Every lead-in starts a paragraph and is followed by text.
    for lead in LEAD_INS:
        assert re.search(r"(?:\A|\n\n)" + re.escape(lead) + r" \S", block.body), lead


@pytest.mark.parametrize("block", OPTION_BLOCKS, ids=_ids(OPTION_BLOCKS))
def test_benefits_and_harms_in_comparable_detail(block: Block) -> None:
    body = block.body
    start_b = body.index(LEAD_INS[1])
    start_h = body.index(LEAD_INS[2])
    start_u = body.index(LEAD_INS[3])
    benefits = len(body[start_b:start_h].split())
    harms = len(body[start_h:start_u].split())
    # Equal detail: neither side more than twice as long as the other.
    assert max(benefits, harms) <= 2 * min(benefits, harms), (benefits, harms)


@pytest.mark.parametrize("block", OPTION_BLOCKS, ids=_ids(OPTION_BLOCKS))
def test_option_blocks_do_not_decide(block: Block) -> None:
    text = block.body.casefold()
    for phrase in ("sie müssen sich", "ist die beste wahl", "garantiert", "auf jeden fall"):
        assert phrase not in text, phrase


# --------------------------------------------------------------------------------------------
# Coverage of the action codes
# --------------------------------------------------------------------------------------------


def test_every_patient_relevant_code_has_a_block(actions: dict[str, dict[str, Any]]) -> None:
    covered = {c for b in BLOCKS for c in b.meta["codes"]}
    missing = []
    for code, action in actions.items():
        if code in covered:
            continue
        if code in NO_BLOCK:
            continue
        missing.append(f"{code} ({action['discipline']})")
    assert not missing, "codes without a patient text block: " + ", ".join(missing)
    assert covered >= MODULE_CODES, sorted(MODULE_CODES - covered)
    assert covered >= COVERED_SUPPORT_CODES


def test_no_block_list_is_honest(actions: dict[str, dict[str, Any]]) -> None:
    covered = {c for b in BLOCKS for c in b.meta["codes"]}
    for code, reason in NO_BLOCK.items():
        assert code in actions, f"{code}: listed in NO_BLOCK but not in actions.yaml"
        assert code not in covered, f"{code}: has a block, remove it from NO_BLOCK"
        assert actions[code]["discipline"] in NO_BLOCK_DISCIPLINES, code
        assert reason.strip()


def test_every_option_discipline_code_is_covered(actions: dict[str, dict[str, Any]]) -> None:
    covered = {c for b in BLOCKS for c in b.meta["codes"]}
    for code, action in actions.items():
        if action["discipline"] not in NO_BLOCK_DISCIPLINES:
            assert code in covered, code


# --------------------------------------------------------------------------------------------
# Readability (SPEC §8)
# --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def readability() -> Any:
    return pytest.importorskip("osteoboard.readability")


@pytest.mark.parametrize("block", BLOCKS, ids=_ids(BLOCKS))
def test_block_readability(block: Block, readability: Any) -> None:
    report = readability.assess(readability.plain_text(plain_body(block.body)))
    assert report.flesch_amstad >= FLESCH_MIN_BLOCK, report.flesch_amstad
    assert report.wstf <= WSTF_MAX, report.wstf


@pytest.mark.parametrize("block", BLOCKS, ids=_ids(BLOCKS))
def test_no_sentence_over_twenty_words(block: Block, readability: Any) -> None:
    text = readability.plain_text(plain_body(block.body))
    long = [
        s
        for s in readability.split_sentences(text)
        if len(readability.words(s)) > MAX_SENTENCE_WORDS
    ]
    assert not long, long


@pytest.mark.parametrize("module", ["bone", "myeloma", "sarcoma"])
def test_whole_letter_readability(module: str, readability: Any, glossary: dict[str, str]) -> None:
    """The longest possible letter of a module (every block of it) plus the glossary."""
    parts = [b for b in BLOCKS if b.meta["module"] in (module, "all")]
    parts.sort(key=lambda b: (SECTIONS.index(b.meta["section"]), b.meta["order"]))
    markdown = "\n\n".join(f"## {b.meta['title']}\n\n{plain_body(b.body)}" for b in parts)
    markdown += "\n\n## Lexikon\n\n" + "\n\n".join(
        f"**{term}**: {text}" for term, text in glossary.items()
    )
    report = readability.assess(readability.plain_text(markdown))
    assert report.flesch_amstad >= FLESCH_MIN_LETTER, report.flesch_amstad
    assert report.wstf <= WSTF_MAX, report.wstf


def test_glossary_readability(readability: Any, glossary: dict[str, str]) -> None:
    text = "\n\n".join(glossary.values())
    report = readability.assess(text)
    assert report.flesch_amstad >= FLESCH_MIN_BLOCK
    assert report.wstf <= WSTF_MAX


# --------------------------------------------------------------------------------------------
# Markers inside blocks: conditions, citations, placeholders, figures
# --------------------------------------------------------------------------------------------


def test_condition_parsing() -> None:
    cond, rest = split_condition("{if BMA.DENOSUMAB spine; unless EMERG.HYPERCALCEMIA} Text")
    assert cond == Condition(("BMA.DENOSUMAB", "spine"), ("EMERG.HYPERCALCEMIA",))
    assert rest == "Text"
    assert split_condition("Kein {if X.Y} am Anfang") == (None, "Kein {if X.Y} am Anfang")


@pytest.mark.parametrize(
    ("firm", "present", "shown"),
    [
        ({"BMA.DENOSUMAB"}, {"BMA.DENOSUMAB"}, True),
        ({"spine"}, {"spine"}, True),
        (set(), {"BMA.DENOSUMAB"}, False),  # only conditional: not shown
        ({"BMA.DENOSUMAB"}, {"BMA.DENOSUMAB", "EMERG.HYPERCALCEMIA"}, False),
        (set(), set(), False),
    ],
)
def test_condition_holds(firm: set[str], present: set[str], shown: bool) -> None:
    cond = Condition(("BMA.DENOSUMAB", "spine"), ("EMERG.HYPERCALCEMIA",))
    assert cond.holds(firm, present) is shown


def test_unless_alone_needs_no_firm_code() -> None:
    cond = Condition((), ("EMERG.HYPERCALCEMIA",))
    assert cond.holds(set(), set())
    assert not cond.holds(set(), {"EMERG.HYPERCALCEMIA"})


def test_citations_are_split_off() -> None:
    keys, text = split_citations("Ein Satz. [@esmo2020; @nice2023]")
    assert keys == ["esmo2020", "nice2023"]
    assert text == "Ein Satz."


@pytest.mark.parametrize("block", BLOCKS, ids=_ids(BLOCKS))
def test_markers_are_known(block: Block, actions: dict[str, dict[str, Any]]) -> None:
    for token in re.findall(r"\{(?:if|unless)\s+([^}]*)\}", block.body):
        for word in re.split(r"[;\s]+", token):
            if word in ("", "if", "unless"):
                continue
            assert word in actions or word in TAGS or word in MODULE_CODES, word
    plain = plain_body(block.body)
    assert "{" not in plain and "[@" not in plain, "a marker survived"


def _broken_kb(tmp_path: Path, file: str, old: str, new: str) -> Path:
    directory = tmp_path / "knowledge"
    shutil.copytree(default_kb_dir(), directory)
    path = directory / "texts" / "de" / file
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return directory


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("{if spine}", "{if spinal}", "unknown tag 'spinal'"),
        ("{if spine}", "{if SURG.NOPE}", "unknown action code SURG.NOPE"),
        ("Er bleibt {cancer}", "Er bleibt {krebs}", "unknown placeholder {krebs}"),
        ("- {if spine} In der", "- In der {if spine}", "must start a paragraph"),
    ],
)
def test_bad_markers_fail_loading(tmp_path: Path, old: str, new: str, message: str) -> None:
    directory = _broken_kb(tmp_path, "meaning_bone.md", old, new)
    assert message in load_error(directory)


def test_unknown_tag_of_a_question_fails_loading(tmp_path: Path) -> None:
    old = 'spine.: "{if spine} ob'
    directory = _broken_kb(tmp_path, "letter.yaml", old, old.replace("spine}", "spina}"))
    assert "questions.spine.: unknown tag 'spina'" in load_error(directory)
    # A condition may also name an action code (asked only beside that firm item).
    old = '"{if DX.PREGNANCY_CHECK} ob Sie schwanger'
    directory = _broken_kb(tmp_path / "b", "letter.yaml", old, old.replace("CHECK}", "TEST}"))
    assert "unknown tag 'DX.PREGNANCY_TEST'" in load_error(directory)


def test_unknown_code_that_keeps_a_block_out_fails_loading(tmp_path: Path) -> None:
    old = "unless: [BOARD.DECLINED_SURGERY]"
    directory = _broken_kb(tmp_path, "surgery_long_bone.md", old, "unless: [BOARD.NOPE]")
    assert "unknown action code BOARD.NOPE" in load_error(directory)


def test_unknown_citation_fails_loading(tmp_path: Path) -> None:
    directory = _broken_kb(tmp_path, "rt_pain.md", "[@koswig1999]", "[@koswig1899]")
    assert "unknown source key 'koswig1899'" in load_error(directory)


# --------------------------------------------------------------------------------------------
# letter.yaml: the personal part's wording
# --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def letter_texts() -> Any:
    texts = load_knowledge_base().letter
    assert texts is not None
    return texts


def test_every_code_a_patient_may_read_has_an_item(
    letter_texts: Any, actions: dict[str, dict[str, Any]]
) -> None:
    """Every action code except the clinician warnings (NO_BLOCK) is named on page one."""
    for code, action in actions.items():
        if action["discipline"] == "warning" and code != "WARN.NOT_APPROVED":
            continue
        assert code in letter_texts.items, code
    for code in MODULE_CODES:
        assert code in letter_texts.items, code


def test_every_emergency_has_a_box(letter_texts: Any, actions: dict[str, dict[str, Any]]) -> None:
    for code in actions:
        if code.startswith("EMERG."):
            box = letter_texts.emergencies[code]
            assert "112" in box.act or "Team" in box.act, code


def test_every_question_has_patient_words(letter_texts: Any) -> None:
    kb = load_knowledge_base()
    for name, info in kb.facts.items():
        if info.question is None:
            continue
        clause = letter_texts.question(name)
        assert clause, name
        clause = split_condition(clause)[1]  # an optional {if TAG} comes first
        assert clause[0].islower(), (name, "a clause continuing 'Ihr Team klärt noch:'")
        assert "?" not in clause


def test_item_wording_readability(letter_texts: Any, readability: Any) -> None:
    text = "\n\n".join(
        [i.text + "." for i in letter_texts.items.values()]
        + [f"{b.confirmed} {b.suspected} {b.act}" for b in letter_texts.emergencies.values()]
        + [
            q[0].upper() + q[1:] + "."
            for q in (split_condition(c)[1] for c in letter_texts.questions.values())
        ]
    )
    report = readability.assess(text)
    assert report.flesch_amstad >= FLESCH_MIN_LETTER, report.flesch_amstad
    assert report.wstf <= WSTF_MAX, report.wstf


def test_calcium_item_yields_to_hypercalcaemia(letter_texts: Any) -> None:
    assert "EMERG.HYPERCALCEMIA" in letter_texts.items["BMA.CALCIUM_VITAMIN_D"].unless


def test_bad_letter_yaml_fails_loading(tmp_path: Path) -> None:
    directory = _broken_kb(tmp_path, "letter.yaml", "  RT.SBRT: {text:", "  RT.NOPE: {text:")
    assert "unknown action code RT.NOPE" in load_error(directory)
    directory = _broken_kb(tmp_path / "b", "letter.yaml", "  neuro.frankel:", "  neuro.frankle:")
    assert "'neuro.frankle' is neither a fact" in load_error(directory)
    directory = _broken_kb(tmp_path / "c", "letter.yaml", "from_level: L2", "from_level: L6")
    assert "cauda_equina.from_level 'L6' is not a vertebral level" in load_error(directory)


def test_an_item_to_clarify_is_a_clause_not_a_step(tmp_path: Path) -> None:
    """An item the team clarifies with the patient continues 'Ihr Team klärt noch:'."""
    clause = "{text: ob Sie schwanger sein könnten oder stillen, clarify: true}"
    for n, bad in enumerate(
        (
            "{text: Frage nach einer Schwangerschaft, clarify: true}",
            "{text: ob Sie schwanger sein könnten?, clarify: true}",
            "{text: ob Sie schwanger sein könnten, clarify: true, within_days: 7}",
        )
    ):
        directory = _broken_kb(tmp_path / str(n), "letter.yaml", clause, bad)
        assert "an item to clarify" in load_error(directory), bad
