"""Reading FHIR input: a Bundle (collection, transaction or searchset) as JSON, bulk-export
NDJSON (one file, or a folder of them), or a folder of both.

Every loader returns plain resource dictionaries for :func:`osteoboard.fhir.import_resources`.
A resource of a Bundle keeps the entry's ``fullUrl`` (references to ``urn:uuid:…`` resolve);
a resource without an id gets the UUID of its ``fullUrl`` as id.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from osteoboard.fhir.errors import problem

__all__ = [
    "BUNDLE_TYPES",
    "MAX_INPUT_BYTES",
    "PATIENT_DATA_TYPES",
    "Entry",
    "decode",
    "load_bundle",
    "load_ndjson",
    "load_path",
    "parse_bundle",
    "parse_json",
    "parse_line",
    "parse_ndjson",
]

#: Bundle types that hold a patient's resources.
BUNDLE_TYPES = ("collection", "transaction", "searchset")
#: Resource types that are a patient's data: the import reads them only with a subject that is
#: the patient, and a server is searched for them by patient.
PATIENT_DATA_TYPES = (
    "Condition",
    "Observation",
    "MedicationRequest",
    "MedicationAdministration",
    "MedicationStatement",
    "Procedure",
    "Device",
)
#: Largest input read, in bytes (a patient's $everything is rarely over a few MB).
MAX_INPUT_BYTES = 50_000_000
#: Most entries (or NDJSON lines) read from one input.
MAX_ENTRIES = 20_000


class Entry(dict[str, Any]):
    """A resource (a dict) with the ``fullUrl`` of its Bundle entry, if it had one."""

    full_url: str | None = None


def _read(path: Path) -> str:
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise problem(str(path), "Datei nicht gefunden", "no such file") from None
    if size > MAX_INPUT_BYTES:
        raise problem(
            str(path),
            f"größer als {MAX_INPUT_BYTES:,} Bytes".replace(",", "."),
            f"larger than {MAX_INPUT_BYTES:,} bytes",
        )
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise problem(
            str(path), f"nicht lesbar: {exc.strerror}", f"cannot read: {exc.strerror}"
        ) from None
    return decode(data, str(path))


def decode(data: bytes, where: str) -> str:
    """FHIR JSON as text: UTF-8, a byte-order mark dropped; anything else is refused."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise problem(where, "kein UTF-8-Text", "not UTF-8 text") from None


class _Twice(dict[str, Any]):
    """A JSON object that names a key twice (its last value kept, as json does)."""

    key: str = ""


def _unique(found: list[bool]) -> Any:
    def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
        out = dict(items)
        if len(out) == len(items):
            return out
        twice = _Twice(out)
        seen: set[str] = set()
        for key, _ in items:
            if key in seen:
                twice.key = key
                break
            seen.add(key)
        found.append(True)
        return twice

    return pairs


def _first_twice(value: Any, path: str = "") -> tuple[str, str] | None:
    """Where the first object with a key named twice is (``entry[1].resource``), and the key."""
    if isinstance(value, _Twice):
        return path, value.key
    if isinstance(value, dict):
        items: Iterable[tuple[str, Any]] = (
            (f"{path}.{k}" if path else k, v) for k, v in value.items()
        )
    elif isinstance(value, list):
        items = ((f"{path}[{i}]", v) for i, v in enumerate(value))
    else:
        return None
    for where, item in items:
        hit = _first_twice(item, where)
        if hit is not None:
            return hit
    return None


