"""Where a cohort comes from: one reader per kind of input.

A reader says whether it takes a path (:meth:`InputReader.accepts`), how many cases it holds
(for the progress bar) and yields :class:`Record` s: the case's *source* (where it came from,
stable between runs: ``case-17.yaml``, ``cohort.ndjson:17``, ``cohort.parquet#16``) and its
payload — a file to read, the document's text, or the document itself. Payloads are parsed in
the worker processes, not in the process that reads the input. Adding a kind of input (a FHIR
bulk export) is one more class in :data:`READERS`.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, Protocol

from osteoboard.caseio import MAX_DOCUMENT_BYTES, CaseError, decode_utf8, read_document
from osteoboard.errors import OsteoboardError
from osteoboard.messages import Count, Lang, Msg, Problem

__all__ = [
    "READERS",
    "CohortInputError",
    "DirectoryReader",
    "FhirBulkReader",
    "InputReader",
    "NdjsonReader",
    "ParquetReader",
    "Record",
    "Unreadable",
    "read_case_file",
    "reader_for",
    "resolve",
]

#: Extensions of case files in a directory.
CASE_SUFFIXES = (".yaml", ".yml", ".json")


class CohortInputError(OsteoboardError, ValueError):
    """The input as a whole cannot be read (not one bad case: those become error rows).

    ``message(lang)`` is the German (default) or English line; ``str()`` the English one."""

    def __init__(self, de: str, en: str) -> None:
        super().__init__(en)
        self.de = de
        self.en = en

    def message(self, lang: Lang = "de") -> str:
        return self.de if lang == "de" else self.en


@dataclass(frozen=True)
class Unreadable:
    """The payload of a record that cannot be read (a broken line of a bulk export): the
    German and English message of its error row."""

    de: str
    en: str


@dataclass(frozen=True)
class Record:
    source: str
    #: A file to read (Path), a document's text (str), the document (a mapping), a line that
    #: is not UTF-8 text (bytes; reading it names the first bad byte), or what could not be
    #: read (its error row).
    payload: Path | str | Mapping[str, Any] | bytes | Unreadable


class InputReader(Protocol):
    name: ClassVar[str]

    def accepts(self, path: Path) -> bool: ...

    def count(self, path: Path) -> int: ...

    def read(self, path: Path) -> Iterator[Record]: ...


def is_run_folder(folder: Path) -> bool:
    """Whether ``folder`` is the output of a cohort run (its ``run.json`` beside its tables)."""
    return (folder / "run.json").is_file() and any(
        (folder / table).is_dir() for table in ("cases", "errors")
    )


class DirectoryReader:
    """A folder of case files (``*.yaml``, ``*.yml``, ``*.json``, also in subfolders); a
    subfolder that holds a cohort run's output (``cohort run -o`` inside the input folder) is
    skipped, so its ``run.json`` is never read as a case."""

    name: ClassVar[str] = "directory"

    def accepts(self, path: Path) -> bool:
        return path.is_dir()

    def _files(self, path: Path) -> list[Path]:
        found: list[Path] = []
        for top, folders, names in os.walk(path):
            here = Path(top)
            folders[:] = [f for f in folders if not is_run_folder(here / f)]
            found.extend(
                here / n
                for n in names
                if Path(n).suffix.lower() in CASE_SUFFIXES and (here / n).is_file()
            )
        return sorted(found)

    def count(self, path: Path) -> int:
        return len(self._files(path))

    def read(self, path: Path) -> Iterator[Record]:
        for p in self._files(path):
            yield Record(p.relative_to(path).as_posix(), p)


class NdjsonReader:
    """One JSON case document per line (``.ndjson``, ``.jsonl``); blank lines are skipped. A
    line is read without its line break (an error in it is in its line 1), and a line that is
    not UTF-8 is passed on as bytes for :func:`resolve` to name."""

    name: ClassVar[str] = "ndjson"

    def accepts(self, path: Path) -> bool:
        return path.is_file() and path.suffix.lower() in {".ndjson", ".jsonl"}

    def count(self, path: Path) -> int:
        with path.open("rb") as f:
            return sum(1 for line in f if line.strip())

    def read(self, path: Path) -> Iterator[Record]:
        with path.open("rb") as f:
            for number, line in enumerate(f, start=1):
                if not line.strip():
                    continue
                source = f"{path.name}:{number}"
                line = line.rstrip(b"\r\n")
                try:
                    yield Record(source, line.decode("utf-8"))
                except UnicodeDecodeError:
                    yield Record(source, line)


def _drop_nulls(value: Any) -> Any:
    """A table row as a case document: a null column is a field not given."""
    if isinstance(value, dict):
        return {k: _drop_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_drop_nulls(v) for v in value]
    return value


class ParquetReader:
    """A Parquet table: either one string column ``case`` with a JSON document per row, or the
    case's fields as (nested) columns, a null meaning "not given"."""

    name: ClassVar[str] = "parquet"

    def accepts(self, path: Path) -> bool:
        return path.is_file() and path.suffix.lower() in {".parquet", ".pq"}

    def count(self, path: Path) -> int:
        import pyarrow.parquet as pq

        return int(pq.ParquetFile(path).metadata.num_rows)

    def read(self, path: Path) -> Iterator[Record]:
        import pyarrow as pa
        import pyarrow.parquet as pq

        try:
            table = pq.ParquetFile(path)
        except (OSError, pa.ArrowException) as exc:
            raise CohortInputError(
                f"{path}: keine Parquet-Tabelle ({exc})", f"{path}: not a Parquet table ({exc})"
            ) from None
        as_text = table.schema_arrow.names == ["case"] or (
            "case" in table.schema_arrow.names
            and pa.types.is_string(table.schema_arrow.field("case").type)
        )
        row = 0
        for batch in table.iter_batches(batch_size=1000):
            if as_text:
                for text in batch.column("case").to_pylist():
                    yield Record(f"{path.name}#{row}", text if isinstance(text, str) else "")
                    row += 1
            else:
                for doc in batch.to_pylist():
                    yield Record(f"{path.name}#{row}", _drop_nulls(doc))
                    row += 1


