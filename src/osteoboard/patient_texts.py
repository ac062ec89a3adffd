"""Patient text blocks (``knowledge/texts/de/*.md``), the letter's wording
(``knowledge/texts/de/letter.yaml``) and the glossary: loading and checking.

A block is Markdown with YAML front matter naming its section, the action codes that make it
appear, its module (bone, myeloma, sarcoma, all), sources and glossary terms. Inside a block:

- ``{if CODE tag …}`` at the start of a paragraph or list item keeps it only when one of the
  action codes is a firm item of the proposal (or a confirmed or suspected emergency) or one
  of the tags holds for the case (see :data:`TAGS`); ``{unless CODE …}`` drops it when one of
  them is in the proposal at all (or the tag holds); both may be combined: ``{if A; unless B}``;
- ``[@key]`` or ``[@key; @other]`` cites the sources behind that paragraph or list item (they
  join the letter's sources only when it is shown; the front matter's ``sources`` back the
  block's unconditional text);
- ``{cancer}`` is the patient's own cancer in plain words, in the nominative;
- a paragraph ``{figure: mprotein}`` places the case's figure there.

The blocks and ``letter.yaml`` are part of the knowledge base: they are checked on load, and
their bytes count in its hash.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from osteoboard.errors import OsteoboardError

__all__ = [
    "FIGURES",
    "PLACEHOLDERS",
    "SECTIONS",
    "TAGS",
    "Block",
    "BlockMeta",
    "Condition",
    "EmergencyText",
    "ItemText",
    "LetterTexts",
    "TextsError",
    "fill_placeholders",
    "load_glossary",
    "load_letter_texts",
    "load_texts",
    "plain_body",
    "split_citations",
    "split_condition",
]

Section = Literal["meaning", "options", "self_care", "warning_signs", "questions", "closing"]
SECTIONS: tuple[str, ...] = (
    "meaning",
    "options",
    "self_care",
    "warning_signs",
    "questions",
    "closing",
)

#: Facts of the case a paragraph may depend on (the letter computes them):
#: spine       a vertebral metastasis (or myeloma lesion) is listed or counted
#: limb        a lesion of a long bone or the pelvis, or bone lesions outside the spine whose
#:             place is not listed
#: bone        any bone lesion (or myeloma)
#: lung, liver, brain   metastases documented there
#: bma         a bone-modifying agent is given now or proposed
#: on_bma      a bone-modifying agent is given now (documented in the referral)
#: operated    a lesion has already been operated
#: paralysed_long   a paraplegia beyond the window of surgery (def.paraplegia_over_48h)
#: sts_curative     a sarcoma treated with curative intent also when metastatic
#:                  (def.sts_curative_intent: Ewing sarcoma, embryonal or alveolar
#:                  rhabdomyosarcoma)
#: end_of_life   the last phase of life (def.end_of_life: short prognosis with ECOG 3-4)
#: plasmacytoma  a solitary plasmacytoma of bone (def.solitary_plasmacytoma), not myeloma
#: lymphoma      a lymphoma (primary.site): its bone lesions are not metastases
#: germ_cell_curative   a germ-cell tumour treated with curative intent although metastatic
#:                  (def.germ_cell_curative)
#: thyroid_differentiated   a differentiated thyroid cancer (def.thyroid_differentiated)
#: several_lesions   two or more bone lesions (Case.multiple_bone_metastases, the facts'
#:             bone.multiple) without a tissue diagnosis
#: solitary_unconfirmed   a documented solitary bone lesion of a known cancer whose biopsy is
#:             not documented (def.solitary_lesion_documented): not yet called a metastasis
#: biopsy_first   solitary_unconfirmed, with the biopsy a firm item
#: biopsy_open   a known cancer whose bone lesion the board proposes to biopsy (firm or on a
#:             condition: a first metastasis, a lesion that may be the only one) and no lesion
#:             confirmed in tissue, outside solitary_unconfirmed: not asserted as a metastasis
#: bone_at_risk   a bone is to be off-loaded now for its high fracture risk (a firm
#:             SUP.FALL_PREVENTION item of a lesion)
#: cauda       spinal lesions are listed and all lie at L2 or below, where the canal holds the
#:             nerve roots of the cauda equina, not the spinal cord (letter.yaml cauda_equina)
#: no_bone     no bone lesion: none listed and both counts documented as 0 (not myeloma);
#:             a hypercalcaemia then comes from a substance the tumour makes
#: dialysis    the patient is on dialysis: a hypercalcaemia is lowered by dialysis, not by
#:             fluids
#: paraplegic  no motor function below a spinal lesion (Frankel A or B) for longer than the
#:             window of treatment (paralysed_long): no warning about legs getting weaker, no
#:             advice on walking
#: castration_resistant   a prostate cancer documented as castration-resistant: the
#:             deprivation goes on, with newer hormone drugs beside it
#: crpc_after_arpi   castration-resistant after an androgen-receptor-pathway inhibitor
#:             (def.arpi_given): no newer hormone drug is promised
#: on_corticosteroid   a corticosteroid on the documented current medication
#:             (def.corticosteroid_current): its dose is raised for a cord compression and
#:             goes back to it afterwards
#: male, female   the documented sex (fertility preservation: sperm, or oocytes and ovarian
#:             tissue)
#: old_deficit_only   the only neurological finding is a deficit documented as neither new
#:             nor progressive (def.mscc_old_deficit_only): a cord compression is named on the
#:             condition that imaging shows one, and the letter does not call it a sign of one
TAGS: frozenset[str] = frozenset(
    {
        "spine",
        "limb",
        "bone",
        "lung",
        "liver",
        "brain",
        "bma_agent",
        "on_bma",
        "on_denosumab",
        "denosumab_stopped",
        "on_bisphosphonate",
        "precursor",
        "operated",
        "paralysed_long",
        "sts_curative",
        "end_of_life",
        "no_tissue_diagnosis",
        "plasmacytoma",
        "lymphoma",
        "germ_cell_curative",
        "thyroid_differentiated",
        "bone_at_risk",
        "several_lesions",
        "solitary_unconfirmed",
        "biopsy_first",
        "biopsy_open",
        "cauda",
        "no_bone",
        "paraplegic",
        "dialysis",
        "old_deficit_only",
        "castration_resistant",
        "crpc_after_arpi",
        "on_corticosteroid",
        "male",
        "female",
    }
)
#: Placeholders a block may use.
PLACEHOLDERS: frozenset[str] = frozenset({"cancer"})
#: Figures a block may place.
FIGURES: frozenset[str] = frozenset({"mprotein"})

_CONDITION = re.compile(r"^\{((?:if|unless)\b[^{}]*)\}\s*")
_CITATION = re.compile(r"\s*\[@([^\]]*)\]")
_FIGURE = re.compile(r"^\{figure:\s*([a-z_]+)\}$")
_BRACES = re.compile(r"\{([^{}]*)\}")
_CODE = re.compile(r"^[A-Z]+\.[A-Z0-9_]+$")
# A paragraph or list item starts a line, after a list marker if any.
_LINE_START = re.compile(r"^(?:[-*+]|\d+[.)])?\s*$")


@dataclass(frozen=True)
class Condition:
    """When a paragraph of a block is shown."""

    any_of: tuple[str, ...] = ()
    none_of: tuple[str, ...] = ()

    def holds(self, firm: Collection[str], present: Collection[str]) -> bool:
        """``firm``: codes of firm items and of confirmed or suspected emergencies, and the
        tags that hold; ``present``: every code of the proposal, and the tags that hold."""
        if self.any_of and not any(x in firm for x in self.any_of):
            return False
        return not any(x in present for x in self.none_of)


def split_condition(text: str) -> tuple[Condition | None, str]:
    """The condition at the start of a paragraph or list item, and the rest of its text."""
    m = _CONDITION.match(text)
    if m is None:
        return None, text
    any_of: list[str] = []
    none_of: list[str] = []
    for clause in m.group(1).split(";"):
        word, _, rest = clause.strip().partition(" ")
        (any_of if word == "if" else none_of).extend(rest.split())
    return Condition(tuple(any_of), tuple(none_of)), text[m.end() :]


def split_citations(text: str) -> tuple[list[str], str]:
    """The source keys cited in ``text`` (``[@a; @b]``) and the text without them."""
    keys = [
        k.strip().removeprefix("@")
        for m in _CITATION.finditer(text)
        for k in m.group(1).split(";")
        if k.strip()
    ]
    return keys, _CITATION.sub("", text)


def fill_placeholders(text: str, values: Mapping[str, str]) -> str:
    """Replace ``{name}`` by its value (names not given are left alone)."""
    return _BRACES.sub(lambda m: values.get(m.group(1), m.group(0)), text)


def plain_body(body: str, *, cancer: str = "Brustkrebs") -> str:
    """A block's Markdown with every paragraph shown and without conditions, citations and
    figures: what readability is measured on."""
    lines = []
    for line in body.splitlines():
        if _FIGURE.match(line.strip()):
            continue
        prefix = re.match(r"^(\s*(?:[-*+]|\d+[.)])?\s*)", line)
        head = prefix.group(1) if prefix else ""
        _, rest = split_condition(line[len(head) :])
        _, rest = split_citations(rest)
        lines.append(head + rest)
    return fill_placeholders("\n".join(lines), {"cancer": cancer})


Module = Literal["bone", "myeloma", "sarcoma", "all"]


_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when available


class TextsError(OsteoboardError, ValueError):
    """A patient text block is invalid; the message names the file."""


class BlockMeta(BaseModel):
    # defer_build: validated only when a knowledge base is read from its files, not when it
    # comes from the cache (most runs); the validator is built on first use.
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    id: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$")]
    title: Annotated[str, Field(min_length=1)]
    section: Section
    discipline: str | None = None
    codes: list[str] = Field(default_factory=list)
    #: Codes that keep the block out of a letter whose proposal has them at all: a block about
    #: a treatment stays out when the patient has declined it (the refusal item's code).
    unless: list[str] = Field(default_factory=list)
    module: Module
    order: int
    sources: list[str] = Field(default_factory=list)
    glossary: list[str] = Field(default_factory=list)
    last_review: dt.date


@dataclass(frozen=True)
class Block:
    meta: BlockMeta
    body: str
    file: str


def _split(text: str, name: str) -> tuple[dict[str, Any], str]:
    if not text.startswith("---\n"):
        raise TextsError(f"texts/de/{name}: must start with YAML front matter (---)")
    try:
        head, body = text[4:].split("\n---\n", 1)
    except ValueError:
        raise TextsError(f"texts/de/{name}: front matter is not closed with ---") from None
    try:
        meta = yaml.load(head, Loader=_LOADER)
    except yaml.YAMLError as exc:
        raise TextsError(f"texts/de/{name}: invalid front matter: {exc}") from None
    if not isinstance(meta, dict):
        raise TextsError(f"texts/de/{name}: front matter must be a mapping")
    return meta, body.strip() + "\n"


def load_glossary(directory: Path) -> dict[str, str]:
    path = directory / "glossary.de.yaml"
    if not path.exists():
        return {}
    data = yaml.load(path.read_text(encoding="utf-8"), Loader=_LOADER) or {}
    if not isinstance(data, dict) or not all(
        isinstance(k, str) and isinstance(v, str) and v.strip() for k, v in data.items()
    ):
        raise TextsError("glossary.de.yaml: must map each term to its explanation (text)")
    return dict(sorted(data.items(), key=lambda kv: kv[0].casefold()))


def load_texts(
    directory: Path,
    *,
    action_codes: Mapping[str, Any],
    sources: Mapping[str, Any],
    glossary: Mapping[str, str],
) -> tuple[Block, ...]:
    """Load and check every block; order: section, then order, then id."""
    folder = directory / "texts" / "de"
    blocks: list[Block] = []
    seen: set[str] = set()
    for path in sorted(folder.glob("*.md")) if folder.exists() else []:
        raw, body = _split(path.read_text(encoding="utf-8"), path.name)
        try:
            meta = BlockMeta.model_validate(raw)
        except ValidationError as exc:
            from osteoboard.caseio import format_validation_error

            raise TextsError(
                format_validation_error(exc, prefix=f"texts/de/{path.name}: ")
            ) from None
        where = f"texts/de/{path.name}"
        if meta.id != path.stem:
            raise TextsError(f"{where}: id {meta.id!r} must equal the file name")
        if meta.id in seen:  # pragma: no cover - file names are unique
            raise TextsError(f"{where}: duplicate id")
        seen.add(meta.id)
        for code in [*meta.codes, *meta.unless]:
            if code not in action_codes and not code.startswith(("MM.", "STS.")):
                raise TextsError(f"{where}: unknown action code {code}")
        for key in meta.sources:
            if key not in sources:
                raise TextsError(f"{where}: unknown source key {key!r}")
        for term in meta.glossary:
            if term not in glossary:
                raise TextsError(f"{where}: glossary term {term!r} is not in glossary.de.yaml")
        if not body.strip():
            raise TextsError(f"{where}: empty text")
        _check_markers(body, where, action_codes=action_codes, sources=sources)
        blocks.append(Block(meta=meta, body=body, file=where))
    blocks.sort(key=lambda b: (SECTIONS.index(b.meta.section), b.meta.order, b.meta.id))
    return tuple(blocks)


def _known_code(code: str, action_codes: Mapping[str, Any]) -> bool:
    return code in action_codes or code.startswith(("MM.", "STS."))


def _check_markers(
    body: str, where: str, *, action_codes: Mapping[str, Any], sources: Mapping[str, Any]
) -> None:
    """Conditions only at the start of a paragraph or list item, with known codes and tags;
    known placeholders and figures; cited keys in the bibliography."""
    for line in body.splitlines():
        for m in _BRACES.finditer(line):
            inner = m.group(1).strip()
            if inner.startswith(("if ", "unless ")):
                if not _LINE_START.match(line[: m.start()]):
                    raise TextsError(f"{where}: {{{inner}}} must start a paragraph or list item")
                cond, _ = split_condition(line[m.start() :])
                assert cond is not None
                for token in (*cond.any_of, *cond.none_of):
                    if _CODE.match(token):
                        if not _known_code(token, action_codes):
                            raise TextsError(f"{where}: unknown action code {token} in {{{inner}}}")
                    elif token not in TAGS:
                        raise TextsError(
                            f"{where}: unknown tag {token!r} in {{{inner}}} "
                            f"(tags: {', '.join(sorted(TAGS))})"
                        )
            elif inner.startswith("figure:"):
                name = inner.removeprefix("figure:").strip()
                if name not in FIGURES or not _FIGURE.match(line.strip()):
                    raise TextsError(
                        f"{where}: {{{inner}}} must be a paragraph of its own "
                        f"naming a figure ({', '.join(sorted(FIGURES))})"
                    )
            elif inner not in PLACEHOLDERS:
                raise TextsError(f"{where}: unknown placeholder {{{inner}}}")
        keys, _ = split_citations(line)
        for key in keys:
            if key not in sources:
                raise TextsError(f"{where}: unknown source key {key!r} in a citation")


# --------------------------------------------------------------------------------------------
# letter.yaml: the wording of the personal part


class _Strict(BaseModel):
    # defer_build: validated only when a knowledge base is read from its files, not when it
    # comes from the cache (most runs); the validator is built on first use.
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)


class ItemText(_Strict):
    """How the letter names one action code on its first page."""

    text: Annotated[str, Field(min_length=1)]
    group: Literal["support"] | None = None
    choice: str | None = None
    within_days: Annotated[int, Field(ge=0, le=90)] | None = None
    #: Codes that keep the item off the page when the proposal has them at all (a safety net
    #: against contradictions, e.g. calcium tablets beside a hypercalcaemia).
    unless: list[str] = Field(default_factory=list)
    sources: list[str] = Field(default_factory=list)
    glossary: list[str] = Field(default_factory=list)
    #: A question the team still clarifies with the patient rather than a step: a firm item is
    #: listed under "Ihr Team klärt noch" with its text (an "ob …" clause), a conditional one
    #: not at all (it may not concern her).
    clarify: bool = False

    @model_validator(mode="after")
    def _clause(self) -> ItemText:
        if self.clarify:
            if self.group or self.choice or self.within_days is not None:
                raise ValueError("an item to clarify is no step: no group, choice or within_days")
            if not self.text[:1].islower() or "?" in self.text:
                raise ValueError(
                    "an item to clarify is an 'ob …'/'wie …' clause continuing 'Ihr Team klärt "
                    "noch:' (lower case, no question mark)"
                )
        return self


class EmergencyText(_Strict):
    """The box at the top of page one for one emergency."""

    title: Annotated[str, Field(min_length=1)]
    confirmed: Annotated[str, Field(min_length=1)]
    suspected: Annotated[str, Field(min_length=1)]
    act: Annotated[str, Field(min_length=1)]
    #: The words for a suspected emergency when the tag ``open_if`` holds: a suspicion named
    #: only on the condition that imaging shows it, of which the case shows no sign.
    open: Annotated[str, Field(min_length=1)] | None = None
    open_if: str | None = None
    sources: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _open_pair(self) -> EmergencyText:
        if (self.open is None) != (self.open_if is None):
            raise ValueError("'open' and 'open_if' go together")
        if self.open_if is not None and self.open_if not in TAGS:
            raise ValueError(f"open_if names no letter tag: {self.open_if!r}")
        return self


class ChartWords(_Strict):
    serum: str
    urine: str
    flc: str
    baseline: str
    nadir: str
    threshold: str
    caption: str


class CaudaWords(_Strict):
    """The words for a compression below the spinal cord (the "cauda" tag)."""

    #: The highest vertebral level below the cord's end (L2).
    from_level: str
    #: (words, replacement), made in order.
    replace: tuple[tuple[str, str], ...]


class LetterTexts(_Strict):
    items: dict[str, ItemText]
    timing: dict[Literal["urgent", "soon", "routine"], str]
    emergencies: dict[str, EmergencyText]
    questions: dict[str, Annotated[str, Field(min_length=1)]]
    chart: ChartWords
    cauda_equina: CaudaWords | None = None

    def item(self, code: str) -> ItemText | None:
        return self.items.get(code)

    def question(self, fact: str) -> str | None:
        """The clause for a fact: its own, else its namespace's (with its ``{if TAG}``)."""
        if fact in self.questions:
            return self.questions[fact]
        namespace = fact.split(".", 1)[0] + "."
        return self.questions.get(namespace)


