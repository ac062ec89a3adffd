"""FHIR R4 / mCODE resources → one :class:`~osteoboard.case.Case`, with a mapping report.

Every coded element is looked up in the knowledge base's code tables
(``knowledge/fhir_codes.yaml``) on its (system, code) pair. Values dated after the board date
are not used; where several resources give one field, the latest on or before the board date
wins and the report records the conflict. A current value (a laboratory value) older than its
maximum age before the board date is left out and reported, so the field stays open. Nothing
that identifies the patient (name, address, identifiers) is carried into the case: the case id
is the Patient's id, a pseudonym.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from pydantic import ValidationError

from osteoboard.case import (
    OPERATION_REGIONS,
    Case,
    PrimarySite,
    Region,
    Sex,
    normalise_spine_level,
)
from osteoboard.fhir.codes import CASE_ITEM_SYSTEM, FhirCodes, load_fhir_codes
from osteoboard.fhir.errors import FhirImportError, FhirProblem
from osteoboard.fhir.loaders import PATIENT_DATA_TYPES
from osteoboard.fhir.numbers import NUMBER_TEXT, read_number
from osteoboard.fhir.r4b import Resource, parse_resource_text
from osteoboard.fhir.report import (
    Conflict,
    ConflictCandidate,
    FieldSource,
    ImportResult,
    MappingReport,
    Unused,
)
from osteoboard.messages import one_line
from osteoboard.text import Text
from osteoboard.units import convert_quantity, field_ucum, same_unit

__all__ = ["import_resources"]

#: Most resources read for one import (a patient's $everything is rarely over a few thousand).
MAX_RESOURCES = 20_000
_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}$")
_LESION_ID = re.compile(r"^[A-Za-z0-9_.\-]{1,40}$")
#: Elements every resource has that carry no clinical content of their own.
_BOOKKEEPING = frozenset(
    {
        "resourceType",
        "id",
        "meta",
        "text",
        "subject",
        "patient",
        "status",
        "category",
        "performer",
        "encounter",
        "implicitRules",
        "language",
        "contained",
        "requester",
        "asserter",
        "recorder",
        "intent",
        "issued",
    }
)
#: Patient elements that identify a person: never carried into the case.
_IDENTIFYING = frozenset(
    {
        "name",
        "identifier",
        "address",
        "telecom",
        "photo",
        "contact",
        "communication",
        "generalPractitioner",
        "managingOrganization",
        "link",
        "maritalStatus",
        "multipleBirthBoolean",
        "multipleBirthInteger",
        "extension",
    }
)


def _t(de: str, en: str) -> Text:
    return Text(de=de, en=en)


@dataclass
class _Candidate:
    value: Any
    date: dt.date | None
    resource: str
    element: str
    note: Text | None = None
    order: int = 0
    #: further resources (Type/id, element) the value also came from (two operations that
    #: together are one value of the case format)
    also: list[tuple[str, str]] = field(default_factory=list)


#: An answer that leaves a field open (unknown, not yet confirmed): reported, never a value.
_OPEN = object()


@dataclass
class _State:
    codes: FhirCodes
    board_date: dt.date | None
    by_id: dict[str, tuple[str, Resource, dict[str, Any]]] = field(default_factory=dict)
    #: The resources (their JSON objects, by id()) whose text names no modifier element.
    plain: set[int] = field(default_factory=set)
    #: The resources of the input by their fullUrl (urn:uuid or absolute URL): Type/id.
    by_url: dict[str, str] = field(default_factory=dict)
    #: Base URLs of the imported patient's server: an absolute reference on one of them is
    #: read as a relative one.
    servers: set[str] = field(default_factory=set)
    candidates: dict[str, list[_Candidate]] = field(default_factory=dict)
    unused: list[Unused] = field(default_factory=list)
    read: dict[str, set[str]] = field(default_factory=dict)
    lesions: list[dict[str, Any]] = field(default_factory=list)
    lesion_sources: list[list[FieldSource]] = field(default_factory=list)
    order: int = 0
    #: Per field, measurements that could not be used (a bound such as "> 3.5", a unit that
    #: cannot be converted) with their date: an older value must not stand in for them.
    blocked: dict[str, list[tuple[dt.date | None, str]]] = field(default_factory=dict)
    #: Resources dated by a month or year only ("2026-11"): their first and last day and the
    #: text. The first day stands for the date; the maximum age is checked on both.
    periods: dict[str, tuple[dt.date, dt.date, str]] = field(default_factory=dict)
    #: The day of the import: the maximum age of a current value counts to it without a
    #: board date.
    today: dt.date = field(default_factory=dt.date.today)
    #: Histology Observations (LOINC 59847-4), read with the primary tumour they are about.
    histology_observations: list[tuple[str, Resource]] = field(default_factory=list)
    #: How many primary tumour Conditions the input holds (an unfocused histology
    #: Observation is read only when there is one).
    primaries: int = 0
    #: Per resource, the moment it is dated by when the date has a time of day (POSIX
    #: seconds): two values of one day are ordered by it.
    moments: dict[str, float] = field(default_factory=dict)
    #: Primary tumours recorded as no longer active (resolved, in remission, inactive, status
    #: post): beside an active primary of another site they do not make the site open.
    inactive_primaries: set[str] = field(default_factory=set)
    #: Per course (``adt``, ``bma.<agent>``), every entry's first and last day given: a run
    #: of entries without a gap longer than the drug's interval is one course, whose start
    #: is the first entry's (German systems write one order per injection).
    courses: dict[str, list[tuple[dt.date, dt.date]]] = field(default_factory=dict)

    def offer(self, path: str, cand: _Candidate) -> None:
        self.order += 1
        cand.order = self.order
        self.candidates.setdefault(path, []).append(cand)

    def use(self, ref: str, *elements: str) -> None:
        self.read.setdefault(ref, set()).update(elements)

    def drop_status(self, ref: str, status: Any, what_de: str, what_en: str) -> None:
        """Report a resource left out for its status ("Prozedur mit Status 'draft' …")."""
        self.drop(
            ref,
            f"{what_de} mit Status {status!r} wird nicht verwendet",
            f"{what_en} with status {status!r} is not used",
        )

    def drop(self, ref: str, de: str, en: str, element: str | None = None) -> None:
        self.unused.append(Unused(resource=ref, element=element, reason=_t(de, en)))

    def after_board(self, date: dt.date | None) -> bool:
        return self.board_date is not None and date is not None and date > self.board_date

    def current(self, path: str, cands: list[_Candidate]) -> list[_Candidate]:
        """The candidates of a current value (``current_values`` of the code tables) that are
        at most its maximum age before the board date (today without one); every other one
        is reported as left out, so that an old value never stands for today's."""
        limit = self.codes.current_values.max_age(path)
        if limit is None:
            return cands
        day = self.board_date or self.today
        if self.board_date is not None:
            before = _t(f"dem Konferenzdatum ({day})", f"the board date ({day})")
        else:
            before = _t(f"heute ({day}, kein Konferenzdatum)", f"today ({day}, no board date)")
        kept = []
        for c in cands:
            period = self.periods.get(c.resource)
            if period is not None and c.date == period[0]:
                first, last, text = period
                if (day - first).days <= limit:
                    c.note = _joined(c.note, _precision(text))
                    kept.append(c)
                    continue
                shown = _precision(text)
                if (day - last).days > limit:
                    de = f"Wert vom {shown.de} ist älter als {limit} Tage vor {before.de}"
                    en = f"value of {shown.en} is older than {limit} days before {before.en}"
                else:
                    de = f"Wert vom {shown.de}: nicht sicher höchstens {limit} Tage vor {before.de}"
                    en = f"value of {shown.en}: not surely at most {limit} days before {before.en}"
            elif c.date is not None and (day - c.date).days <= limit:
                kept.append(c)
                continue
            elif c.date is None:
                de = f"Wert ohne Datum: nicht prüfbar, ob höchstens {limit} Tage vor {before.de}"
                en = f"value without a date: unknown if at most {limit} days before {before.en}"
            else:
                de = f"Wert vom {c.date} ist älter als {limit} Tage vor {before.de}"
                en = f"value of {c.date} is older than {limit} days before {before.en}"
            self.drop(
                c.resource,
                f"{path}: {de} – nicht als aktueller Wert übernommen",
                f"{path}: {en} – not used as the current value",
                c.element,
            )
        return kept


# --------------------------------------------------------------------------------------------
# small readers


def _date(value: Any) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str) and re.match(r"^\d{4}-\d{2}-\d{2}", value):
        return dt.date.fromisoformat(value[:10])
    return None


def _period(value: Any) -> tuple[dt.date, dt.date, str] | None:
    """A date given as a month or a year only ("2026-11", "2026"): its first and last day
    and the text; None for anything else."""
    if not isinstance(value, str):
        return None
    m = re.fullmatch(r"(\d{4})(?:-(\d{2}))?", value.strip())
    if m is None:
        return None
    year = int(m[1])
    try:
        if m[2] is None:
            return dt.date(year, 1, 1), dt.date(year, 12, 31), m[0]
        month = int(m[2])
        first = dt.date(year, month, 1)
    except ValueError:
        return None
    following = dt.date(year + (month == 12), month % 12 + 1, 1)
    return first, following - dt.timedelta(days=1), m[0]


def _precision(text: str) -> Text:
    """How a month or year date is shown: "2026-11 (nur Monat)"."""
    if len(text) == 4:
        return _t(f"{text} (nur Jahr)", f"{text} (year only)")
    return _t(f"{text} (nur Monat)", f"{text} (month only)")


def _joined(note: Text | None, more: Text) -> Text:
    return more if note is None else _t(f"{note.de}; {more.de}", f"{note.en}; {more.en}")


def _partial_effective(res: Resource) -> tuple[dt.date, dt.date, str] | None:
    """The month or year an Observation is dated by, when it has no day."""
    for name in ("effectiveDateTime", "issued"):
        period = _period(getattr(res, name, None))
        if period is not None:
            return period
    return None


def _effective(res: Resource) -> dt.date | None:
    for name in (
        "effectiveDateTime",
        "effectiveInstant",
        "performedDateTime",
        "occurrenceDateTime",
    ):
        d = _date(getattr(res, name, None))
        if d is not None:
            return d
    for name in ("effectivePeriod", "performedPeriod"):
        period = getattr(res, name, None)
        if period is not None:
            d = _date(period.end) or _date(period.start)
            if d is not None:
                return d
    return _date(getattr(res, "issued", None))


def _moment(res: Resource) -> float | None:
    """The moment (POSIX seconds) of the date :func:`_effective` reads, when it has a time of
    day; a time without a zone is read as UTC."""
    # The model's field values, read where they are kept: most of these elements are not
    # fields of a given type, and asking the model for one that is not raises and catches an
    # error (a fifth of the mapping's time on a 50-resource prefetch).
    fields = res.__dict__
    values = [
        fields.get(name) for name in ("effectiveDateTime", "effectiveInstant", "performedDateTime")
    ]
    values.append(fields.get("occurrenceDateTime"))
    for name in ("effectivePeriod", "performedPeriod"):
        period = fields.get(name)
        if period is not None:
            values += [period.end, period.start]
    values.append(fields.get("issued"))
    for value in values:
        if _date(value) is None:
            continue
        if not isinstance(value, dt.datetime):
            return None  # the date that counts has no time of day
        if value.tzinfo is None:
            value = value.replace(tzinfo=dt.UTC)
        return value.timestamp()
    return None


def _codings(concept: Any) -> list[Any]:
    return list(getattr(concept, "coding", None) or []) if concept is not None else []


def _ref_id(reference: Any) -> str | None:
    """The id a reference points to: ``Patient/x``, ``https://…/Patient/x``, ``urn:uuid:x``."""
    key = _ref_key(reference)
    return None if key is None else key.rsplit("/", 1)[-1].removeprefix("urn:uuid:")


def _target_id(state: _State, reference: Any) -> str | None:
    """The id of the resource a reference points to, a ``urn:uuid:`` or absolute fullUrl of
    the input resolved to the entry's own id (which may differ from the uuid)."""
    text = getattr(reference, "reference", None)
    if isinstance(text, str) and _is_url(text):
        target = state.by_url.get(_url_key(text))
        if target is not None:
            return target.rsplit("/", 1)[-1]
    return _ref_id(reference)


def _ref_key(reference: Any) -> str | None:
    """What a reference points to with its type: ``Patient/x`` (from a relative or absolute
    reference, a version dropped) or ``urn:uuid:x``. Ids are unique only within a resource
    type, so resources are looked up by this key, never by the bare id."""
    text = getattr(reference, "reference", None)
    if not isinstance(text, str) or not text:
        return None
    if text.startswith("urn:uuid:"):
        return text
    parts = text.rstrip("/").split("/")
    if len(parts) >= 4 and parts[-2] == "_history":
        parts = parts[:-2]
    if len(parts) >= 2:
        return f"{parts[-2]}/{parts[-1]}"
    return text


def _profiles(res: Resource) -> set[str]:
    meta = getattr(res, "meta", None)
    return {p.split("|")[0] for p in (getattr(meta, "profile", None) or [])}


def _number(value: Any) -> float | int:
    if isinstance(value, Decimal):
        f = float(value)
        return (
            int(f)
            if f.is_integer() and value == value.to_integral_value() and "." not in str(value)
            else f
        )
    return value  # type: ignore[no-any-return]


# --------------------------------------------------------------------------------------------
# the public function