@dataclass(frozen=True)
class _Line:
    """One non-blank line of an export file: its resource, or why it is none."""

    where: str
    resource: dict[str, Any] | None
    error: tuple[str, str] | None = None
    #: the Patient a broken line names, as far as its text tells
    patient: str | None = None


#: A patient named in a line that is not valid JSON (a truncated line): the reference of its
#: subject or patient, or the id of a Patient resource.
_SUBJECT_TEXT = re.compile(
    r'"(?:subject|patient)"\s*:\s*\{[^{}]*?"reference"\s*:\s*"(?:[^"]*/)?Patient/([^"/]+)"'
)
_PATIENT_TEXT = re.compile(r'"resourceType"\s*:\s*"Patient"')
_ID_TEXT = re.compile(r'"id"\s*:\s*"([^"]+)"')


def _named_patient(text: str) -> str | None:
    m = _SUBJECT_TEXT.search(text)
    if m is not None:
        return m[1]
    if _PATIENT_TEXT.search(text):
        m = _ID_TEXT.search(text)
        return m[1] if m is not None else None
    return None


def _ndjson_lines(file: Path) -> Iterator[_Line]:
    """The lines of one NDJSON file (a byte-order mark, CRLF and blank lines allowed): each
    a resource, or a line that is not one (not UTF-8, not JSON, a key named twice, not an
    object) with its message and the patient its text names. A file that cannot be opened
    stops the input."""
    from osteoboard.fhir import FhirImportError
    from osteoboard.fhir.loaders import parse_line

    try:
        with file.open("rb") as handle:
            for number, raw in enumerate(handle, 1):
                if number == 1:
                    raw = raw.removeprefix(b"\xef\xbb\xbf")
                if not raw.strip():
                    continue
                where = f"{file.name}:{number}"
                raw = raw.rstrip(b"\r\n")
                try:
                    text = raw.decode("utf-8")
                except UnicodeDecodeError:
                    text = raw.decode("utf-8", errors="replace")
                    error = (f"{where}: kein UTF-8-Text", f"{where}: not UTF-8 text")
                    yield _Line(where, None, error, _named_patient(text))
                    continue
                try:
                    yield _Line(where, dict(parse_line(text, where)))
                except FhirImportError as exc:
                    (problem,) = exc.problems
                    error = (problem.render("de"), problem.render("en"))
                    yield _Line(where, None, error, _named_patient(text))
    except OSError as exc:
        raise CohortInputError(
            f"{file.name}: nicht lesbar: {exc.strerror}",
            f"{file.name}: cannot read: {exc.strerror}",
        ) from None


