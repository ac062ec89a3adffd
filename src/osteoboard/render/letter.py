"""The patient information letter (German), built only from the Proposal and the case.

The letter decides nothing. Its first part is about this patient: the diagnosis and where the
lesions are, in plain words; an emergency first; what the board proposes (firm items, with when
they happen) and what is still being clarified (conditional items, suspected emergencies and
the proposal's questions); the centre's contact block, the board date and the signing
physician. Its second part explains only what the proposal contains: the knowledge base's
text blocks whose action codes are firm items of the proposal (and the blocks every letter of
the case's module carries), each paragraph shown only when its condition holds (see
:mod:`osteoboard.patient_texts`), with the glossary entries and the sources behind what is
shown.

The wording of the personal part comes from ``knowledge/texts/de/letter.yaml``; the German
words for the case's own values (site, bone, side …) are in :func:`words_de`, one table meant
to give way to the shared vocabulary. The contact block comes from the settings
(:func:`load_contact`).
"""

from __future__ import annotations

import datetime as dt
import functools
import os
import re
import tomllib
from collections.abc import Collection, Iterable, Mapping, Sequence
from collections.abc import Set as AbstractSet
from pathlib import Path
from typing import Any, Literal

from markdown_it import MarkdownIt
from pydantic import BaseModel, ConfigDict, ValidationError

from osteoboard import readability
from osteoboard.case import (
    MYELOMA_PRECURSOR_STAGES,
    Case,
    Lesion,
    MyelomaStage,
    PrimarySite,
    Region,
    Side,
    spine_level_index,
)
from osteoboard.engine import definition_holds
from osteoboard.errors import OsteoboardError
from osteoboard.guideline import DISCIPLINES, KnowledgeBase, load_knowledge_base
from osteoboard.patient_texts import (
    SECTIONS,
    Block,
    Condition,
    LetterTexts,
    fill_placeholders,
    split_citations,
    split_condition,
)
from osteoboard.proposal import ItemStatus, Priority, Proposal, Recommendation, Warning
from osteoboard.render.citations import compact
from osteoboard.text import join

__all__ = [
    "Contact",
    "Letter",
    "SettingsError",
    "build_letter",
    "case_tags",
    "count_words",
    "lesion_place",
    "letter_modules",
    "load_contact",
    "render_letter_html",
    "render_letter_pdf",
    "words_de",
]


class SettingsError(OsteoboardError, ValueError):
    """The letter's settings (file or environment) are invalid; the message names them."""


class _M(BaseModel):
    model_config = ConfigDict(frozen=True)


class Run(_M):
    text: str
    strong: bool = False
    em: bool = False


class Para(_M):
    kind: Literal["p", "ul", "ol", "figure"]
    runs: list[Run] = []
    entries: list[list[Run]] = []
    figure: str | None = None


class LetterBlock(_M):
    id: str
    title: str
    paragraphs: list[Para]


class LetterSection(_M):
    id: str
    title: str
    blocks: list[LetterBlock]


class GlossaryEntry(_M):
    term: str
    explanation: str


class Figure(_M):
    svg: str
    caption: str


class Urgent(_M):
    """An emergency, first on page one."""

    code: str
    title: str
    suspected: bool
    text: str
    act: str
    #: Before the title: "Verdacht: " for a suspected emergency, "Zu klären: " for one named
    #: only on a condition the case shows no sign of (letter.yaml ``open``).
    prefix: str = ""


class Step(_M):
    """What the board proposes, by when it happens."""

    when: str
    items: list[str]