def import_resources(
    resources: Iterable[Mapping[str, Any]],
    *,
    board_date: dt.date | None = None,
    patient_id: str | None = None,
    codes: FhirCodes | None = None,
    server: str | None = None,
) -> ImportResult:
    """The case of one patient from FHIR R4 resources (parsed with the R4B classes), with the
    mapping report. ``board_date``: values after it are not used, the age is computed at it,
    and a current value (a laboratory value, ``current_values`` of the code tables) older than
    its maximum age before it is left out (before today when no board date is given).
    ``patient_id``: the Patient to import when the resources hold several. ``server``: the
    base URL of the FHIR server the resources come from (an absolute reference on it is read
    as a relative one; so is one on the server of the Patient's fullUrl).

    Raises FhirImportError for a resource that fails validation, no or an ambiguous patient,
    a unit that cannot be converted, or values the case format does not allow (each named by
    resource and element)."""
    codes = codes or load_fhir_codes()
    state = _State(codes=codes, board_date=board_date)
    parsed: list[tuple[str, Resource, dict[str, Any]]] = []
    problems: list[FhirProblem] = []
    seen: dict[str, tuple[int, dict[str, Any]]] = {}
    for i, raw in enumerate(resources):
        if i >= MAX_RESOURCES:
            raise FhirImportError(
                FhirProblem(
                    f"[{i}]",
                    f"mehr als {MAX_RESOURCES} Ressourcen: für einen Patienten zu viele",
                    f"more than {MAX_RESOURCES} resources: too many for one patient",
                )
            )
        if isinstance(raw, Mapping) and isinstance(raw.get("id"), str):
            key = f"{raw.get('resourceType')}/{raw['id']}"
            if key in seen:
                first, body = seen[key]
                if _same_resource(body, raw):
                    continue  # the same resource twice (e.g. a search that includes it again)
                problems.append(
                    FhirProblem(
                        f"[{i}] ({key})",
                        f"doppelte Ressourcen-ID mit anderem Inhalt (zuerst bei [{first}])",
                        f"duplicate resource id with other content (first at [{first}])",
                    )
                )
                continue
            seen[key] = (i, dict(raw))
        try:
            res, text = parse_resource_text(raw, f"[{i}]")
        except FhirImportError as exc:
            problems.extend(exc.problems)
            continue
        ref = f"{res.get_resource_type()}/{res.id}" if res.id else f"{res.get_resource_type()}[{i}]"
        body = dict(raw)
        if text is not None and not any(word in text for word in _MODIFIER_WORDS):
            state.plain.add(id(body))  # no modifier anywhere in it: nothing to walk
        parsed.append((ref, res, body))
        moment = _moment(res)
        if moment is not None:
            state.moments[ref] = moment
        if res.id:
            state.by_id.setdefault(ref, (ref, res, body))
        full_url = getattr(raw, "full_url", None)
        if isinstance(full_url, str) and full_url.startswith("urn:uuid:"):
            state.by_id.setdefault(full_url, (ref, res, body))
        if isinstance(full_url, str) and _is_url(full_url):
            state.by_url.setdefault(_url_key(full_url), ref)
    if problems:
        raise FhirImportError(problems)

    patient_ref, patient = _choose_patient(parsed, patient_id)
    unnamed: set[str] = set()
    if patient is not None and patient.id is None and patient_id is not None:
        # The one Patient without an id, named by the given id: references to that id are
        # hers, and so are those to her entry (its fullUrl resolves to the old name).
        named = f"Patient/{patient_id}"
        parsed = [(named if r == patient_ref else r, x, raw) for r, x, raw in parsed]
        state.by_id.setdefault(named, (named, patient, {}))
        unnamed.add(patient_ref)
        patient_ref = named
    pid = (patient.id if patient is not None else None) or patient_id
    if pid is None:
        raise FhirImportError(
            FhirProblem(
                patient_ref,
                "die Patient-Ressource hat keine id (und keine fullUrl, die sie nennt); die "
                "Patienten-ID angeben, sie wird das Pseudonym des Falls",
                "the Patient resource has no id (and no fullUrl naming it); give the patient "
                "id, which becomes the case's pseudonym",
            )
        )
    if not _ID.match(pid):
        raise FhirImportError(
            FhirProblem(
                patient_ref,
                f"die Patienten-ID {pid!r} taugt nicht als Pseudonym des Falls "
                "(Buchstaben, Ziffern, _ . -; bis 64 Zeichen)",
                f"the patient id {pid!r} cannot be the case's pseudonym "
                "(letters, digits, _ . -; up to 64 characters)",
            )
        )

    state.servers = {_url_key(server)} if server else set()
    state.servers |= {
        url.rsplit("/", 2)[0]
        for url, ref in state.by_url.items()
        if ref == patient_ref and "://" in url
    }
    # The patient's other records (Patient.link: merged or linked): their data are hers.
    records = (
        next(
            (
                {r for r, _ in person}
                for person in _persons(
                    [(r, x) for r, x, _ in parsed if x.get_resource_type() == "Patient"]
                )
                if any(r == patient_ref for r, _ in person)
            ),
            {patient_ref},
        )
        | unnamed
    )
    mine: list[tuple[str, Resource, dict[str, Any]]] = []
    for ref, res, raw in parsed:
        if ref == patient_ref:
            continue
        rtype = res.get_resource_type()
        if rtype == "Patient":
            if ref in records:
                state.drop(
                    ref,
                    f"weitere Akte desselben Patienten (Patient.link); ihre Daten zählen zu "
                    f"{patient_ref}",
                    f"another record of the same patient (Patient.link); its data count for "
                    f"{patient_ref}",
                )
            else:
                state.drop(ref, "anderer Patient", "another patient")
            continue
        if rtype == "OperationOutcome":
            _server_issues(state, ref, res)
            continue
        why = _not_mine(state, res, patient_ref, patient, records)
        if why is not None:
            state.drop(ref, *why)
            continue
        if _modified(state, ref, raw):
            continue
        mine.append((ref, res, raw))

    if patient is not None and not _modified(state, patient_ref, _raw_of(parsed, patient_ref)):
        _patient(state, patient_ref, patient)
    conditions = [(r, x) for r, x, _ in mine if x.get_resource_type() == "Condition"]
    histology = _histology_observations(state, mine)
    primary_ids = _conditions(state, conditions)
    lesions = state.lesions
    for ref, res, _raw in mine:
        rtype = res.get_resource_type()
        if ref in histology:
            if ref not in state.read:
                state.drop(ref, "keinem Primärtumor zuzuordnen", "not about a primary tumour")
        elif rtype == "Observation":
            _observation(state, ref, res, primary_ids)
        elif rtype in ("MedicationRequest", "MedicationAdministration", "MedicationStatement"):
            _medication(state, ref, res)
        elif rtype == "Procedure":
            _procedure(state, ref, res, primary_ids, lesions)
        elif rtype == "Device":
            _device(state, ref, res)
        elif rtype == "DiagnosticReport" and _contained_results(res):
            _report_results(state, ref, res, primary_ids)
        elif rtype in ("Condition", "Medication"):
            pass
        else:
            state.drop(
                ref,
                f"Ressourcentyp {rtype} wird nicht ausgewertet",
                f"resource type {rtype} is not read",
            )

    _combine_operations(state)
    fields, conflicts = _resolve(state)
    _consistent_patient(state, fields, conflicts)
    case_data, sources = _assemble(state, pid, fields)
    case = _validate(state, case_data, sources, patient_ref)
    # every element of a used resource that the mapping did not read (a result a report
    # carries inside counts for the report)
    used_refs = {s.resource for s in sources} | {s.resource.split("#")[0] for s in sources}
    # a value that lost a conflict is in the report's conflicts, with the rule that chose
    reported = {u.resource for u in state.unused} | {
        other.resource for conflict in conflicts for other in conflict.others
    }
    for ref, _res, raw in [
        (patient_ref, patient, {} if patient is None else dict(_raw_of(parsed, patient_ref))),
        *mine,
    ]:
        if ref not in used_refs:
            if ref not in reported:
                state.drop(ref, "keinem Fallfeld zugeordnet", "not mapped to any case field")
            continue
        left = sorted(set(raw) - state.read.get(ref, set()) - _BOOKKEEPING)
        if left:
            identifying = ref == patient_ref
            state.drop(
                ref,
                "identifizierende Angaben werden nicht übernommen (Pseudonym)"
                if identifying
                else "nicht ausgewertet",
                "identifying data are not carried over (pseudonym)" if identifying else "not read",
                ", ".join(left),
            )
    report = MappingReport(
        board_date=board_date,
        patient=patient_ref,
        resources=len(parsed),
        fields=sources,
        unused=state.unused,
        conflicts=conflicts,
    )
    return ImportResult(case=case, report=report)


#: Resource types read as the patient's data: each must say whose it is.
_PATIENT_DATA = frozenset(PATIENT_DATA_TYPES)
_UNASSIGNED = "keinem Patienten sicher zuzuordnen", "not assignable to a patient for sure"


def _is_url(text: str) -> bool:
    return text.startswith("urn:") or "://" in text


def _url_key(url: str) -> str:
    """An absolute reference or fullUrl without a version or trailing slash."""
    parts = url.rstrip("/").split("/")
    if len(parts) >= 2 and parts[-2] == "_history":
        parts = parts[:-2]
    return "/".join(parts)


def _not_mine(
    state: _State,
    res: Resource,
    patient_ref: str,
    patient: Resource | None,
    records: set[str] | frozenset[str] = frozenset(),
) -> tuple[str, str] | None:
    """Why a resource is not the imported patient's (German, English), or None when it is.
    References resolve as in FHIR: relative (``Patient/p1``) by type and id; a ``urn:uuid:``
    or absolute URL to the entry with that fullUrl, and an absolute URL on the patient's
    server (``state.servers``) as a relative one (another server's ``Patient/p1`` is another
    patient); a logical reference by identifier only to a Patient with that identifier
    (system and value). A resource of the patient's data without a resolvable
    patient is never assumed to be theirs."""
    subject = getattr(res, "subject", None) or getattr(res, "patient", None)
    unassigned_de, unassigned_en = _UNASSIGNED
    if subject is None:
        if res.get_resource_type() not in _PATIENT_DATA:
            return None  # a Medication, an Organization: no patient of its own
        return (
            f"ohne Patientenbezug (subject fehlt): {unassigned_de}",
            f"no patient reference (subject missing): {unassigned_en}",
        )
    text = subject.reference
    if not text:
        ident = subject.identifier
        if (
            ident is not None
            and ident.value
            and patient is not None
            and any(
                i.system == ident.system and i.value == ident.value
                for i in patient.identifier or []
            )
        ):
            return None
        what = "identifier" if ident is not None else "display" if subject.display else "—"
        return (
            f"Patientenbezug nur als {what}, ohne reference, und keine Patient-Ressource mit "
            f"diesem Identifier: {unassigned_de}",
            f"patient reference by {what} only, without a reference, and no Patient with "
            f"that identifier: {unassigned_en}",
        )
    if _is_url(text):
        key = _url_key(text)
        target = state.by_url.get(key)
        base, _, relative = key.rpartition("/")[0].rpartition("/")
        if target is None and base in state.servers:
            target = f"{relative}/{key.rsplit('/', 1)[-1]}"
        if target is None:
            shown = one_line(text, 80)
            return (
                f"Bezug {shown!r} ist keine Ressource der Eingabe (anderer Server?): "
                f"{unassigned_de}",
                f"reference {shown!r} is no resource of the input (another server?): "
                f"{unassigned_en}",
            )
    else:
        target = _ref_key(subject) or text
    if target == patient_ref or target in records:
        return None
    if not target.startswith("Patient"):
        return "Bezug auf keinen Patienten", "subject is not a patient"
    return "gehört zu einem anderen Patienten", "belongs to another patient"


def _server_issues(state: _State, ref: str, res: Resource) -> None:
    """Report each issue of an OperationOutcome (a search's results withheld for missing
    rights or cut short): the resources read may not be all there are."""
    for i, issue in enumerate(res.issue or []):
        text = issue.diagnostics or getattr(issue.details, "text", None) or issue.code
        state.drop(
            ref,
            f"Meldung des Servers ({issue.severity}): {text} – die gelesenen Daten können "
            "unvollständig sein",
            f"the server's message ({issue.severity}): {text} – the data read may be incomplete",
            f"issue[{i}]",
        )


def _histology_observations(
    state: _State, mine: Sequence[tuple[str, Resource, dict[str, Any]]]
) -> set[str]:
    """The histology Observations (final, not after the board date), kept for the primary
    tumour they describe; their references."""
    out: set[str] = set()
    for ref, res, _raw in mine:
        if res.get_resource_type() != "Observation":
            continue
        if state.codes.histology_observations.first(_codings(res.code)) is None:
            continue
        out.add(ref)
        if res.status not in state.codes.statuses.observation:
            state.drop_status(ref, res.status, "Befund", "observation")
        elif state.after_board(_effective(res)):
            state.drop(ref, "nach dem Konferenzdatum", "after the board date")
        else:
            state.histology_observations.append((ref, res))
    return out


def _modifier(node: Any) -> str | None:
    """The first element that changes what a resource means and that the mapping does not
    understand (FHIR: such a resource must not be read as if it were absent): a
    ``modifierExtension`` anywhere, or ``implicitRules``. The walk spells a path only on the
    way back from one found (most resources have none)."""
    if type(node) is list:
        for i, item in enumerate(node):
            kind = type(item)
            if kind is dict or kind is list or isinstance(item, Mapping):
                found = _modifier(item)
                if found is not None:
                    return f"[{i}]{found}" if found[0] == "[" else f"[{i}].{found}"
        return None
    if "implicitRules" in node or "modifierExtension" in node:
        if node.get("implicitRules") is not None:
            return "implicitRules"
        if node.get("modifierExtension"):
            return "modifierExtension"
    for key, value in node.items():
        kind = type(value)
        if kind is dict or kind is list or isinstance(value, Mapping):
            found = _modifier(value)
            if found is not None:
                return f"{key}{found}" if found[0] == "[" else f"{key}.{found}"
    return None


#: The elements :func:`_modifier` looks for: a resource whose JSON text names neither has
#: none of them.
_MODIFIER_WORDS = ("modifierExtension", "implicitRules")


def _modified(state: _State, ref: str, raw: Any) -> bool:
    """Whether a resource is left out for a modifier it carries (reported)."""
    if id(raw) in state.plain:
        return False
    element = _modifier(raw)
    if element is None:
        return False
    state.drop(
        ref,
        f"{element}: ändert die Bedeutung der Ressource und wird nicht ausgewertet – "
        "Ressource nicht verwendet",
        f"{element}: changes what the resource means and is not understood – resource not used",
        element,
    )
    return True


def _same_resource(a: Mapping[str, Any], b: Mapping[str, Any]) -> bool:
    """Two copies of one resource (meta, e.g. lastUpdated, aside)."""
    return {k: v for k, v in a.items() if k != "meta"} == {
        k: v for k, v in b.items() if k != "meta"
    }


def _raw_of(parsed: list[tuple[str, Resource, dict[str, Any]]], ref: str) -> dict[str, Any]:
    for r, _res, raw in parsed:
        if r == ref:
            return raw
    return {}


#: Patient.link types that join two records of one person: a record merged into another
#: (replaced-by, replaces) or another record of the same person (refer, seealso).
_SAME_PERSON = frozenset({"replaced-by", "replaces", "refer", "seealso"})


def _persons(patients: list[tuple[str, Resource]]) -> list[list[tuple[str, Resource]]]:
    """The Patients of the input grouped into persons by Patient.link, in input order."""
    refs = [ref for ref, _ in patients]
    root = {ref: ref for ref in refs}

    def find(ref: str) -> str:
        while root[ref] != ref:
            ref = root[ref]
        return ref

    for ref, res in patients:
        for link in getattr(res, "link", None) or []:
            other = _ref_key(link.other) if link.type in _SAME_PERSON else None
            if other in root and find(other) != find(ref):
                root[find(other)] = find(ref)
    groups: dict[str, list[tuple[str, Resource]]] = {}
    for ref, res in patients:
        groups.setdefault(find(ref), []).append((ref, res))
    return list(groups.values())


def _record_in_use(person: list[tuple[str, Resource]]) -> tuple[str, Resource]:
    """The record of a person that is in use: not replaced by another (its own replaced-by
    link, or another's replaces link pointing to it) and not marked inactive; else the first."""
    replaced = {
        _ref_key(link.other)
        for _, res in person
        for link in getattr(res, "link", None) or []
        if link.type == "replaces"
    }
    for ref, res in person:
        links = getattr(res, "link", None) or []
        if (
            ref not in replaced
            and not any(link.type == "replaced-by" for link in links)
            and getattr(res, "active", None) is not False
        ):
            return ref, res
    return person[0]


def _choose_patient(
    parsed: list[tuple[str, Resource, dict[str, Any]]], patient_id: str | None
) -> tuple[str, Resource | None]:
    patients = [(ref, res) for ref, res, _ in parsed if res.get_resource_type() == "Patient"]
    if patient_id is not None:
        for ref, res in patients:
            if res.id == patient_id:
                return ref, res
        if len(patients) == 1 and patients[0][1].id is None:
            return patients[0]  # the one Patient, without an id: the given one names it
        if patients:
            raise FhirImportError(
                FhirProblem(
                    f"Patient/{patient_id}",
                    f"nicht in den Ressourcen; vorhanden: {', '.join(r for r, _ in patients)}",
                    f"not among the resources; present: {', '.join(r for r, _ in patients)}",
                )
            )
        return f"Patient/{patient_id}", None
    if not patients:
        raise FhirImportError(
            FhirProblem(
                "Patient",
                "keine Patient-Ressource; die Patienten-ID angeben",
                "no Patient resource; give the patient id",
            )
        )
    persons = _persons(patients)
    if len(persons) == 1:
        return _record_in_use(persons[0])  # one person, records merged or linked
    if len(patients) > 1:
        names = ", ".join(r for r, _ in patients)
        raise FhirImportError(
            FhirProblem(
                "Patient",
                f"mehrere Patienten ({names}); einen mit der Patienten-ID wählen",
                f"several patients ({names}); choose one by the patient id",
            )
        )
    return patients[0]


# --------------------------------------------------------------------------------------------
# Patient


def _patient(state: _State, ref: str, res: Resource) -> None:
    if res.gender in ("female", "male"):
        state.offer("patient.sex", _Candidate(res.gender, None, ref, "gender"))
        state.use(ref, "gender")
    elif res.gender is not None:
        state.drop(
            ref,
            f"Geschlecht {res.gender!r} hat kein Fallfeld (female, male)",
            f"gender {res.gender!r} has no case value (female, male)",
            "gender",
        )
        state.use(ref, "gender")
    _deceased(state, ref, res)
    birth = res.birthDate
    if birth is None:
        return
    state.use(ref, "birthDate")
    period = _period(birth) if not isinstance(birth, dt.date) else (birth, birth, "")
    if period is None:
        state.drop(
            ref,
            "unvollständiges Geburtsdatum: Alter nicht berechnet",
            "partial birth date: age not computed",
            "birthDate",
        )
        return
    if state.board_date is None:
        state.drop(
            ref, "Alter braucht das Konferenzdatum", "the age needs the board date", "birthDate"
        )
        return
    b = state.board_date
    oldest, youngest = (_age(day, b) for day in period[:2])
    note = _t(f"Alter am {b.isoformat()}", f"age on {b.isoformat()}")
    if oldest != youngest:
        shown = _precision(period[2])
        state.drop(
            ref,
            f"Geburtsdatum {shown.de}: Alter am {b} {youngest} oder {oldest} – nicht berechnet",
            f"birth date {shown.en}: age on {b} {youngest} or {oldest} – not computed",
            "birthDate",
        )
        return
    if period[2]:
        shown = _precision(period[2])
        note = _joined(note, _t(f"Geburtsdatum {shown.de}", f"birth date {shown.en}"))
    state.offer("patient.age", _Candidate(oldest, None, ref, "birthDate", note))


def _age(birth: dt.date, day: dt.date) -> int:
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def _deceased(state: _State, ref: str, res: Resource) -> None:
    """Report a Patient recorded as deceased: a case for a board about someone who died is
    a question of the right patient (or of a date), never silently a case."""
    when = res.deceasedDateTime
    if when is None and not res.deceasedBoolean:
        state.use(ref, "deceasedBoolean")
        return
    element = "deceasedDateTime" if when is not None else "deceasedBoolean"
    state.use(ref, element)
    day = _date(when)
    period = (day, day, day.isoformat()) if day is not None else _period(when)
    shown = _t("ohne Datum", "undated") if period is None else _precision(period[2])
    if day is not None:
        shown = _t(day.isoformat(), day.isoformat())
    b = state.board_date
    if period is not None and b is not None and period[0] > b:
        de = f"Patient verstorben am {shown.de}, nach dem Konferenzdatum {b}"
        en = f"patient deceased on {shown.en}, after the board date {b}"
    else:
        surely = period is not None and b is not None and period[1] <= b
        de = (
            f"Patient als verstorben erfasst ({shown.de}"
            + (f", vor dem Konferenzdatum {b}" if surely else "")
            + ") – bitte prüfen, ob Daten und Konferenzdatum zu diesem Patienten passen"
        )
        en = (
            f"patient recorded as deceased ({shown.en}"
            + (f", before the board date {b}" if surely else "")
            + ") – check that the data and the board date fit this patient"
        )
    state.drop(ref, de, en, element)


