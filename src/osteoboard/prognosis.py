"""Prognosis band (SPEC §3): the mechanism that combines the treating team's estimate and the
prognostic scores into one band with its basis.

Every clinical decision behind it lives in the knowledge base (``knowledge/prognosis.yaml``):
the month ranges of the bands, what each score category says about survival (its compatible
bands and whether survival reaches 6 months), and which estimates decide in which order. This
module reads and checks that mapping and applies it. Every estimate is kept in the output with
the bands it is compatible with, and ``scores_disagree`` is set when two decided estimates
point to incompatible bands or disagree on survival of at least 6 months.
"""

from __future__ import annotations

import functools
import itertools
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from osteoboard.knowledge_files import KnowledgeError, default_kb_dir, read_yaml, validate
from osteoboard.scores.base import ScoreResult
from osteoboard.text import Text

__all__ = [
    "TEAM_ESTIMATE",
    "Band",
    "Estimate",
    "MonthRange",
    "Prognosis",
    "PrognosisMapping",
    "derive_prognosis",
    "load_prognosis_mapping",
    "parse_prognosis_mapping",
    "read_prognosis_mapping",
]

FILE = "prognosis.yaml"
#: The basis name of the treating team's own estimate (``patient.life_expectancy_months``).
TEAM_ESTIMATE = "team_estimate"


class Band(StrEnum):
    short = "short"
    intermediate = "intermediate"
    long = "long"


_ORDER = list(Band)


class Estimate(BaseModel):
    model_config = ConfigDict(frozen=True)

    basis: str = Field(description="team_estimate or a score name.")
    category: str | None = Field(description="The score's category, when decided.")
    bands: list[Band] = Field(description="Bands compatible with this estimate.")
    ge_6_months: bool | None
    statement: Text
    source: str | None = None


class Prognosis(BaseModel):
    model_config = ConfigDict(frozen=True)

    band: Band | None = Field(description="Null when no estimate is decided.")
    ge_6_months: bool | None
    basis: str | None = Field(description="team_estimate, katagiri_new or bauer_modified.")
    possible_bands: list[Band]
    estimates: list[Estimate]
    scores_disagree: bool


# ---------------------------------------------------------------------------------------------
# The mapping (knowledge/prognosis.yaml)


_INTERVAL = re.compile(
    r"^\s*([\[(])\s*(\d+(?:\.\d+)?)\s*,\s*(\d+(?:\.\d+)?|inf)\s*([\])])\s*$", re.ASCII
)


@dataclass(frozen=True)
class MonthRange:
    """An interval of months: ``[3, 12]`` includes both limits, ``(12, inf)`` neither."""

    low: float
    low_inclusive: bool
    high: float
    high_inclusive: bool

    @classmethod
    def parse(cls, text: str) -> MonthRange:
        m = _INTERVAL.match(text)
        if m is None:
            raise ValueError(
                f"{text!r} is not a month range; write it like [0, 3), [3, 12] or (12, inf)"
            )
        high = math.inf if m.group(3) == "inf" else float(m.group(3))
        out = cls(float(m.group(2)), m.group(1) == "[", high, m.group(4) == "]")
        if out.high_inclusive and math.isinf(high):
            raise ValueError(f"{text!r}: infinity cannot be included; close it with ')'")
        if out.low > out.high or (
            out.low == out.high and not (out.low_inclusive and out.high_inclusive)
        ):
            raise ValueError(f"{text!r} is empty")
        return out

    def __contains__(self, months: float) -> bool:
        above = months >= self.low if self.low_inclusive else months > self.low
        below = months <= self.high if self.high_inclusive else months < self.high
        return above and below

    def shown(self) -> str:
        """The range as a reader writes it: ``< 3``, ``3–12``, ``> 12``."""
        if self.low == 0 and self.low_inclusive and not math.isinf(self.high):
            return f"{'≤' if self.high_inclusive else '<'} {self.high:g}"
        if math.isinf(self.high):
            return f"{'≥' if self.low_inclusive else '>'} {self.low:g}"
        return f"{self.low:g}–{self.high:g}"


class _Model(BaseModel):
    # defer_build: validated only when a knowledge base is read from its files, not when it
    # comes from the cache (most runs); the validator is built on first use.
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)


class _BandSpec(_Model):
    months: str
    label: Text


