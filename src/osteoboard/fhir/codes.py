"""The FHIR code tables of the knowledge base (``knowledge/fhir_codes.yaml``): loaded, linted
and looked up on (system, code) pairs.

The tables say which coded element becomes which case field; this module only reads and
checks them. A code is always matched together with its code system, never alone.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from osteoboard.case import (
    SPINE_LEVELS,
    BoneModifyingAgent,
    BoneModifyingAgentDose,
    CardiacDevice,
    Case,
    LongBone,
    MyelomaDrug,
    MyelomaStage,
    Operation,
    PrimarySite,
    Region,
    SarcomaAgent,
    SarcomaSubtype,
    Side,
)
from osteoboard.knowledge_files import (
    KnowledgeError,
    check_sources,
    default_kb_dir,
    read_yaml,
    validate,
)

__all__ = [
    "CASE_ITEM_SYSTEM",
    "Coded",
    "FhirCodes",
    "case_field_paths",
    "case_list_paths",
    "load_fhir_codes",
    "read_fhir_codes",
]

#: The file's name in the knowledge base.
FILE = "fhir_codes.yaml"
#: osteoboard's code system for case items without a standard code.
CASE_ITEM_SYSTEM = "urn:osteoboard:codesystem:case-item"
#: Code systems whose entries may name a category (prefix) instead of one code.
PREFIX_SYSTEMS = ("icd10", "ops")
#: The block of the case format whose every field is a current value (each must have a
#: maximum age in ``current_values``).
CURRENT_VALUE_BLOCK = "labs."
#: Suffixes of ICD-10-GM codes (dagger, asterisk, exclamation mark, plus, double dagger).
_ICD_SUFFIXES = "†*!+‡"


class _Entry(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    system: str
    code: str | None = None
    prefix: str | None = None
    display: str
    #: Only codings with one of these system URIs match (where one system name holds
    #: variants whose codes mean different things, e.g. ICD-10-GM and ICD-10-CM G82.21).
    uris: tuple[str, ...] | None = None

    @model_validator(mode="after")
    def _code_or_prefix(self) -> _Entry:
        if (self.code is None) == (self.prefix is None):
            raise ValueError("give either code or prefix")
        if self.prefix is not None and self.system not in PREFIX_SYSTEMS:
            raise ValueError(f"prefix is allowed for systems {', '.join(PREFIX_SYSTEMS)} only")
        return self


#: What decides a primary site the code leaves open: the histology of a lung or bone tumour,
#: or the Condition's bodySite for a code that names no organ.
Organ = Literal["lung", "bone", "body_site"]


class PrimaryEntry(_Entry):
    site: PrimarySite | None
    #: A myeloma stage the code names by itself (a solitary plasmacytoma of bone); set only
    #: when this condition is the primary chosen.
    myeloma_stage: MyelomaStage | None = None
    #: Without a site: what decides it (histologies[].sites, or primary_body_sites).
    organ: Organ | None = None
    note: str | None = None

    @model_validator(mode="after")
    def _note_when_open(self) -> PrimaryEntry:
        if self.site is None and not self.note:
            raise ValueError("an entry without site needs a note saying why")
        if self.myeloma_stage is not None and self.site is not PrimarySite.myeloma:
            raise ValueError("myeloma_stage needs site myeloma")
        if self.organ is not None and self.site is not None:
            raise ValueError("organ is for an entry without site")
        return self


class BodySiteEntry(_Entry):
    """The organ a primary tumour's bodySite names."""

    site: PrimarySite | None
    organ: Literal["lung", "bone"] | None = None
    note: str | None = None

    @model_validator(mode="after")
    def _site_or_organ(self) -> BodySiteEntry:
        if (self.site is None) == (self.organ is None) or (self.organ and not self.note):
            raise ValueError("give a site, or an organ whose histology decides with a note")
        return self


class HistologyEntry(_Entry):
    """A tumour morphology; per organ whose code leaves the site to the histology, the site."""

    sites: dict[Literal["lung", "bone"], PrimarySite]
    #: The soft-tissue sarcoma subtype the morphology names (sarcoma.subtype of a sarcoma).
    sarcoma_subtype: SarcomaSubtype | None = None