# --------------------------------------------------------------------------------------------
# Conditions: primary tumour, bone lesions, organ metastases


def _conditions(state: _State, conditions: list[tuple[str, Resource]]) -> set[str]:
    codes = state.codes
    prof = codes.data.condition_profiles
    lesions: list[dict[str, Any]] = []
    lesion_sources: list[list[FieldSource]] = []
    primary_ids: set[str] = set()
    findings: list[tuple[str, Resource, Any, dt.date | None]] = []
    state.primaries = sum(1 for _ref, res in conditions if _names_a_primary(codes, res))
    for ref, res in conditions:
        verification = {c.code for c in _codings(res.verificationStatus)}
        certainty = _gm_certainty(codes, res)
        if verification & set(codes.statuses.condition_verification_refused) or (
            certainty == "excluded"
        ):
            state.drop(
                ref,
                "Diagnose widerlegt, ausgeschlossen oder irrtümlich erfasst",
                "condition refuted, excluded or entered in error",
            )
            continue
        if verification & set(codes.statuses.condition_verification_unconfirmed) or (
            certainty == "suspected"
        ):
            what = (
                "Diagnosesicherheit V"
                if certainty == "suspected"
                else ", ".join(sorted(verification))
            )
            if _suspected_finding(state, ref, res, what):
                continue
            state.drop(
                ref,
                f"Verdachtsdiagnose ({what}): nicht als gesicherte Diagnose übernommen – prüfen",
                f"suspected diagnosis ({what}): not read as a confirmed diagnosis – check it",
            )
            continue
        profiles = _profiles(res)
        code = _codings(res.code)
        primary = codes.primary_sites.first(code)
        clinical = {c.code for c in _codings(res.clinicalStatus)}
        if certainty == "status_post":
            clinical = {"resolved"}
        finding = codes.findings.first(code)
        is_primary = prof.primary in profiles or (
            primary is not None and prof.secondary not in profiles
        )
        # A primary tumour in remission still says which cancer it is; a metastasis that is
        # no longer active is no lesion to treat.
        if not is_primary and clinical and not clinical & set(codes.statuses.condition_clinical):
            shown = (
                "Zustand nach (Z)" if certainty == "status_post" else ", ".join(sorted(clinical))
            )
            shown_en = "status post (Z)" if certainty == "status_post" else shown
            state.drop(
                ref,
                f"Diagnose nicht aktiv ({shown})",
                f"condition not active ({shown_en})",
            )
            continue
        date = _condition_date(res)
        if state.after_board(date):
            state.drop(ref, "nach dem Konferenzdatum", "after the board date")
            continue
        if finding is not None:
            state.use(
                ref,
                "code",
                "clinicalStatus",
                "verificationStatus",
                "onsetDateTime",
                "onsetPeriod",
                "recordedDate",
                "bodySite",
            )
            findings.append((ref, res, finding, date))
        bone = codes.bone_metastasis.first(code)
        visceral = codes.visceral.first(code)
        sites = list(res.bodySite or [])
        bone_sites = [
            s
            for s in sites
            if codes.locations.first(_codings(s))
            or codes.bone_body_sites.first(_codings(s))
            or (bone is not None and _text_level(s.text) is not None)
        ]
        secondary = prof.secondary in profiles or bone is not None or visceral is not None
        if _names_a_primary(codes, res):
            state.use(
                ref, "code", "clinicalStatus", "verificationStatus", "onsetDateTime", "recordedDate"
            )
            if res.id:
                primary_ids.add(res.id)
            morphology = _morphology(state, ref, res, date)
            site = _primary_site(state, ref, res, primary, morphology)
            if site is None:
                continue
            state.offer("primary.site", _Candidate(site[0].value, date, ref, site[1], site[2]))
            if clinical and not clinical & set(codes.statuses.condition_clinical):
                state.inactive_primaries.add(ref)
            if site[0] is PrimarySite.sarcoma and morphology is not None:
                # A soft-tissue sarcoma's morphology names its subtype (ICD-O-3 8890/3:
                # leiomyosarcoma), which the sarcoma module decides on.
                histology = codes.histologies.first(morphology[0])
                if histology is not None and histology.sarcoma_subtype is not None:
                    state.offer(
                        "sarcoma.subtype",
                        _Candidate(
                            histology.sarcoma_subtype.value,
                            date,
                            morphology[1],
                            morphology[2],
                            _t(histology.display, histology.display),
                        ),
                    )
            if primary is not None and primary.myeloma_stage is not None:
                state.offer(
                    "primary_stage.myeloma",
                    _Candidate(
                        primary.myeloma_stage.value,
                        date,
                        ref,
                        "code",
                        _t(primary.display, primary.display),
                    ),
                )
            continue
        if bone is not None or (secondary and bone_sites):
            state.use(
                ref,
                "code",
                "bodySite",
                "clinicalStatus",
                "verificationStatus",
                "onsetDateTime",
                "recordedDate",
                "extension",
            )
            _lesions_of(state, ref, res, bone_sites, lesions, lesion_sources)
            continue
        if visceral is not None:
            state.use(
                ref,
                "code",
                "clinicalStatus",
                "verificationStatus",
                "onsetDateTime",
                "recordedDate",
                "extension",
            )
            state.offer(
                "visceral_metastases.present",
                _Candidate(True, date, ref, "code", _t(visceral.display, visceral.display)),
            )
            if visceral.brain:
                state.offer("visceral_metastases.brain", _Candidate(True, date, ref, "code"))
            continue
        if finding is not None:
            continue
        if _jaw_osteonecrosis(state, ref, res, date):
            continue
        state.drop(
            ref,
            "Diagnose ohne Fallfeld (kein Primärtumor, keine Knochen- oder Organmetastase "
            "der Codetabelle)",
            "condition without a case field (no primary, bone or organ metastasis of the "
            "code table)",
        )
    state.lesions = lesions
    state.lesion_sources = lesion_sources
    for ref, res, finding, date in findings:
        _finding(state, ref, res, finding, date)
    return primary_ids


_MORPHOLOGY_TAIL = " (morphologic abnormality)"
#: An ICD-O-3 morphology code (8140/3 or 81403), not a topography code (C34.1).
_MORPHOLOGY = re.compile(r"\d{4}/?\d$")


def _histology_text(state: _State, coding: Any) -> str:
    """A morphology coding in words, with its code ("Adenocarcinoma, NOS (ICD-O-3 8140/3)")."""
    codes = state.codes
    entry = codes.histologies.find(coding.system, coding.code)
    words = (coding.display or (entry.display if entry is not None else "")).removesuffix(
        _MORPHOLOGY_TAIL
    )
    system = {"icdo3": "ICD-O-3", "snomed": "SNOMED CT"}.get(
        codes.system_of_uri.get(coding.system or "", ""), coding.system or "?"
    )
    code = entry.code if entry is not None else coding.code
    return f"{words} ({system} {code})" if words else f"{system} {code}"


def _morphology(
    state: _State, ref: str, res: Resource, date: dt.date | None
) -> tuple[list[Any], str, str] | None:
    """The histology of a primary tumour Condition: its mCODE histology extension, an
    ICD-O-3 coding of its code, or a histology Observation about it (its ``focus``, or none
    given) - (codings, resource, element), offered as primary.histology."""
    codes = state.codes
    found: tuple[list[Any], str, str] | None = None
    for i, ext in enumerate(res.extension or []):
        if ext.url == codes.data.histology_extension and _codings(ext.valueCodeableConcept):
            found = (_codings(ext.valueCodeableConcept), ref, f"extension[{i}]")
            break
    if found is None:
        icdo = [
            c
            for c in _codings(res.code)
            if codes.system_of_uri.get(c.system) == "icdo3" and _MORPHOLOGY.match(c.code or "")
        ]
        if icdo:
            found = (icdo, ref, "code")
    if found is None:
        for obs_ref, obs in state.histology_observations:
            focus = {_target_id(state, f) for f in obs.focus or []}
            # without a focus, only where the input holds one primary tumour to describe
            if (res.id in focus or (not focus and state.primaries == 1)) and _codings(
                obs.valueCodeableConcept
            ):
                found = (_codings(obs.valueCodeableConcept), obs_ref, "valueCodeableConcept")
                state.use(obs_ref, "code", "valueCodeableConcept", "focus", "effectiveDateTime")
                date = _effective(obs) or date
                break
    if found is None:
        return None
    codings, source, element = found
    state.use(source, element.split("[", 1)[0])
    text = _histology_text(state, codings[0])
    state.offer("primary.histology", _Candidate(text, date, source, element, None))
    return found


def _primary_site(
    state: _State,
    ref: str,
    res: Resource,
    primary: Any,
    morphology: tuple[list[Any], str, str] | None,
) -> tuple[PrimarySite, str, Text] | None:
    """The primary site of a primary tumour Condition, with the element it comes from and a
    note: from its code; where the code names no organ (or is not in the table), from its
    bodySite; for a lung or bone tumour, from its histology. None: left open (reported)."""
    codes = state.codes
    if primary is not None and primary.site is not None:
        return primary.site, "code", _t(primary.display, primary.display)
    organ = primary.organ if primary is not None else "body_site"
    named = primary.display if primary is not None else None
    note = primary.note if primary is not None else None
    if organ == "body_site":
        body = codes.primary_body_sites.first(
            c for site in res.bodySite or [] for c in _codings(site)
        )
        if body is not None:
            state.use(ref, "bodySite")
            if body.site is not None:
                what = f"{named or 'Primärtumor'}, {body.display}"
                return body.site, "bodySite", _t(what, f"{named or 'primary'}, {body.display}")
            organ, named, note = body.organ, body.display, body.note
        elif primary is None:
            state.drop(
                ref,
                "Primärtumor-Code nicht in der Codetabelle (und kein Organ im bodySite)",
                "primary tumour code not in the code table (and no organ in the bodySite)",
                "code",
            )
            return None
    if morphology is not None and organ in ("lung", "bone"):
        entry = codes.histologies.first(morphology[0])
        site = entry.sites.get(organ) if entry is not None else None
        if site is not None:
            words = f"{named}: {entry.display}"
            return site, morphology[2] if morphology[1] == ref else "code", _t(words, words)
    shown = _histology_text(state, morphology[0][0]) if morphology is not None else None
    state.drop(
        ref,
        f"{named}: Primärtumor erkannt, primary.site bleibt offen ({note}"
        + (f"; die Histologie {shown} entscheidet es nicht" if shown else "")
        + ")",
        f"{named}: primary tumour recognised, primary.site left open ({note}"
        + (f"; the histology {shown} does not decide it" if shown else "")
        + ")",
        "code",
    )
    return None


def _names_a_primary(codes: FhirCodes, res: Resource) -> bool:
    """Whether a Condition is a primary tumour by its profile or code (not a metastasis)."""
    prof = codes.data.condition_profiles
    profiles = _profiles(res)
    code = _codings(res.code)
    if prof.secondary in profiles or codes.bone_metastasis.first(code) is not None:
        return False
    if codes.visceral.first(code) is not None:
        return False
    return prof.primary in profiles or codes.primary_sites.first(code) is not None


def _jaw_osteonecrosis(state: _State, ref: str, res: Resource, date: dt.date | None) -> bool:
    """An established osteonecrosis of the jaw (``jaw_osteonecrosis`` of the code tables) ->
    patient.jaw_osteonecrosis, with its AAOMS stage from Condition.stage. False when the
    Condition's code is none of the table's."""
    codes = state.codes
    codings = _codings(res.code)
    entry = codes.jaw_osteonecrosis.first(codings)
    if entry is None:
        return False
    state.use(
        ref,
        "code",
        "clinicalStatus",
        "verificationStatus",
        "onsetDateTime",
        "onsetPeriod",
        "recordedDate",
        "extension",
    )
    note = _t(entry.display, entry.display)
    if entry.needs_jaw:
        jaw_code = codes.jaw_codes.first(codings)
        site = next(
            (s for s in res.bodySite or [] if codes.jaw_sites.first(_codings(s)) is not None),
            None,
        )
        if jaw_code is None and site is None:
            state.drop(
                ref,
                f"{entry.display}: ohne Angabe des Kiefers (K10.2 in derselben Diagnose oder "
                "bodySite Unter-/Oberkiefer) – nicht als Kieferosteonekrose übernommen",
                f"{entry.display}: the jaw is not stated (K10.2 in the same Condition or a "
                "bodySite of the mandible or maxilla) – not read as osteonecrosis of the jaw",
                "code",
            )
            return True
        jaw = (
            jaw_code.display
            if jaw_code is not None
            else codes.jaw_sites.first(_codings(site)).display
        )
        if site is not None:
            state.use(ref, "bodySite")
        note = _t(f"{entry.display} + {jaw}", f"{entry.display} + {jaw}")
    state.offer("patient.jaw_osteonecrosis", _Candidate(True, date, ref, "code", note))
    for i, stage in enumerate(res.stage or []):
        if stage.summary is None:
            continue
        state.use(ref, "stage")
        hit = codes.jaw_stages.first(_codings(stage.summary))
        if hit is None:
            state.drop(
                ref,
                "Stadium nicht lesbar (ein SNOMED-CT-Stadium 1–3 erwartet): "
                "patient.jaw_osteonecrosis_stage bleibt offen",
                "stage not readable (a SNOMED CT stage 1-3 expected): "
                "patient.jaw_osteonecrosis_stage left open",
                f"stage[{i}].summary",
            )
            continue
        state.offer(
            "patient.jaw_osteonecrosis_stage",
            _Candidate(
                hit.value,
                date,
                ref,
                f"stage[{i}].summary",
                _t(f"AAOMS-Stadium {hit.value}", f"AAOMS stage {hit.value}"),
            ),
        )
        break
    return True


def _condition_date(res: Resource) -> dt.date | None:
    """When a condition began (onset[x]), else when it was recorded."""
    onset = _date(res.onsetDateTime) or (
        _date(res.onsetPeriod.start) if res.onsetPeriod is not None else None
    )
    return onset or _date(res.recordedDate)


def _recent(state: _State, date: dt.date) -> bool:
    """Whether a finding began at most ``finding_recent_days`` before the board date."""
    days = state.codes.data.finding_recent_days.value
    b = state.board_date
    return b is not None and 0 <= (b - date).days <= days


def _suspected_finding(state: _State, ref: str, res: Resource, what: str) -> bool:
    """A suspected diagnosis the findings table reads (``if_suspected``: a recent suspicion
    of cord compression is the team's documented suspicion, and raises the suspected
    emergency). False when the table does not read it, and it is reported as unused."""
    entry = state.codes.findings.first(_codings(res.code))
    if entry is None or not entry.if_suspected:
        return False
    clinical = {c.code for c in _codings(res.clinicalStatus)}
    if clinical and not clinical & set(state.codes.statuses.condition_clinical):
        return False  # a suspicion no longer held
    date = _condition_date(res)
    if date is None or not _recent(state, date):
        return False
    state.use(
        ref,
        "code",
        "clinicalStatus",
        "verificationStatus",
        "extension",
        "onsetDateTime",
        "onsetPeriod",
        "recordedDate",
    )
    note = _t(
        f"{entry.display}: Verdachtsdiagnose ({what}) seit {date.isoformat()} – als "
        "dokumentierter klinischer Verdacht übernommen",
        f"{entry.display}: suspected diagnosis ({what}) since {date.isoformat()} – read as a "
        "documented clinical suspicion",
    )
    _offer_fields(state, entry.if_suspected, date, ref, note)
    return True


def _offer_fields(
    state: _State, fields: dict[str, Any], date: dt.date | None, ref: str, note: Text | None
) -> None:
    """Offer each case field a finding's code sets, with the note the report shows."""
    for path, value in fields.items():
        state.offer(path, _Candidate(value, date, ref, "code", note))


def _gm_certainty(codes: FhirCodes, res: Resource) -> str | None:
    """The ICD-10-GM Diagnosesicherheit (confirmed, suspected, excluded, status_post) of a
    Condition, from the extension on its code's codings."""
    url = codes.data.icd10gm_certainty_extension
    for coding in _codings(res.code):
        for ext in getattr(coding, "extension", None) or []:
            if ext.url == url and ext.valueCoding is not None:
                return codes.data.icd10gm_certainty.get(ext.valueCoding.code or "")
    return None


def _gm_side(codes: FhirCodes, res: Resource) -> str | None:
    url = codes.data.icd10gm_side_extension
    for coding in _codings(res.code):
        for ext in getattr(coding, "extension", None) or []:
            if ext.url == url and ext.valueCoding is not None:
                side = codes.data.icd10gm_sides.get(ext.valueCoding.code or "")
                return side.value if side is not None else None
    return None