class Contact(_M):
    """The centre's contact block (from the settings)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    centre: str | None = None
    contact_person: str | None = None
    phone_day: str | None = None
    phone_night: str | None = None
    physician: str | None = None

    @property
    def configured(self) -> bool:
        return bool(self.centre and (self.phone_day or self.phone_night))


class Personal(_M):
    """The part of the letter about this patient (at most two pages)."""

    salutation: str
    opening: str
    urgent: list[Urgent]
    diagnosis: list[str]
    steps: list[Step]
    maybe: list[str]
    clarify: list[str]
    contact: Contact
    contact_lines: list[str]
    signature: str


class Readability(_M):
    flesch_amstad: float
    wstf: float
    lix: float
    sections: dict[str, float]
    #: Words (:func:`count_words`) of the whole letter as printed, sources included, without
    #: the page footer; of the letter without its list of sources; of the personal part.
    words: int
    prose_words: int
    personal_words: int


class Letter(_M):
    case_id: str
    board_date: str | None
    board_date_de: str | None
    engine_version: str
    kb_version: str
    kb_sha256: str
    modules: list[str]
    title: str
    personal: Personal
    general_title: str
    sections: list[LetterSection]
    glossary: list[GlossaryEntry]
    references: list[str]
    #: The bibliography keys of ``references``, in the same order.
    reference_keys: list[str] = []
    figures: dict[str, Figure] = {}
    #: Headings and lead sentences of the templates (one place for both outputs).
    labels: dict[str, str] = {}
    readability: Readability

    def personal_text(self) -> str:
        return personal_text(self.personal, self.title)

    def plain_text(self, *, include_glossary: bool = True, include_references: bool = False) -> str:
        parts = [self.personal_text(), self.general_title]
        parts.extend(section_text(s) for s in self.sections)
        if include_glossary and self.glossary:
            parts.append(GLOSSARY_TITLE)
            parts.extend(f"{g.term}: {g.explanation}" for g in self.glossary)
        if include_references and self.references:
            parts.append(REFERENCES_TITLE)
            parts.extend(self.references)
        return "\n\n".join(parts)


# --------------------------------------------------------------------------------------------
# Fixed wording of the letter

TITLE = "Ihr Brief aus der Tumorkonferenz"
GENERAL_TITLE = "Mehr über Ihre Erkrankung und die Behandlung"
GLOSSARY_TITLE = "Lexikon"
REFERENCES_TITLE = "Quellen"
SECTION_TITLES = {
    "meaning": "Was der Befund bedeutet",
    "options": "Die vorgeschlagenen Behandlungen",
    "self_care": "Was Sie selbst tun können",
    "warning_signs": "Warnzeichen: Wann Sie sofort Hilfe brauchen",
    "questions": "Fragen an Ihr Team",
    "closing": "Über diesen Brief",
}
PERSONAL_TITLES = {
    "urgent": "Bitte zuerst lesen",
    "diagnosis": "Ihre Erkrankung",
    "steps": "Was die Konferenz Ihnen vorschlägt",
    "clarify": "Was noch geklärt wird",
    "contact": "So erreichen Sie uns",
}
_MAYBE = "Vielleicht kommt noch dazu, je nach den offenen Fragen:"
_CLARIFY = "Ihr Team klärt noch:"
_SUSPECTED = "Verdacht: "
_OPEN = "Zu klären: "
LABELS = {
    **PERSONAL_TITLES,
    "maybe": _MAYBE,
    "clarify_lead": _CLARIFY,
    "suspected": _SUSPECTED,
    "glossary": GLOSSARY_TITLE,
    "references": REFERENCES_TITLE,
}
_SALUTATION = {"female": "Liebe Patientin,", "male": "Lieber Patient,"}
_SALUTATION_UNKNOWN = "Liebe Patientin, lieber Patient,"
_CHOICE = "Sie wählen mit Ihrem Team."
_SUPPORT = "Begleitend: "


def count_words(text: str) -> int:
    """Words as a word processor counts them: runs of non-space characters with a letter or
    digit (a lone dash or bullet is not a word)."""
    return len(re.findall(r"\S*[^\W_]\S*", text))


def date_de(d: dt.date) -> str:
    """20. November 2026."""
    return f"{d.day}. {words_de('month', str(d.month))} {d.year}"


# --------------------------------------------------------------------------------------------
# The case's own values in German (one table; to give way to the shared vocabulary)

_WORDS: dict[str, dict[str, str]] = {
    "month": {
        "1": "Januar",
        "2": "Februar",
        "3": "März",
        "4": "April",
        "5": "Mai",
        "6": "Juni",
        "7": "Juli",
        "8": "August",
        "9": "September",
        "10": "Oktober",
        "11": "November",
        "12": "Dezember",
    },
    # The patient's cancer, in the nominative (it follows "ist" / "bleibt").
    "site": {
        "breast": "Brustkrebs",
        "prostate": "Prostatakrebs",
        "thyroid": "Schilddrüsenkrebs",
        "kidney": "Nierenkrebs",
        "lung_nsclc": "nicht-kleinzelliger Lungenkrebs",
        "lung_sclc": "kleinzelliger Lungenkrebs",
        "myeloma": "ein Multiples Myelom",
        "lymphoma": "ein Lymphom",
        "uterus": "Gebärmutterkrebs",
        "cervix": "Gebärmutterhalskrebs",
        "ovary": "Eierstockkrebs",
        "rectum": "Enddarmkrebs",
        "colon": "Darmkrebs",
        "stomach": "Magenkrebs",
        "oesophagus": "Speiseröhrenkrebs",
        "pancreas": "Bauchspeicheldrüsenkrebs",
        "liver": "Leberkrebs",
        "gallbladder": "Gallenblasenkrebs",
        "bladder": "Blasenkrebs",
        "melanoma": "schwarzer Hautkrebs (Melanom)",
        "sarcoma": "ein Weichteilsarkom",
        "osteosarcoma": "ein Osteosarkom, ein Krebs des Knochens",
        "head_neck": "Krebs im Kopf-Hals-Bereich",
        "neuroendocrine": "ein neuroendokriner Tumor",
        "germ_cell": "ein Keimzelltumor",
        "unknown": "Krebs, dessen Ursprung noch gesucht wird",
        "other": "Ihre bekannte Krebsart",
    },
    # A myeloma stage that is a disease of its own, in the nominative.
    "myeloma_stage": {
        "solitary_plasmacytoma": (
            "ein solitäres Plasmozytom: ein einzelner Herd aus Plasmazellen im Knochen, "
            "noch kein Multiples Myelom"
        ),
    },
    "sarcoma_subtype": {
        "leiomyosarcoma": "ein Leiomyosarkom",
        "liposarcoma_well_differentiated": "ein Liposarkom",
        "liposarcoma_dedifferentiated": "ein Liposarkom",
        "liposarcoma_myxoid": "ein Liposarkom",
        "liposarcoma_pleomorphic": "ein Liposarkom",
        "undifferentiated_pleomorphic_sarcoma": "ein undifferenziertes Sarkom",
        "synovial_sarcoma": "ein Synovialsarkom",
        "myxofibrosarcoma": "ein Myxofibrosarkom",
        "angiosarcoma": "ein Angiosarkom",
        "mpnst": "ein Sarkom der Nervenscheiden",
        "solitary_fibrous_tumor": "ein solitärer fibröser Tumor",
        "rhabdomyosarcoma_embryonal": "ein Rhabdomyosarkom",
        "rhabdomyosarcoma_alveolar": "ein Rhabdomyosarkom",
        "rhabdomyosarcoma_pleomorphic": "ein Rhabdomyosarkom",
        "extraskeletal_ewing": "ein Ewing-Sarkom außerhalb des Knochens",
        "ewing": "ein Ewing-Sarkom",
        "dsrct": "ein seltener Tumor aus kleinen, runden Zellen",
        "gist": "ein Tumor des Magens oder Darms (GIST)",
        "other": "ein Weichteilsarkom",
    },
    # Histology keywords (lower case, matched as words) -> what it is, in the nominative.
    "histology": {
        "clear-cell": "ein klarzelliges Nierenzellkarzinom",
        "clear cell": "ein klarzelliges Nierenzellkarzinom",
        "squamous": "ein Plattenepithelkarzinom",
        "adenocarcinoma": "ein Adenokarzinom, also ein Krebs aus Drüsengewebe",
        "lobular": "ein lobuläres Karzinom",
        "follicular": "ein follikuläres Karzinom",
        "papillary": "ein papilläres Karzinom",
        "nst": "ein Karzinom ohne besonderen Typ, die häufigste Form",
        "ductal": "ein Karzinom ohne besonderen Typ, die häufigste Form",
    },
    # Vertebrae by their letter: the noun after "im 8.".
    "vertebra": {
        "C": "Halswirbel",
        "T": "Brustwirbel",
        "L": "Lendenwirbel",
        "S": "Kreuzbeinwirbel",
    },
    # Long bones: gender and noun.
    "bone_gender": {
        "femur": "m",
        "tibia": "n",
        "humerus": "m",
        "radius": "f",
        "ulna": "f",
        "fibula": "n",
    },
    # Genitive, for "im Schaft des Oberschenkelknochens".
    "bone_genitive": {
        "femur": "des Oberschenkelknochens",
        "tibia": "des Schienbeins",
        "humerus": "des Oberarmknochens",
        "radius": "der Speiche",
        "ulna": "der Elle",
        "fibula": "des Wadenbeins",
    },
    "bone": {
        "femur": "Oberschenkelknochen",
        "tibia": "Schienbein",
        "humerus": "Oberarmknochen",
        "radius": "Speiche",
        "ulna": "Elle",
        "fibula": "Wadenbein",
    },
    # Region other: the bone, with "{side}" for the side as an adjective ("rechten ") and
    # "{side_adverb}" for it as an adverb (" rechts"); both empty when the side is not given.
    "other_bone": {
        "clavicle": "im {side}Schlüsselbein",
        "scapula": "im {side}Schulterblatt",
        "mandible": "im Unterkiefer{side_adverb}",
        "patella": "in der {side}Kniescheibe",
        "hand": "in einem Knochen der {side}Hand",
        "calcaneus": "im {side}Fersenbein",
        "talus": "im {side}Sprungbein",
        "foot": "in einem Knochen des {side}Fußes",
    },
    "side": {"left": "linken", "right": "rechten"},
    "side_adverb": {"left": "links", "right": "rechts"},
    "segment": {
        "peritrochanteric": "nahe der Hüfte",
        "epiphyseal": "nahe am Gelenk",
        "metaphyseal": "nahe am Gelenk",
    },
    "joint": {
        "hip": "nahe am Hüftgelenk",
        "shoulder": "nahe am Schultergelenk",
        "knee": "nahe am Kniegelenk",
        "elbow": "nahe am Ellenbogen",
        "sacroiliac": "am Kreuz-Darmbein-Gelenk",
    },
    "region": {
        "pelvis": "im Becken",
        "rib": "in einer Rippe",
        "skull": "im Schädel",
        "sternum": "im Brustbein",
        "other": "an einer anderen Stelle im Skelett",
        "spine": "in einem Wirbel",
        "long_bone": "in einem langen Knochen",
    },
    "metastasis_site": {
        "lung": "in der Lunge",
        "liver": "in der Leber",
        "bone": "im Knochen",
        "soft_tissue": "im Weichgewebe",
        "abdomen": "im Bauchraum",
        "brain": "im Gehirn",
        "lymph_nodes": "in Lymphknoten",
        "other": "an anderen Stellen",
    },
    "net_origin": {
        "gastroenteropancreatic": "Er stammt aus dem Verdauungstrakt.",
        "lung": "Er stammt aus der Lunge.",
    },
    # An operation already done at a lesion, as "Schon operiert: <place> (<words>)".
    "operation": {
        "decompression": "Druck vom Rückenmark genommen",
        "stabilization": "Wirbelsäule mit Schrauben und Stäben gestützt",
        "decompression_stabilization": (
            "Druck vom Rückenmark genommen und mit Schrauben und Stäben gestützt"
        ),
        "intramedullary_nail": "mit einem Nagel aus Metall gestützt",
        "plate_osteosynthesis": "mit einer Platte aus Metall gestützt",
        "osteosynthesis": "mit Metall gestützt",
        "endoprosthesis": "durch ein künstliches Gelenk ersetzt",
        "resection": "der Herd entfernt",
    },
}


def words_de(kind: str, value: str) -> str:
    """The German words for one value of the case (empty when there are none)."""
    return _WORDS.get(kind, {}).get(value, "")


def lesion_place(lesion: Lesion) -> str:
    """Where a lesion lies, as an adverbial phrase: "im 8. Brustwirbel", "im rechten
    Oberschenkelknochen nahe der Hüfte", "im Schaft des linken Oberarmknochens", "in der
    linken Speiche", "im Becken nahe am Hüftgelenk", "im rechten Fersenbein"."""
    side = lesion.side.value if lesion.side in (Side.left, Side.right) else ""
    if lesion.region is None:
        return "an einer noch nicht genannten Stelle im Skelett"
    if lesion.region is Region.spine:
        if not lesion.level:
            return words_de("region", "spine")
        letter, number = lesion.level[0], lesion.level[1:]
        return f"im {number}. {words_de('vertebra', letter)}"
    if lesion.region is Region.long_bone:
        bone = lesion.bone.value if lesion.bone else ""
        noun = words_de("bone", bone)
        if not noun:
            place = words_de("region", "long_bone")
            if side:
                place += f" {words_de('side_adverb', side)}"
        else:
            adjective = f"{words_de('side', side)} " if side else ""
            if lesion.segment is not None and lesion.segment.value == "diaphyseal":
                article, _, rest = words_de("bone_genitive", bone).partition(" ")
                return f"im Schaft {article} {adjective}{rest}"
            feminine = words_de("bone_gender", bone) == "f"
            place = f"in der {adjective}{noun}" if feminine else f"im {adjective}{noun}"
        where = ""
        if lesion.joint is not None and lesion.joint.value != "none":
            where = words_de("joint", lesion.joint.value)
        elif lesion.segment is not None:
            where = words_de("segment", lesion.segment.value)
        return f"{place} {where}" if where else place
    if lesion.region is Region.other and lesion.other_bone is not None:
        return words_de("other_bone", lesion.other_bone.value).format(
            side=f"{words_de('side', side)} " if side else "",
            side_adverb=f" {words_de('side_adverb', side)}" if side else "",
        )
    place = words_de("region", lesion.region.value)
    if lesion.region is Region.pelvis and side:
        place = f"in der {words_de('side', side)} Beckenhälfte"
    elif lesion.region is Region.rib and side:
        place = f"in einer {words_de('side', side)} Rippe"
    if lesion.region is Region.pelvis and lesion.joint is not None:
        where = words_de("joint", lesion.joint.value)
        if where:
            place = f"{place} {where}"
    return place