def parse_json(text: str, name: str, *, line: bool = False) -> Any:
    """JSON text, refusing a key named twice in one object (which value a reader keeps is
    not defined, and a second ``valueQuantity`` would silently win): a FhirImportError names
    the line of a syntax error (``line``: ``name`` is already one line of a file), or the
    path of the object with the key named twice."""
    found: list[bool] = []
    try:
        data = json.loads(text, object_pairs_hook=_unique(found))
    except json.JSONDecodeError as exc:
        raise problem(
            name if line else f"{name}:{exc.lineno}",
            f"kein gültiges JSON: {exc.msg} (Spalte {exc.colno})",
            f"not valid JSON: {exc.msg} (column {exc.colno})",
        ) from None
    except RecursionError:
        raise problem(name, "zu tief verschachtelt", "nested too deeply") from None
    except ValueError:  # an integer beyond Python's digit limit for conversion (4,300)
        raise problem(
            name, "eine Zahl hat zu viele Ziffern", "a number has too many digits"
        ) from None
    if found:
        try:
            where, key = _first_twice(data) or ("", "?")
        except RecursionError:
            where, key = "", "?"
        raise problem(
            f"{name}: {where}" if where else name,
            f"Schlüssel {key[:60]!r} kommt zweimal vor (welcher Wert gilt, ist nicht festgelegt)",
            f"key {key[:60]!r} appears twice (which value holds is not defined)",
        )
    return data


def parse_bundle(data: Any, name: str = "bundle", *, page: bool = False) -> list[Entry]:
    """The resources of a Bundle document (a dict); one bare resource is accepted too. A
    search answer with a next page is refused unless ``page`` (the caller reads every page):
    a case from part of the data could show an older value where the newer is elsewhere."""
    if not isinstance(data, dict):
        raise problem(
            name, "kein FHIR-Bundle (kein JSON-Objekt)", "not a FHIR Bundle (not a JSON object)"
        )
    rtype = data.get("resourceType")
    if rtype != "Bundle":
        if isinstance(rtype, str):
            raise problem(
                name,
                f"kein Bundle, sondern {rtype!r}; erwartet: Bundle vom Typ "
                f"{', '.join(BUNDLE_TYPES)}",
                f"not a Bundle but {rtype!r}; expected a Bundle of type {', '.join(BUNDLE_TYPES)}",
            )
        raise problem(
            name, "kein FHIR-Bundle (resourceType fehlt)", "not a FHIR Bundle (no resourceType)"
        )
    btype = data.get("type")
    if btype not in BUNDLE_TYPES:
        raise problem(
            f"{name}: type",
            f"Bundle-Typ {btype!r} wird nicht gelesen; erlaubt: {', '.join(BUNDLE_TYPES)}",
            f"Bundle type {btype!r} is not read; allowed: {', '.join(BUNDLE_TYPES)}",
        )
    links = data.get("link")
    if not page and any(
        isinstance(link, dict) and link.get("relation") == "next"
        for link in (links if isinstance(links, list) else [])
    ):
        raise problem(
            f"{name}: link",
            "eine Seite eines Suchergebnisses (link 'next'): die weiteren Seiten fehlen, und "
            "ein älterer Wert könnte für einen neueren auf ihnen stehen – alle Seiten "
            "zusammenführen oder über den Server importieren",
            "one page of a search answer (link 'next'): the further pages are missing, and an "
            "older value could stand for a newer one on them – join all pages or import from "
            "the server",
        )
    entries = data.get("entry") or []
    if not isinstance(entries, list):
        raise problem(f"{name}: entry", "muss eine Liste sein", "must be a list")
    _check_count(len(entries), f"{name}: entry")
    out: list[Entry] = []
    for i, entry in enumerate(entries):
        where = f"{name}: entry[{i}]"
        request = entry.get("request") if isinstance(entry, dict) else None
        if (
            isinstance(entry, dict)
            and "resource" not in entry
            and isinstance(request, dict)
            and request.get("method") in ("DELETE", "GET", "HEAD")
        ):
            continue  # a transaction's delete or read: no resource to import
        if not isinstance(entry, dict) or not isinstance(entry.get("resource"), dict):
            raise problem(
                where,
                "Eintrag ohne resource (erwartet: ein JSON-Objekt mit resourceType)",
                "entry without a resource (expected a JSON object with resourceType)",
            )
        # An OperationOutcome about a search (search.mode "outcome": results withheld or cut
        # short) is kept: the import reports its issues, as the data may be incomplete.
        out.append(_entry(entry["resource"], entry.get("fullUrl")))
    return out


