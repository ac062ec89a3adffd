"""The primary-site table (SPEC §2.9): every score's and every rule's view of a primary site.

The table is knowledge, not code: ``knowledge/sites.yaml`` lists each property (Tokuhashi
points, Tomita and Katagiri growth classes, the Bauer flags, radiosensitivity, highly
radiosensitive, haematological, hypervascular) as the sites it applies to, with its sources.
This module declares which properties exist and what values each can take, reads and checks
the file, and answers :func:`site_info`.

Where a score's paper does not name a site, the row carries the assumption in ``notes`` and
the scores repeat it in their output; ``primary.growth`` in the case overrides growth classes.

The scores read the bundled table (they are pure functions of their papers' tables); the
facts read the table of the knowledge base they are derived for (``KnowledgeBase.sites``).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from osteoboard.case import Growth, PrimarySite, SarcomaSubtype
from osteoboard.knowledge_files import KnowledgeError, default_kb_dir, read_yaml, validate
from osteoboard.text import Text

__all__ = [
    "SITES",
    "KatagiriGrowth",
    "Radiosensitivity",
    "SiteInfo",
    "SiteTable",
    "load_site_table",
    "parse_site_table",
    "read_site_table",
    "site_info",
]

FILE = "sites.yaml"


class Radiosensitivity(StrEnum):
    sensitive = "sensitive"
    resistant = "resistant"
    unclassified = "unclassified"


class KatagiriGrowth(StrEnum):
    """How the new Katagiri score classifies a site; some depend on receptor/driver status."""

    slow = "slow"
    moderate = "moderate"
    rapid = "rapid"
    breast = "breast"  # hormone-dependent → slow, otherwise moderate
    prostate = "prostate"  # castration-sensitive (hormone-dependent) → slow, resistant → moderate
    lung = "lung"  # with molecularly targeted therapy → moderate, otherwise rapid


@dataclass(frozen=True)
class SiteInfo:
    site: PrimarySite
    tokuhashi_points: int
    tomita_growth: Growth
    katagiri_growth: KatagiriGrowth
    bauer_favourable: bool
    lung: bool
    radiosensitivity: Radiosensitivity
    highly_radiosensitive: bool = False
    hypervascular: bool = False
    haematological: bool = False
    notes: dict[str, Text] = field(default_factory=dict)

    @property
    def solid_tumour(self) -> bool:
        return not self.haematological


# -- the properties the table must define (the mechanism: names and allowed values) -----------


def _tokuhashi_points(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 5:
        raise ValueError("points from 0 to 5")
    return value


#: Properties with one value per site, and how to read a value.
_VALUED: dict[str, Callable[[Any], Any]] = {
    "tokuhashi_points": _tokuhashi_points,
    "tomita_growth": Growth,
    "katagiri_growth": KatagiriGrowth,
    "radiosensitivity": Radiosensitivity,
}
#: Properties that are true for the listed sites.
_FLAGS = ("bauer_favourable", "lung", "highly_radiosensitive", "haematological", "hypervascular")
_NOTE_SCORES = ("tokuhashi", "tomita", "katagiri")


class _Model(BaseModel):
    # defer_build: validated only when a knowledge base is read from its files, not when it
    # comes from the cache (most runs); the validator is built on first use.
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)


class _Property(_Model):
    meaning: str
    sources: Annotated[list[str], Field(min_length=1)]
    values: dict[Any, list[str]] | None = None
    sites: list[str] | None = None
    sarcoma_subtypes: list[str] | None = Field(
        default=None,
        description="For a list of sites without sarcoma: the soft-tissue sarcoma subtypes it "
        "is true for (the sarcoma block's subtype decides).",
    )
    sarcoma_subtype_values: dict[Any, list[str]] | None = Field(
        default=None,
        description="For a property with one value per site: the soft-tissue sarcoma subtypes "
        "whose value differs from the sarcoma site's, by value (the sarcoma block's subtype "
        "decides; any other subtype, or none documented, keeps the site's value).",
    )
    note: str | None = None
    constant: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$")] | None = None


class _SiteFile(_Model):
    properties: dict[str, _Property]
    notes: dict[str, dict[str, Text]] = Field(default_factory=dict)


@dataclass(frozen=True)
class SiteTable:
    """The checked table: one row per primary site."""

    rows: dict[PrimarySite, SiteInfo]
    #: Knowledge constants published by properties with ``constant:`` (site lists for rules).
    constants: dict[str, list[str]]
    #: Every source key the table cites, per property.
    sources: dict[str, tuple[str, ...]]
    #: Per flag property that is false for soft-tissue sarcoma as a whole, the subtypes it is
    #: true for.
    sarcoma_subtypes: dict[str, frozenset[SarcomaSubtype]] = field(default_factory=dict)
    #: Per property with one value per site, the soft-tissue sarcoma subtypes whose value
    #: differs from the sarcoma site's.
    sarcoma_subtype_values: dict[str, dict[SarcomaSubtype, Any]] = field(default_factory=dict)

    def flag_for_sarcoma(self, prop: str, subtype: SarcomaSubtype | None) -> bool | None:
        """A flag property for a soft-tissue sarcoma: by its subtype where the table names
        subtypes (None while the subtype is unknown), else the site's value."""
        subtypes = self.sarcoma_subtypes.get(prop)
        if subtypes is None:
            return bool(getattr(self.rows[PrimarySite.sarcoma], prop))
        return None if subtype is None else subtype in subtypes

    def value_for_sarcoma(self, prop: str, subtype: SarcomaSubtype | None) -> Any:
        """A property with one value per site for a soft-tissue sarcoma: the subtype's own
        value where the table names the subtype, else the sarcoma site's value."""
        own = self.sarcoma_subtype_values.get(prop, {})
        if subtype is not None and subtype in own:
            return own[subtype]
        return getattr(self.rows[PrimarySite.sarcoma], prop)

    def __getitem__(self, site: PrimarySite) -> SiteInfo:
        return self.rows[site]