#: Primary sites that are not carcinomas: the histology words ("ein follikuläres Karzinom")
#: describe carcinomas, and "follicular" in a follicular lymphoma is not one.
_NOT_CARCINOMA_SITES = frozenset(
    {
        PrimarySite.myeloma,
        PrimarySite.lymphoma,
        PrimarySite.melanoma,
        PrimarySite.sarcoma,
        PrimarySite.osteosarcoma,
        PrimarySite.neuroendocrine,
        PrimarySite.germ_cell,
    }
)
#: Word stems of a histology that names no carcinoma, in German and English (lower case).
_NOT_CARCINOMA = re.compile(
    r"lymphom|lymphoma|myelom|myeloma|plasm[ao]zytom|plasmacytoma|leuk[aä]em|leuk[aä]mi|"
    r"sarkom|sarcoma|melanom|seminom|germinom|teratom|blastom|blastoma|neuroendokrin|"
    r"neuroendocrine|karzinoid|carcinoid|ewing|\bgist\b|mesotheliom"
)


def _histology(histology: str | None, site: PrimarySite | None = None) -> str:
    """The histology in plain words where it names a kind of carcinoma; empty otherwise."""
    if not histology or site in _NOT_CARCINOMA_SITES:
        return ""
    text = histology.casefold()
    if _NOT_CARCINOMA.search(text):
        return ""
    for keyword, words in _WORDS["histology"].items():
        if re.search(rf"(?<![a-z]){re.escape(keyword)}(?![a-z])", text):
            return words
    return ""


def cancer_words(case: Case) -> str:
    """The patient's cancer in plain words, in the nominative."""
    site = case.primary.site.value if case.primary.site else "other"
    if case.sarcoma is not None and case.sarcoma.subtype is not None:
        return words_de("sarcoma_subtype", case.sarcoma.subtype.value)
    if case.myeloma is not None and case.myeloma.stage is MyelomaStage.solitary_plasmacytoma:
        return words_de("myeloma_stage", case.myeloma.stage.value)
    return words_de("site", site) or words_de("site", "other")


def _diagnosis(case: Case, is_myeloma: bool, unconfirmed: bool = False) -> list[str]:
    if case.tissue_diagnosis is False:
        # No cancer diagnosed in tissue: the letter names no diagnosis nobody has made.
        found = (
            "Im Knochen wurden mehrere Herde gefunden. Was sie sind, steht noch nicht fest: "
            if case.multiple_bone_metastases is True
            else "Im Knochen wurde ein Herd gefunden. Was er ist, steht noch nicht fest: "
        )
        return [found + "Das soll eine Gewebeprobe klären.", *_sites(case, is_myeloma)]
    cancer = cancer_words(case)
    lines = [f"Ihre Erkrankung ist {cancer}."]
    histology = _histology(case.primary.histology, case.primary.site)
    if histology and case.sarcoma is None:
        lines.append(f"Unter dem Mikroskop ist es {histology}.")
    p = case.primary
    if p.hormone_receptor is not None and p.hormone_receptor.value == "positive":
        lines.append("Der Krebs wächst unter dem Einfluss von Hormonen.")
    if p.her2 is not None and p.her2.value == "positive":
        lines.append("Seine Zellen tragen das Merkmal HER2.")
    if p.castration_status is not None:
        lines.append(
            "Der Krebs spricht auf den Entzug von Hormonen an."
            if p.castration_status.value == "sensitive"
            else "Der Krebs spricht nicht mehr auf den Entzug von Hormonen an."
        )
    if p.neuroendocrine_origin is not None:
        origin = words_de("net_origin", p.neuroendocrine_origin.value)
        if origin:
            lines.append(origin)
    lines.extend(_sites(case, is_myeloma, unconfirmed))
    return lines


def _biopsy_in_doubt(proposal: Proposal, kb: KnowledgeBase) -> bool:
    """Whether a proposed biopsy is to show what a bone lesion is: a firm one, or one named
    for another reason than retesting the markers of a metastasis not in doubt (the rule's
    ``retests_markers``; a lesion that may be the only one)."""
    rules = kb.rules_by_id
    return any(
        item.code == "DX.BIOPSY"
        and (
            item.status is ItemStatus.firm
            or item.rule not in rules
            or not rules[item.rule].rule.retests_markers
        )
        for item in proposal.recommendations
    )