def _finding(state: _State, ref: str, res: Resource, entry: Any, date: dt.date | None) -> None:
    """A clinical finding (a Condition of the findings table): the fields it sets, in the
    direction its code states only."""
    codes = state.codes
    shown = _t(entry.display, entry.display)
    if not (entry.sets or entry.if_recent or entry.lesion):
        state.drop(
            ref,
            f"{entry.display}: kein eigenes Fallfeld ({entry.note})",
            f"{entry.display}: no case field of its own ({entry.note})",
            "code",
        )
        return
    _offer_fields(state, entry.sets, date, ref, shown)
    if entry.if_recent:
        days = codes.data.finding_recent_days.value
        if date is not None and _recent(state, date):
            note = _t(
                f"{entry.display}: seit {date.isoformat()}, höchstens {days} Tage vor der "
                "Konferenz – als neu gewertet",
                f"{entry.display}: since {date.isoformat()}, at most {days} days before the "
                "board – read as new",
            )
            _offer_fields(state, entry.if_recent, date, ref, note)
        else:
            partial = _period(res.onsetDateTime) or _period(res.recordedDate)
            when = date.isoformat() if date is not None else "ohne Datum"
            when_en = date.isoformat() if date is not None else "undated"
            if date is None and partial is not None:
                when, when_en = _precision(partial[2]).de, _precision(partial[2]).en
            state.drop(
                ref,
                f"{entry.display} ({when}): nicht innerhalb von {days} Tagen vor der Konferenz "
                f"– nicht als neu gewertet ({', '.join(entry.if_recent)})",
                f"{entry.display} ({when_en}): not within {days} days before the board – not "
                f"read as new ({', '.join(entry.if_recent)})",
                "onset[x]",
            )
    if entry.lesion:
        targets = _finding_lesions(state, ref, res, entry)
        if not targets:
            made = _finding_lesion(state, ref, res, entry)
            if made is not None:
                targets = [made]
        if not targets:
            state.drop(
                ref,
                f"{entry.display}: keiner Knochenläsion zuzuordnen (bodySite oder "
                "Lokalisation im Code) – nicht übernommen",
                f"{entry.display}: matches no bone lesion (bodySite or the site in the "
                "code) – not used",
                "bodySite",
            )
            return
        note = shown
        if len(targets) > 1:
            # A confirmed finding (a pathological fracture) must not be lost because its site
            # is not precise enough: it goes to every lesion it may be at, and the report says
            # that the board has to place it.
            names = ", ".join(str(t["id"]) for t in targets)
            note = _t(
                f"{entry.display}: nicht eindeutig zuzuordnen, bei allen passenden Läsionen "
                f"eingetragen ({names}) – bitte prüfen",
                f"{entry.display}: not placed for sure, set at every lesion it may be at "
                f"({names}) – please check",
            )
        for target in targets:
            for name, value in entry.lesion.items():
                state.offer(
                    f"lesion@{target['_condition']}#{target['id']}|{name}",
                    _Candidate(value, date, ref, "code", note),
                )


def _finding_lesions(state: _State, ref: str, res: Resource, entry: Any) -> list[dict[str, Any]]:
    """The lesions a finding may be at: the Condition's own lesion, else the listed lesions at
    its bodySite or at the site its code names (several when the site is not precise), on
    the side its bodySite or its code (ICD-10-GM Seitenlokalisation) states."""
    own = [les for les in state.lesions if res.id and les["_condition"] == res.id]
    if len(own) == 1:
        return own
    places = _finding_places(state, ref, res, entry)
    if places is None:  # the code names no one site: any listed lesion may be it
        return list(own or state.lesions)
    pool = own or state.lesions
    return [les for les in pool if any(_at_place(les, p) for p in places)]


def _finding_places(
    state: _State, ref: str, res: Resource, entry: Any
) -> list[dict[str, Any]] | None:
    """The places a finding names (bodySite first, else the site digit of its code), each with
    the code's side where the place has none; None when the code names no one site."""
    places: list[dict[str, Any]] = []
    for site in res.bodySite or []:
        loc, _display = _location(state, site, res, ref)
        if "region" in loc:
            places.append(loc)
    if not places and entry.site_digits is not None:
        table = state.codes.data.finding_site_digits[entry.site_digits]
        coding = next(
            (c for c in _codings(res.code) if state.codes.findings.find(c.system, c.code)), None
        )
        digit = "any"
        if coding is not None and entry.prefix is not None:
            rest = (coding.code or "").strip().rstrip("†*!+‡")[len(entry.prefix) :]
            digit = rest[:1] if rest else ""
        sites = table.get(digit, table.get("any", []))
        if sites == "any_lesion":
            return None
        side = _gm_side(state.codes, res)
        for place in sites:
            places.append(
                {"region": place.region.value}
                | ({"bone": place.bone.value} if place.bone is not None else {})
                | ({"side": side} if side is not None and place.region.value in _SIDED else {})
            )
    return places


_PLACE_WORDS = {
    "de": {
        "pelvis": "Becken",
        "spine": "Wirbelsäule",
        "rib": "Rippe",
        "skull": "Schädel",
        "sternum": "Brustbein",
        "long_bone": "Röhrenknochen",
        "other": "anderer Knochen",
        "femur": "Femur",
        "tibia": "Tibia",
        "fibula": "Fibula",
        "humerus": "Humerus",
        "radius": "Radius",
        "ulna": "Ulna",
    },
    "en": {"long_bone": "long bone", "other": "other bone"},
}


def _place_words(place: Mapping[str, Any], lang: str) -> str:
    """A place of a finding in words: its bone, else its region."""
    key = str(place.get("bone") or place["region"])
    return _PLACE_WORDS[lang].get(key, key)


#: Regions whose lesions have a side (a limb, a pelvis); the spine and the sternum have none.
_SIDED = frozenset({"long_bone", "pelvis", "rib", "other"})


def _at_place(lesion: Mapping[str, Any], place: Mapping[str, Any]) -> bool:
    """Whether a lesion may be at a place: the same region, and the same level, bone and side
    where both state them (a lesion of unstated side may be the one)."""
    if lesion.get("region") != place.get("region"):
        return False
    return all(
        lesion.get(k) == place[k] for k in ("level", "bone", "side") if k in place and k in lesion
    )


def _finding_lesion(state: _State, ref: str, res: Resource, entry: Any) -> dict[str, Any] | None:
    """A lesion made from a located finding that no listed lesion matches: a pathological
    fracture at one stated place (a vertebra, a bone) is a bone lesion even where no bone
    metastasis is coded there - German coding gives a myeloma's bone lesions no C79.5, and a
    new fracture is often coded before its metastasis. None when the place is not one."""
    if not entry.lesion.get("pathologic_fracture"):
        return None
    places = _finding_places(state, ref, res, entry) or []
    if not places:
        return None
    if len(places) == 1:
        loc = {k: v for k, v in places[0].items() if not k.startswith("_")}
        where_de = where_en = ""
    else:
        # Several places (ICD-10 M84.45: pelvis or thigh): the fields they share (the side),
        # the region left open for the board, which the emergency then names as open.
        loc = {
            k: v
            for k, v in places[0].items()
            if k != "region" and not k.startswith("_") and all(p.get(k) == v for p in places)
        }
        names = " oder ".join(_place_words(p, "de") for p in places)
        names_en = " or ".join(_place_words(p, "en") for p in places)
        where_de, where_en = f" ({names}; Region offen)", f" ({names_en}; region left open)"
    lid = res.id if res.id and _LESION_ID.match(res.id) else f"L{len(state.lesions) + 1}"
    if any(les["id"] == lid for les in state.lesions):
        lid = f"L{len(state.lesions) + 1}"
    lesion: dict[str, Any] = {"id": lid, "_condition": res.id, "_date": _condition_date(res)}
    lesion.update(loc)
    note = _t(
        f"{entry.display}: keine Knochenläsion an dieser Stelle codiert – als eigene Läsion "
        f"übernommen{where_de}, bitte die Bildgebung prüfen",
        f"{entry.display}: no bone lesion coded at this site – taken as a lesion of its "
        f"own{where_en}, please check the imaging",
    )
    srcs = [
        FieldSource(field=f"lesions[{lid}]", value=lid, resource=ref, element="code", note=note)
    ]
    element = "bodySite" if res.bodySite else "code"
    for name, value in loc.items():
        srcs.append(
            FieldSource(field=f"lesions[{lid}].{name}", value=value, resource=ref, element=element)
        )
    state.lesions.append(lesion)
    state.lesion_sources.append(srcs)
    return lesion


def _location(
    state: _State, site: Any, res: Resource | None = None, ref: str = ""
) -> tuple[dict[str, Any], str]:
    """Location fields of one bodySite and a display for the report. With the resource: the
    side its code states (German ICD-10-GM or OPS "Seitenlokalisation") where the bodySite
    gives none; where the two contradict each other, no side (reported)."""
    loc, display = _site_location(state, site)
    code_side = _gm_side(state.codes, res) if res is not None else None
    if code_side is None:
        return loc, display
    if "side" not in loc:
        loc["side"] = code_side
    elif loc["side"] != code_side:
        state.drop(
            ref,
            f"Seite widersprüchlich: {code_side} nach dem Code, {loc['side']} nach der "
            f"Lokalisation ({display}) – Seite offen",
            f"conflicting sides: {code_side} by the code, {loc['side']} by the body site "
            f"({display}) – side left open",
            "code.coding.extension",
        )
        del loc["side"]
        loc[_SIDE_OPEN] = True
    return loc, display


#: A vertebral level in a free text: the German notation anywhere in it (HWK 5, BWK 12, Th8,
#: LWK 2, SWK 1), or the text being nothing but a level (L2, T12).
_TEXT_LEVEL = re.compile(r"\b(?:HWK|BWK|TH|LWK|SWK)\s*\.?\s*\d{1,2}\b", re.IGNORECASE)


def _text_level(text: str | None) -> str | None:
    """The one vertebral level a bodySite's text names, or None (none, or several)."""
    if not text:
        return None
    found = _TEXT_LEVEL.findall(text) or [text.strip()]
    levels = set()
    for token in found:
        try:
            levels.add(normalise_spine_level(token))
        except ValueError:
            return None
    return levels.pop() if len(levels) == 1 else None


#: Marks a place whose side was left open for contradicting sides (never a lesion field).
_SIDE_OPEN = "_side_open"


def _site_location(state: _State, site: Any) -> tuple[dict[str, Any], str]:
    codes = state.codes
    entry = codes.locations.first(_codings(site))
    out: dict[str, Any] = {}
    display = "bone"
    if entry is not None:
        out["region"] = entry.region.value
        display = entry.display
        if entry.level:
            out["level"] = entry.level
        if entry.bone:
            out["bone"] = entry.bone.value
    elif (level := _text_level(getattr(site, "text", None))) is not None:
        # No coding the table knows, but a vertebral level in words ("LWK 2", "BWK 12"):
        # what a German report writes, and what the case format itself reads.
        out["region"] = Region.spine.value
        out["level"] = level
        display = site.text
    for ext in getattr(site, "extension", None) or []:
        if ext.url == codes.data.laterality_extension:
            side = codes.laterality.first(_codings(ext.valueCodeableConcept))
            if side is not None:
                out["side"] = side.side.value
    return out, display


def _distinct_lesions(
    state: _State,
    lesions: list[dict[str, Any]],
    sources: list[list[FieldSource]],
    fields: Mapping[str, _Candidate],
) -> tuple[list[dict[str, Any]], list[list[FieldSource]], dict[str, str]]:
    """The lesions that are told apart, and per left-out Condition the Condition whose lesion
    stands for it. A bone metastasis coded without a location and without any finding of its
    own (German billing codes it again at every stay) is no further lesion beside a located
    one, nor beside another without location: all may be the same metastasis. A second
    diagnosis at the same vertebra (coded in two code systems) is that vertebra's lesion, and
    its findings go to it. What is left out is reported; the counts stay open (neither
    solitary nor multiple follows from them)."""
    with_findings = {
        path[len("lesion@") :].partition("|")[0].partition("#")[0]
        for path in fields
        if path.startswith("lesion@")
    }
    any_placed = any(les.get("region") is not None for les in lesions)
    kept: list[dict[str, Any]] = []
    kept_sources: list[list[FieldSource]] = []
    aliases: dict[str, str] = {}
    for lesion, srcs in zip(lesions, sources, strict=True):
        ref = srcs[0].resource
        if lesion.get("region") is None and lesion["_condition"] not in with_findings:
            same = next((k for k in kept if k.get("region") is None), None)
            if any_placed or same is not None:
                state.drop(
                    ref,
                    "Knochenmetastase ohne Lokalisation neben einer weiteren: nicht als eigene "
                    "Läsion gezählt (vielleicht dieselbe Metastase); die Anzahl bleibt offen",
                    "bone metastasis without a location beside another: not counted as a "
                    "lesion of its own (perhaps the same metastasis); the count stays open",
                    "bodySite",
                )
                continue
        elif lesion.get("region") == Region.spine.value and lesion.get("level"):
            twin = next(
                (
                    k
                    for k in kept
                    if k.get("region") == Region.spine.value and k.get("level") == lesion["level"]
                ),
                None,
            )
            if twin is not None:
                state.drop(
                    ref,
                    f"zweite Diagnose am selben Wirbel ({lesion['level']}): dieselbe Läsion "
                    f"wie {twin['id']}",
                    f"second diagnosis at the same vertebra ({lesion['level']}): the same "
                    f"lesion as {twin['id']}",
                    "bodySite",
                )
                if lesion["_condition"] is not None:
                    aliases[lesion["_condition"]] = twin["_condition"]
                continue
        kept.append(lesion)
        kept_sources.append(srcs)
    return kept, kept_sources, aliases


def _lesions_of(
    state: _State,
    ref: str,
    res: Resource,
    bone_sites: list[Any],
    lesions: list[dict[str, Any]],
    lesion_sources: list[list[FieldSource]],
) -> None:
    located = [
        s
        for s in bone_sites
        if state.codes.locations.first(_codings(s)) or _text_level(s.text) is not None
    ] or [None]
    for k, site in enumerate(located):
        base = res.id or f"L{len(lesions) + 1}"
        lid = base if len(located) == 1 else f"{base}-{k + 1}"
        if not _LESION_ID.match(lid) or any(les["id"] == lid for les in lesions):
            lid = f"L{len(lesions) + 1}"
        lesion: dict[str, Any] = {"id": lid, "_condition": res.id, "_date": _condition_date(res)}
        srcs = [FieldSource(field=f"lesions[{lid}]", value=lid, resource=ref, element="code")]
        if site is not None:
            loc, display = _location(state, site, res, ref)
            loc.pop(_SIDE_OPEN, None)
            lesion.update(loc)
            element = f"bodySite[{(res.bodySite or []).index(site)}]"
            for name, value in loc.items():
                srcs.append(
                    FieldSource(
                        field=f"lesions[{lid}].{name}",
                        value=value,
                        resource=ref,
                        element=element,
                        note=_t(display, display),
                    )
                )
        else:
            state.drop(
                ref,
                "Knochenmetastase ohne bekannte Lokalisation: Region offen",
                "bone metastasis without a known location: region left open",
                "bodySite",
            )
        lesions.append(lesion)
        lesion_sources.append(srcs)


# --------------------------------------------------------------------------------------------
# Observations


def _observation(state: _State, ref: str, res: Resource, primary_ids: set[str]) -> None:
    codes = state.codes
    pending = res.status in codes.statuses.observation_pending
    if res.status not in codes.statuses.observation and not pending:
        state.drop_status(ref, res.status, "Beobachtung", "observation")
        return
    first = state.order
    _observation_values(state, ref, res, primary_ids)
    if pending:
        # A preliminary result is the latest word of the laboratory: used like a final one
        # (an older final value must not hide it, nor must it silence an emergency), and
        # named as preliminary wherever it goes.
        note = (
            _t(
                f"vorläufiger Befund (Status {res.status!r})",
                f"preliminary result (status {res.status!r})",
            )
            if res.status == "preliminary"
            else _t(
                f"Befund mit unbekanntem Status ({res.status!r}): nicht als endgültig bestätigt",
                f"result of unknown status ({res.status!r}): not confirmed as final",
            )
        )
        for offered in state.candidates.values():
            for cand in offered:
                if cand.order > first and cand.resource == ref:
                    cand.note = _joined(cand.note, note)


def _contained_results(res: Resource) -> list[str]:
    """The ids of the results a DiagnosticReport carries inside (``result`` as ``#id``)."""
    return [
        r.reference[1:]
        for r in res.result or []
        if r.reference is not None and r.reference.startswith("#")
    ]


def _report_results(state: _State, ref: str, res: Resource, primary_ids: set[str]) -> None:
    """The results a laboratory report carries inside (``contained`` Observations referenced
    from ``result`` as ``#id``, the shape HL7 v2 result messages take when converted to FHIR):
    each is read as an Observation of the report's patient (``DiagnosticReport/r#id``),
    dated by the report where it has no date of its own. Results that are resources of the
    input are read as those."""
    state.use(ref, "contained", "result", "code", "effectiveDateTime", "effectivePeriod")
    inside = {
        c.id: c for c in res.contained or [] if c.get_resource_type() == "Observation" and c.id
    }
    dated = {
        name: getattr(res, name, None)
        for name in ("effectiveDateTime", "effectivePeriod", "issued")
        if getattr(res, name, None) is not None
    }
    for cid in _contained_results(res):
        result = inside.get(cid)
        sub = f"{ref}#{cid}"
        if result is None:
            state.drop(
                ref,
                f"Ergebnis #{cid} ist keine enthaltene Beobachtung (contained) – nicht gelesen",
                f"result #{cid} is no contained Observation – not read",
                "result",
            )
            continue
        own = [
            n
            for n in ("effectiveDateTime", "effectivePeriod", "effectiveInstant", "issued")
            if getattr(result, n, None) is not None
        ]
        if not own and dated:
            result = result.model_copy(update=dated)
        moment = _moment(result)
        if moment is not None:
            state.moments[sub] = moment
        _observation(state, sub, result, primary_ids)