#: A site or a sarcoma subtype, as a property's value lists name them.
_K = TypeVar("_K", PrimarySite, SarcomaSubtype)


def _site(name: Any, where: str) -> PrimarySite:
    try:
        return PrimarySite(name)
    except ValueError:
        raise KnowledgeError(f"{where}: {name!r} is not a primary site") from None


def _subtype(name: Any, where: str) -> SarcomaSubtype:
    try:
        return SarcomaSubtype(name)
    except ValueError:
        raise KnowledgeError(f"{where}: {name!r} is not a sarcoma subtype") from None


def parse_site_table(data: Any) -> SiteTable:
    raw = validate(_SiteFile, data, FILE)
    columns: dict[str, dict[PrimarySite, Any]] = {}
    constants: dict[str, list[str]] = {}
    subtype_flags: dict[str, frozenset[SarcomaSubtype]] = {}
    subtype_values: dict[str, dict[SarcomaSubtype, Any]] = {}
    for name, prop in raw.properties.items():
        where = f"{FILE}: properties.{name}"
        if name in _VALUED:
            if prop.values is None or prop.sites is not None:
                raise KnowledgeError(f"{where}: give `values:` (every site has one value)")
            read = _VALUED[name]
            column: dict[PrimarySite, Any] = _valued(prop.values, read, where, "values", _site)
            missing = [s.value for s in PrimarySite if s not in column]
            if missing:
                raise KnowledgeError(f"{where}: no value for {', '.join(missing)}")
            if prop.sarcoma_subtype_values is not None:
                subtype_values[name] = _subtype_values(prop.sarcoma_subtype_values, read, where)
        elif name in _FLAGS:
            if prop.sites is None or prop.values is not None:
                raise KnowledgeError(f"{where}: give `sites:` (the sites it is true for)")
            listed = [_site(s, f"{where}.sites") for s in prop.sites]
            twice = sorted({s.value for s in listed if listed.count(s) > 1})
            if twice:
                raise KnowledgeError(f"{where}.sites: {', '.join(twice)} listed twice")
            column = {s: s in listed for s in PrimarySite}
            if prop.constant is not None:
                constants[prop.constant] = [s.value for s in listed]
            if prop.sarcoma_subtypes is not None:
                if PrimarySite.sarcoma in listed:
                    raise KnowledgeError(
                        f"{where}.sarcoma_subtypes: sarcoma is listed as a whole already"
                    )
                subtypes = [_subtype(x, f"{where}.sarcoma_subtypes") for x in prop.sarcoma_subtypes]
                subtype_flags[name] = frozenset(subtypes)
        else:
            known = ", ".join([*_VALUED, *_FLAGS])
            raise KnowledgeError(f"{where}: unknown property (known: {known})")
        if name not in _FLAGS and (prop.constant is not None or prop.sarcoma_subtypes):
            raise KnowledgeError(
                f"{where}: only a list of sites can be a constant or name sarcoma subtypes"
            )
        if name not in _VALUED and prop.sarcoma_subtype_values is not None:
            raise KnowledgeError(
                f"{where}: only a property with one value per site names sarcoma subtype values"
            )
        columns[name] = column
    missing_props = [p for p in (*_VALUED, *_FLAGS) if p not in columns]
    if missing_props:
        raise KnowledgeError(f"{FILE}: properties: {', '.join(missing_props)} missing")

    notes: dict[PrimarySite, dict[str, Text]] = {}
    for name, by_score in raw.notes.items():
        site = _site(name, f"{FILE}: notes")
        for score in by_score:
            if score not in _NOTE_SCORES:
                raise KnowledgeError(
                    f"{FILE}: notes.{name}.{score}: not a score with a site table "
                    f"({', '.join(_NOTE_SCORES)})"
                )
        notes[site] = dict(by_score)

    rows = {
        site: SiteInfo(
            site=site,
            **{name: columns[name][site] for name in (*_VALUED, *_FLAGS)},
            notes=notes.get(site, {}),
        )
        for site in PrimarySite
    }
    for site, row in rows.items():
        if row.highly_radiosensitive and row.radiosensitivity is not Radiosensitivity.sensitive:
            raise KnowledgeError(
                f"{FILE}: properties.highly_radiosensitive: {site.value} is not listed as "
                "radiosensitive"
            )
    return SiteTable(
        rows=rows,
        constants=constants,
        sources={name: tuple(p.sources) for name, p in raw.properties.items()},
        sarcoma_subtypes=subtype_flags,
        sarcoma_subtype_values=subtype_values,
    )