def _patient_of(resource: Mapping[str, Any]) -> str | None:
    """The Patient id a resource belongs to (its own id for a Patient)."""
    if resource.get("resourceType") == "Patient":
        value = resource.get("id")
        return value if isinstance(value, str) else None
    for key in ("subject", "patient"):
        ref = resource.get(key)
        if isinstance(ref, Mapping) and isinstance(ref.get("reference"), str):
            head, _, pid = str(ref["reference"]).rpartition("/")
            if head.endswith("Patient") and pid:
                return pid
    return None


class FhirBulkReader:
    """A FHIR bulk-export folder (NDJSON files, one a resource type: ``Patient.ndjson``,
    ``Condition.ndjson`` …): one case per Patient, imported from the resources that name it
    as subject or patient (osteoboard.fhir, with its mapping).

    A line that is not a resource (cut short, not UTF-8, a key named twice) never stops the
    run. When its text names its patient, that patient is not imported at all: their case
    without the lost resource could take an older value for a newer one (the same rule as a
    measurement that cannot be used), so the patient is one error row naming the line. A line
    that names no patient is an error row of its own (source ``Observation.ndjson:3``), and
    the other patients are imported without it."""

    name: ClassVar[str] = "fhir-bulk"

    def accepts(self, path: Path) -> bool:
        return path.is_dir() and any(
            "Patient" in p.name for p in path.glob("*.ndjson") if p.is_file()
        )

    def count(self, path: Path) -> int:
        return sum(1 for _ in self._plan(path, keep=False))

    def read(self, path: Path) -> Iterator[Record]:
        # Read line by line, without the size limits of one patient's import: a registry's
        # export is large; the limits apply to each patient's resources in the import.
        for source, payload in self._plan(path, keep=True):
            yield Record(source, payload)

    def _plan(
        self, path: Path, *, keep: bool
    ) -> Iterator[tuple[str, Mapping[str, Any] | Unreadable]]:
        """(source, payload) of every record: each patient's Bundle (``keep``: with the
        resources; else empty), a patient with a broken line, a broken line of no patient."""
        by_patient: dict[str, list[dict[str, Any]]] = {}
        has_patient: set[str] = set()
        broken: list[_Line] = []
        for file in sorted(p for p in path.glob("*.ndjson") if p.is_file()):
            for line in _ndjson_lines(file):
                if line.resource is None:
                    broken.append(line)
                    continue
                pid = _patient_of(line.resource)
                if pid is None:
                    continue
                if line.resource.get("resourceType") == "Patient":
                    has_patient.add(pid)
                entries = by_patient.setdefault(pid, [])
                if keep:
                    entries.append(line.resource)
        lost: dict[str, list[_Line]] = {}
        for line in broken:
            if line.patient is not None:
                lost.setdefault(line.patient, []).append(line)
        for line in broken:
            if line.patient is None:
                assert line.error is not None
                de, en = line.error
                yield (
                    line.where,
                    Unreadable(
                        f"{de}; keinem Patienten zuzuordnen – die übrigen Patienten werden "
                        "ohne diese Zeile importiert",
                        f"{en}; belongs to no patient that can be told – the other patients "
                        "are imported without this line",
                    ),
                )
        for pid in [*by_patient, *(p for p in lost if p not in by_patient)]:
            if pid in lost:
                errors = [line.error for line in lost[pid] if line.error is not None]
                yield (
                    f"Patient/{pid}",
                    Unreadable(
                        "; ".join(de for de, _ in errors)
                        + " – eine Ressource des Patienten ist nicht lesbar: nicht importiert "
                        "(ohne sie könnte ein älterer Wert für den verlorenen stehen)",
                        "; ".join(en for _, en in errors)
                        + " – a resource of the patient cannot be read: not imported "
                        "(without it an older value could stand for the lost one)",
                    ),
                )
            elif pid in has_patient:
                entries = by_patient[pid]
                yield (
                    f"Patient/{pid}",
                    {
                        "resourceType": "Bundle",
                        "type": "collection",
                        "entry": [{"resource": r} for r in entries],
                    },
                )


#: Every kind of input, tried in this order.
READERS: tuple[InputReader, ...] = (
    FhirBulkReader(),
    DirectoryReader(),
    NdjsonReader(),
    ParquetReader(),
)