def _observation_values(state: _State, ref: str, res: Resource, primary_ids: set[str]) -> None:
    codes = state.codes
    date = _effective(res)
    if date is None and (partial := _partial_effective(res)) is not None:
        # a month or a year: its first day stands for it (after the board date only when
        # that is); the maximum age of a current value is checked on the whole period
        date = partial[0]
        state.periods[ref] = partial
    if state.after_board(date):
        state.drop(ref, "nach dem Konferenzdatum", "after the board date")
        return
    code = _codings(res.code)
    state.use(ref, "code", "effectiveDateTime", "effectivePeriod", "effectiveInstant")
    targets = _targets(codes, code)
    if len(targets) > 1:
        # One value, codes for several fields (calcium and creatinine): which one the value
        # is cannot be told, so it is neither, and no earlier value stands in for it.
        names = ", ".join(targets)
        state.drop(
            ref,
            f"Codes für verschiedene Felder ({names}): nicht eindeutig – Wert nicht übernommen",
            f"codes for different fields ({names}): ambiguous – value not used",
            "code",
        )
        if _has_value(res):
            for target in targets:
                if target in _plain_paths():
                    state.blocked.setdefault(target, []).append((date, ref))
        return
    item = next((c for c in code if c.system == CASE_ITEM_SYSTEM and c.code), None)
    if item is not None:
        _case_item(state, ref, res, item.code, date)
        return
    matched_component = False
    for i, comp in enumerate(res.component or []):
        centry = codes.observations.first(_codings(comp.code))
        if centry is None or centry.field is None:
            continue
        state.use(ref, "component")
        matched_component = True
        value, element, note = _value(state, ref, comp, centry, f"component[{i}].")
        if value is _OPEN:
            continue
        if value is not None:
            state.offer(centry.field, _Candidate(value, date, ref, element, note))
        elif _measured(comp) and not _yes_no(codes, centry):
            state.blocked.setdefault(centry.field, []).append((date, ref))
    entry = codes.observations.first(code)
    if entry is not None:
        value, element, note = _value(state, ref, res, entry)
        if value is _OPEN:
            return
        if value is None:
            # A yes/no answer that cannot be read says nothing: an earlier answer stands (a
            # documented pregnancy is not hidden by an unreadable later entry).
            if entry.field is not None and _measured(res) and not _yes_no(codes, entry):
                state.blocked.setdefault(entry.field, []).append((date, ref))
            return
        if entry.field is None:
            state.drop(
                ref,
                f"{entry.display}: kein Fallfeld (Wert {value} {entry.unit or ''})".rstrip(),
                f"{entry.display}: no case field (value {value} {entry.unit or ''})".rstrip(),
                element,
            )
            return
        state.offer(entry.field, _Candidate(value, date, ref, element, note))
        return
    if matched_component:
        return
    if res.hasMember and not _has_value(res):
        state.use(ref, "hasMember")
        state.drop(
            ref,
            "Befundgruppe (hasMember): die einzelnen Werte werden für sich gelesen",
            "panel (hasMember): its members are read on their own",
        )
        return
    series = codes.myeloma_series.first(code)
    if series is not None:
        value, element, note = _quantity(state, ref, res, series.unit, None)
        if value is None:
            return
        if date is None or ref in state.periods:
            _undated_series(state, ref)
            return
        state.offer(
            f"myeloma.series.{series.item}@{date.isoformat()}",
            _Candidate(value, date, ref, element, note),
        )
        return
    marker = codes.tumor_markers.first(code)
    if marker is not None:
        answer = codes.answers["positive_negative"].first(_codings(res.valueCodeableConcept))
        if answer is None:
            state.drop(
                ref,
                "Ergebnis weder positiv noch negativ kodiert",
                "result coded neither positive nor negative",
                "valueCodeableConcept",
            )
            return
        state.use(ref, "valueCodeableConcept")
        state.offer(
            f"marker.{marker.marker}",
            _Candidate(
                answer.value, date, ref, "valueCodeableConcept", _t(marker.display, marker.display)
            ),
        )
        return
    state.drop(
        ref,
        "Beobachtung ohne Fallfeld (Code nicht in der Codetabelle)",
        "observation without a case field (code not in the code table)",
    )


def _targets(codes: FhirCodes, codings: list[Any]) -> list[str]:
    """What each coding of an Observation's code names (a case field, a myeloma course
    item, a tumour marker, a value read for the report only), each once, in order."""
    out: list[str] = []
    for c in codings:
        target: str | None = None
        if c.system == CASE_ITEM_SYSTEM and c.code:
            target = c.code
        elif (entry := codes.observations.find(c.system, c.code)) is not None:
            target = entry.field or entry.display
        elif (series := codes.myeloma_series.find(c.system, c.code)) is not None:
            target = f"myeloma.series.{series.item}"
        elif (marker := codes.tumor_markers.find(c.system, c.code)) is not None:
            target = f"marker.{marker.marker}"
        if target is not None and target not in out:
            out.append(target)
    return out


@functools.cache
def _plain_paths() -> frozenset[str]:
    """Case paths of one value each (not a lesion's, a course's or a list's)."""
    from osteoboard.fhir.codes import case_field_paths

    return frozenset(
        p
        for p in case_field_paths() - _list_paths()
        if not p.startswith(("lesion.", "myeloma.series."))
    )


_VALUE_ELEMENTS = (
    "valueQuantity",
    "valueInteger",
    "valueString",
    "valueCodeableConcept",
    "valueBoolean",
    "valueDateTime",
    "valueRange",
    "valueRatio",
)


def _measured(res: Resource) -> bool:
    """Whether a value was given (one that could not be used), not only a reason for none."""
    return _has_value(res)


def _has_value(res: Resource) -> bool:
    return any(getattr(res, name, None) is not None for name in _VALUE_ELEMENTS)


def _absent(state: _State, ref: str, res: Resource, prefix: str) -> bool:
    """Report a value that is absent with a reason (dataAbsentReason); True when so."""
    reason = getattr(res, "dataAbsentReason", None)
    if reason is None or _has_value(res):
        return False
    code = next((c.code for c in _codings(reason) if c.code), None) or reason.text or "?"
    state.use(ref, f"{prefix}dataAbsentReason" if prefix else "dataAbsentReason")
    state.drop(
        ref,
        f"kein Wert (dataAbsentReason: {code})",
        f"no value (dataAbsentReason: {code})",
        f"{prefix}dataAbsentReason",
    )
    return True


def _value(
    state: _State, ref: str, res: Resource, entry: Any, prefix: str = ""
) -> tuple[Any, str, Text | None]:
    if _absent(state, ref, res, prefix):
        return None, "", None
    if entry.kind == "quantity":
        return _quantity(state, ref, res, entry.unit, entry.analyte, prefix)
    if res.valueInteger is not None:
        state.use(ref, "valueInteger")
        return res.valueInteger, f"{prefix}valueInteger", None
    if res.valueQuantity is not None and res.valueQuantity.value is not None:
        state.use(ref, "valueQuantity")
        q = res.valueQuantity
        if _inexact(state, ref, q, f"{prefix}valueQuantity"):
            return None, "", None
        return _number(q.value), f"{prefix}valueQuantity", None
    if res.valueCodeableConcept is not None and entry.answers:
        hits = state.codes.answers[entry.answers].every(_codings(res.valueCodeableConcept))
        if len({hit.value for hit in hits}) > 1:
            # One answer coded as two different values (ECOG 0 and ECOG 4): neither holds,
            # and no older value stands in for it.
            shown = ", ".join(dict.fromkeys(hit.display for hit in hits))
            state.use(ref, "valueCodeableConcept")
            state.drop(
                ref,
                f"Antwort widersprüchlich codiert ({shown}): nicht verwendet",
                f"answer coded as contradicting values ({shown}): not used",
                f"{prefix}valueCodeableConcept",
            )
            return None, "", None
        answer = hits[0] if hits else None
        if answer is not None:
            state.use(ref, "valueCodeableConcept")
            if answer.value is None:
                state.drop(
                    ref,
                    f"Antwort {answer.display!r}: nicht bestimmt – {entry.field} bleibt offen, "
                    "bitte klären",
                    f"answer {answer.display!r}: not determined – {entry.field} left open, "
                    "please clarify",
                    f"{prefix}valueCodeableConcept",
                )
                return _OPEN, "", None
            return (
                answer.value,
                f"{prefix}valueCodeableConcept",
                _t(answer.display, answer.display),
            )
    if isinstance(getattr(res, "valueBoolean", None), bool) and _yes_no(state.codes, entry):
        state.use(ref, "valueBoolean")
        return res.valueBoolean, f"{prefix}valueBoolean", None
    if isinstance(res.valueString, str):
        m = NUMBER_TEXT.match(res.valueString)
        if m and not m["cmp"] and not m["unit"] and re.fullmatch(r"[+-]?\d+", m["num"]):
            state.use(ref, "valueString")
            return int(m["num"]), f"{prefix}valueString", None
    state.drop(ref, "kein lesbarer Wert", "no readable value", f"{prefix}value[x]")
    return None, "", None


def _yes_no(codes: FhirCodes, entry: Any) -> bool:
    """Whether a coded observation answers yes or no (its answers are true, false or open):
    such a question may also be answered by a valueBoolean, and an answer that cannot be
    read leaves the field open without hiding an earlier one."""
    if entry.kind != "coded" or entry.answers is None:
        return False
    answers = codes.answers[entry.answers].entries
    return all(a.value is None or isinstance(a.value, bool) for a in answers)


def _quantity(
    state: _State,
    ref: str,
    res: Resource,
    unit: str,
    analyte: str | None,
    prefix: str = "",
    unitless: Text | None = None,
) -> tuple[Any, str, Text | None]:
    """A measured value in the field's ``unit``, or None (reported). ``unitless``: a value
    without a unit is read in the field's unit with this note (a case item, whose code names
    the unit); otherwise it is left out."""
    if _absent(state, ref, res, prefix):
        return None, "", None
    q = res.valueQuantity
    element = f"{prefix}valueQuantity"
    if (q is None or q.value is None) and isinstance(getattr(res, "valueString", None), str):
        return _quantity_text(
            state, ref, res.valueString, unit, analyte, f"{prefix}valueString", unitless
        )
    if q is None or q.value is None:
        state.drop(
            ref,
            "kein Messwert (valueQuantity fehlt)",
            "no measured value (valueQuantity missing)",
            f"{prefix}value[x]",
        )
        return None, "", None
    state.use(ref, "valueQuantity", "referenceRange", "interpretation")
    if _inexact(state, ref, q, element):
        return None, "", None
    given = _quantity_unit(state, ref, q, analyte, element)
    if given is None:
        return None, "", None
    code, checked = given
    if not code and unitless is not None:
        return _number(q.value), element, unitless
    return _converted(state, ref, float(q.value), code, unit, analyte, element, q, checked)


def _inexact(state: _State, ref: str, q: Any, element: str) -> bool:
    """Whether a Quantity has a comparator (a modifier: "< 70" is not 70); reported."""
    if not q.comparator:
        return False
    state.drop(
        ref,
        f"kein genauer Wert ({q.comparator} {_fmt(float(q.value))}): nicht übernommen",
        f"not an exact value ({q.comparator} {_fmt(float(q.value))}): not used",
        f"{element}.comparator",
    )
    return True


def _quantity_unit(
    state: _State, ref: str, q: Any, analyte: str | None, element: str
) -> tuple[str | None, Text | None] | None:
    """The unit of a Quantity (its UCUM ``code``, else its display ``unit``) and a note when
    the display could not be checked against the code; None (reported) when the two name
    different units (``mg/dL`` beside the code ``mmol/L``): neither is trusted."""
    text, code = q.unit, q.code
    if not (text and code):
        return code or text, None
    agree = same_unit(text, code, analyte)
    if agree is False:
        state.drop(
            ref,
            f"Einheit widersprüchlich: Anzeige {text!r}, UCUM-Code {code!r} – Wert nicht "
            "übernommen",
            f"conflicting units: display {text!r}, UCUM code {code!r} – value not used",
            f"{element}.unit",
        )
        return None
    if agree is None:
        return code, _t(
            f"Einheit nach dem Code {code!r} (Anzeige {text!r} nicht prüfbar)",
            f"unit from the code {code!r} (display {text!r} cannot be checked)",
        )
    return code, None


def _quantity_text(
    state: _State,
    ref: str,
    text: str,
    unit: str,
    analyte: str | None,
    element: str,
    unitless: Text | None = None,
) -> tuple[Any, str, Text | None]:
    """A measured value written as text ("2,45 mmol/l"); the unit must be in the text
    (``unitless``: a text without a unit is read in the field's unit, with this note). A
    number that is both a decimal and a thousands number ("165.000") is left out."""
    state.use(ref, "valueString", "referenceRange", "interpretation")
    m = NUMBER_TEXT.match(text)
    number = read_number(m["num"]) if m is not None and not m["cmp"] else None
    if number is None or number.value is None:
        if number is not None and number.readings is not None:
            low, high = number.readings
            num = m["num"] if m is not None else text
            state.drop(
                ref,
                f"Text {text[:40]!r}: {num!r} ist mehrdeutig (Dezimal- oder "
                f"Tausendertrennzeichen: {_fmt(low)} oder {_fmt(high)}); Wert nicht übernommen",
                f"text {text[:40]!r}: {num!r} is ambiguous (decimal or thousands separator: "
                f"{_fmt(low)} or {_fmt(high)}); value not used",
                element,
            )
            return None, "", None
        state.drop(
            ref,
            f"Text {text[:40]!r} ist kein genauer Messwert",
            f"text {text[:40]!r} is not an exact measured value",
            element,
        )
        return None, "", None
    assert m is not None
    if m["unit"] is None and unitless is not None:
        return number.value, element, unitless
    return _converted(state, ref, number.value, m["unit"], unit, analyte, element, None)


def _converted(
    state: _State,
    ref: str,
    value: float,
    given: str | None,
    unit: str,
    analyte: str | None,
    element: str,
    q: Any,
    extra: Text | None = None,
) -> tuple[Any, str, Text | None]:
    """A value in the field's unit, or None (reported) when the unit is missing or unknown;
    ``extra`` is added to the note."""
    if not given:
        state.drop(
            ref,
            f"Einheit fehlt (erwartet {unit}): Wert nicht übernommen",
            f"unit missing (expected {unit}): value not used",
            element,
        )
        return None, "", None
    converted = convert_quantity(value, given, unit, analyte)
    if converted is None:
        state.drop(
            ref,
            f"Einheit {given!r} lässt sich nicht in {unit} umrechnen: Wert nicht übernommen",
            f"unit {given!r} cannot be converted to {unit}: value not used",
            f"{element}.code" if q is not None else element,
        )
        return None, "", None
    converted = round(converted, 4)
    note = None
    if converted != value or given != unit:
        note = _t(
            f"{_fmt(value)} {given} → {_fmt(converted)} {unit}",
            f"{_fmt(value)} {given} → {_fmt(converted)} {unit}",
        )
    if extra is not None:
        note = extra if note is None else _t(f"{note.de}; {extra.de}", f"{note.en}; {extra.en}")
    whole = q is not None and q.value == q.value.to_integral_value()
    return (
        int(converted) if converted.is_integer() and whole and given == unit else converted,
        element,
        note,
    )


def _fmt(v: float) -> str:
    return f"{v:g}"


#: Case paths that hold no clinical value and are never taken from a case item: the case's
#: pseudonym (the Patient's id) and board date (given to the import), a lesion's id (its
#: Condition's) and an assessment's date (the Observation's effective[x]).
_NOT_CLINICAL: dict[str, tuple[str, str]] = {
    "id": ("die Fall-ID ist die ID der Patient-Ressource", "the case id is the Patient's id"),
    "board_date": (
        "das Konferenzdatum gibt der Import vor",
        "the board date is given to the import",
    ),
    "lesion.id": (
        "die Läsions-ID ist die ID ihrer Condition",
        "a lesion's id is its Condition's id",
    ),
    "myeloma.series.date": (
        "das Datum einer Verlaufsmessung ist ihr effectiveDateTime",
        "an assessment's date is its effectiveDateTime",
    ),
}
#: The unit of case fields whose name carries none (UCUM).
_FIELD_UNITS = {"patient.age": "a"}


def _dimensionless(unit: str | None) -> bool:
    """No unit, the UCUM unity ``1`` or an annotation alone (``{score}``)."""
    return not unit or unit == "1" or bool(re.fullmatch(r"\{[^{}]*\}", unit))