class CategoryMapping(_Model):
    """What one category of a score says about survival."""

    bands: Annotated[list[str], Field(min_length=1)]
    ge_6_months: bool
    says: Text


class EstimateSpec(_Model):
    """One estimate of survival: the team's own, or a prognostic score with its categories."""

    basis: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$")]
    role: Literal["decides", "cross_check"]
    name: Text
    note: str | None = None
    sources: Annotated[list[str], Field(min_length=1)]
    categories: dict[str, CategoryMapping] = Field(default_factory=dict)


class _MappingFile(_Model):
    bands: dict[str, _BandSpec]
    band_sources: Annotated[list[str], Field(min_length=1)]
    ge_6_months_from: Annotated[float, Field(gt=0)]
    ge_6_months_sources: Annotated[list[str], Field(min_length=1)]
    estimates: Annotated[list[EstimateSpec], Field(min_length=1)]


@dataclass(frozen=True)
class PrognosisMapping:
    """The checked prognosis mapping."""

    #: (band, its month range, its name), from the shortest to the longest.
    bands: tuple[tuple[Band, MonthRange, Text], ...]
    ge_6_months_from: float
    estimates: tuple[EstimateSpec, ...]
    #: Every source key the mapping cites (checked against the bibliography on load).
    sources: tuple[str, ...]

    def band_for(self, months: float) -> Band:
        for band, months_range, _ in self.bands:
            if months in months_range:
                return band
        raise ValueError(f"{months} months lies in no prognosis band")  # pragma: no cover

    def band_label(self, band: Band) -> Text:
        """The band's name with its months, e.g. ``kurz (< 3 Monate)``."""
        for b, months_range, label in self.bands:
            if b is band:
                shown = months_range.shown()
                return Text(
                    de=f"{label.de} ({shown.replace('.', ',')} Monate)",
                    en=f"{label.en} ({shown} months)",
                )
        raise KeyError(band)  # pragma: no cover

    def name(self, basis: str) -> Text | None:
        spec = self._by_basis.get(basis)
        return spec.name if spec is not None else None

    @functools.cached_property
    def _by_basis(self) -> dict[str, EstimateSpec]:
        return {e.basis: e for e in self.estimates}

    @functools.cached_property
    def deciding_scores(self) -> tuple[str, ...]:
        """The scores that can be the basis of the band, in order."""
        return tuple(e.basis for e in self.estimates if e.role == "decides" and e.categories)


def _band(name: str, where: str) -> Band:
    try:
        return Band(name)
    except ValueError:
        allowed = ", ".join(b.value for b in Band)
        raise KnowledgeError(f"{where}: {name!r} is not a prognosis band ({allowed})") from None


