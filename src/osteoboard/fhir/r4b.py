"""The one place that knows the FHIR library: resources are parsed and validated with the
R4B classes of ``fhir.resources`` (its default classes are R5)."""

from __future__ import annotations

import json
import math
import threading
from decimal import Decimal
from typing import Any

from pydantic import ValidationError

from osteoboard.fhir.errors import FhirImportError, FhirProblem

__all__ = [
    "Resource",
    "forget_parsed",
    "model_class",
    "parse_resource",
    "parse_resource_text",
    "resource_to_dict",
]

#: A parsed resource (a fhir.resources R4B model).
Resource = Any


def model_class(resource_type: str) -> type[Any]:
    """The R4B class of a resource type; KeyError when R4B has no such type."""
    from fhir.resources.R4B import get_fhir_model_class

    try:
        return get_fhir_model_class(resource_type)
    except (KeyError, ValueError) as exc:
        raise KeyError(resource_type) from exc


def _loc(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


#: Resources validated, by their content as canonical JSON: at most this many (a model takes
#: about 15 times its text: some 5 KB for an Observation), their texts at most this many
#: characters in all, and none whose text is longer than the last (an attachment, a large
#: report: validated every time). The oldest go first.
MAX_PARSED = 2048
MAX_PARSED_CHARS = 1_000_000
MAX_PARSED_TEXT = 16_384
_PARSED: dict[str, Resource] = {}
_PARSED_CHARS = [0]
_PARSED_LOCK = threading.Lock()


def forget_parsed() -> None:
    """Empty the store of validated resources (its texts' count with it)."""
    with _PARSED_LOCK:
        _PARSED.clear()
        _PARSED_CHARS[0] = 0


def _keep_parsed(key: str, parsed: Resource) -> None:
    """Add a validated resource, dropping the oldest beyond the bounds (one thread at a time:
    the CDS Hooks service imports in a thread pool; looking up needs no lock)."""
    if len(key) > MAX_PARSED_TEXT:
        return
    with _PARSED_LOCK:
        if key in _PARSED:
            return
        while _PARSED and (
            len(_PARSED) >= MAX_PARSED or _PARSED_CHARS[0] + len(key) > MAX_PARSED_CHARS
        ):
            oldest = next(iter(_PARSED))
            del _PARSED[oldest]
            _PARSED_CHARS[0] -= len(oldest)
        if MAX_PARSED > 0:
            _PARSED[key] = parsed
            _PARSED_CHARS[0] += len(key)


def _content_key(data: dict[str, Any]) -> str | None:
    """The resource's content as canonical JSON (sorted keys; 1 and 1.0 and true stay apart),
    or None for content JSON cannot spell (a Decimal, an infinite number): not kept."""
    try:
        return json.dumps(
            data, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
        )
    except (TypeError, ValueError, RecursionError):
        return None


def parse_resource(data: Any, where: str) -> Resource:
    """One resource as an R4B model; FhirImportError naming the resource and element
    (:func:`parse_resource_text`)."""
    return parse_resource_text(data, where)[0]


def parse_resource_text(data: Any, where: str) -> tuple[Resource, str | None]:
    """One resource as an R4B model, and its content as canonical JSON (None when JSON
    cannot spell it); FhirImportError naming the resource and element.

    Validation is a function of the content, and the same resources come again and again:
    a CDS Hooks client sends a patient's laboratory history at every opening of the chart
    and at every change of a draft order, a bulk export repeats shared resources. A resource
    already validated is therefore taken from :data:`_PARSED` (one JSON dump, about 5 µs for
    an Observation, instead of about 70 µs of validation). The models are only read, never
    changed, so one object serves every import that meets the same content."""
    if not isinstance(data, dict):
        raise FhirImportError(
            FhirProblem(
                where,
                "keine FHIR-Ressource (kein JSON-Objekt)",
                "not a FHIR resource (not a JSON object)",
            )
        )
    rtype = data.get("resourceType")
    if not isinstance(rtype, str):
        raise FhirImportError(FhirProblem(where, "resourceType fehlt", "resourceType is missing"))
    name = f"{rtype}/{data['id']}" if isinstance(data.get("id"), str) else rtype
    if where:
        name = f"{where} ({name})"
    key = _content_key(data)
    if key is not None:
        found = _PARSED.get(key)
        if found is not None:
            return found, key  # passed the shape check and validation before
    _check_shape(data, name)
    try:
        cls = model_class(rtype)
    except KeyError:
        raise FhirImportError(
            FhirProblem(
                name,
                f"resourceType {rtype!r} gibt es in FHIR R4B nicht",
                f"resourceType {rtype!r} does not exist in FHIR R4B",
            )
        ) from None
    try:
        parsed = cls.model_validate(data)
    except ValidationError as exc:
        problems = []
        for err in exc.errors(include_url=False)[:20]:
            element = _loc(tuple(err.get("loc", ())))
            msg = str(err.get("msg", "invalid"))
            given = err.get("input")
            if isinstance(given, (float, Decimal)) and not math.isfinite(given):
                # 1e400 in the JSON: beyond any number a decimal can hold (the validator
                # only says its string "does not match spec regex").
                problems.append(
                    FhirProblem(
                        f"{name}: {element}" if element else name,
                        "keine endliche Zahl (außerhalb des Zahlenbereichs, z. B. 1e400)",
                        "not a finite number (out of range, e.g. 1e400)",
                    )
                )
                continue
            problems.append(
                FhirProblem(
                    f"{name}: {element}" if element else name,
                    f"ungültig nach FHIR R4B: {msg}",
                    f"invalid in FHIR R4B: {msg}",
                )
            )
        raise FhirImportError(problems) from None
    except RecursionError:
        raise FhirImportError(
            FhirProblem(name, "zu tief verschachtelt", "nested too deeply")
        ) from None
    except (ValueError, TypeError) as exc:  # the library's own checks
        raise FhirImportError(
            FhirProblem(name, f"ungültig nach FHIR R4B: {exc}", f"invalid in FHIR R4B: {exc}")
        ) from None
    if key is not None:
        _keep_parsed(key, parsed)
    return parsed, key


#: Deepest nesting of one resource (R4B resources nest a few levels; contained and extensions
#: a few more) and longest array in it: beyond these an input is refused before validation.
MAX_DEPTH = 40
MAX_ARRAY = 10_000
#: Longest string (FHIR R4 datatypes: a string SHALL NOT exceed 1 MB); base64 data of an
#: attachment or a Binary (``data``) and a narrative's XHTML (``div``), which are no strings
#: and which the import does not read, are exempt.
MAX_STRING = 1_048_576
_NOT_STRINGS = frozenset({"data", "div"})


def _check_shape(data: dict[str, Any], name: str) -> None:
    """Refuse a resource nested too deeply or with a huge array, naming the element.

    Runs on every resource of every import (a CDS Hooks call's prefetch included), so the
    walk keeps only the parent of each node; the element's path is spelled out only for the
    one it refuses."""
    # (node, depth, parent entry, key or index in the parent)
    stack: list[tuple[Any, int, Any, Any]] = [(data, 0, None, None)]
    pop, push = stack.pop, stack.append
    while stack:
        entry = pop()
        node, depth = entry[0], entry[1]
        if depth > MAX_DEPTH:
            raise FhirImportError(
                FhirProblem(
                    f"{name}: {_path_of(entry)}",
                    f"tiefer als {MAX_DEPTH} Ebenen verschachtelt",
                    f"nested deeper than {MAX_DEPTH} levels",
                )
            )
        if isinstance(node, dict):
            for key, value in node.items():
                if isinstance(value, dict | list):
                    push((value, depth + 1, entry, key))
                elif value.__class__ is str and len(value) > MAX_STRING and key not in _NOT_STRINGS:
                    _too_long(name, (value, depth + 1, entry, key), len(value))
        elif isinstance(node, list):
            if len(node) > MAX_ARRAY:
                raise FhirImportError(
                    FhirProblem(
                        f"{name}: {_path_of(entry)}",
                        f"{len(node)} Elemente; höchstens {MAX_ARRAY} erlaubt",
                        f"{len(node)} items; at most {MAX_ARRAY} allowed",
                    )
                )
            for i, value in enumerate(node):
                if isinstance(value, dict | list):
                    push((value, depth + 1, entry, i))
                elif value.__class__ is str and len(value) > MAX_STRING:
                    _too_long(name, (value, depth + 1, entry, i), len(value))


def _too_long(name: str, entry: tuple[Any, int, Any, Any], size: int) -> None:
    raise FhirImportError(
        FhirProblem(
            f"{name}: {_path_of(entry)}",
            f"Text mit {size:,} Zeichen; FHIR erlaubt höchstens 1 MB".replace(",", "."),
            f"text of {size:,} characters; FHIR allows at most 1 MB",
        )
    )


def _path_of(entry: tuple[Any, int, Any, Any]) -> str:
    """``a.b[2].c`` of a node of :func:`_check_shape`'s walk."""
    parts: list[Any] = []
    while entry[2] is not None:
        parts.append(entry[3])
        entry = entry[2]
    path = ""
    for part in reversed(parts):
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path


def resource_to_dict(resource: Resource) -> dict[str, Any]:
    """A model back to FHIR JSON (as a dict)."""
    return resource.model_dump(mode="json", exclude_none=True)  # type: ignore[no-any-return]