def _item_value(state: _State, ref: str, res: Resource, path: str) -> tuple[Any, str] | None:
    """The value of a case item for a field without a unit, or None (reported)."""
    for name in ("valueBoolean", "valueInteger", "valueString", "valueDateTime"):
        v = getattr(res, name, None)
        if v is not None:
            if isinstance(v, dt.datetime):
                v = v.date()
            if isinstance(v, dt.date):
                v = v.isoformat()
            return v, name
    q = res.valueQuantity
    if q is not None and q.value is not None:
        unit = q.code or q.unit
        if q.comparator or not _dimensionless(unit):
            what = f"{q.comparator} {_fmt(float(q.value))}" if q.comparator else f"{unit!r}"
            state.drop(
                ref,
                f"{path} hat keine Einheit und ist ein genauer Wert; erhalten {what}: "
                "Wert nicht übernommen",
                f"{path} has no unit and is an exact value; got {what}: value not used",
                "valueQuantity",
            )
            return None
        return _number(q.value), "valueQuantity"
    if res.valueCodeableConcept is not None:
        coding = next((c for c in _codings(res.valueCodeableConcept) if c.code), None)
        if coding is not None:
            return coding.code, "valueCodeableConcept"
    state.drop(ref, "kein lesbarer Wert", "no readable value", "value[x]")
    return None


def _item_quantity(
    state: _State, ref: str, res: Resource, path: str, unit: str
) -> tuple[Any, str, Text | None]:
    """The value of a case item for a field with a unit (``labs.calcium_mmol_l``): a Quantity
    or a number written as text converted from its unit as a LOINC-coded value is; a number
    without a unit is read in the field's unit (the code names it) with a note."""
    analyte = next(
        (e.analyte for e in state.codes.data.observations if e.field == path and e.analyte), None
    )
    unitless = _t(
        f"ohne Einheit: in der Einheit des Feldes gelesen ({unit})",
        f"without a unit: read in the field's unit ({unit})",
    )
    if res.valueInteger is not None:
        return res.valueInteger, "valueInteger", unitless
    if res.valueQuantity is not None or isinstance(res.valueString, str):
        return _quantity(state, ref, res, unit, analyte, unitless=unitless)
    if not _absent(state, ref, res, ""):
        state.drop(
            ref,
            f"kein Messwert (erwartet eine Zahl in {unit})",
            f"no measured value (expected a number in {unit})",
            "value[x]",
        )
    return None, "", None


def _case_item(state: _State, ref: str, res: Resource, path: str, date: dt.date | None) -> None:
    from osteoboard.fhir.codes import case_field_paths

    if path not in case_field_paths():
        raise FhirImportError(
            FhirProblem(
                f"{ref}: code",
                f"{path!r} ist kein Feld des Fallformats",
                f"{path!r} is not a field of the case format",
            )
        )
    if path in _NOT_CLINICAL:
        de, en = _NOT_CLINICAL[path]
        state.drop(
            ref,
            f"{path} ist kein klinischer Wert und wird nicht aus einer Beobachtung gelesen ({de})",
            f"{path} is no clinical value and is never read from an observation ({en})",
            "code",
        )
        return
    if path.startswith("lesion."):
        state.use(ref, "focus")
        key = f"lesion@{_target_id(state, (res.focus or [None])[0])}#|{path[len('lesion.') :]}"
    elif path.startswith("myeloma.series."):
        if date is None or ref in state.periods:
            _undated_series(state, ref)
            return
        key = f"{path}@{date.isoformat()}"
    elif path in _list_paths():
        key = f"{path}#{state.order}"
    else:
        key = path
    unit = _FIELD_UNITS.get(path) or field_ucum(path.rsplit(".", 1)[-1])
    note: Text | None = None
    if unit is not None:
        value, element, note = _item_quantity(state, ref, res, path, unit)
        got = None if value is None else (value, element)
    else:
        got = _item_value(state, ref, res, path)
    if got is None:
        if _measured(res):
            state.blocked.setdefault(key, []).append((date, ref))
        return
    value, element = got
    state.use(ref, element)
    state.offer(key, _Candidate(value, date, ref, element, note))


def _undated_series(state: _State, ref: str) -> None:
    """Report a myeloma course value without a day (an assessment is one date)."""
    period = state.periods.get(ref)
    if period is None:
        state.drop(ref, "Myelom-Verlaufswert ohne Datum", "myeloma value without a date")
        return
    shown = _precision(period[2])
    state.drop(
        ref,
        f"Myelom-Verlaufswert ohne Tagesdatum ({shown.de})",
        f"myeloma value without a day ({shown.en})",
    )


def _list_paths() -> frozenset[str]:
    from osteoboard.fhir.codes import case_list_paths

    return case_list_paths()


# --------------------------------------------------------------------------------------------
# Medications


def _medication(state: _State, ref: str, res: Resource) -> None:
    codes = state.codes
    concept = res.medicationCodeableConcept
    element = "medicationCodeableConcept"
    medication: Any = None
    if concept is None and res.medicationReference is not None:
        element = "medicationReference"
        text = getattr(res.medicationReference, "reference", None) or ""
        if text.startswith("#"):
            medication = next(
                (c for c in res.contained or [] if getattr(c, "id", None) == text[1:]), None
            )
            state.use(ref, "contained")
        else:
            target = state.by_id.get(_ref_key(res.medicationReference) or "")
            if target is not None and _modified(state, ref, target[2]):
                return  # the Medication it names carries a modifier
            medication = target[1] if target is not None else None
        concept = getattr(medication, "code", None)
    entry = codes.medications.first(_codings(concept))
    drug = None if entry is not None else codes.current_medications.first(_codings(concept))
    systemic = codes.systemic_therapies.first(_codings(concept))
    if entry is None and drug is None and systemic is None and medication is not None:
        # A Medication coded by its product (a German PZN) names the drug in its ingredients'
        # codes (ATC) instead.
        for ingredient in getattr(medication, "ingredient", None) or []:
            codings = _codings(getattr(ingredient, "itemCodeableConcept", None))
            entry = codes.medications.first(codings)
            drug = None if entry is not None else codes.current_medications.first(codings)
            systemic = codes.systemic_therapies.first(codings)
            if entry is not None or drug is not None or systemic is not None:
                break
    if entry is None and drug is None and systemic is None:
        state.drop(
            ref,
            "nicht in der Codetabelle (knochenwirksame, für Eingriffe wichtige und "
            "erfasste systemische Medikamente)",
            "not in the code table (bone-modifying agents, drugs that change a procedure and "
            "the systemic drugs the case records)",
        )
        return
    what = (
        entry.display
        if entry is not None
        else drug.display
        if drug is not None
        else systemic.display
        if systemic is not None
        else "?"
    )
    # The dose band of a bone-modifying agent (Xgeva or Prolia), from the resource's dose.
    band = None
    if entry is not None:
        dose = _single_dose_mg(res)
        if dose is not None:
            band = codes.bma_dose(entry.agent, dose)
    # How long a past statement or an administration still counts as current.
    if systemic is not None and systemic.adt and entry is None and drug is None:
        limit = codes.data.adt_current_days.value
    elif drug is not None or entry is None:
        limit = codes.data.current_medication_days.value
    elif band is not None and band.current_days is not None:
        limit = band.current_days
    else:
        limit = codes.data.bma_current_days.value
    state.use(
        ref,
        element,
        "authoredOn",
        "effectiveDateTime",
        "effectivePeriod",
        "dosageInstruction",
        "dosage",
    )
    is_request = res.get_resource_type() == "MedicationRequest"
    if res.get_resource_type() == "MedicationStatement":
        start = _date(res.effectivePeriod.start) if res.effectivePeriod is not None else None
        date = _effective(res) or _date(res.dateAsserted)
        start = start or date
        state.use(ref, "dateAsserted")
        if res.status in codes.statuses.medication_statement_current:
            current = True
        elif res.status in codes.statuses.medication_statement_past:
            current = (
                state.board_date is not None
                and date is not None
                and (state.board_date - date).days <= limit
            )
        elif res.status in codes.statuses.medication_statement_stopped:
            current = False  # discontinued: never the current therapy
        else:
            state.drop_status(ref, res.status, "Medikationsangabe", "statement")
            return
    elif is_request:
        if res.doNotPerform:
            # A modifier: an order *not* to give the drug (e.g. held for the kidneys).
            state.use(ref, "doNotPerform")
            state.drop(
                ref,
                f"{what}: Anordnung, es nicht zu geben (doNotPerform) – keine Therapie",
                f"{what}: an order not to give it (doNotPerform) – not a therapy",
                "doNotPerform",
            )
            return
        if res.intent not in _ORDER_INTENTS:
            # A modifier too: a plan, proposal or option is not a prescription.
            state.drop(
                ref,
                f"{what}: nur {res.intent!r} (geplant oder vorgeschlagen), nicht verordnet",
                f"{what}: only {res.intent!r} (planned or proposed), not ordered",
                "intent",
            )
            return
        date = _date(res.authoredOn)
        bounds = None
        for dosage in res.dosageInstruction or []:
            rep = getattr(getattr(dosage, "timing", None), "repeat", None)
            period = getattr(rep, "boundsPeriod", None)
            if period is not None and _date(period.start):
                bounds = _date(period.start)
        start = bounds or date
        if res.status in codes.statuses.medication_request_current:
            current = True
        elif res.status in codes.statuses.medication_request_done:
            # Every dose it ordered has been given, the last by its planned end (at most the
            # board date) or, without one, on the day written: current within the interval
            # the drug is given at, as an administration is.
            day = state.board_date or state.today
            last = _last_ordered_dose(res, day)
            current = last is not None and (day - last).days <= limit
        elif res.status in codes.statuses.medication_request_past:
            current = False
        else:
            state.drop_status(ref, res.status, "Verordnung", "request")
            return
    else:
        if res.status not in codes.statuses.medication_administration:
            state.drop_status(ref, res.status, "Gabe", "administration")
            return
        start = date = _effective(res)
        current = state.board_date is None or (
            date is not None and (state.board_date - date).days <= limit
        )
    if state.after_board(start):
        state.drop(ref, "nach dem Konferenzdatum", "after the board date")
        return
    last = _last_ordered_dose(res, state.board_date or state.today) if is_request else date
    if systemic is not None:
        _systemic_given(state, ref, element, systemic, current, start, last or start)
        if entry is None and drug is None:
            return
    if entry is not None and (start or last) is not None:
        first = start or last
        assert first is not None
        state.courses.setdefault(f"bma.{entry.agent.value}", []).append((first, last or first))
    if drug is not None:
        if current:
            # One entry per drug: several requests of one drug are one item of the list.
            state.offer(
                f"prior_therapy.current_medication#{drug.drug}",
                _Candidate(drug.drug, date or start, ref, element, _t(drug.display, drug.display)),
            )
        else:
            state.drop(
                ref,
                f"{drug.display}: beendet, keine laufende Therapie",
                f"{drug.display}: ended, not a current therapy",
            )
        return
    assert entry is not None
    agent = entry.agent.value
    if current:
        state.offer(
            "prior_therapy.bone_modifying_agent",
            _Candidate(agent, date or start, ref, element, _t(entry.display, entry.display)),
        )
        if band is not None:
            state.offer(
                f"bma_dose.{agent}",
                _Candidate(
                    band.dose.value,
                    date or start,
                    ref,
                    "dosageInstruction"
                    if is_request
                    else "dosage"
                    if res.get_resource_type() == "MedicationStatement"
                    else "dosage.dose",
                ),
            )
        if start is not None:
            state.offer(
                f"bma_start.{agent}",
                _Candidate(
                    start.isoformat(),
                    start,
                    ref,
                    "authoredOn"
                    if is_request and start == date
                    else "dosageInstruction"
                    if is_request
                    else "effective[x]",
                ),
            )
    elif agent == "denosumab" and _stopped_recently(
        state, res, is_request, _dosing_interval(codes, band)
    ):
        # Denosumab ended within the rebound window: the case says so (the rebound cover is
        # proposed unless another agent is current, see _assemble).
        state.offer(
            "denosumab_stopped",
            _Candidate(
                True,
                date,
                ref,
                "status",
                _t(
                    f"{entry.display}: beendet (Status {res.status!r}), letzte Angabe "
                    f"{date.isoformat() if date else '?'}",
                    f"{entry.display}: ended (status {res.status!r}), last entry "
                    f"{date.isoformat() if date else '?'}",
                ),
            ),
        )
    else:
        state.drop(
            ref,
            f"{entry.display}: beendet, keine laufende Therapie",
            f"{entry.display}: ended, not a current therapy",
        )


def _systemic_given(
    state: _State,
    ref: str,
    element: str,
    entry: Any,
    current: bool,
    start: dt.date | None,
    last: dt.date | None,
) -> None:
    """A systemic cancer drug given (a statement, an order or an administration that is no
    plan): the fields it sets for every entry, and those it sets while it is given now."""
    when = start or last
    shown = _t(entry.display, entry.display)
    for path in entry.received:
        state.offer(path, _Candidate(True, when, ref, element, shown))
    if entry.myeloma_drug is not None:
        value = entry.myeloma_drug.value
        state.offer(f"myeloma.exposed_to#{value}", _Candidate(value, when, ref, element, shown))
    if entry.sarcoma_agent is not None:
        value = entry.sarcoma_agent.value
        state.offer(f"sarcoma.prior_agents#{value}", _Candidate(value, when, ref, element, shown))
    if entry.adt and when is not None:
        state.courses.setdefault("adt", []).append((when, last or when))
    if not current:
        if not (entry.received or entry.myeloma_drug or entry.sarcoma_agent or entry.adt):
            state.drop(
                ref,
                f"{entry.display}: beendet, keine laufende Therapie",
                f"{entry.display}: ended, not a current therapy",
            )
        return
    for path in entry.current:
        state.offer(path, _Candidate(True, when, ref, element, shown))
    if entry.drug is not None:
        state.offer(
            f"prior_therapy.current_medication#{entry.drug}",
            _Candidate(entry.drug, when, ref, element, shown),
        )
    if entry.adt and when is not None:
        state.offer("adt_current", _Candidate(True, when, ref, element, shown))


#: Case fields the importer reads for one primary only (from the drugs given), and the site.
_PRIMARY_ONLY = {
    "prior_therapy.arpi_received": "prostate",
    "prior_therapy.taxane_received": "prostate",
    "prior_therapy.abiraterone_current": "prostate",
    "myeloma.exposed_to": "myeloma",
    "sarcoma.prior_agents": "sarcoma",
    "sarcoma.subtype": "sarcoma",
}


def _fits_primary(state: _State, path: str, c: _Candidate, site: _Candidate | None) -> bool:
    """Whether a field the drugs set belongs to this patient's primary (reported if not)."""
    needs = _PRIMARY_ONLY.get(path.partition("#")[0])
    if needs is None or (site is not None and site.value == needs):
        return True
    state.drop(
        c.resource,
        f"{path.partition('#')[0]} nur beim Primärtumor {needs} gelesen",
        f"{path.partition('#')[0]} is read for a {needs} primary only",
        c.element,
    )
    return False


def _set_course_start(
    state: _State,
    data: dict[str, Any],
    sources: list[FieldSource],
    name: str,
    course: str,
    first: dt.date,
    cand: _Candidate,
    gap: int,
) -> None:
    """``prior_therapy.<name>``: the start of the course that includes ``first`` (the current
    entries' first day), carried back over earlier entries without a longer gap."""
    since = _course_start(state.courses.get(course, []), first, gap)
    _set(data, f"prior_therapy.{name}", since.isoformat())
    sources.append(
        FieldSource(
            field=f"prior_therapy.{name}",
            value=since.isoformat(),
            resource=cand.resource,
            element=cand.element,
            note=_course_note(since, first) or cand.note,
        )
    )


def _course_note(since: dt.date, first: dt.date) -> Text | None:
    """The report's word on a start carried back over earlier entries of the same course."""
    if since == first:
        return None
    return _t(
        f"Beginn der fortlaufenden Gaben (frühere Einträge ohne längere Lücke); die laufende "
        f"Verordnung beginnt {first.isoformat()}",
        f"start of the continuous course (earlier entries without a longer gap); the current "
        f"order begins {first.isoformat()}",
    )


def _course_start(courses: Sequence[tuple[dt.date, dt.date]], start: dt.date, gap: int) -> dt.date:
    """The first day of the course that includes ``start``: earlier entries whose last day
    lies at most ``gap`` days before the next one's first day belong to it."""
    first = start
    for begin, end in sorted(courses, key=lambda c: c[1], reverse=True):
        if begin >= first:
            continue
        if (first - end).days <= gap:
            first = begin
    return first


def _dosing_interval(codes: FhirCodes, band: Any) -> int:
    """Days between doses of denosumab, with a margin: its dose band's (Prolia), the usual
    one for a bone-metastasis dose (Xgeva), and the longest of any band when the dose is not
    known."""
    if band is not None:
        return int(band.current_days or codes.data.bma_current_days.value)
    return int(
        max(
            [codes.data.bma_current_days.value]
            + [b.current_days or 0 for b in codes.data.bma_doses if b.agent.value == "denosumab"]
        )
    )


def _stopped_recently(state: _State, res: Resource, is_request: bool, interval: int) -> bool:
    """Whether a denosumab entry that is not current shows the drug stopped within the
    rebound window before the board (the import's day without a board date).

    Stopped: the entry says so (status ``stopped``), or its last dose lies further back than
    the interval the drug is given at (``interval`` days: a Prolia injection five months ago
    is mid-interval, not stopped). The last dose is a statement's or administration's
    effective date (not the date the statement was written), or an order's planned end
    (capped at the board: an order stopped before its end) or, without one, the day it was
    written."""
    board = state.board_date or state.today
    last = _last_ordered_dose(res, board) if is_request else _effective(res)
    if last is None or last > board:
        return False
    days = (board - last).days
    stopped = res.status == "stopped" or days > interval
    return stopped and days <= state.codes.data.denosumab_stopped_days.value