def reader_for(path: Path) -> InputReader:
    """The reader that takes ``path``; a clear error naming the kinds of input otherwise."""
    if not path.exists():
        raise CohortInputError(
            f"{path}: Datei oder Ordner nicht gefunden", f"{path}: no such file or folder"
        )
    for reader in READERS:
        if reader.accepts(path):
            return reader
    raise CohortInputError(
        f"{path}: keine Kohorte (erlaubt: ein Ordner mit YAML/JSON-Fällen, eine .ndjson/.jsonl-"
        "Datei oder eine .parquet-Tabelle)",
        f"{path}: not a cohort input (a folder of YAML/JSON cases, an .ndjson/.jsonl file or "
        "a .parquet table)",
    )


def read_case_file(path: Path, source: str) -> str:
    """A case file's text, read as ``osteoboard evaluate`` reads one (at most
    MAX_DOCUMENT_BYTES, UTF-8, not empty); a CaseError names the source otherwise."""
    try:
        with path.open("rb") as f:
            data = f.read(MAX_DOCUMENT_BYTES + 1)
    except OSError as exc:
        raise CaseError(
            Problem(source, Msg("cannot_read", {"reason": exc.strerror or ""}))
        ) from None
    if len(data) > MAX_DOCUMENT_BYTES:
        raise CaseError(Problem(source, Msg("too_large", {"limit": Count(MAX_DOCUMENT_BYTES)})))
    text = decode_utf8(data, source)
    if not text.strip():
        raise CaseError(Problem(source, Msg("empty_file", {})))
    return text


#: The elements that date a clinical event (FHIR R4), read to find how recent an export's
#: data about one patient are: a date/dateTime/instant, or a Period's start and end.
_EVENT_DATES = (
    "effectiveDateTime",
    "effectiveInstant",
    "effectivePeriod",
    "issued",
    "onsetDateTime",
    "onsetPeriod",
    "recordedDate",
    "abatementDateTime",
    "performedDateTime",
    "performedPeriod",
    "authoredOn",
    "dateAsserted",
    "occurrenceDateTime",
    "period",
)


def data_date(resources: Iterable[Mapping[str, Any]], today: dt.date) -> dt.date:
    """The board date of one exported patient: the day of their latest dated clinical event,
    never after ``today`` (a planned appointment is no data yet); ``today`` when nothing is
    dated. A registry's export of patients seen years ago is read as of their last data, so
    their laboratory values are current for it (they have a maximum age before the board
    date) and a paresis recorded in their last weeks counts as new."""
    latest: dt.date | None = None
    for resource in resources:
        for key in _EVENT_DATES:
            value = resource.get(key)
            texts = (
                [value]
                if isinstance(value, str)
                else [value.get("start"), value.get("end")]
                if isinstance(value, Mapping)
                else []
            )
            for text in texts:
                if not isinstance(text, str) or len(text) < 10:
                    continue  # a year or a month alone dates no day
                try:
                    day = dt.date.fromisoformat(text[:10])
                except ValueError:
                    continue  # the import reports a malformed date
                if day <= today and (latest is None or day > latest):
                    latest = day
    return latest or today


def _from_fhir(bundle: Mapping[str, Any], source: str) -> dict[str, Any]:
    """The case of one patient's FHIR resources, as a case document, as of the patient's
    latest data (:func:`data_date`; an export has no board date): values after it are left
    out, and findings such as a new paresis count as recent relative to it, as in
    ``POST /api/v1/fhir/import`` with that board date."""
    from osteoboard.fhir import FhirImportError, import_resources

    resources = [entry["resource"] for entry in bundle["entry"]]
    try:
        result = import_resources(resources, board_date=data_date(resources, dt.date.today()))
    except FhirImportError as exc:
        raise CaseError(
            [
                Problem(source, Msg("bilingual", {"de": de, "en": en}))
                for de, en in zip(exc.lines("de"), exc.lines("en"), strict=True)
            ]
        ) from None
    doc: dict[str, Any] = result.case.model_dump(mode="json", exclude_none=True)
    return doc


def resolve(record: Record) -> Mapping[str, Any] | str:
    """A record's document or its text, reading a file payload and importing a FHIR Bundle
    payload (raises CaseError)."""
    payload = record.payload
    if isinstance(payload, bytes):
        payload = decode_utf8(payload, record.source)
    if isinstance(payload, Unreadable):
        raise CaseError(Problem("", Msg("bilingual", {"de": payload.de, "en": payload.en})))
    if isinstance(payload, Mapping) and payload.get("resourceType") == "Bundle":
        return _from_fhir(payload, record.source)
    if isinstance(payload, Path):
        text = read_case_file(payload, record.source)
        doc: Mapping[str, Any] | str = read_document(text, name=record.source)
        return doc
    return payload