def _lesions_word(case: Case, is_myeloma: bool, unconfirmed: bool = False) -> str:
    """What the bone lesions are called: metastases only of a cancer that spreads to bone,
    and nothing more than lesions before a tissue diagnosis or a solitary lesion's biopsy."""
    if case.tissue_diagnosis is False:
        return "Herde im Knochen"
    if unconfirmed:
        if len(case.lesions) > 1 or case.multiple_bone_metastases is True:
            return "Herde im Knochen, noch nicht durch eine Gewebeprobe gesichert"
        return "Ein Herd im Knochen, noch nicht durch eine Gewebeprobe gesichert"
    if case.myeloma is not None and case.myeloma.stage is MyelomaStage.solitary_plasmacytoma:
        return "Herd des Plasmozytoms im Knochen"
    if is_myeloma:
        return "Herde des Myeloms im Knochen"
    if case.primary.site is PrimarySite.lymphoma:
        return "Herde des Lymphoms im Knochen"
    return "Metastasen im Knochen"


def _count(n: int, one: str, many: str) -> str:
    return f"1 {one}" if n == 1 else f"{n} {many}"


def _sites(case: Case, is_myeloma: bool, unconfirmed: bool = False) -> list[str]:
    lines: list[str] = []
    what = _lesions_word(case, is_myeloma, unconfirmed)
    places = list(dict.fromkeys(lesion_place(x) for x in case.lesions))
    spine_listed = len({x.level or x.id for x in case.spinal_lesions})
    other_listed = sum(1 for x in case.lesions if x.region is not Region.spine)
    vertebral = case.bone_metastases.vertebral_count or 0
    extraspinal = case.bone_metastases.extraspinal_count or 0
    more: list[str] = []
    if vertebral > spine_listed:
        more.append("in " + _count(vertebral - spine_listed, "Wirbel", "Wirbeln"))
    if extraspinal > other_listed:
        more.append(
            _count(extraspinal - other_listed, "anderen Stelle", "anderen Stellen").join(
                ("an ", " im Skelett")
            )
        )
    if places:
        lines.append(f"{what}: {join(places)}.")
        if more:
            lines.append(f"Dazu kommen weitere Herde: {join(more)}.")
    elif more:
        lines.append(f"{what}: {join(more)}.")
    operated = [
        f"{lesion_place(x)} ({words_de('operation', x.operation.value)})"
        for x in case.lesions
        if x.operation is not None
    ]
    if operated:
        lines.append(f"Schon operiert: {join(list(dict.fromkeys(operated)))}.")
    if case.sarcoma is not None and case.sarcoma.metastases is not None:
        m = case.sarcoma.metastases
        where = [words_de("metastasis_site", s.value) for s in m.sites]
        if where:
            count = f" ({_count(m.count, 'Herd', 'Herde')})" if m.count else ""
            lines.append(f"Metastasen: {join(where)}{count}.")
    elif case.visceral_present:
        brain = " Auch im Gehirn gibt es Metastasen." if case.brain_metastases else ""
        lines.append(f"Auch in anderen Organen gibt es Metastasen.{brain}")
    return lines


# --------------------------------------------------------------------------------------------
# Which blocks and paragraphs apply


def letter_modules(case: Case) -> list[str]:
    """The modules whose general blocks this case's letter carries.

    Myeloma lesions are not metastases, so a myeloma letter never carries the bone-metastasis
    explanation; a sarcoma letter carries it only when bone metastases are recorded.
    """
    modules = ["all"]
    if case.myeloma is not None or (case.primary.site and case.primary.site.value == "myeloma"):
        return [*modules, "myeloma"]
    if case.sarcoma is not None:
        modules.append("sarcoma")
        if _has_bone(case):
            modules.append("bone")
        return modules
    return [*modules, "bone"]


def _has_bone(case: Case) -> bool:
    sarcoma_bone = bool(
        case.sarcoma
        and case.sarcoma.metastases
        and any(s.value == "bone" for s in case.sarcoma.metastases.sites)
    )
    return bool(
        case.lesions
        or case.bone_metastases.vertebral_count
        or case.bone_metastases.extraspinal_count
        or sarcoma_bone
    )


def case_tags(case: Case, firm: Iterable[str], kb: KnowledgeBase | None = None) -> set[str]:
    """The tags of :data:`osteoboard.patient_texts.TAGS` that hold for this case."""
    firm = frozenset(firm)
    tags: set[str] = set()
    if case.patient.sex is not None:
        tags.add(case.patient.sex.value)  # male or female
    listed_other = sum(1 for x in case.lesions if x.region is not Region.spine)
    # A lesion whose region is not stated may be spinal: its warning signs and questions stay.
    unplaced = any(x.region is None for x in case.lesions)
    if case.spinal_lesions or case.bone_metastases.vertebral_count or unplaced:
        tags.add("spine")
    if any(x.region in (Region.long_bone, Region.pelvis) for x in case.lesions) or (
        (case.bone_metastases.extraspinal_count or 0) > listed_other
    ):
        tags.add("limb")
    if _has_bone(case) or "myeloma" in letter_modules(case):
        tags.add("bone")
    elif (
        case.sarcoma is None
        and case.bone_metastases.vertebral_count == 0
        and case.bone_metastases.extraspinal_count == 0
    ):
        tags.add("no_bone")  # documented: no lesion listed and both counts 0
    if case.sarcoma is not None and case.sarcoma.metastases is not None:
        for site in case.sarcoma.metastases.sites:
            if site.value in ("lung", "liver", "brain"):
                tags.add(site.value)
            if site.value == "bone":
                tags.add("bone")
    if case.brain_metastases:
        tags.add("brain")
    agent = case.prior_therapy.bone_modifying_agent
    given = agent is not None and agent.value != "none"
    if given:
        tags.add("on_bma")
    if given and agent is not None:
        tags.add("on_denosumab" if agent.value == "denosumab" else "on_bisphosphonate")
    if case.prior_therapy.denosumab_stopped_recently and not given:
        tags.add("denosumab_stopped")
    # An agent itself, given now or proposed, not withheld: what the agents bring and cost is
    # said only then (calcium and vitamin D alone are no such agent).
    actions = (kb or load_knowledge_base()).actions
    if "BMA.WITHHOLD" not in firm and (
        given or any(c in actions and actions[c].bone_agent for c in firm)
    ):
        tags.add("bma_agent")
    if case.myeloma is not None and case.myeloma.stage in MYELOMA_PRECURSOR_STAGES:
        tags.add("precursor")
    # The knowledge base's solitary plasmacytoma of bone (the documented stage): the letter
    # speaks of one lesion that is not myeloma, not of remission and relapse.
    if case.myeloma is not None and definition_holds(case, "solitary_plasmacytoma", kb) is True:
        tags.add("plasmacytoma")
    if case.primary.site is PrimarySite.lymphoma:
        tags.add("lymphoma")
    if any(x.operation is not None for x in case.lesions):
        tags.add("operated")
    # The knowledge base's paraplegia beyond the window of surgery: the letter then promises no
    # return of walking (the facts are derived only when a Frankel grade is documented).
    if (
        case.neurology.frankel is not None
        and definition_holds(case, "paraplegia_over_48h", kb) is True
    ):
        tags.add("paralysed_long")
    if case.patient.on_dialysis:
        tags.add("dialysis")
    castration = case.primary.castration_status
    if castration is not None and castration.value == "resistant":
        tags.add("castration_resistant")
        # After an androgen-receptor-pathway inhibitor no second one is the plan (the
        # proposal says so): the letter does not promise newer hormone drugs.
        if definition_holds(case, "arpi_given", kb) is True:
            tags.add("crpc_after_arpi")
    # A corticosteroid already taken: the cord compression's dexamethasone raises its dose and
    # goes back to it afterwards (the proposal's text), not a new start and a stop.
    if definition_holds(case, "corticosteroid_current", kb) is True:
        tags.add("on_corticosteroid")
    # An old deficit as the only documented neurological finding (radicular pain or the
    # team's suspicion may still be open): the deficit alone is no sign of a compression.
    if definition_holds(case, "mscc_old_deficit_only", kb) is not False:
        tags.add("old_deficit_only")
    # Paralysed for longer than the window of treatment (Frankel A or B, past 48 hours): an
    # acute paralysis may still recover, and its warnings and advice stay those of walking.
    if (
        "paralysed_long" in tags
        and case.neurology.frankel is not None
        and case.neurology.frankel.value in ("A", "B")
    ):
        tags.add("paraplegic")
    # The knowledge base's sarcoma subtypes treated with curative intent when metastatic: the
    # letter then names cure as the aim instead of slowing growth.
    if case.sarcoma is not None and definition_holds(case, "sts_curative_intent", kb) is True:
        tags.add("sts_curative")
    # A germ-cell tumour, curable although metastatic: the letter names cure as the aim.
    if definition_holds(case, "germ_cell_curative", kb) is True:
        tags.add("germ_cell_curative")
    # A differentiated thyroid cancer: thyroid hormone and radioiodine, not chemotherapy.
    if definition_holds(case, "thyroid_differentiated", kb) is True:
        tags.add("thyroid_differentiated")
    # The last phase of life as the rules see it (the knowledge base's definition decides,
    # its thresholds included): the letter speaks of comfort, not of treatment beside it.
    if definition_holds(case, "end_of_life", kb) is True:
        tags.add("end_of_life")
    if case.tissue_diagnosis is False:
        tags.add("no_tissue_diagnosis")
        if case.multiple_bone_metastases is True:
            tags.add("several_lesions")
    elif solitary_unconfirmed(case, kb):
        tags.add("solitary_unconfirmed")
        if "DX.BIOPSY" in firm:
            tags.add("biopsy_first")
    texts = (kb or load_knowledge_base()).letter
    words = texts.cauda_equina if texts is not None else None
    if words is not None and _below_the_cord(case, words.from_level):
        tags.add("cauda")
    return tags