def _last_ordered_dose(res: Resource, board: dt.date) -> dt.date | None:
    """The last dose an order can have given: its planned end (``boundsPeriod.end``, capped
    at ``board``: an order ended before its end) or, without one, the day it was written."""
    last = _date(res.authoredOn)
    for dosage in res.dosageInstruction or []:
        period = getattr(
            getattr(getattr(dosage, "timing", None), "repeat", None), "boundsPeriod", None
        )
        end = _date(getattr(period, "end", None))
        if end is not None:
            last = max(last or end, min(end, board))
    return last


#: MedicationRequest.intent values that prescribe (the others plan, propose or offer).
_ORDER_INTENTS = frozenset(
    {"order", "original-order", "reflex-order", "filler-order", "instance-order"}
)


def _device(state: _State, ref: str, res: Resource) -> None:
    """A cardiac implantable electronic device of the patient (code table ``devices``)."""
    entry = state.codes.devices.first(_codings(res.type))
    if entry is None:
        state.drop(
            ref,
            "kein kardiales Implantat der Codetabelle",
            "not a cardiac implantable electronic device of the code table",
        )
        return
    if res.status not in (None, "active"):
        # inactive: explanted; unknown: whether it is still there is not known
        state.drop_status(ref, res.status, "Gerät", "device")
        return
    state.use(ref, "type", "status", "patient")
    state.offer(
        "patient.cardiac_device",
        _Candidate(entry.cardiac_device.value, None, ref, "type", _t(entry.display, entry.display)),
    )


def _single_dose_mg(res: Resource) -> float | None:
    """The first single dose in mg of a medication resource (a request's dosage instruction,
    a statement's dosage, an administration's dose); None when none is given in a mass
    unit."""
    if res.get_resource_type() == "MedicationAdministration":
        dosage = res.dosage
        quantities = [getattr(dosage, "dose", None)] if dosage is not None else []
    else:
        dosages = (
            res.dosageInstruction
            if res.get_resource_type() == "MedicationRequest"
            else getattr(res, "dosage", None)
        )
        quantities = [
            getattr(rate, "doseQuantity", None)
            for dosage in dosages or []
            for rate in getattr(dosage, "doseAndRate", None) or []
        ]
    for quantity in quantities:
        if quantity is None or quantity.value is None:
            continue
        mg = convert_quantity(float(quantity.value), str(quantity.code or quantity.unit), "mg")
        if mg is not None:
            return mg
    return None


# --------------------------------------------------------------------------------------------
# Procedures


def _procedure(
    state: _State, ref: str, res: Resource, primary_ids: set[str], lesions: list[dict[str, Any]]
) -> None:
    codes = state.codes
    profiles = _profiles(res)
    code = _codings(res.code)
    is_rt = (
        bool(profiles & set(codes.data.radiotherapy.profiles))
        or codes.radiotherapy.first(code) is not None
    )
    operation = codes.operations.first(code)
    cancer_surgery = bool(profiles & set(codes.data.surgery.profiles))
    is_surgery = cancer_surgery or codes.surgery.first(code) is not None or operation is not None
    if not (is_rt or is_surgery):
        state.drop(
            ref,
            "Prozedur ohne Fallfeld (weder Bestrahlung noch Tumoroperation)",
            "procedure without a case field (neither radiotherapy nor cancer surgery)",
        )
        return
    if res.status not in codes.statuses.procedure:
        state.drop_status(ref, res.status, "Prozedur", "procedure")
        return
    date = _effective(res)
    if state.after_board(date):
        state.drop(ref, "nach dem Konferenzdatum", "after the board date")
        return
    state.use(ref, "code", "performedDateTime", "performedPeriod")
    if is_surgery:
        reasons = {_target_id(state, r) for r in res.reasonReference or []}
        if reasons & primary_ids:
            state.use(ref, "reasonReference")
            state.offer(
                "primary.controlled",
                _Candidate(
                    True,
                    date,
                    ref,
                    "reasonReference",
                    _t("Primärtumor operiert", "primary tumour resected"),
                ),
            )
        else:
            _operation(state, ref, res, operation, cancer_surgery, reasons, date, lesions)
        return
    matched = False
    for i, site in enumerate(res.bodySite or []):
        loc, display = _location(state, site, res, ref)
        if "region" not in loc:
            continue
        here = [lesion for lesion in lesions if _same_place(lesion, loc)]
        if loc.pop(_SIDE_OPEN, False) and len(here) > 1:
            # the sides contradict each other, and lesions on both sides fit: none is marked
            state.drop(
                ref,
                f"Bestrahlung ({display}) passt zu mehreren Läsionen, die Seite ist "
                "widersprüchlich – keiner zugeordnet",
                f"radiotherapy ({display}) fits several lesions and its side is contradictory "
                "– assigned to none",
                f"bodySite[{i}]",
            )
            matched = True
            continue
        for lesion in here:
            state.use(ref, "bodySite")
            state.offer(
                f"lesion@{lesion['_condition']}#{lesion['id']}|previously_irradiated",
                _Candidate(
                    True,
                    date,
                    ref,
                    f"bodySite[{i}]",
                    _t(f"bestrahlt: {display}", f"irradiated: {display}"),
                ),
            )
            matched = True
    if not matched:
        state.drop(
            ref,
            "Bestrahlung keiner bekannten Knochenläsion zuzuordnen",
            "radiotherapy matches no known bone lesion",
            "bodySite",
        )


def _operation(
    state: _State,
    ref: str,
    res: Resource,
    entry: Any,
    cancer_surgery: bool,
    reasons: set[str | None],
    date: dt.date | None,
    lesions: list[dict[str, Any]],
) -> None:
    """A completed operation at one bone lesion -> its operation and operation_date
    (``operations`` of the code tables); anything that does not name one lesion for sure is
    reported, never guessed: an operation taken for done takes emergencies away."""
    places = [
        (i, loc, display)
        for i, site in enumerate(res.bodySite or [])
        for loc, display in [_location(state, site, res, ref)]
        if "region" in loc
    ]
    for _i, loc, _display in places:
        loc.pop(_SIDE_OPEN, None)  # an operation fitting several lesions is never guessed
    by_reason = [les for les in lesions if les["_condition"] and les["_condition"] in reasons]
    # the lesions its reasonReference names, else every lesion; narrowed to its bodySite
    pool = by_reason or (lesions if places else [])
    if places:
        pool = [les for les in pool if any(_same_place(les, loc) for _, loc, _ in places)]
    what = entry.display if entry is not None else "Tumoroperation"
    what_en = entry.display if entry is not None else "cancer surgery"
    if not pool:
        if entry is None:
            state.drop(
                ref,
                "Operation nicht am Primärtumor (reasonReference) und an keiner Knochenläsion",
                "surgery not of the primary tumour (reasonReference) nor at a bone lesion",
            )
            return
        state.drop(
            ref,
            f"{what}: keiner Knochenläsion zuzuordnen (bodySite, reasonReference) – "
            "lesions[].operation nicht gesetzt",
            f"{what_en}: matches no bone lesion (bodySite, reasonReference) – "
            "lesions[].operation not set",
            "bodySite",
        )
        return
    if len(pool) > 1:
        names = ", ".join(str(les["id"]) for les in pool)
        state.drop(
            ref,
            f"{what}: mehrere Läsionen kommen in Frage ({names}) – keiner zugeordnet, bitte prüfen",
            f"{what_en}: several lesions may be meant ({names}) – set at none, please check",
            "bodySite",
        )
        return
    lesion = pool[0]
    lid = lesion["id"]
    if entry is None:
        state.drop(
            ref,
            f"Tumoroperation an Läsion {lid}: welche Operation, ist aus dem Code nicht zu "
            "lesen – lesions[].operation nicht gesetzt (als Fallangabe ergänzen)",
            f"cancer surgery at lesion {lid}: which operation cannot be read from the code – "
            "lesions[].operation not set (add it as a case item)",
            "code",
        )
        return
    op = entry.operation
    region = lesion.get("region")
    if region is None or Region(region) not in OPERATION_REGIONS[op]:
        state.drop(
            ref,
            f"{what} ({op.value}) passt nicht zur Region der Läsion {lid} "
            f"({region or 'nicht angegeben'}) – nicht übernommen",
            f"{what_en} ({op.value}) does not fit the region of lesion {lid} "
            f"({region or 'not given'}) – not used",
            "code",
        )
        return
    named = lesion["_condition"] in reasons
    since = lesion.get("_date")
    if not (named or cancer_surgery) and (since is None or date is None or date < since):
        when = since.isoformat() if since is not None else "ohne Datum"
        when_en = since.isoformat() if since is not None else "undated"
        state.drop(
            ref,
            f"{what} an der Stelle von Läsion {lid}: ohne Bezug zur Metastase "
            f"(reasonReference, mCODE-Tumoroperation) und nicht nach ihrer Diagnose ({when}) – "
            "nicht als Operation der Läsion übernommen",
            f"{what_en} at the place of lesion {lid}: not linked to the metastasis "
            f"(reasonReference, mCODE cancer surgery) and not after its diagnosis ({when_en}) "
            "– not read as the lesion's operation",
            "reasonReference",
        )
        return
    state.use(ref, "bodySite", "reasonReference")
    at = next((display for _, loc, display in places if _same_place(lesion, loc)), None)
    shown = f"{entry.display} ({at})" if at else entry.display
    key = f"lesion@{lesion['_condition']}#{lid}|"
    state.offer(key + "operation", _Candidate(op.value, date, ref, "code", _t(shown, shown)))
    if date is None:
        state.drop(
            ref,
            f"{what}: ohne Datum – lesions[{lid}].operation_date bleibt offen",
            f"{what_en}: undated – lesions[{lid}].operation_date left open",
            "performed[x]",
        )
        return
    element = "performedPeriod" if res.performedPeriod is not None else "performedDateTime"
    state.offer(key + "operation_date", _Candidate(date.isoformat(), date, ref, element))


def _combine_operations(state: _State) -> None:
    """Operations of one lesion that together are one value of the case format (a
    decompression and an instrumentation: decompression_stabilization), dated by the later
    one (``operations.combined`` of the code tables)."""
    rules = state.codes.data.operations.combined
    for path, cands in state.candidates.items():
        if not (path.startswith("lesion@") and path.endswith("|operation")):
            continue
        for rule in rules:
            parts = []
            for op in rule.operations:
                done = [c for c in cands if c.value == op.value]
                if done:
                    parts.append(max(done, key=lambda c: (c.date or dt.date.min, c.order)))
            if len(parts) < len(rule.operations):
                continue
            latest = max(parts, key=lambda c: (c.date or dt.date.min, c.order))
            earlier = [c for c in parts if c is not latest]
            listed = ", ".join(
                f"{c.value} ({c.resource}, {c.date or '?'})"
                for c in sorted(parts, key=lambda c: c.order)
            )
            note = _t(
                f"{listed} → {rule.operation.value} (Datum der späteren)",
                f"{listed} → {rule.operation.value} (date of the later one)",
            )
            combined = _Candidate(
                rule.operation.value,
                latest.date,
                latest.resource,
                latest.element,
                note,
                latest.order,
                [(c.resource, c.element) for c in earlier],
            )
            cands[:] = [c for c in cands if all(c is not p for p in parts)] + [combined]
            # the date is the later operation's: the earlier one's is no competing value
            dates = state.candidates.get(path[: -len("operation")] + "operation_date", [])
            dates[:] = [c for c in dates if all(c.resource != e.resource for e in earlier)]


def _same_place(lesion: Mapping[str, Any], loc: Mapping[str, Any]) -> bool:
    if lesion.get("region") != loc.get("region"):
        return False
    for key in ("level", "bone", "side"):
        if key in lesion and key in loc and lesion[key] != loc[key]:
            return False
    if loc["region"] == Region.spine.value:
        return "level" in loc and lesion.get("level") == loc["level"]
    if loc["region"] == Region.long_bone.value:
        return "bone" in loc and lesion.get("bone") == loc["bone"]
    return True


# --------------------------------------------------------------------------------------------
# resolving candidates and building the case


def _resolve(state: _State) -> tuple[dict[str, _Candidate], list[Conflict]]:
    chosen: dict[str, _Candidate] = {}
    conflicts: list[Conflict] = []
    for path, offered in state.candidates.items():
        cands = state.current(path, offered)
        if not cands:
            continue
        if path == "primary.site" and len({c.value for c in cands}) > 1:
            active = [c for c in cands if c.resource not in state.inactive_primaries]
            if active and len({c.value for c in active}) == 1:
                # One active primary beside others recorded as resolved or in remission (a
                # colon cancer treated years ago): the active one is the site; the report
                # names the others, should the board doubt where the metastases come from.
                for c in cands:
                    if c not in active:
                        state.drop(
                            c.resource,
                            f"früherer Primärtumor ({c.value}), nicht mehr aktiv: der aktive "
                            f"({active[0].value}) gilt als Primärtumor – bitte prüfen, ob die "
                            "Knochenmetastasen von ihm stammen",
                            f"earlier primary tumour ({c.value}), no longer active: the active "
                            f"one ({active[0].value}) is taken as the primary - please check that "
                            "the bone metastases come from it",
                            c.element,
                        )
                cands = active
        if path == "primary.site" and len({c.value for c in cands}) > 1:
            # Two primary tumours: which one the bone metastases come from is the board's
            # question (a biopsy may answer it), not a matter of dates or order.
            names = ", ".join(sorted({str(c.value) for c in cands}))
            for c in cands:
                state.drop(
                    c.resource,
                    f"mehrere Primärtumoren ({names}): von welchem die Knochenmetastasen "
                    "stammen, bleibt offen (primary.site nicht gesetzt)",
                    f"several primary tumours ({names}): which one the bone metastases come "
                    "from stays open (primary.site not set)",
                    c.element,
                )
            continue
        ranked = sorted(cands, key=lambda c: (c.date or dt.date.min, c.order))
        best = ranked[-1]
        # Values of one day with their times: the later one holds (a search answer lists the
        # newest first, so the order of the input says nothing). A day either side counts
        # too: the local dates of two time zones differ around midnight.
        same_day = [c for c in ranked if c.date == best.date]
        timed = all(c.resource in state.moments for c in same_day)
        if timed:
            same_day += [
                c
                for c in ranked
                if c.date != best.date
                and c.date is not None
                and best.date is not None
                and abs((c.date - best.date).days) <= 1
                and c.resource in state.moments
            ]
        timed = timed and len(same_day) > 1
        if timed:
            best = max(same_day, key=lambda c: (state.moments[c.resource], c.order))
            ranked = [c for c in ranked if c is not best] + [best]
            ties = [
                c
                for c in same_day
                if c is not best and state.moments[c.resource] == state.moments[best.resource]
            ]
        else:
            ties = [c for c in ranked[:-1] if c.date == best.date]
        unordered = [c for c in ties if not _same_value(c.value, best.value)]
        if unordered and not path.startswith("bma_start."):
            # Two different values of one moment (or of one day, a time missing on one): the
            # input orders them no way (a collection has no order, a search answer its own),
            # and which one holds can decide an emergency. The field stays open.
            shown = ", ".join(
                f"{c.value} ({c.resource})" for c in sorted([best, *unordered], key=_by_ref)
            )
            when = (
                _t("zum selben Zeitpunkt", "at the same time")
                if timed
                else _t(
                    f"am selben Tag ({best.date}) ohne Uhrzeit bei mindestens einem",
                    f"on the same day ({best.date}), at least one without a time",
                )
            )
            for c in [best, *ties]:
                state.drop(
                    c.resource,
                    f"{_public_path(path)}: verschiedene Werte {when.de} ({shown}) – keiner "
                    "wird übernommen, das Feld bleibt offen",
                    f"{_public_path(path)}: different values {when.en} ({shown}) – neither is "
                    "used, the field stays open",
                    c.element,
                )
            continue
        newer = [
            (date, ref)
            for date, ref in state.blocked.get(path, ())
            if date is None or best.date is None or date >= best.date
        ]
        if newer:
            # A later measurement exists but could not be used ("> 3.5 mmol/L", an unknown
            # unit): an earlier value would hide it, so the field stays open (missing data).
            later = ", ".join(ref for _, ref in newer)
            for c in ranked:
                state.drop(
                    c.resource,
                    f"{_public_path(path)}: nicht übernommen, weil ein neuerer Wert ({later}) "
                    "nicht verwertbar ist",
                    f"{_public_path(path)}: not used, as a later value ({later}) cannot be used",
                    c.element,
                )
            continue
        chosen[path] = best
        if path.startswith("bma_start."):
            chosen[path] = ranked[0]  # the first request or administration
            continue
        others = [c for c in ranked[:-1] if c.value != best.value]
        if others:
            if not any(c.date == best.date for c in others):
                rule = _t(
                    "der jüngste Wert am oder vor dem Konferenzdatum",
                    "the latest value on or before the board date",
                )
            elif timed and any(
                c.date == best.date
                and state.moments.get(c.resource) != state.moments.get(best.resource)
                and not _same_value(c.value, best.value)
                for c in others
            ):
                rule = _t("gleiches Datum: die spätere Uhrzeit", "same date: the later time of day")
            else:
                # The same moment (or no time): values that differ only by a unit's rounding.
                rule = _t(
                    "gleiches Datum: derselbe Wert in anderer Einheit oder Rundung",
                    "same date: the same value in another unit or rounding",
                )
            conflicts.append(
                Conflict(
                    field=_public_path(path),
                    chosen=ConflictCandidate(
                        resource=best.resource, value=best.value, date=best.date
                    ),
                    others=[
                        ConflictCandidate(resource=c.resource, value=c.value, date=c.date)
                        for c in others
                    ],
                    rule=rule,
                )
            )
    return chosen, conflicts