def _check_count(n: int, where: str) -> None:
    if n > MAX_ENTRIES:
        raise problem(
            where,
            f"{n:,} Einträge; höchstens {MAX_ENTRIES:,} werden gelesen".replace(",", "."),
            f"{n:,} entries; at most {MAX_ENTRIES:,} are read",
        )


#: The type and id at the end of an absolute fullUrl (``https://…/fhir/Patient/123``, a
#: version ``/_history/2`` after it).
_URL_ID = re.compile(r"/([A-Z][A-Za-z]+)/([A-Za-z0-9\-.]{1,64})(?:/_history/[^/]+)?$")


def _entry(resource: dict[str, Any], full_url: Any) -> Entry:
    e = Entry(resource)
    if isinstance(full_url, str):
        e.full_url = full_url
        if "id" not in e and full_url.startswith("urn:uuid:"):
            e["id"] = full_url[len("urn:uuid:") :]
        elif "id" not in e and "://" in full_url:
            # A search answer's resource without its id: the server's URL names it.
            m = _URL_ID.search(full_url)
            if m is not None and m[1] == resource.get("resourceType"):
                e["id"] = m[2]
    return e


def parse_line(line: str, where: str) -> Entry:
    """One NDJSON line as a resource: a JSON object, else a FhirImportError naming ``where``
    (``Observation.ndjson:3``)."""
    data = parse_json(line, where, line=True)
    if not isinstance(data, dict):
        raise problem(
            where,
            "keine FHIR-Ressource (kein JSON-Objekt)",
            "not a FHIR resource (not a JSON object)",
        )
    return Entry(data)


def parse_ndjson(text: str, name: str) -> list[Entry]:
    """Bulk-export NDJSON: one resource per line (blank lines skipped)."""
    out: list[Entry] = []
    text = text.removeprefix("\ufeff")
    for n, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        if len(out) >= MAX_ENTRIES:
            _check_count(len(out) + 1, f"{name}:{n}")
        out.append(parse_line(line, f"{name}:{n}"))
    return out


def load_bundle(path: str | Path) -> list[Entry]:
    p = Path(path)
    return parse_bundle(parse_json(_read(p), str(p)), str(p))


def load_ndjson(path: str | Path) -> list[Entry]:
    p = Path(path)
    return parse_ndjson(_read(p), str(p))


def load_path(path: str | Path) -> list[Entry]:
    """A Bundle file (.json), an NDJSON file (.ndjson, .jsonl), or a folder of them (every
    such file in it, in name order)."""
    p = Path(path)
    if p.is_dir():
        files = sorted(
            f for f in p.iterdir() if f.is_file() and f.suffix in (".ndjson", ".jsonl", ".json")
        )
        if not files:
            raise problem(
                str(p),
                "Ordner ohne .ndjson- oder .json-Dateien",
                "folder without .ndjson or .json files",
            )
        return list(_chain(load_path(f) for f in files))
    if p.suffix in (".ndjson", ".jsonl"):
        return load_ndjson(p)
    text = _read(p)
    if not text.strip():
        raise problem(str(p), "leere Datei", "empty file")
    stripped = text.lstrip()
    # A bulk-export file may be named .json: several lines that are each an object.
    if stripped.startswith("{") and "\n{" in stripped.rstrip() and not _is_one_document(text):
        return parse_ndjson(text, str(p))
    return parse_bundle(parse_json(text, str(p)), str(p))


def _is_one_document(text: str) -> bool:
    try:
        json.loads(text)
    except json.JSONDecodeError:
        return False
    except (RecursionError, ValueError):
        return True  # parse_json names the problem
    return True


def _chain(parts: Iterable[list[Entry]]) -> Iterable[Entry]:
    for part in parts:
        yield from part