def parse_prognosis_mapping(
    data: Any, score_categories: Mapping[str, Sequence[str]]
) -> PrognosisMapping:
    """Check the mapping against the bands and the scores' categories (``score_categories``:
    every score that has categories, with all the categories it can produce)."""
    raw = validate(_MappingFile, data, FILE)

    # Bands: every band once, ranges from 0 months upwards without overlap or gap.
    bands: list[tuple[Band, MonthRange, Text]] = []
    for name, spec in raw.bands.items():
        where = f"{FILE}: bands.{name}"
        band = _band(name, where)
        try:
            months = MonthRange.parse(spec.months)
        except ValueError as exc:
            raise KnowledgeError(f"{where}.months: {exc}") from None
        bands.append((band, months, spec.label))
    missing = [b.value for b in Band if b not in {x[0] for x in bands}]
    if missing:
        raise KnowledgeError(f"{FILE}: bands: no month range for {', '.join(missing)}")
    bands.sort(key=lambda x: (x[1].low, not x[1].low_inclusive))
    first = bands[0]
    if first[1].low != 0 or not first[1].low_inclusive:
        raise KnowledgeError(f"{FILE}: bands.{first[0].value}: the first range must start at [0")
    for (a, ra, _), (b, rb, _) in itertools.pairwise(bands):
        where = f"{FILE}: bands.{a.value} and bands.{b.value}"
        if ra.high > rb.low or (ra.high == rb.low and ra.high_inclusive and rb.low_inclusive):
            raise KnowledgeError(f"{where}: month ranges overlap at {rb.low:g}")
        if ra.high < rb.low or (
            ra.high == rb.low and not ra.high_inclusive and not rb.low_inclusive
        ):
            raise KnowledgeError(f"{where}: month ranges leave a gap at {ra.high:g}")
    if [b for b, _, _ in bands] != _ORDER:
        order = " < ".join(b.value for b, _, _ in bands)
        raise KnowledgeError(
            f"{FILE}: bands: ranges must run short < intermediate < long (got {order})"
        )
    if not math.isinf(bands[-1][1].high):
        raise KnowledgeError(f"{FILE}: bands.{bands[-1][0].value}: the last range must end at inf)")

    # Estimates: the team's once, every score known with each of its categories mapped.
    seen: set[str] = set()
    for i, est in enumerate(raw.estimates):
        where = f"{FILE}: estimates[{i}] ({est.basis})"
        if est.basis in seen:
            raise KnowledgeError(f"{where}: listed twice")
        seen.add(est.basis)
        if est.basis == TEAM_ESTIMATE:
            if est.categories:
                raise KnowledgeError(f"{where}: the team's estimate has no categories")
            if est.role != "decides":
                raise KnowledgeError(f"{where}: the team's estimate must decide")
            continue
        if est.basis not in score_categories:
            known = ", ".join(sorted(score_categories))
            raise KnowledgeError(f"{where}: unknown score (scores with categories: {known})")
        produced = list(score_categories[est.basis])
        for cat, mapping in est.categories.items():
            if cat not in produced:
                raise KnowledgeError(
                    f"{where}: category {cat!r} cannot be produced by this score "
                    f"(it gives {', '.join(produced)})"
                )
            cwhere = f"{where}: categories.{cat}"
            cat_bands = [_band(b, f"{cwhere}.bands") for b in mapping.bands]
            if len(set(cat_bands)) != len(cat_bands):
                raise KnowledgeError(f"{cwhere}.bands: a band is listed twice")
            _check_ge6(cat_bands, mapping.ge_6_months, bands, raw.ge_6_months_from, cwhere)
        unmapped = [c for c in produced if c not in est.categories]
        if unmapped:
            raise KnowledgeError(f"{where}: no mapping for category {', '.join(unmapped)}")
    if TEAM_ESTIMATE not in seen:
        raise KnowledgeError(f"{FILE}: estimates: the team's estimate ({TEAM_ESTIMATE}) is missing")

    keys = [*raw.band_sources, *raw.ge_6_months_sources]
    keys += [k for e in raw.estimates for k in e.sources]
    return PrognosisMapping(
        bands=tuple(bands),
        ge_6_months_from=raw.ge_6_months_from,
        estimates=tuple(raw.estimates),
        sources=tuple(dict.fromkeys(keys)),
    )


def _check_ge6(
    cat_bands: Sequence[Band],
    ge6: bool,
    bands: Sequence[tuple[Band, MonthRange, Text]],
    threshold: float,
    where: str,
) -> None:
    """A category whose bands all lie below the 6-month threshold cannot answer yes, one whose
    bands all lie at or above it cannot answer no."""
    ranges = [r for b, r, _ in bands if b in cat_bands]
    all_below = all(
        r.high < threshold or (r.high == threshold and not r.high_inclusive) for r in ranges
    )
    all_above = all(r.low >= threshold for r in ranges)
    if ge6 and all_below:
        raise KnowledgeError(
            f"{where}: ge_6_months is true but every band it names lies below {threshold:g} months"
        )
    if not ge6 and all_above:
        raise KnowledgeError(
            f"{where}: ge_6_months is false but every band it names lies at or above "
            f"{threshold:g} months"
        )


def _score_categories() -> dict[str, tuple[str, ...]]:
    from osteoboard.scores import REGISTRY

    return {name: spec.categories for name, spec in REGISTRY.items() if spec.categories}


def read_prognosis_mapping(directory: Path) -> PrognosisMapping:
    """Read and check ``prognosis.yaml`` of a knowledge base."""
    return parse_prognosis_mapping(read_yaml(directory / FILE), _score_categories())


@functools.cache
def load_prognosis_mapping() -> PrognosisMapping:
    """The bundled mapping (read once), for callers that have no knowledge base at hand."""
    return read_prognosis_mapping(default_kb_dir())


# ---------------------------------------------------------------------------------------------
# The mechanism