class SitePlace(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    region: Region
    bone: LongBone | None = None


class FindingEntry(_Entry):
    sets: dict[str, Any] = Field(default_factory=dict)
    if_recent: dict[str, Any] = Field(default_factory=dict)
    if_suspected: dict[str, Any] = Field(default_factory=dict)
    lesion: dict[str, Any] = Field(default_factory=dict)
    site_digits: str | None = None
    note: str | None = None
    sources: list[str]

    @model_validator(mode="after")
    def _does_something(self) -> FindingEntry:
        if not (self.sets or self.if_recent or self.lesion) and not self.note:
            raise ValueError("a finding that sets nothing needs a note saying why")
        return self


class VisceralEntry(_Entry):
    brain: bool = False


class LocationEntry(_Entry):
    region: Region
    level: str | None = None
    bone: LongBone | None = None

    @model_validator(mode="after")
    def _fits(self) -> LocationEntry:
        if self.level is not None and (
            self.region is not Region.spine or self.level not in SPINE_LEVELS
        ):
            raise ValueError(f"level {self.level!r} needs region spine and a level C1…S5")
        if self.bone is not None and self.region is not Region.long_bone:
            raise ValueError("bone needs region long_bone")
        return self


class SideEntry(_Entry):
    side: Side


class ObservationEntry(_Entry):
    field: str | None
    kind: Literal["quantity", "integer", "coded"] = "quantity"
    unit: str | None = None
    analyte: str | None = None
    answers: str | None = None


class SeriesEntry(_Entry):
    item: Literal["serum_m_g_dl", "kappa_flc", "lambda_flc"]
    unit: str


class AnswerEntry(_Entry):
    #: None: the answer leaves the field open (unknown, not yet confirmed)
    value: bool | int | str | None


class MarkerEntry(_Entry):
    marker: Literal["estrogen_receptor", "progesterone_receptor", "her2"]


class MedicationEntry(_Entry):
    agent: BoneModifyingAgent


class BmaDoseBand(BaseModel):
    """Single doses of one bone-modifying agent that mark the dose it is given at (the
    products' SmPCs), and how long after its date a statement or an administration at that
    dose still counts as current (its dosing interval with a margin; default
    ``bma_current_days``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    agent: BoneModifyingAgent
    #: lowest and highest single dose in mg, both included
    mg: tuple[float, float]
    dose: BoneModifyingAgentDose
    current_days: int | None = Field(default=None, ge=1, le=3650)
    sources: list[str]

    @model_validator(mode="after")
    def _ordered(self) -> BmaDoseBand:
        if not 0 < self.mg[0] <= self.mg[1]:
            raise ValueError(f"mg {list(self.mg)}: needs 0 < lowest <= highest")
        return self


class DeviceEntry(_Entry):
    """A Device.type of a cardiac implantable electronic device."""

    cardiac_device: CardiacDevice


class CurrentMedicationEntry(_Entry):
    #: The therapy of ``therapies.yaml`` the code stands for: its name is the entry of
    #: ``prior_therapy.current_medication`` (read back by the planned-therapy matcher).
    drug: Annotated[str, Field(pattern=r"^[a-z0-9_\-]+$")]


#: Case fields a systemic cancer drug may set true (``received``: given at any time before the
#: board; ``current``: given now). The prostate fields are read for prostate cancer only.
SYSTEMIC_FIELDS = (
    "prior_therapy.chemotherapy",
    "prior_therapy.arpi_received",
    "prior_therapy.taxane_received",
    "prior_therapy.abiraterone_current",
)


class SystemicTherapyEntry(_Entry):
    """A systemic cancer drug whose use the case records: the yes/no fields it sets, androgen
    deprivation (its start), and its name among the myeloma drugs or sarcoma agents."""

    received: list[Literal[SYSTEMIC_FIELDS]] = Field(default_factory=list)  # type: ignore[valid-type]
    current: list[Literal[SYSTEMIC_FIELDS]] = Field(default_factory=list)  # type: ignore[valid-type]
    adt: bool = False
    myeloma_drug: MyelomaDrug | None = None
    sarcoma_agent: SarcomaAgent | None = None
    #: The therapies.yaml name it stands for among the current medication (a myeloma drug
    #: makes a line running).
    drug: Annotated[str, Field(pattern=r"^[a-z0-9_\-]+$")] | None = None


class ProcedureKind(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    profiles: list[str] = Field(default_factory=list)
    codes: list[_Entry] = Field(default_factory=list)


class OperationEntry(_Entry):
    operation: Operation


class CombinedOperation(BaseModel):
    """Operations of one lesion that together are one value of the case format."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    operations: tuple[Operation, Operation]
    operation: Operation


class Operations(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    sources: list[str] = Field(min_length=1)
    codes: list[OperationEntry]
    combined: list[CombinedOperation] = Field(default_factory=list)


class JawEntry(_Entry):
    #: the code names an osteonecrosis due to drugs, but not that it is the jaw's: it counts
    #: only with a jaw code in the same Condition or a bodySite of the jaw
    needs_jaw: bool = False


class StageEntry(_Entry):
    value: int = Field(ge=1, le=3)


class JawOsteonecrosis(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    sources: list[str] = Field(min_length=1)
    codes: list[JawEntry]
    jaw_codes: list[_Entry]
    jaw_sites: list[_Entry]
    stages: list[StageEntry]


class Statuses(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    observation: list[str]
    #: A result not yet final (preliminary): used like a final one, and named as preliminary.
    observation_pending: list[str] = Field(default_factory=list)
    condition_clinical: list[str]
    condition_verification_refused: list[str]
    condition_verification_unconfirmed: list[str]
    medication_statement_current: list[str]
    medication_statement_past: list[str]
    #: Discontinued: never current (an ended denosumab still counts for the rebound).
    medication_statement_stopped: list[str] = Field(default_factory=list)
    procedure: list[str]
    medication_request_current: list[str]
    #: Every dose the order implied has been given: current within the drug's interval
    #: after its last dose, like an administration.
    medication_request_done: list[str] = Field(default_factory=list)
    medication_request_past: list[str]
    medication_administration: list[str]


class SourcedValue(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    value: int = Field(ge=1, le=3650)
    sources: list[str]


class MaxAge(BaseModel):
    """A maximum age of its own for one current value, with its sources."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    max_age_days: int = Field(ge=0, le=3650)
    sources: list[str] = Field(min_length=1)


class CurrentValues(BaseModel):
    """How old a value may be on the board date and still be the current one
    (``current_values``): a default, and the fields it holds for (``default`` or their own)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    max_age_days: int = Field(ge=0, le=3650)
    sources: list[str] = Field(min_length=1)
    #: per field: None for ``default``, else its own maximum age
    fields: dict[str, MaxAge | None] = Field(min_length=1)

    @field_validator("fields", mode="before")
    @classmethod
    def _defaults(cls, value: Any) -> Any:
        if not isinstance(value, dict):
            return value
        out = {}
        for path, spec in value.items():
            if spec is None or (isinstance(spec, str) and spec != "default"):
                raise ValueError(
                    f"{path}: give `default` or {{max_age_days: N, sources: [...]}} (got {spec!r})"
                )
            out[path] = None if spec == "default" else spec
        return out

    def max_age(self, path: str) -> int | None:
        """The maximum age in days of a case field's value, or None (not a current value)."""
        if path not in self.fields:
            return None
        spec = self.fields[path]
        return self.max_age_days if spec is None else spec.max_age_days


class ConditionProfiles(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    primary: str
    secondary: str


class _File(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    sources: list[str]
    systems: dict[str, list[str]]
    statuses: Statuses
    bma_current_days: SourcedValue
    denosumab_stopped_days: SourcedValue
    current_values: CurrentValues
    primary_sites: list[PrimaryEntry]
    primary_body_sites: list[BodySiteEntry]
    histology_extension: str
    histology_observations: list[_Entry]
    histologies: list[HistologyEntry]
    bone_metastasis_codes: list[_Entry]
    bone_body_sites: list[_Entry]
    visceral_metastasis_codes: list[VisceralEntry]
    locations: list[LocationEntry]
    laterality: list[SideEntry]
    observations: list[ObservationEntry]
    myeloma_series: list[SeriesEntry]
    myeloma_series_sources: list[str]
    answers: dict[str, list[AnswerEntry]]
    tumor_markers: list[MarkerEntry]
    tumor_marker_sources: list[str]
    medications: list[MedicationEntry]
    bma_doses: list[BmaDoseBand] = Field(default_factory=list)
    devices: list[DeviceEntry] = Field(default_factory=list)
    devices_sources: list[str] = Field(default_factory=list)
    current_medication_days: SourcedValue
    adt_current_days: SourcedValue
    current_medications: list[CurrentMedicationEntry] = Field(default_factory=list)
    systemic_therapies: list[SystemicTherapyEntry] = Field(default_factory=list)
    systemic_therapies_sources: list[str] = Field(default_factory=list)
    radiotherapy: ProcedureKind
    surgery: ProcedureKind
    operations: Operations
    jaw_osteonecrosis: JawOsteonecrosis
    condition_profiles: ConditionProfiles
    laterality_extension: str
    finding_recent_days: SourcedValue
    findings: list[FindingEntry]
    finding_site_digits: dict[str, dict[str, list[SitePlace] | Literal["any_lesion"]]]
    icd10gm_certainty_extension: str
    icd10gm_certainty: dict[str, Literal["confirmed", "suspected", "excluded", "status_post"]]
    icd10gm_side_extension: str
    icd10gm_sides: dict[str, Side]


class Coded:
    """A table of entries looked up by (system URI, code); ICD-10 entries also by prefix."""

    def __init__(self, entries: Sequence[Any], systems: Mapping[str, str]) -> None:
        self.entries = tuple(entries)
        self._exact: dict[tuple[str, str], list[Any]] = {}
        self._prefixes: list[tuple[str, str, Any]] = []
        for entry in entries:
            if entry.code is not None:
                self._exact.setdefault((entry.system, entry.code), []).append(entry)
            else:
                self._prefixes.append((entry.system, entry.prefix, entry))
        # longest prefix first, so that C79.3 wins over C79
        self._prefixes.sort(key=lambda t: -len(t[1]))
        self._systems = systems

    def find(self, system: str | None, code: str | None) -> Any:
        """The entry for one coding, or None (the system must be one the table knows)."""
        if not system or not code:
            return None
        name = self._systems.get(system)
        if name is None:
            return None
        if name in PREFIX_SYSTEMS:
            code = code.strip().rstrip(_ICD_SUFFIXES).strip()
        elif name == "icdo3" and len(code) == 5 and code.isdigit():
            code = f"{code[:4]}/{code[4]}"  # 81403 is 8140/3
        for entry in self._exact.get((name, code), ()):
            if entry.uris is None or system in entry.uris:
                return entry
        for sys_name, prefix, entry in self._prefixes:
            if (
                sys_name == name
                and _icd_under(code, prefix)
                and (entry.uris is None or system in entry.uris)
            ):
                return entry
        return None

    def first(self, codings: Iterable[Any]) -> Any:
        """The entry of the first coding that has one (FHIR Coding objects)."""
        for coding in codings:
            hit = self.find(getattr(coding, "system", None), getattr(coding, "code", None))
            if hit is not None:
                return hit
        return None

    def every(self, codings: Iterable[Any]) -> list[Any]:
        """The entries of all codings that have one, in order."""
        hits = (self.find(getattr(c, "system", None), getattr(c, "code", None)) for c in codings)
        return [hit for hit in hits if hit is not None]


def _icd_under(code: str, prefix: str) -> bool:
    """An ICD-10 code under a category (C50 holds C50.9) or subcategory (C79.3 holds C79.31)."""
    if not code.startswith(prefix):
        return False
    rest = code[len(prefix) :]
    return not rest or "." in prefix or rest[0] == "."


class FhirCodes:
    """The loaded code tables, with a lookup per table."""

    def __init__(self, data: _File) -> None:
        self.data = data
        self.system_uris = {name: tuple(uris) for name, uris in data.systems.items()}
        by_uri = {uri: name for name, uris in data.systems.items() for uri in uris}
        self.system_of_uri = by_uri
        self.primary_sites = Coded(data.primary_sites, by_uri)
        self.primary_body_sites = Coded(data.primary_body_sites, by_uri)
        self.histology_observations = Coded(data.histology_observations, by_uri)
        self.histologies = Coded(data.histologies, by_uri)
        self.bone_metastasis = Coded(data.bone_metastasis_codes, by_uri)
        self.bone_body_sites = Coded(data.bone_body_sites, by_uri)
        self.visceral = Coded(data.visceral_metastasis_codes, by_uri)
        self.locations = Coded(data.locations, by_uri)
        self.laterality = Coded(data.laterality, by_uri)
        self.observations = Coded(data.observations, by_uri)
        self.myeloma_series = Coded(data.myeloma_series, by_uri)
        self.answers = {name: Coded(entries, by_uri) for name, entries in data.answers.items()}
        self.tumor_markers = Coded(data.tumor_markers, by_uri)
        self.medications = Coded(data.medications, by_uri)
        self.bma_doses = data.bma_doses
        self.devices = Coded(data.devices, by_uri)
        self.current_medications = Coded(data.current_medications, by_uri)
        self.systemic_therapies = Coded(data.systemic_therapies, by_uri)
        self.radiotherapy = Coded(data.radiotherapy.codes, by_uri)
        self.surgery = Coded(data.surgery.codes, by_uri)
        self.operations = Coded(data.operations.codes, by_uri)
        self.jaw_osteonecrosis = Coded(data.jaw_osteonecrosis.codes, by_uri)
        self.jaw_codes = Coded(data.jaw_osteonecrosis.jaw_codes, by_uri)
        self.jaw_sites = Coded(data.jaw_osteonecrosis.jaw_sites, by_uri)
        self.jaw_stages = Coded(data.jaw_osteonecrosis.stages, by_uri)
        self.findings = Coded(data.findings, by_uri)
        self.statuses = data.statuses
        self.current_values = data.current_values

    def bma_dose(self, agent: BoneModifyingAgent, mg: float) -> BmaDoseBand | None:
        """The band a single dose of ``agent`` (in mg) lies in; None when in none."""
        for band in self.bma_doses:
            if band.agent is agent and band.mg[0] - 1e-9 <= mg <= band.mg[1] + 1e-9:
                return band
        return None

    def uri(self, system: str) -> str:
        """The canonical URI of a system name (the first one listed)."""
        return self.system_uris[system][0]


@functools.cache
def case_field_paths() -> frozenset[str]:
    """Every leaf field of the case format as a dotted path; lesion fields as ``lesion.X``,
    myeloma assessments as ``myeloma.series.X`` (the names case items use)."""
    out: set[str] = set()

    def walk(model: type[BaseModel], prefix: str) -> None:
        for name, info in model.model_fields.items():
            ann = info.annotation
            inner = _model_in(ann)
            if name == "lesions":
                walk(_model_in(ann) or BaseModel, "lesion.")
            elif name == "series":
                walk(_model_in(ann) or BaseModel, prefix + "series.")
            elif inner is not None:
                walk(inner, f"{prefix}{name}.")
            else:
                out.add(prefix + name)

    walk(Case, "")
    return frozenset(out)


@functools.cache
def case_list_paths() -> frozenset[str]:
    """The paths of :func:`case_field_paths` whose field is a list (one case item each)."""
    out: set[str] = set()
    for path in case_field_paths():
        model: type[BaseModel] = Case
        parts = path.split(".")
        if parts[0] == "lesion":
            from osteoboard.case import Lesion

            model, parts = Lesion, parts[1:]
        for part in parts[:-1]:
            if part == "series":
                from osteoboard.case import MyelomaAssessment

                model = MyelomaAssessment
                continue
            inner = _model_in(model.model_fields[part].annotation)
            assert inner is not None
            model = inner
        ann = model.model_fields[parts[-1]].annotation
        if "list[" in str(ann):
            out.add(path)
    return frozenset(out)


def _show(value: Any) -> str:
    return "true" if value is True else "false" if value is False else str(value)


def _variant(e: Any) -> str:
    """(GM) or (CM): an entry read only under the ICD-10-GM or the ICD-10-CM URIs."""
    uris = e.uris or ()
    if uris and all("icd-10-gm" in u for u in uris):
        return " (GM)"
    if uris and all(u.endswith("icd-10-cm") for u in uris):
        return " (CM)"
    return ""


def _systemic(e: Any) -> str:
    """What a systemic drug sets, for the code table of docs/fhir.md."""
    parts = [f"{f} (given)" for f in e.received] + [f"{f} (current)" for f in e.current]
    if e.adt:
        parts.append("prior_therapy.androgen_deprivation_since (prostate)")
    if e.myeloma_drug is not None:
        parts.append(f"myeloma.exposed_to[] = {e.myeloma_drug.value}")
    if e.sarcoma_agent is not None:
        parts.append(f"sarcoma.prior_agents[] = {e.sarcoma_agent.value}")
    if e.drug is not None:
        parts.append(f"prior_therapy.current_medication[] = {e.drug} (current)")
    return "; ".join(parts)


def _answer(e: Any) -> str:
    return "— (open, reported)" if e.value is None else _show(e.value)


def _model_in(annotation: Any) -> type[BaseModel] | None:
    """The pydantic model inside an annotation (``X | None``, ``list[X]``), if any."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()) or ():
        found = _model_in(arg)
        if found is not None:
            return found
    return None


def read_fhir_codes(kb_dir: Path, sources: Mapping[str, Any] | None = None) -> FhirCodes:
    """Load and lint ``fhir_codes.yaml``: the models check every value against the case's
    vocabularies; here the system names, field paths, answer lists and source keys."""
    data = validate(_File, read_yaml(kb_dir / FILE), FILE)
    names = set(data.systems)
    fields = case_field_paths()
    tables: dict[str, Sequence[_Entry]] = {
        "primary_sites": data.primary_sites,
        "primary_body_sites": data.primary_body_sites,
        "histology_observations": data.histology_observations,
        "histologies": data.histologies,
        "bone_metastasis_codes": data.bone_metastasis_codes,
        "bone_body_sites": data.bone_body_sites,
        "visceral_metastasis_codes": data.visceral_metastasis_codes,
        "locations": data.locations,
        "laterality": data.laterality,
        "observations": data.observations,
        "myeloma_series": data.myeloma_series,
        "tumor_markers": data.tumor_markers,
        "medications": data.medications,
        "current_medications": data.current_medications,
        "systemic_therapies": data.systemic_therapies,
        "devices": data.devices,
        "radiotherapy.codes": data.radiotherapy.codes,
        "surgery.codes": data.surgery.codes,
        "operations.codes": data.operations.codes,
        "jaw_osteonecrosis.codes": data.jaw_osteonecrosis.codes,
        "jaw_osteonecrosis.jaw_codes": data.jaw_osteonecrosis.jaw_codes,
        "jaw_osteonecrosis.jaw_sites": data.jaw_osteonecrosis.jaw_sites,
        "jaw_osteonecrosis.stages": data.jaw_osteonecrosis.stages,
        "findings": data.findings,
        **{f"answers.{k}": v for k, v in data.answers.items()},
    }
    for table, entries in tables.items():
        seen: set[tuple[str, str, tuple[str, ...]]] = set()
        for i, entry in enumerate(entries):
            where = f"{FILE}: {table}[{i}]"
            if entry.system not in names:
                raise KnowledgeError(f"{where}: unknown system {entry.system!r} (see systems)")
            key = (entry.system, entry.code or entry.prefix or "", entry.uris or ())
            if key in seen:
                raise KnowledgeError(f"{where}: {key[0]} {key[1]} is listed twice")
            seen.add(key)
            for uri in entry.uris or ():
                if uri not in data.systems[entry.system]:
                    raise KnowledgeError(f"{where}: {uri!r} is not a URI of {entry.system}")
    _lint_findings(data, fields)
    _lint_current_values(data, fields)
    _lint_answers(data)
    _lint_operations(data)
    for i, obs in enumerate(data.observations):
        where = f"{FILE}: observations[{i}]"
        if obs.field is not None and obs.field not in fields:
            raise KnowledgeError(f"{where}: {obs.field!r} is not a field of the case format")
        if obs.answers is not None and obs.answers not in data.answers:
            raise KnowledgeError(f"{where}: unknown answer list {obs.answers!r}")
        if obs.kind == "quantity" and obs.unit is None:
            raise KnowledgeError(f"{where}: a quantity needs its unit")
    for i, band in enumerate(data.bma_doses):
        for other in data.bma_doses[:i]:
            if other.agent is band.agent and not (
                band.mg[1] < other.mg[0] or other.mg[1] < band.mg[0]
            ):
                raise KnowledgeError(
                    f"{FILE}: bma_doses[{i}]: {band.agent.value} {list(band.mg)} mg overlaps "
                    f"{list(other.mg)} mg"
                )
    uris = [u for us in data.systems.values() for u in us]
    if len(uris) != len(set(uris)):
        raise KnowledgeError(f"{FILE}: systems: a URI is listed under two names")
    if data.systems.get("case_item") != [CASE_ITEM_SYSTEM]:
        raise KnowledgeError(f"{FILE}: systems.case_item must be [{CASE_ITEM_SYSTEM}]")
    if sources is not None:
        for i, finding in enumerate(data.findings):
            check_sources(finding.sources, sources, f"{FILE}: findings[{i}]")
        for i, band in enumerate(data.bma_doses):
            check_sources(band.sources, sources, f"{FILE}: bma_doses[{i}]")
        for part, keys in (
            ("finding_recent_days", data.finding_recent_days.sources),
            ("sources", data.sources),
            ("bma_current_days", data.bma_current_days.sources),
            ("denosumab_stopped_days", data.denosumab_stopped_days.sources),
            ("current_medication_days", data.current_medication_days.sources),
            ("adt_current_days", data.adt_current_days.sources),
            ("current_values", data.current_values.sources),
            ("myeloma_series_sources", data.myeloma_series_sources),
            ("tumor_marker_sources", data.tumor_marker_sources),
            ("devices_sources", data.devices_sources),
            ("systemic_therapies_sources", data.systemic_therapies_sources),
            ("operations", data.operations.sources),
            ("jaw_osteonecrosis", data.jaw_osteonecrosis.sources),
        ):
            check_sources(keys, sources, f"{FILE}: {part}")
        for path, spec in data.current_values.fields.items():
            if isinstance(spec, MaxAge):
                check_sources(spec.sources, sources, f"{FILE}: current_values.fields.{path}")
    return FhirCodes(data)


def _lint_current_values(data: _File, fields: frozenset[str]) -> None:
    """Every listed field is a single-valued field of the case (a series keeps its dates),
    and every field of the case's labs block has a maximum age."""
    where = f"{FILE}: current_values.fields"
    lists = case_list_paths()
    for path in data.current_values.fields:
        if path not in fields or path.startswith(("lesion.", "myeloma.series.")) or path in lists:
            raise KnowledgeError(
                f"{where}: {path!r} is not a single-valued case-level field of the case format"
            )
    missing = sorted(
        f
        for f in fields
        if f.startswith(CURRENT_VALUE_BLOCK) and f not in data.current_values.fields
    )
    if missing:
        raise KnowledgeError(
            f"{where}: {', '.join(missing)}: no maximum age (give `default` or "
            "{max_age_days: N, sources: [...]})"
        )


def _lint_answers(data: _File) -> None:
    """Every answer a coded observation can give is a value its field allows."""
    for i, obs in enumerate(data.observations):
        if obs.answers is None or obs.field is None:
            continue
        for answer in data.answers[obs.answers]:
            if answer.value is None:
                continue
            probe: dict[str, Any] = {"id": "lint"}
            node = probe
            parts = obs.field.split(".")
            for part in parts[:-1]:
                node = node.setdefault(part, {})
            node[parts[-1]] = answer.value
            try:
                Case.model_validate(probe)
            except ValueError as exc:
                raise KnowledgeError(
                    f"{FILE}: observations[{i}]: answer {answer.code} = {answer.value!r} is "
                    f"not allowed for {obs.field}: {exc}"
                ) from None


def _lint_operations(data: _File) -> None:
    """A combined operation joins two different operations that can be done at one region."""
    from osteoboard.case import OPERATION_REGIONS

    for i, rule in enumerate(data.operations.combined):
        where = f"{FILE}: operations.combined[{i}]"
        first, second = rule.operations
        if first == second:
            raise KnowledgeError(f"{where}: combines {first.value} with itself")
        regions = set(OPERATION_REGIONS[rule.operation])
        for part in rule.operations:
            if not regions & set(OPERATION_REGIONS[part]):
                raise KnowledgeError(
                    f"{where}: {part.value} is done at no region of {rule.operation.value}"
                )


def _lint_findings(data: _File, fields: frozenset[str]) -> None:
    """Every field a finding sets exists, and its value is one the case format allows."""
    from osteoboard.case import Lesion

    for i, f in enumerate(data.findings):
        where = f"{FILE}: findings[{i}]"
        for path, value in {**f.sets, **f.if_recent, **f.if_suspected}.items():
            if path not in fields or path.startswith(("lesion.", "myeloma.series.")):
                raise KnowledgeError(f"{where}: {path!r} is not a case-level field")
            probe: dict[str, Any] = {"id": "lint"}
            node = probe
            parts = path.split(".")
            for part in parts[:-1]:
                node = node.setdefault(part, {})
            node[parts[-1]] = value
            try:
                Case.model_validate(probe)
            except ValueError as exc:
                raise KnowledgeError(f"{where}: {path} = {value!r} is not allowed: {exc}") from None
        for name, value in f.lesion.items():
            if name not in Lesion.model_fields or name in ("id", "region", "level", "bone"):
                raise KnowledgeError(f"{where}: lesion.{name} cannot be set by a finding")
            try:
                Lesion.model_validate({"id": "lint", name: value})
            except ValueError as exc:
                raise KnowledgeError(f"{where}: lesion.{name} = {value!r}: {exc}") from None
        if f.site_digits is not None and f.site_digits not in data.finding_site_digits:
            raise KnowledgeError(f"{where}: unknown site_digits {f.site_digits!r}")


@functools.lru_cache(maxsize=4)
def load_fhir_codes(directory: Path | None = None) -> FhirCodes:
    """The code tables of the knowledge base (cached per folder)."""
    return read_fhir_codes(directory or default_kb_dir())


def mapping_table(codes: FhirCodes) -> str:
    """The code tables as one Markdown table (docs/fhir.md shows it)."""
    rows = [
        "| FHIR element | system | code | display | case field |",
        "| --- | --- | --- | --- | --- |",
    ]

    def add(element: str, entries: Iterable[Any], target: Any) -> None:
        for e in entries:
            code = e.code if e.code is not None else f"{e.prefix}*"
            system = e.system + _variant(e)
            rows.append(f"| {element} | {system} | `{code}` | {e.display} | {target(e)} |")

    d = codes.data
    add(
        "Condition.code (primary)",
        d.primary_sites,
        lambda e: (
            f"primary.site = {e.site.value}"
            + (f", myeloma.stage = {e.myeloma_stage.value}" if e.myeloma_stage else "")
            if e.site
            else f"primary.site open ({e.note})"
        ),
    )
    add(
        "Condition.bodySite (primary)",
        d.primary_body_sites,
        lambda e: f"primary.site = {e.site.value}" if e.site else f"primary.site open ({e.note})",
    )
    add(
        "Condition histology, Observation.value",
        d.histologies,
        lambda e: (
            "primary.histology"
            + "".join(f"; {organ}: primary.site = {site.value}" for organ, site in e.sites.items())
        ),
    )
    add("Observation.code", d.histology_observations, lambda e: "primary.histology")
    add("Condition.code (secondary)", d.bone_metastasis_codes, lambda e: "a lesion")
    add("Condition.bodySite", d.bone_body_sites, lambda e: "a lesion (region open)")
    add(
        "Condition.code (secondary)",
        d.visceral_metastasis_codes,
        lambda e: "visceral_metastases.present" + (", .brain" if e.brain else ""),
    )

    def place(e: Any) -> str:
        parts = [f"region {e.region.value}"]
        if e.level:
            parts.append(f"level {e.level}")
        if e.bone:
            parts.append(f"bone {e.bone.value}")
        return "lesions[].: " + ", ".join(parts)

    add("bodySite", d.locations, place)
    add("bodySite laterality", d.laterality, lambda e: f"lesions[].side = {e.side.value}")

    def observed(e: Any) -> str:
        text = f"{e.field} ({e.unit})" if e.field and e.unit else (e.field or "— (reported)")
        days = d.current_values.max_age(e.field) if e.field else None
        return text if days is None else f"{text}, at most {days} days before the board"

    add("Observation.code", d.observations, observed)
    add("Observation.code", d.myeloma_series, lambda e: f"myeloma.series[].{e.item} ({e.unit})")
    add("Observation.code", d.tumor_markers, lambda e: f"primary (marker {e.marker})")
    add(
        "Medication*.medication",
        d.medications,
        lambda e: f"prior_therapy.bone_modifying_agent = {e.agent.value}",
    )
    add(
        "Medication*.medication",
        d.current_medications,
        lambda e: f"prior_therapy.current_medication[] = {e.drug}",
    )
    add("Medication*.medication", d.systemic_therapies, _systemic)
    add("Device.type", d.devices, lambda e: f"patient.cardiac_device = {e.cardiac_device.value}")
    for name, entries in d.answers.items():
        add(f"Observation.value ({name})", entries, _answer)
    add("Procedure.code", d.radiotherapy.codes, lambda e: "lesions[].previously_irradiated")
    add(
        "Procedure.code (operation)",
        d.operations.codes,
        lambda e: f"lesions[].operation = {e.operation.value}, .operation_date",
    )
    jaw = d.jaw_osteonecrosis
    add(
        "Condition.code (jaw)",
        jaw.codes,
        lambda e: (
            "patient.jaw_osteonecrosis = true"
            + (" (with K10.2 or a jaw bodySite)" if e.needs_jaw else "")
        ),
    )
    add("Condition.code (jaw)", jaw.jaw_codes, lambda e: "places M87.1- at the jaw")
    add("Condition.bodySite (jaw)", jaw.jaw_sites, lambda e: "places M87.1- at the jaw")
    add(
        "Condition.stage.summary (jaw)",
        jaw.stages,
        lambda e: f"patient.jaw_osteonecrosis_stage = {e.value}",
    )

    def finding(e: Any) -> str:
        parts = [f"{k} = {_show(v)}" for k, v in e.sets.items()]
        parts += [f"{k} = {_show(v)} (if recent)" for k, v in e.if_recent.items()]
        parts += [
            f"{k} = {_show(v)} (suspected diagnosis, if recent)" for k, v in e.if_suspected.items()
        ]
        parts += [f"lesions[].{k} = {_show(v)} (at its site)" for k, v in e.lesion.items()]
        return "; ".join(parts) or f"— (reported: {e.note})"

    for e in d.findings:
        code = e.code if e.code is not None else f"{e.prefix}*"
        system = e.system + _variant(e)
        rows.append(
            f"| Condition.code (finding) | {system} | `{code}` | {e.display} | {finding(e)} |"
        )
    return "\n".join(rows) + "\n"