def solitary_unconfirmed(case: Case, kb: KnowledgeBase | None = None) -> bool:
    """A documented solitary bone lesion of a known cancer (the knowledge base's
    def.solitary_lesion_documented) whose biopsy is not documented: it is biopsied before it
    is treated as a metastasis, and the letter does not call it one yet."""
    return definition_holds(case, "solitary_lesion_documented", kb) is True and not any(
        x.histology_confirmed for x in case.lesions
    )


def _below_the_cord(case: Case, first: str) -> bool:
    """Every spinal lesion listed lies at ``first`` (the first level below the spinal cord,
    letter.yaml) or lower, and none is unplaced or counted beyond those listed: a compression
    there presses on nerve roots, not the spinal cord."""
    spinal = [x for x in case.lesions if x.region is Region.spine]
    if not spinal or any(x.region is None for x in case.lesions):
        return False
    if (case.bone_metastases.vertebral_count or 0) > len(spinal):
        return False
    return all(
        x.level is not None and spine_level_index(x.level) >= spine_level_index(first)
        for x in spinal
    )


def _reworded(value: Any, pairs: Sequence[tuple[str, str]]) -> Any:
    """Every string in a dumped model with the replacements made."""
    if isinstance(value, str):
        for words, replacement in pairs:
            value = value.replace(words, replacement)
        return value
    if isinstance(value, list):
        return [_reworded(v, pairs) for v in value]
    if isinstance(value, dict):
        return {k: _reworded(v, pairs) for k, v in value.items()}
    return value


def _is_firm(item: Recommendation | Warning) -> bool:
    return item.status in (ItemStatus.firm, ItemStatus.confirmed, ItemStatus.suspected)


def _proposal_tags(proposal: Proposal) -> set[str]:
    """The tags that depend on an item's lesion, not only its code: a bone to be off-loaded
    now (the lesion's own fall-prevention item, firm)."""
    at_risk = any(
        r.code == "SUP.FALL_PREVENTION" and r.lesion is not None and _is_firm(r)
        for r in proposal.recommendations
    )
    return {"bone_at_risk"} if at_risk else set()


def _code_sets(proposal: Proposal) -> tuple[set[str], set[str]]:
    """(codes of firm items and of confirmed or suspected emergencies, every code)."""
    items: list[Recommendation | Warning] = [
        *proposal.emergencies,
        *proposal.recommendations,
        *proposal.warnings,
    ]
    firm = {i.code for i in items if _is_firm(i)}
    return firm, {i.code for i in items}


def select_blocks(
    blocks: Iterable[Block],
    firm: set[str],
    modules: Sequence[str],
    present: Collection[str] = (),
) -> list[Block]:
    """Blocks with codes appear when one of their codes is a firm item of the proposal (or a
    confirmed or suspected emergency); blocks without codes appear in every letter of their
    module. A block whose ``unless`` codes the proposal has at all (``present``) stays out."""
    out = []
    for b in blocks:
        if b.meta.unless and any(code in present for code in b.meta.unless):
            continue
        if b.meta.codes:
            if firm & set(b.meta.codes):
                out.append(b)
        elif b.meta.module in modules:
            out.append(b)
    return out


@functools.lru_cache(maxsize=1)
def _md() -> MarkdownIt:
    return MarkdownIt("commonmark")


def _inline_runs(children: Sequence[Any]) -> list[Run]:
    runs: list[Run] = []
    strong = em = False
    for tok in children:
        if tok.type == "strong_open":
            strong = True
        elif tok.type == "strong_close":
            strong = False
        elif tok.type == "em_open":
            em = True
        elif tok.type == "em_close":
            em = False
        elif tok.type in ("text", "code_inline"):
            runs.append(Run(text=tok.content, strong=strong, em=em))
        elif tok.type in ("softbreak", "hardbreak"):
            runs.append(Run(text=" ", strong=strong, em=em))
    merged: list[Run] = []
    for r in runs:
        if merged and merged[-1].strong == r.strong and merged[-1].em == r.em:
            merged[-1] = Run(text=merged[-1].text + r.text, strong=r.strong, em=r.em)
        else:
            merged.append(r)
    return merged


class _Shown:
    """What one rendering keeps: the condition check and the sources cited by kept text."""

    def __init__(self, firm: set[str], present: set[str], values: Mapping[str, str]) -> None:
        self.firm = firm
        self.present = present
        self.values = values
        self.cited: dict[str, None] = {}

    def keep(self, runs: list[Run]) -> list[Run] | None:
        """The runs of a paragraph or list item if its condition holds (condition and
        citations removed, placeholders filled), else None."""
        if not runs:
            return runs
        condition: Condition | None
        condition, first = split_condition(runs[0].text)
        if condition is not None and not condition.holds(self.firm, self.present):
            return None
        runs = [runs[0].model_copy(update={"text": first}), *runs[1:]]
        out: list[Run] = []
        for r in runs:
            keys, text = split_citations(r.text)
            for k in keys:
                self.cited.setdefault(k, None)
            text = fill_placeholders(text, self.values)
            if text:
                out.append(r.model_copy(update={"text": text}))
        if out:
            out[-1] = out[-1].model_copy(update={"text": out[-1].text.rstrip()})
        return [r for r in out if r.text]