def _subtype_values(
    values: dict[Any, list[str]], read: Callable[[Any], Any], where: str
) -> dict[SarcomaSubtype, Any]:
    """A valued property's own values for some sarcoma subtypes, checked."""
    return _valued(values, read, where, "sarcoma_subtype_values", _subtype)


def _valued(
    values: dict[Any, list[str]],
    read: Callable[[Any], Any],
    where: str,
    key: str,
    name: Callable[[Any, str], _K],
) -> dict[_K, Any]:
    """One value per site (or subtype) from a property's ``value: [names]`` lists, each value
    read and each name given once; errors name the list (``{where}.{key}``)."""
    out: dict[_K, Any] = {}
    for value, names in values.items():
        try:
            parsed = read(value)
        except ValueError as exc:
            raise KnowledgeError(
                f"{where}.{key}: {value!r} is not a value of this property ({exc})"
            ) from None
        for n in names:
            item = name(n, f"{where}.{key}.{value}")
            if item in out:
                raise KnowledgeError(
                    f"{where}.{key}: {item.value} has two values ({out[item]} and {value})"
                )
            out[item] = parsed
    return out


def read_site_table(directory: Path) -> SiteTable:
    """Read and check ``sites.yaml`` of a knowledge base."""
    return parse_site_table(read_yaml(directory / FILE))


@functools.cache
def load_site_table() -> SiteTable:
    """The bundled table (read once)."""
    return read_site_table(default_kb_dir())


#: The bundled table's rows.
SITES: Mapping[PrimarySite, SiteInfo] = load_site_table().rows


def site_info(site: PrimarySite) -> SiteInfo:
    """One row of the bundled table."""
    return load_site_table().rows[site]
