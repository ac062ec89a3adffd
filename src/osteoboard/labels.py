"""The one vocabulary of every output (``knowledge/labels.yaml``): enumeration value → de/en.

The file is data; this module declares what it must cover and checks it on load: every value of
every enumeration of the case model and of the outputs, every category every score can
produce, and every field of the case has exactly one label, and no label names a value or a
field that does not exist. Renderers look words up here (:class:`Labels`) and never spell a
value themselves, so one concept has one name on a page.
"""

from __future__ import annotations

import enum
import re
import types
import typing
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, get_args

from pydantic import BaseModel, ConfigDict

from osteoboard.knowledge_files import KnowledgeError
from osteoboard.text import Text

__all__ = [
    "Label",
    "Labels",
    "case_fields",
    "field_key",
    "parse_labels",
    "score_vocabularies",
    "vocabularies",
]

FILE = "labels.yaml"


class Label(BaseModel):
    """One value's name, German first; ``short`` for narrow table cells."""

    # defer_build: validated only when a knowledge base is read from its files, not when it
    # comes from the cache (most runs); the validator is built on first use.
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)
    de: str
    en: str
    short: Text | None = None
    #: Other words for the value that referrals use (brand names, abbreviations, German
    #: anatomy): an error names the value they mean ("xgeva" → 'denosumab'), never accepts them.
    #: A word listed under two values ("lung") names both.
    synonyms: tuple[str, ...] = ()

    @property
    def text(self) -> Text:
        return Text(de=self.de, en=self.en)

    def say(self, lang: str, *, short: bool = False) -> str:
        if short and self.short is not None:
            return str(getattr(self.short, lang))
        return self.de if lang == "de" else self.en


def synonym_key(word: str) -> str:
    """A word as synonyms are compared: lower case, without spaces, hyphens and dots."""
    return re.sub(r"[\s\-_.]+", "", word.lower())


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def vocabularies() -> dict[str, tuple[str, ...]]:
    """Every enumeration the outputs show, by its name in ``labels.yaml``: the case model's
    enumerations (found in :mod:`osteoboard.case`, so a new one cannot be forgotten) and the
    output enumerations."""
    from osteoboard import case
    from osteoboard.guideline import Rule
    from osteoboard.prognosis import Band
    from osteoboard.proposal import ItemStatus, MissingData, Priority

    out: dict[str, tuple[str, ...]] = {}
    for name, obj in vars(case).items():
        if isinstance(obj, type) and issubclass(obj, enum.Enum) and obj.__module__ == case.__name__:
            out[_snake(name)] = tuple(str(m.value) for m in obj)
    out["priority"] = tuple(Priority)
    out["missing_priority"] = get_args(MissingData.model_fields["priority"].annotation)
    out["strength"] = get_args(Rule.model_fields["strength"].annotation)
    out["item_status"] = tuple(ItemStatus)
    out["prognosis_band"] = tuple(Band)
    return out


def score_vocabularies() -> dict[str, tuple[str, ...]]:
    """Every score with categories, with all the categories it can produce."""
    from osteoboard.scores import REGISTRY

    return {name: spec.categories for name, spec in REGISTRY.items() if spec.categories}


def _unwrap(annotation: Any) -> tuple[Any, bool]:
    """(the type inside Optional / Annotated / list, whether it was a list)."""
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _unwrap(get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType):
        args = [a for a in get_args(annotation) if a is not type(None)]
        return _unwrap(args[0]) if len(args) == 1 else (annotation, False)
    if origin is list:
        inner, _ = _unwrap(get_args(annotation)[0])
        return inner, True
    return annotation, False


def case_fields() -> tuple[str, ...]:
    """Every field and block of the case model as a path (list entries as ``name[]``)."""
    from osteoboard.case import Case

    def walk(model: type[BaseModel], prefix: str) -> Iterator[str]:
        for name, info in model.model_fields.items():
            inner, is_list = _unwrap(info.annotation)
            path = prefix + name + ("[]" if is_list else "")
            if isinstance(inner, type) and issubclass(inner, BaseModel):
                yield path  # the block itself (a score may miss a whole block)
                yield from walk(inner, path + ".")
            else:
                yield path

    return tuple(walk(Case, ""))


_INDEX = re.compile(r"\[[^\]]*\]")


def field_key(path: str) -> tuple[str, list[str]]:
    """A case path with its list indices taken out: ``lesions[L1].level`` → (``lesions[].level``,
    [``L1``])."""
    keys = [m.group(0)[1:-1] for m in _INDEX.finditer(path)]
    return _INDEX.sub("[]", path), keys