def _by_ref(c: _Candidate) -> str:
    return c.resource


#: Two numbers of one measurement written in two units (haemoglobin in mmol/L and g/dL)
#: differ by the rounding of the conversion: within this share they are one value.
_SAME_VALUE_TOLERANCE = 0.02


def _same_value(a: Any, b: Any) -> bool:
    """Whether two candidate values are the same finding (numbers within the rounding of a
    unit conversion)."""
    if a == b:
        return True
    numbers = (int, float)  # by class: a yes/no answer (bool) is no number here
    if a.__class__ in numbers and b.__class__ in numbers:
        return bool(abs(a - b) <= _SAME_VALUE_TOLERANCE * max(abs(a), abs(b)))
    return False


#: Patient fields that a male patient cannot have (the case format refuses them).
_NOT_MALE = ("patient.pregnant", "patient.breastfeeding")


def _consistent_patient(
    state: _State, fields: dict[str, _Candidate], conflicts: list[Conflict]
) -> None:
    """Patient fields that contradict each other are resolved before the case is built, so
    that no value takes the rest of the patient block with it: a pregnancy or breast-feeding
    of a male patient is a conflict (left out, reported); a fetal dose without a pregnancy and
    a jaw osteonecrosis stage beside "no osteonecrosis" are left out and reported."""
    sex = fields.get("patient.sex")
    if sex is not None and sex.value == Sex.male.value:
        for path in _NOT_MALE:
            c = fields.get(path)
            if c is None or c.value is not True:
                continue
            del fields[path]
            what = "Schwangerschaft" if path == "patient.pregnant" else "Stillen"
            what_en = "pregnancy" if path == "patient.pregnant" else "breast-feeding"
            state.drop(
                c.resource,
                f"{path}: {what} bei einem männlichen Patienten – nicht übernommen (Konflikt)",
                f"{path}: {what_en} of a male patient – not used (conflict)",
                c.element,
            )
            conflicts.append(
                Conflict(
                    field=path,
                    chosen=ConflictCandidate(resource=sex.resource, value=None),
                    others=[ConflictCandidate(resource=c.resource, value=True, date=c.date)],
                    rule=_t(
                        f"Patient männlich ({sex.resource} {sex.element}): {what} nicht "
                        "übernommen – bitte Patient und Daten prüfen",
                        f"patient is male ({sex.resource} {sex.element}): {what_en} not used "
                        "– check the patient and the data",
                    ),
                )
            )
    fetal = fields.get("patient.fetal_dose_acceptable")
    pregnant = fields.get("patient.pregnant")
    if fetal is not None and (pregnant is None or pregnant.value is not True):
        del fields["patient.fetal_dose_acceptable"]
        state.drop(
            fetal.resource,
            "patient.fetal_dose_acceptable gilt nur bei einer Schwangerschaft "
            "(patient.pregnant) – nicht übernommen",
            "patient.fetal_dose_acceptable applies only in a pregnancy (patient.pregnant) – "
            "not used",
            fetal.element,
        )
    stage = fields.get("patient.jaw_osteonecrosis_stage")
    onj = fields.get("patient.jaw_osteonecrosis")
    if stage is not None and onj is not None and onj.value is False:
        del fields["patient.jaw_osteonecrosis_stage"]
        state.drop(
            stage.resource,
            f"Stadium einer Kieferosteonekrose, aber {onj.resource}: keine – nicht übernommen",
            f"a stage of jaw osteonecrosis, but {onj.resource}: none – not used",
            stage.element,
        )


def _public_path(path: str) -> str:
    if path.startswith("bma_dose."):
        return "prior_therapy.bone_modifying_agent_dose"
    if path.startswith("primary_stage."):
        return "myeloma.stage"
    if path.startswith("lesion@"):
        target, _, name = path[len("lesion@") :].partition("|")
        cond, _, lid = target.partition("#")
        return f"lesions[{lid or cond}].{name}"
    return path.split("#")[0].replace("@", "[") + ("]" if "@" in path else "")


def _set(data: dict[str, Any], path: str, value: Any) -> None:
    parts = path.split(".")
    for part in parts[:-1]:
        data = data.setdefault(part, {})
    data[parts[-1]] = value


def _assemble(
    state: _State, pid: str, fields: dict[str, _Candidate]
) -> tuple[dict[str, Any], list[FieldSource]]:
    data: dict[str, Any] = {"id": pid}
    sources: list[FieldSource] = []
    if state.board_date is not None:
        data["board_date"] = state.board_date.isoformat()
    lesions, lesion_sources, aliases = _distinct_lesions(
        state, state.lesions, state.lesion_sources, fields
    )

    def src(path: str, c: _Candidate, value: Any | None = None) -> None:
        sources.append(
            FieldSource(
                field=path,
                value=c.value if value is None else value,
                resource=c.resource,
                element=c.element,
                note=c.note,
            )
        )

    site = fields.get("primary.site")
    series: dict[str, dict[str, _Candidate]] = {}
    markers: dict[str, _Candidate] = {}
    lists: dict[str, list[_Candidate]] = {}
    for path, c in sorted(fields.items(), key=lambda kv: kv[1].order):
        if path.startswith("lesion@"):
            continue
        if path.startswith(
            ("bma_start.", "bma_dose.", "primary_stage.", "denosumab_stopped", "adt_current")
        ):
            continue
        if not _fits_primary(state, path, c, site):
            continue
        if path.startswith("myeloma.series."):
            name, _, day = path[len("myeloma.series.") :].partition("@")
            series.setdefault(day, {})[name] = c
            continue
        if path.startswith("marker."):
            markers[path[len("marker.") :]] = c
            continue
        if "#" in path:
            lists.setdefault(path.split("#")[0], []).append(c)
            continue
        if path.startswith("myeloma.") and (site is None or site.value != "myeloma"):
            state.drop(
                c.resource,
                "Myelom-Wert ohne Myelom als Primärtumor",
                "myeloma value without myeloma as the primary",
                c.element,
            )
            continue
        _set(data, path, c.value)
        src(path, c)
    for path, cands in lists.items():
        _set(data, path, [c.value for c in cands])
        for c in cands:
            src(path, c)
    adt = fields.get("adt_current")
    if (
        adt is not None
        and adt.date is not None
        and site is not None
        and site.value == "prostate"
        and "androgen_deprivation_since" not in data.get("prior_therapy", {})
    ):
        first = min(
            (c.date for c in state.candidates.get("adt_current", []) if c.date is not None),
            default=adt.date,
        )
        _set_course_start(
            state,
            data,
            sources,
            "androgen_deprivation_since",
            "adt",
            first,
            adt,
            state.codes.data.adt_current_days.value,
        )
    agent = fields.get("prior_therapy.bone_modifying_agent")
    stopped = fields.get("denosumab_stopped")
    if stopped is not None and "denosumab_stopped_recently" not in data.get("prior_therapy", {}):
        if agent is not None and agent.value == "denosumab":
            # Given again since (or another entry shows it current): not stopped.
            for c in state.candidates.get("denosumab_stopped", []):
                state.drop(
                    c.resource,
                    "Denosumab beendet, aber eine neuere Angabe zeigt es als laufend",
                    "denosumab ended, but a later entry shows it as current",
                )
        else:
            _set(data, "prior_therapy.denosumab_stopped_recently", True)
            src("prior_therapy.denosumab_stopped_recently", stopped)
    if agent is not None and "bone_modifying_agent_since" not in data.get("prior_therapy", {}):
        start = fields.get(f"bma_start.{agent.value}")
        if start is not None:
            _set_course_start(
                state,
                data,
                sources,
                "bone_modifying_agent_since",
                f"bma.{agent.value}",
                dt.date.fromisoformat(start.value),
                start,
                state.codes.data.bma_current_days.value,
            )
    stage = fields.get("primary_stage.myeloma")
    if stage is not None and site is not None and "stage" not in data.get("myeloma", {}):
        # The stage the chosen primary's own code names. A myeloma diagnosis beside it, earlier
        # or later (a later one is chosen as the primary), leaves the stage open and the
        # report says so: a solitary plasmacytoma excludes myeloma, and the board decides
        # which holds.
        staged = {c.resource for c in state.candidates.get("primary_stage.myeloma", [])}
        myeloma = [
            c.resource
            for c in state.candidates.get("primary.site", [])
            if c.value == "myeloma" and c.resource not in staged
        ]
        if myeloma:
            state.drop(
                stage.resource,
                f"myeloma.stage {stage.value} nicht übernommen: auch ein Multiples "
                f"Myelom ist erfasst ({', '.join(myeloma)})",
                f"myeloma.stage {stage.value} not used: a multiple myeloma is on "
                f"record too ({', '.join(myeloma)})",
                stage.element,
            )
        elif site.resource == stage.resource:
            _set(data, "myeloma.stage", stage.value)
            src("myeloma.stage", stage)
    if agent is not None and "bone_modifying_agent_dose" not in data.get("prior_therapy", {}):
        dose = fields.get(f"bma_dose.{agent.value}")
        if dose is not None:
            _set(data, "prior_therapy.bone_modifying_agent_dose", dose.value)
            src("prior_therapy.bone_modifying_agent_dose", dose)
    if markers:
        if site is not None and site.value == "breast":
            hr = [
                markers[k] for k in ("estrogen_receptor", "progesterone_receptor") if k in markers
            ]
            if any(c.value == "positive" for c in hr):
                _set(data, "primary.hormone_receptor", "positive")
                for c in hr:
                    if c.value == "positive":
                        src("primary.hormone_receptor", c)
            elif len(hr) == 2:
                _set(data, "primary.hormone_receptor", "negative")
                for c in hr:
                    src("primary.hormone_receptor", c)
            if "her2" in markers:
                _set(data, "primary.her2", markers["her2"].value)
                src("primary.her2", markers["her2"])
        else:
            for c in markers.values():
                state.drop(
                    c.resource,
                    "Tumormarker nur beim Mammakarzinom ausgewertet",
                    "tumour markers are read for breast cancer only",
                )
    if series:
        if site is None or site.value != "myeloma":
            for items in series.values():
                for c in items.values():
                    state.drop(
                        c.resource,
                        "Myelom-Verlaufswert ohne Myelom als Primärtumor",
                        "myeloma value without myeloma as the primary",
                    )
        else:
            _series(data, sources, series)
    # lesions, with their own items
    out_lesions = []
    for lesion, srcs in zip(lesions, lesion_sources, strict=True):
        entry = {k: v for k, v in lesion.items() if not k.startswith("_")}
        cond = lesion["_condition"]
        for path, c in fields.items():
            if not path.startswith("lesion@"):
                continue
            target, _, name = path[len("lesion@") :].partition("|")
            tcond, _, tlesion = target.partition("#")
            if tcond in aliases:  # a second diagnosis of this lesion: its findings are this one's
                tcond, tlesion = aliases[tcond], ""
            if tcond != cond or (tlesion and tlesion != lesion["id"]):
                continue
            entry[name] = c.value
            for resource, element in [(c.resource, c.element), *c.also]:
                srcs.append(
                    FieldSource(
                        field=f"lesions[{lesion['id']}].{name}",
                        value=c.value,
                        resource=resource,
                        element=element,
                        note=c.note,
                    )
                )
        out_lesions.append(entry)
        sources.extend(srcs)
    known = {les["_condition"] for les in lesions} | set(aliases)
    for path, c in fields.items():
        if path.startswith("lesion@"):
            tcond = path[len("lesion@") :].partition("|")[0].partition("#")[0]
            if tcond not in known:
                state.drop(
                    c.resource,
                    "bezieht sich (focus) auf keine Knochenläsion",
                    "refers (focus) to no bone lesion",
                    "focus",
                )
    if out_lesions:
        data["lesions"] = out_lesions
    return data, sources


def _series(
    data: dict[str, Any], sources: list[FieldSource], series: dict[str, dict[str, _Candidate]]
) -> None:
    days = sorted(series)
    involved = "kappa_flc"
    for day in days:
        items = series[day]
        if "kappa_flc" in items and "lambda_flc" in items:
            involved = (
                "kappa_flc"
                if items["kappa_flc"].value >= items["lambda_flc"].value
                else "lambda_flc"
            )
            break
    uninvolved = "lambda_flc" if involved == "kappa_flc" else "kappa_flc"
    rename = {involved: "involved_flc_mg_l", uninvolved: "uninvolved_flc_mg_l"}
    out = []
    for i, day in enumerate(days):
        row: dict[str, Any] = {"date": day}
        for name, c in series[day].items():
            target = rename.get(name, name)
            row[target] = c.value
            note = c.note
            if name in rename:
                chain = "kappa" if name == "kappa_flc" else "lambda"
                which = "beteiligt" if name == involved else "unbeteiligt"
                note = _t(
                    f"{chain}: {which} (höhere Leichtkette am ersten Datum mit beiden)",
                    f"{chain}: {'involved' if name == involved else 'uninvolved'} "
                    "(higher light chain on the first date with both)",
                )
            sources.append(
                FieldSource(
                    field=f"myeloma.series[{i}].{target}",
                    value=c.value,
                    resource=c.resource,
                    element=c.element,
                    note=note,
                )
            )
        out.append(row)
    data.setdefault("myeloma", {})["series"] = out


def _validate(
    state: _State, data: dict[str, Any], sources: list[FieldSource], patient_ref: str
) -> Case:
    """The case; a value the case format does not allow (an ECOG of 7, a neutrophil count
    of 3000 × 10⁹/l) is left out and reported with the reason, the rest is kept. Problems
    that no single resource caused are errors."""
    from osteoboard.caseio import validation_error

    for _ in range(50):
        try:
            return Case.model_validate(data)
        except ValidationError as exc:
            err = validation_error(exc, Case, data)
            fatal: list[FhirProblem] = []
            dropped = False
            for p in err.problems:
                where = p.where
                hit = _source_for(where, sources, data)
                de = p.render("de").split(": ", 1)[-1]
                en = p.render("en").split(": ", 1)[-1]
                if hit is not None and _remove(data, where):
                    sources[:] = [s for s in sources if s is not hit]
                    state.drop(
                        hit.resource,
                        f"{where}: {de}; Wert nicht übernommen",
                        f"{where}: {en}; value not used",
                        hit.element,
                    )
                    dropped = True
                else:
                    origin = f"{hit.resource}: {hit.element}" if hit is not None else patient_ref
                    fatal.append(FhirProblem(f"{origin} → {where}", de, en))
            if fatal or not dropped:
                raise FhirImportError(
                    fatal or [FhirProblem(patient_ref, "ungültiger Fall", "invalid case")]
                ) from None
    raise FhirImportError(
        FhirProblem(patient_ref, "zu viele ungültige Werte", "too many invalid values")
    )


def _remove(data: dict[str, Any], where: str) -> bool:
    """Remove the value at a path as the validation names it (``labs.x``, ``lesions[0].y``)."""
    parts = re.findall(r"[^.\[\]]+|\[\d+\]", where)
    node: Any = data
    for part in parts[:-1]:
        if part.startswith("["):
            idx = int(part[1:-1])
            if not isinstance(node, list) or idx >= len(node):
                return False
            node = node[idx]
        else:
            if not isinstance(node, dict) or part not in node:
                return False
            node = node[part]
    last = parts[-1] if parts else ""
    # only a value, never a whole block or list (a problem of a block is an error)
    if (
        isinstance(node, dict)
        and last in node
        and last not in ("id", "date")
        and not isinstance(node[last], dict | list)
    ):
        del node[last]
        return True
    return False


def _source_for(
    where: str, sources: list[FieldSource], data: Mapping[str, Any]
) -> FieldSource | None:
    """The report entry of a case path as the validation names it (``lesions[0].level``)."""
    m = re.match(r"^lesions\[(\d+)\]\.?(.*)$", where)
    if m:
        lesions = data.get("lesions") or []
        idx = int(m[1])
        if idx < len(lesions):
            lid = lesions[idx]["id"]
            name = f"lesions[{lid}]" + (f".{m[2]}" if m[2] else "")
            return next((s for s in sources if s.field == name), None) or next(
                (s for s in sources if s.field.startswith(f"lesions[{lid}]")), None
            )
    m = re.match(r"^myeloma\.series\[(\d+)\]\.?(.*)$", where)
    if m:
        return next((s for s in sources if s.field.startswith(f"myeloma.series[{m[1]}]")), None)
    return next((s for s in sources if s.field == where), None) or next(
        (s for s in sources if where.startswith(s.field + ".") or s.field.startswith(where + ".")),
        None,
    )