def load_letter_texts(
    directory: Path,
    *,
    action_codes: Mapping[str, Any],
    sources: Mapping[str, Any],
    glossary: Mapping[str, str],
    facts: Collection[str],
) -> LetterTexts | None:
    """Load and check ``texts/de/letter.yaml`` (None when the knowledge base has none)."""
    path = directory / "texts" / "de" / "letter.yaml"
    if not path.exists():
        return None
    where = "texts/de/letter.yaml"
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=_LOADER)
    except yaml.YAMLError as exc:
        raise TextsError(f"{where}: invalid YAML: {exc}") from None
    try:
        texts = LetterTexts.model_validate(data)
    except ValidationError as exc:
        from osteoboard.caseio import format_validation_error

        raise TextsError(format_validation_error(exc, prefix=f"{where}: ")) from None
    for code, item in texts.items.items():
        if not _known_code(code, action_codes):
            raise TextsError(f"{where}: items: unknown action code {code}")
        _check_keys(item.sources, sources, f"{where}: items.{code}")
        for other in item.unless:
            if not _known_code(other, action_codes):
                raise TextsError(f"{where}: items.{code}: unknown action code {other} in unless")
        for term in item.glossary:
            if term not in glossary:
                raise TextsError(f"{where}: items.{code}: glossary term {term!r} is unknown")
    if texts.cauda_equina is not None:
        from osteoboard.case import SPINE_LEVELS

        if texts.cauda_equina.from_level not in SPINE_LEVELS:
            raise TextsError(
                f"{where}: cauda_equina.from_level {texts.cauda_equina.from_level!r} is not a "
                "vertebral level (C1…S5)"
            )
    for code, box in texts.emergencies.items():
        if not code.startswith("EMERG.") or code not in action_codes:
            raise TextsError(f"{where}: emergencies: {code} is not an emergency code")
        _check_keys(box.sources, sources, f"{where}: emergencies.{code}")
    namespaces = {f.split(".", 1)[0] + "." for f in facts}
    for key, clause in texts.questions.items():
        if key not in facts and key not in namespaces:
            raise TextsError(f"{where}: questions: {key!r} is neither a fact nor a namespace")
        condition, clause = split_condition(clause)
        unknown = (
            [
                t
                for t in condition.any_of + condition.none_of
                if t not in TAGS and not _known_code(t, action_codes)
            ]
            if condition
            else []
        )
        if unknown:
            raise TextsError(
                f"{where}: questions.{key}: unknown tag {unknown[0]!r} "
                f"(a question's condition names action codes or tags: {', '.join(sorted(TAGS))})"
            )
        leftover = {m for m in _BRACES.findall(clause)} - {"place"}
        if leftover:
            raise TextsError(f"{where}: questions.{key}: unknown placeholder {sorted(leftover)}")
    return texts


def _check_keys(keys: Collection[str], sources: Mapping[str, Any], where: str) -> None:
    for key in keys:
        if key not in sources:
            raise TextsError(f"{where}: unknown source key {key!r}")