@dataclass(frozen=True)
class Labels:
    """The loaded vocabulary."""

    vocabularies: dict[str, dict[str, Label]] = field(default_factory=dict)
    score_categories: dict[str, dict[str, Label]] = field(default_factory=dict)
    #: score → item → value → label
    score_values: dict[str, dict[str, dict[str, Label]]] = field(default_factory=dict)
    fields: dict[str, Label] = field(default_factory=dict)
    spine_regions: dict[str, Label] = field(default_factory=dict)

    def value(self, vocabulary: str, value: object) -> Label | None:
        return self.vocabularies.get(vocabulary, {}).get(str(value))

    def say(self, vocabulary: str, value: object, lang: str = "de", *, short: bool = False) -> str:
        """The name of one value; the value itself when the vocabulary does not know it."""
        label = self.value(vocabulary, value)
        return label.say(lang, short=short) if label is not None else str(value)

    def category(self, score: str, category: str, lang: str = "de", *, short: bool = True) -> str:
        label = self.score_categories.get(score, {}).get(category)
        return label.say(lang, short=short) if label is not None else category

    def score_value(self, score: str, item: str, value: str, lang: str = "de") -> str | None:
        label = self.score_values.get(score, {}).get(item, {}).get(value)
        return label.say(lang, short=True) if label is not None else None

    def field(self, path: str, lang: str = "de") -> str:
        """A case path in words: ``lesions[L1].level`` → ``Wirbelhöhe (Läsion L1)``."""
        key, indices = field_key(path)
        # A whole list (``lesions``) is named as its entries are (``lesions[]``).
        label = self.fields.get(key) or self.fields.get(key + "[]")
        name = label.say(lang) if label is not None else path
        if not indices:
            return name
        where = ", ".join(indices)
        if key.startswith("lesions[]"):
            return f"{name} ({'Läsion' if lang == 'de' else 'lesion'} {where})"
        return f"{name} ({where})"

    def lesion(self, lesion_id: str, level: str | None = None, lang: str = "de") -> str:
        """How texts name a lesion: ``Läsion L1 (LWK 2)``, its id alone off the spine.

        The word and the level always go with the id, so that an id that looks like a
        vertebral level (``L1`` at LWK 2) is never read as one."""
        label = self.fields.get("lesions[]")
        word = label.say(lang) if label is not None else ("Läsion" if lang == "de" else "lesion")
        name = f"{word} {lesion_id}"
        return f"{name} ({self.level(level, lang)})" if level else name

    def level(self, level: str, lang: str = "de") -> str:
        """A vertebral level in the reader's notation: ``L2`` → ``LWK 2`` in German."""
        label = self.spine_regions.get(level[:1])
        if label is None or lang != "de":
            return level
        return f"{label.de} {level[1:]}"


class _File(BaseModel):
    # defer_build: validated only when a knowledge base is read from its files, not when it
    # comes from the cache (most runs); the validator is built on first use.
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)
    vocabularies: dict[str, dict[str, Label]]
    score_categories: dict[str, dict[str, Label]]
    score_values: dict[str, dict[str, str | dict[str, Label]]]
    fields: dict[str, Label]
    spine_regions: dict[str, Label]


def _exact(where: str, given: Mapping[str, Any], expected: tuple[str, ...]) -> None:
    missing = [v for v in expected if v not in given]
    extra = [v for v in given if v not in expected]
    if missing:
        raise KnowledgeError(f"{FILE}: {where}: no label for {', '.join(map(repr, missing))}")
    if extra:
        raise KnowledgeError(
            f"{FILE}: {where}: label for {', '.join(map(repr, extra))}, which does not exist"
        )


def parse_labels(
    raw: Any,
    *,
    enums: Mapping[str, tuple[str, ...]],
    scores: Mapping[str, tuple[str, ...]],
    fields: tuple[str, ...],
    score_names: tuple[str, ...],
) -> Labels:
    """Validate ``labels.yaml`` against the enumerations, score categories and case fields."""
    from osteoboard.knowledge_files import validate

    if isinstance(raw, dict) and isinstance(raw.get("vocabularies"), dict):
        # YAML reads a value named 0 or 2 (Bilsky grades) as a number: names are text.
        raw = dict(raw)
        raw["vocabularies"] = {
            k: {str(v): lab for v, lab in vals.items()} if isinstance(vals, dict) else vals
            for k, vals in raw["vocabularies"].items()
        }
    data = validate(_File, raw, FILE)
    _exact("vocabularies", data.vocabularies, tuple(enums))
    for name, values in enums.items():
        _exact(f"vocabularies.{name}", data.vocabularies[name], values)
        own = {synonym_key(v) for v in values}
        for value, label in data.vocabularies[name].items():
            keys = [synonym_key(word) for word in label.synonyms]
            clash = next((k for k in keys if k in own or keys.count(k) > 1), None)
            if clash is not None:
                raise KnowledgeError(
                    f"{FILE}: vocabularies.{name}.{value}: synonym {clash!r} is a value "
                    "or listed twice"
                )
    _exact("score_categories", data.score_categories, tuple(scores))
    shared = sorted(set(data.vocabularies) & set(data.score_categories))
    if shared:
        raise KnowledgeError(f"{FILE}: {shared[0]!r} is both a vocabulary and a score")
    for name, categories in scores.items():
        _exact(f"score_categories.{name}", data.score_categories[name], categories)
    _exact("fields", data.fields, fields)
    _exact("spine_regions", data.spine_regions, ("C", "T", "L", "S"))
    score_values: dict[str, dict[str, dict[str, Label]]] = {}
    for score, items in data.score_values.items():
        if score not in score_names:
            raise KnowledgeError(f"{FILE}: score_values.{score}: not a score")
        score_values[score] = {}
        for item, given in items.items():
            if isinstance(given, str):
                # A vocabulary, or the categories of a score (an item that is a score's result).
                named = data.vocabularies.get(given, data.score_categories.get(given))
                if named is None:
                    raise KnowledgeError(
                        f"{FILE}: score_values.{score}.{item}: unknown vocabulary {given!r}"
                    )
                score_values[score][item] = named
            else:
                score_values[score][item] = given
    return Labels(
        vocabularies=data.vocabularies,
        score_categories=data.score_categories,
        score_values=score_values,
        fields=data.fields,
        spine_regions=data.spine_regions,
    )