def parse_markdown(
    text: str, shown: _Shown | None = None, figures: Mapping[str, Figure] | None = None
) -> list[Para]:
    """Paragraphs and (flat) lists with bold/italic runs, each kept only when its condition
    holds; a list whose items are all dropped is dropped."""
    shown = shown or _Shown(set(), set(), {})
    tokens = _md().parse(text)
    paras: list[Para] = []
    list_kind: Literal["ul", "ol"] | None = None
    entries: list[list[Run]] = []
    for tok in tokens:
        if tok.type in ("bullet_list_open", "ordered_list_open"):
            list_kind = "ul" if tok.type == "bullet_list_open" else "ol"
            entries = []
        elif tok.type in ("bullet_list_close", "ordered_list_close"):
            assert list_kind is not None
            if entries:
                paras.append(Para(kind=list_kind, entries=entries))
            list_kind = None
        elif tok.type == "inline":
            figure = re.fullmatch(r"\{figure:\s*([a-z_]+)\}", tok.content.strip())
            if figure is not None:
                if figures is not None and figure.group(1) in figures:
                    paras.append(Para(kind="figure", figure=figure.group(1)))
                continue
            runs = shown.keep(_inline_runs(tok.children or []))
            if runs is None:
                continue
            if list_kind is not None:
                entries.append(runs)
            else:
                paras.append(Para(kind="p", runs=runs))
    return paras


def _runs_text(runs: Iterable[Run]) -> str:
    return "".join(r.text for r in runs)


def section_text(section: LetterSection) -> str:
    parts = [section.title]
    for b in section.blocks:
        if len(section.blocks) > 1:
            parts.append(b.title)
        for p in b.paragraphs:
            if p.kind == "p":
                parts.append(_runs_text(p.runs))
            elif p.kind in ("ul", "ol"):
                parts.extend(_runs_text(e) for e in p.entries)
    return "\n\n".join(parts)


def personal_text(personal: Personal, title: str = TITLE) -> str:
    parts = [title]
    if personal.urgent:
        parts.append(PERSONAL_TITLES["urgent"])
        for u in personal.urgent:
            parts.extend([u.prefix + u.title, u.text, u.act])
    parts.append(PERSONAL_TITLES["contact"])
    parts.extend(personal.contact_lines)
    parts.extend([personal.salutation, personal.opening])
    parts.append(PERSONAL_TITLES["diagnosis"])
    parts.extend(personal.diagnosis)
    if personal.steps:
        parts.append(PERSONAL_TITLES["steps"])
        for step in personal.steps:
            parts.append(step.when)
            parts.extend(step.items)
    if personal.maybe or personal.clarify:
        parts.append(PERSONAL_TITLES["clarify"])
        if personal.maybe:
            parts.append(_MAYBE)
            parts.extend(personal.maybe)
        if personal.clarify:
            parts.append(_CLARIFY)
            parts.extend(personal.clarify)
    parts.append(personal.signature)
    return "\n\n".join(parts)


# --------------------------------------------------------------------------------------------
# The personal part


def _lesions_by_id(case: Case) -> dict[str, Lesion]:
    return {x.id: x for x in case.lesions}


def _places(ids: Iterable[str], lesions: Mapping[str, Lesion]) -> str:
    places = list(dict.fromkeys(lesion_place(lesions[i]) for i in ids if i in lesions))
    return f" – {join(places)}" if places else ""


_PRIORITY_ORDER = {Priority.urgent: 0, Priority.soon: 1, Priority.routine: 2}


def _steps(
    proposal: Proposal,
    case: Case,
    texts: LetterTexts,
    keys: dict[str, None],
) -> tuple[list[Step], list[str]]:
    """The firm items and confirmed emergencies by when they happen, and the conditional
    items and suspected emergencies.

    Items of one code share a line (with every lesion's place); a radiotherapy schedule and
    the alternative offered beside it for the same lesion share a line, as do the items of one
    choice (the bone-modifying agents) and the supportive items."""
    lesions = _lesions_by_id(case)
    alternatives: dict[tuple[str, str], tuple[str, ...]] = {}
    for r in proposal.recommendations:
        if r.alternative_to and r.lesion and _is_firm(r):
            pair = (r.alternative_to, r.code)
            alternatives[(r.lesion, r.code)] = pair
            alternatives[(r.lesion, r.alternative_to)] = pair
    groups: dict[tuple[str, ...], dict[str, Any]] = {}
    maybe: dict[str, list[str]] = {}
    firm_at: set[tuple[str, str | None]] = set()
    items: list[Recommendation | Warning] = [
        *proposal.emergencies,
        *proposal.recommendations,
        *proposal.warnings,
    ]
    present = {i.code for i in items}
    for item in items:
        wording = texts.item(item.code)
        if wording is None or wording.clarify or present & set(wording.unless):
            continue
        if item.status is ItemStatus.suspected and item.code in texts.emergencies:
            continue  # its box heads page one; it is no "maybe" besides
        if item.status not in (ItemStatus.firm, ItemStatus.confirmed):
            # Conditional items and suspected emergencies are still being clarified.
            maybe.setdefault(item.code, [])
            if item.lesion:
                maybe[item.code].append(item.lesion)
            continue
        firm_at.add((item.code, item.lesion))
        priority = item.priority if isinstance(item, Recommendation) else Priority.routine
        key: tuple[str, ...] = (item.code,)
        if item.lesion and (item.lesion, item.code) in alternatives:
            key = alternatives[(item.lesion, item.code)]
        elif wording.group:
            # An urgent member (off-loading a bone at risk) stands on its own line under
            # "Sofort"; the others of the group go together where they belong.
            urgent = "urgent" if priority is Priority.urgent else ""
            key = (f"group:{wording.group}", urgent)
        elif wording.choice:
            key = (f"choice:{wording.choice}",)
        group = groups.setdefault(key, {"codes": [], "priority": priority, "lesions": []})
        if item.code not in group["codes"]:
            group["codes"].append(item.code)
        if _PRIORITY_ORDER[priority] < _PRIORITY_ORDER[group["priority"]]:
            group["priority"] = priority
        if item.lesion:
            group["lesions"].append(item.lesion)
    board = case.board_date
    lines: list[tuple[Priority, str]] = []
    for key, group in groups.items():
        codes = (
            [c for c in key if c in group["codes"]]
            if not key[0].startswith(("group:", "choice:"))
            else group["codes"]
        )
        wordings = [texts.items[c] for c in codes]
        for w in wordings:
            keys.update(dict.fromkeys(w.sources))
        phrases = [w.text for w in wordings]
        if key[0].startswith("group:") and key[1] != "urgent":
            text = _SUPPORT + join(phrases)
        elif key[0].startswith("group:"):
            text = join(phrases)
            text = text[0].upper() + text[1:] + _places(group["lesions"], lesions)
        else:
            text = _alternatives(phrases)
            text = text[0].upper() + text[1:] + _places(group["lesions"], lesions)
            known = [w.within_days for w in wordings if w.within_days is not None]
            if group["priority"] is Priority.urgent:
                # Under "Sofort" a longer deadline of the step's usual course (an MRI within a
                # week) would contradict the board, which wants it at once.
                known = [days for days in known if days <= 1]
            if known and board is not None:
                text += f" (bis spätestens {date_de(board + dt.timedelta(days=min(known)))})"
            if len(phrases) > 1:
                text += f". {_CHOICE}"
        lines.append((group["priority"], text))
    lines.sort(key=lambda pt: _PRIORITY_ORDER[pt[0]])
    steps: list[Step] = []
    for priority, text in lines:
        when = texts.timing[priority.value]
        if steps and steps[-1].when == when:
            steps[-1].items.append(text)
        else:
            steps.append(Step(when=when, items=[text]))
    # Conditional items: not where the same code is firm; one line per choice.
    firm_codes = {code for code, _ in firm_at}
    open_lines: dict[str, tuple[list[str], list[str]]] = {}
    for code, ids in maybe.items():
        if ids:
            ids = [i for i in ids if (code, i) not in firm_at]
            if not ids:
                continue
        elif code in firm_codes:
            continue
        wording = texts.items[code]
        phrases, places = open_lines.setdefault(wording.choice or code, ([], []))
        phrases.append(wording.text)
        places.extend(ids)
    maybe_lines = []
    for phrases, ids in open_lines.values():
        text = _alternatives(phrases)
        maybe_lines.append(text[0].upper() + text[1:] + _places(ids, lesions))
    return steps, list(dict.fromkeys(maybe_lines))