def _from_score(result: ScoreResult, spec: EstimateSpec) -> Estimate | None:
    table = spec.categories
    if not result.assessable:
        return None
    if result.category is not None:
        mapping = table[result.category]
        if result.total is not None:
            points = str(result.total)
        else:  # decided although an item is unknown: every completion is in one category
            lo, hi = result.range or (None, None)
            points = f"{lo}–{hi}"
        return Estimate(
            basis=result.name,
            category=result.category,
            bands=[Band(b) for b in mapping.bands],
            ge_6_months=mapping.ge_6_months,
            statement=Text(
                de=f"{spec.name.de}: {points.replace('.', ',')} Punkte, {mapping.says.de}",
                en=f"{spec.name.en}: {points} points, {mapping.says.en}",
            ),
            source=result.source,
        )
    possible = {b for cat in result.possible_categories for b in table[cat].bands}
    ge6s = {table[cat].ge_6_months for cat in result.possible_categories}
    lo, hi = result.range or (None, None)
    return Estimate(
        basis=result.name,
        category=None,
        bands=[b for b in _ORDER if b.value in possible],
        ge_6_months=ge6s.pop() if len(ge6s) == 1 else None,
        statement=Text(
            de=f"{spec.name.de}: {lo}–{hi} Punkte, Kategorie offen",
            en=f"{spec.name.en}: {lo}–{hi} points, category open",
        ),
        source=result.source,
    )


def _team_estimate(months: float, spec: EstimateSpec, mapping: PrognosisMapping) -> Estimate:
    return Estimate(
        basis=TEAM_ESTIMATE,
        category=None,
        bands=[mapping.band_for(months)],
        ge_6_months=months >= mapping.ge_6_months_from,
        statement=Text(
            de=f"{spec.name.de}: etwa {months:g} Monate",
            en=f"{spec.name.en}: about {months:g} months",
        ),
    )


def derive_prognosis(
    life_expectancy_months: float | None,
    scores: Sequence[ScoreResult],
    mapping: PrognosisMapping | None = None,
) -> Prognosis:
    """Combine the team's estimate and the prognostic scores into one band with its basis."""
    mapping = mapping or load_prognosis_mapping()
    by_name = {s.name: s for s in scores if s.lesion is None}
    estimates: list[Estimate] = []
    deciding: set[str] = set()
    for spec in mapping.estimates:
        est: Estimate | None = None
        if spec.basis == TEAM_ESTIMATE:
            if life_expectancy_months is not None:
                est = _team_estimate(life_expectancy_months, spec, mapping)
        elif spec.basis in by_name:
            est = _from_score(by_name[spec.basis], spec)
        if est is not None:
            estimates.append(est)
            if spec.role == "decides":
                deciding.add(spec.basis)

    # The basis is the first deciding estimate that settles both the band and the 6-month
    # question (a score whose open range still falls into one band qualifies), unless a
    # deciding estimate before it rules that band out whatever its missing items turn out to
    # be: then the band stays open over what the earlier estimate still allows.
    candidates = [e for e in estimates if e.basis in deciding]
    first: Estimate | None = None
    open_first = candidates[0] if candidates else None
    for index, e in enumerate(candidates):
        if len(e.bands) == 1 and e.ge_6_months is not None:
            ruled_out = [c for c in candidates[:index] if e.bands[0] not in c.bands]
            if ruled_out:
                open_first = ruled_out[0]
            else:
                first = e
            break

    # Two estimates disagree when no completion of their missing items can make them agree:
    # no band in common, or opposite answers to the 6-month question.
    disagree = False
    for i, a in enumerate(estimates):
        for b in estimates[i + 1 :]:
            if not set(a.bands) & set(b.bands):
                disagree = True
            if a.ge_6_months is not None and b.ge_6_months is not None:
                disagree = disagree or a.ge_6_months != b.ge_6_months

    if first is not None:
        return Prognosis(
            band=first.bands[0],
            ge_6_months=first.ge_6_months,
            basis=first.basis,
            possible_bands=first.bands,
            estimates=estimates,
            scores_disagree=disagree,
        )
    return Prognosis(
        band=None,
        ge_6_months=open_first.ge_6_months if open_first else None,
        basis=None,
        possible_bands=open_first.bands if open_first else list(_ORDER),
        estimates=estimates,
        scores_disagree=disagree,
    )