def _alternatives(phrases: Sequence[str]) -> str:
    """Alternatives joined by "oder", their shared opening words said once: "Bestrahlung
    gegen Schmerzen in mehreren Sitzungen oder in einer Sitzung"."""
    if len(phrases) < 2:
        return " oder ".join(phrases)
    split = [p.split() for p in phrases]
    shared = 0
    while all(len(w) > shared + 1 for w in split) and len({w[shared] for w in split}) == 1:
        shared += 1
    # Say the last shared word (a preposition such as "in") again, unless the phrases share
    # at most it: "in mehreren Sitzungen oder in einer Sitzung".
    cut = shared - 1 if shared >= 3 else 0
    return " oder ".join([phrases[0], *(" ".join(w[cut:]) for w in split[1:])])


_FIELD_LESION = re.compile(r"^lesions\[([^\]]+)\]")


def _clarify(proposal: Proposal, case: Case, texts: LetterTexts) -> list[str]:
    """The proposal's questions as clauses; one whose ``{if TAG}`` (or ``{if CODE}``, a firm
    item) does not hold for the case is left out (no question about the spine without a spinal
    lesion). Then the firm items the team clarifies with the patient (``clarify`` in
    letter.yaml), said once."""
    lesions = _lesions_by_id(case)
    firm, present = _code_sets(proposal)
    tags = case_tags(case, firm)
    out: list[str] = []
    for q in proposal.questions:
        clause = texts.question(q.fact)
        if clause is None:
            continue
        condition, clause = split_condition(clause)
        if condition is not None and not condition.holds(tags | firm, tags | present):
            continue
        place = ""
        for f in q.fields:
            m = _FIELD_LESION.match(f)
            if m and m.group(1) in lesions:
                place = lesion_place(lesions[m.group(1)])
                break
        clause = " ".join(clause.replace("{place}", place).split())
        out.append(clause[0].upper() + clause[1:])
    for item in proposal.recommendations:
        wording = texts.item(item.code)
        if wording is not None and wording.clarify and _is_firm(item):
            out.append(wording.text[0].upper() + wording.text[1:])
    return list(dict.fromkeys(out))


def _urgent(
    proposal: Proposal, texts: LetterTexts, keys: dict[str, None], tags: AbstractSet[str]
) -> list[Urgent]:
    by_code: dict[str, bool] = {}
    for e in proposal.emergencies:
        suspected = e.status is ItemStatus.suspected
        by_code[e.code] = by_code.get(e.code, True) and suspected
    out = []
    for code, suspected in by_code.items():
        box = texts.emergencies.get(code)
        if box is None:
            continue
        keys.update(dict.fromkeys(box.sources))
        is_open = suspected and box.open is not None and box.open_if in tags
        out.append(
            Urgent(
                code=code,
                title=box.title,
                suspected=suspected,
                text=(
                    box.open
                    if is_open and box.open is not None
                    else box.suspected
                    if suspected
                    else box.confirmed
                ),
                act=box.act,
                prefix=_OPEN if is_open else _SUSPECTED if suspected else "",
            )
        )
    return out


def _contact_lines(contact: Contact) -> list[str]:
    if not contact.configured:
        return [
            "Fragen Sie Ihr Team nach einer Nummer, die Sie Tag und Nacht anrufen können.",
            "Im Notfall rufen Sie die 112.",
        ]
    lines = [contact.centre or ""]
    if contact.contact_person:
        lines.append(f"Ihre Ansprechperson: {contact.contact_person}")
    if contact.phone_day:
        lines.append(f"Tagsüber: {contact.phone_day}")
    if contact.phone_night:
        lines.append(f"Nachts und am Wochenende: {contact.phone_night}")
    lines.append("Im Notfall rufen Sie die 112.")
    return lines


def _signature(contact: Contact, board_date_de: str | None) -> str:
    when = f" am {board_date_de}" if board_date_de else ""
    who = contact.physician or "die behandelnde Ärztin oder der behandelnde Arzt"
    return f"Für die Tumorkonferenz{when}: {who}"


def _personal(
    proposal: Proposal,
    case: Case,
    texts: LetterTexts,
    contact: Contact,
    modules: Sequence[str],
    keys: dict[str, None],
    tags: AbstractSet[str],
) -> Personal:
    sex = case.patient.sex.value if case.patient.sex else ""
    board = date_de(case.board_date) if case.board_date else None
    when = f" am {board}" if board else ""
    opening = (
        f"die Tumorkonferenz hat{when} über Ihre Behandlung beraten. Hier lesen Sie, was sie "
        "Ihnen vorschlägt. Sie entscheiden mit. Der Brief ersetzt nicht das Gespräch mit "
        "Ihrem Team."
    )
    steps, maybe = _steps(proposal, case, texts, keys)
    return Personal(
        salutation=_SALUTATION.get(sex, _SALUTATION_UNKNOWN),
        opening=opening,
        urgent=_urgent(proposal, texts, keys, tags),
        diagnosis=_diagnosis(
            case, "myeloma" in modules, bool(tags & {"solitary_unconfirmed", "biopsy_open"})
        ),
        steps=steps,
        maybe=maybe,
        clarify=_clarify(proposal, case, texts),
        contact=contact,
        contact_lines=_contact_lines(contact),
        signature=_signature(contact, board),
    )


# --------------------------------------------------------------------------------------------
# Settings: the contact block

#: Environment variables, each overriding the settings file's key of the same name.
CONTACT_ENV = {
    "centre": "OSTEOBOARD_LETTER_CENTRE",
    "contact_person": "OSTEOBOARD_LETTER_CONTACT_PERSON",
    "phone_day": "OSTEOBOARD_LETTER_PHONE_DAY",
    "phone_night": "OSTEOBOARD_LETTER_PHONE_NIGHT",
    "physician": "OSTEOBOARD_LETTER_PHYSICIAN",
}
#: The settings file: named by this variable, else ``osteoboard.toml`` in the working directory.
SETTINGS_ENV = "OSTEOBOARD_SETTINGS"
SETTINGS_FILE = "osteoboard.toml"


def load_contact(environ: Mapping[str, str] | None = None, cwd: Path | None = None) -> Contact:
    """The contact block from the ``[letter]`` table of the settings file and the
    environment (which wins); empty when neither is set."""
    env = os.environ if environ is None else environ
    values: dict[str, str] = {}
    named = env.get(SETTINGS_ENV)
    path = Path(named) if named else (cwd or Path.cwd()) / SETTINGS_FILE
    if named or path.is_file():
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except OSError as exc:
            raise SettingsError(f"{path}: cannot read the settings ({exc.strerror})") from None
        except tomllib.TOMLDecodeError as exc:
            raise SettingsError(f"{path}: invalid TOML: {exc}") from None
        table = data.get("letter", {})
        if not isinstance(table, dict):
            raise SettingsError(f"{path}: [letter] must be a table")
        values.update(table)
    for key, var in CONTACT_ENV.items():
        if env.get(var):
            values[key] = env[var]
    try:
        return Contact.model_validate(values, strict=True)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(x) for x in e['loc'])}: {e['msg']}" for e in exc.errors()
        )
        raise SettingsError(
            f"letter settings: {problems} (keys: {', '.join(CONTACT_ENV)})"
        ) from None


# --------------------------------------------------------------------------------------------
# The letter


def _figures(case: Case, texts: LetterTexts) -> dict[str, Figure]:
    if case.myeloma is None or not case.myeloma.series:
        return {}
    from osteoboard.myeloma import analyse
    from osteoboard.render.mprotein import mprotein_svg

    chart = texts.chart
    svg = mprotein_svg(analyse(case.myeloma), words=chart.model_dump())
    return {"mprotein": Figure(svg=svg, caption=chart.caption)}


def explained_in(term: str, text: str) -> bool:
    """True when ``text`` explains ``term`` itself: names it (``Das heißt Kieferosteonekrose``),
    opens a sentence or a lead-in with it (``Die Palliativmedizin lindert …``, ``Bei einer
    Ablation …``, ``Staging: Bilder zeigen …``)."""
    t = re.escape(term)
    start = r"(?:^|(?<=[.!?:])\s+|\n)"
    return bool(
        re.search(rf"\bheißt\s+(?:eine?\s+|der\s+|die\s+|das\s+)?{t}\b", text)
        or re.search(rf"{start}(?:Die|Der|Das|Bei der|Bei einer|Bei einem|Beim)\s+{t}\b", text)
        or re.search(rf"{start}{t}:\s", text)
    )


def _norm(text: str) -> str:
    return re.sub(r"[\s\-\u00ad]", "", text.casefold())


def build_letter(
    proposal: Proposal,
    case: Case,
    kb: KnowledgeBase | None = None,
    *,
    contact: Contact | None = None,
) -> Letter:
    kb = kb or load_knowledge_base()
    if kb.letter is None:
        raise ValueError("the knowledge base has no texts/de/letter.yaml")
    texts = kb.letter
    contact = load_contact() if contact is None else contact
    modules = letter_modules(case)
    firm, present = _code_sets(proposal)
    tags = case_tags(case, firm, kb) | _proposal_tags(proposal)
    if "DX.BIOPSY" not in present:
        # A lesion not yet confirmed in tissue is spoken of so only where the board proposes
        # its biopsy (firm or on a condition): the letter and the proposal agree.
        tags.discard("solitary_unconfirmed")
    elif (
        _biopsy_in_doubt(proposal, kb)
        and not tags & {"solitary_unconfirmed", "no_tissue_diagnosis"}
        and not any(x.histology_confirmed for x in case.lesions)
    ):
        # A biopsy of a lesion is proposed (of a first metastasis, of a lesion that may be
        # the only one): the letter does not assert what the biopsy is to show. A biopsy named
        # only on the condition of a first metastasis not documented as such (the marker
        # retest) casts no doubt on metastases the board treats as such: the letter speaks
        # of them as the proposal does, and the open question is among those for the team.
        tags.add("biopsy_open")
    shown = _Shown(firm | tags, present | tags, {"cancer": cancer_words(case)})
    figures = _figures(case, texts)
    chosen = select_blocks(kb.texts, firm, modules, present)
    sections: list[LetterSection] = []
    shown_blocks: list[Block] = []
    for sec in SECTIONS:
        blocks = [b for b in chosen if b.meta.section == sec]
        if sec == "options":
            blocks.sort(
                key=lambda b: (
                    DISCIPLINES.index(b.meta.discipline)
                    if b.meta.discipline in DISCIPLINES
                    else len(DISCIPLINES),
                    b.meta.order,
                    b.meta.id,
                )
            )
        rendered = []
        for b in blocks:
            paragraphs = parse_markdown(b.body, shown, figures)
            if paragraphs:
                rendered.append(
                    LetterBlock(id=b.meta.id, title=b.meta.title, paragraphs=paragraphs)
                )
                shown_blocks.append(b)
        if rendered:
            sections.append(LetterSection(id=sec, title=SECTION_TITLES[sec], blocks=rendered))
    keys: dict[str, None] = {}
    for b in shown_blocks:
        keys.update(dict.fromkeys(b.meta.sources))
    keys.update(shown.cited)
    board_date_de = date_de(case.board_date) if case.board_date else None
    personal = _personal(
        proposal,
        case,
        texts,
        contact,
        modules,
        keys,
        tags,
    )
    if "cauda" in tags and texts.cauda_equina is not None:
        # Below the spinal cord the words for its compression name the nerves instead.
        pairs = texts.cauda_equina.replace
        personal = type(personal).model_validate(_reworded(personal.model_dump(), pairs))
        sections = [
            LetterSection.model_validate(_reworded(x.model_dump(), pairs)) for x in sections
        ]
    # The glossary: terms the shown blocks and items name that the letter really uses.
    draft_text = _norm(personal_text(personal) + "\n".join(section_text(s) for s in sections))
    named: dict[str, None] = {}
    for b in shown_blocks:
        named.update(dict.fromkeys(b.meta.glossary))
    for item in texts.items.values():
        named.update(dict.fromkeys(item.glossary))
    # A term the text itself already explains is not explained a second time.
    plain = "\n".join([personal_text(personal), *(section_text(x) for x in sections)])
    glossary = [
        GlossaryEntry(term=t, explanation=kb.glossary[t])
        for t in sorted(named, key=str.casefold)
        if t in kb.glossary and _norm(t) in draft_text and not explained_in(t, plain)
    ]
    # Short entries: who, when, where to find it (the full references are in the protocol).
    cited = compact(list(keys), kb.sources) if keys else []
    draft = Letter(
        case_id=proposal.case_id,
        board_date=case.board_date.isoformat() if case.board_date else None,
        board_date_de=board_date_de,
        engine_version=proposal.engine_version,
        kb_version=kb.version,
        kb_sha256=kb.sha256,
        modules=modules,
        title=TITLE,
        personal=personal,
        general_title=GENERAL_TITLE,
        sections=sections,
        glossary=glossary,
        references=[r.text for r in cited],
        reference_keys=[r.key for r in cited],
        figures=figures,
        labels=LABELS,
        readability=Readability(
            flesch_amstad=0, wstf=0, lix=0, sections={}, words=0, prose_words=0, personal_words=0
        ),
    )
    whole = readability.assess(draft.plain_text())
    per_section = {
        s.id: round(readability.assess(section_text(s)).flesch_amstad, 1) for s in sections
    }
    per_section["personal"] = round(readability.assess(draft.personal_text()).flesch_amstad, 1)
    return draft.model_copy(
        update={
            "readability": Readability(
                flesch_amstad=round(whole.flesch_amstad, 1),
                wstf=round(whole.wstf, 2),
                lix=round(whole.lix, 1),
                sections=per_section,
                words=count_words(draft.plain_text(include_references=True)),
                prose_words=count_words(draft.plain_text()),
                personal_words=count_words(draft.personal_text()),
            )
        }
    )


def render_letter_html(
    proposal: Proposal,
    case: Case,
    kb: KnowledgeBase | None = None,
    *,
    contact: Contact | None = None,
) -> str:
    from osteoboard.render.html import environment

    letter = build_letter(proposal, case, kb, contact=contact)
    return environment().get_template("letter.html.j2").render(letter=letter)


def render_letter_pdf(
    proposal: Proposal,
    case: Case,
    kb: KnowledgeBase | None = None,
    *,
    contact: Contact | None = None,
) -> bytes:
    from osteoboard.render.pdf import compile_pdf

    letter = build_letter(proposal, case, kb, contact=contact)
    return compile_pdf("letter.typ", letter.model_dump(mode="json"))
