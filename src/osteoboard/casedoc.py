"""The field reference of the case format, generated from the model.

Every field of :class:`~osteoboard.case.Case`, block by block: its path, type, unit (from the
field name, see :func:`osteoboard.units.field_unit`), what is allowed (bounds, patterns, list
lengths and enumerations, all from the model's JSON Schema, each enumeration value with its
German label where the knowledge base names it) and its meaning (the Field description).
``docs/case-format.md`` carries it below its introduction (``osteoboard schema --format
markdown``; a test keeps the two in step).
"""

from __future__ import annotations

import functools
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from osteoboard import units
from osteoboard.case import Case
from osteoboard.explain import ACCEPTED_EXTRA_NAMES
from osteoboard.text import Text

__all__ = ["MARKER", "field_reference", "fields", "value_labels"]

#: The line of docs/case-format.md below which the reference is generated.
MARKER = (
    "<!-- Generated from the model below this line (scripts/update_docs.py, "
    "`osteoboard schema --format markdown`); do not edit. -->"
)

# A value the knowledge base adds to an enumeration for "not applicable" (a lesion that is not
# in a long bone has no segment); it is not a value of the case format.
_NOT_APPLICABLE = "none"


@functools.cache
def _vocabularies() -> tuple[Mapping[str, Text], ...]:
    """The names of every enumeration's values (``knowledge/labels.yaml``)."""
    from osteoboard.guideline import load_knowledge_base

    labels = load_knowledge_base().labels
    return tuple(
        {value: label.text for value, label in names.items()}
        for names in labels.vocabularies.values()
    )


def value_synonyms(values: Sequence[str]) -> Mapping[str, tuple[str, ...]]:
    """Per synonym (compared by :func:`~osteoboard.labels.synonym_key`), the values of the
    enumeration it may mean (``labels.yaml``; two for an ambiguous word)."""
    from osteoboard.guideline import load_knowledge_base
    from osteoboard.labels import synonym_key

    wanted = set(values)
    for names in load_knowledge_base().labels.vocabularies.values():
        if wanted <= set(names) and set(names) - wanted <= {_NOT_APPLICABLE}:
            out: dict[str, tuple[str, ...]] = {}
            for value, label in names.items():
                for word in label.synonyms:
                    key = synonym_key(word)
                    out[key] = (*out.get(key, ()), value)
            return out
    return {}


def value_labels(values: Sequence[str]) -> Mapping[str, Text]:
    """The names of an enumeration's values, from the vocabulary of ``labels.yaml`` that names
    exactly these values (and at most "none" for "not applicable"); empty when none does."""
    wanted = set(values)
    for names in _vocabularies():
        if wanted <= set(names) and set(names) - wanted <= {_NOT_APPLICABLE}:
            return names
    return {}


# --------------------------------------------------------------------------------------------
# The fields, from the JSON Schema


@dataclass(frozen=True)
class FieldDoc:
    """One row of the reference."""

    path: str
    type: str
    unit: str
    allowed: str
    meaning: str
    required: bool = False


@dataclass(frozen=True)
class BlockDoc:
    """One block (a section of the reference): its path, meaning and fields."""

    path: str
    meaning: str
    fields: tuple[FieldDoc, ...]


def _options(prop: Mapping[str, Any], defs: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The non-null alternatives of a property, references resolved."""
    out = []
    for option in prop.get("anyOf", [prop]):
        if option.get("type") == "null":
            continue
        if "$ref" in option:
            out.append(defs[option["$ref"].rsplit("/", 1)[-1]])
        else:
            out.append(option)
    return out


def _description(prop: Mapping[str, Any]) -> str:
    for node in (prop, *prop.get("anyOf", [])):
        if node.get("description"):
            return " ".join(str(node["description"]).replace("``", "`").split())
    return ""


def _number(value: Any) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def _bounds(node: Mapping[str, Any]) -> list[str]:
    parts = []
    for key, sign in (
        ("minimum", "≥"),
        ("exclusiveMinimum", ">"),
        ("maximum", "≤"),
        ("exclusiveMaximum", "<"),
    ):
        if key in node:
            parts.append(f"{sign} {_number(node[key])}")
    if "multipleOf" in node:
        parts.append(f"multiple of {_number(node['multipleOf'])}")
    if "formatMinimum" in node and "formatMaximum" in node:
        parts.append(f"{node['formatMinimum']} to {node['formatMaximum']}")
    low, high = node.get("minLength"), node.get("maxLength")
    if high is not None:
        parts.append(f"{low or 0}–{high} characters" if low else f"at most {high} characters")
    elif low:
        parts.append(f"at least {low} characters")
    if "pattern" in node:
        parts.append(f"pattern `{node['pattern']}`")
    return parts


def _enum(node: Mapping[str, Any]) -> str:
    values = [str(v) for v in node["enum"]]
    names = value_labels(values)
    return ", ".join(f"`{v}` ({names[v].de})" if v in names else f"`{v}`" for v in values)


def _kind(node: Mapping[str, Any]) -> str:
    if "enum" in node:
        return "one of"
    kind = node.get("type")
    if kind == "string":
        return "date" if node.get("format") == "date" else "text"
    return {"integer": "integer", "number": "number", "boolean": "true/false"}.get(
        str(kind), str(kind)
    )


def _walk(
    path: str, block: Mapping[str, Any], defs: Mapping[str, Any], sep: str = "."
) -> Iterator[BlockDoc]:
    rows: list[FieldDoc] = []
    nested: list[tuple[str, Mapping[str, Any]]] = []
    required = set(block.get("required", ()))
    prefix = f"{path}{sep}" if path else ""
    for name, prop in block["properties"].items():
        field_path = prefix + name
        options = _options(prop, defs)
        node = options[0] if options else {}
        kind, allowed = _kind(node), _bounds(node)
        if "properties" in node:
            kind = "block"
            allowed = [f"see [`{field_path}`](#{_anchor(field_path)})"]
            nested.append((field_path, node))
        elif kind == "array":
            items = _options(node["items"], defs)[0]
            if "properties" in items:
                kind = "list of blocks"
                allowed = [f"see [`{field_path}[]`](#{_anchor(field_path + '[]')})"]
                nested.append((field_path + "[]", items))
            else:
                kind = "list (each one of)" if "enum" in items else f"list of {_kind(items)}"
                allowed = [_enum(items)] if "enum" in items else _bounds(items)
            if "maxItems" in node:
                allowed.append(f"at most {node['maxItems']} items")
        elif "enum" in node:
            allowed = [_enum(node)]
        rows.append(
            FieldDoc(
                path=field_path,
                type=kind,
                unit=units.field_unit(name) or "",
                allowed="; ".join(allowed),
                meaning=_description(prop),
                required=name in required,
            )
        )
    title = str(block.get("title", ""))
    for extra in ACCEPTED_EXTRA_NAMES.get(title, ()):
        si, _ = units.CONVENTIONAL_LAB_FIELDS[extra]
        rows.append(
            FieldDoc(
                path=prefix + extra,
                type="number",
                unit=units.field_unit(extra) or "",
                allowed=f"converted to `{si}`, then checked as it",
                meaning=f"`{si}` in conventional units; give one of the two (both only when "
                "they agree).",
            )
        )
    meaning = " ".join(str(block.get("description", "")).replace("``", "`").split())
    yield BlockDoc(path or "case", meaning, tuple(rows))
    for child_path, child in nested:
        yield from _walk(child_path, child, defs)


def _anchor(path: str) -> str:
    """The heading anchor GitHub makes of a block path (letters, digits, _ and -)."""
    return "".join(ch for ch in path.lower() if ch.isalnum() or ch in "_-")


def fields() -> list[BlockDoc]:
    """Every block of the case format, top level first, each followed by its sub-blocks."""
    schema = Case.model_json_schema()
    return list(_walk("", schema, schema.get("$defs", {})))


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def field_reference() -> str:
    """The reference as Markdown: one section and table per block."""
    out = ["## Field reference", ""]
    out.append(
        "Every field of the case format, generated from the model. Types: text, integer, "
        "number, true/false, date (YYYY-MM-DD), one of (an enumeration; the German label in "
        "brackets), block (a mapping of its own fields), list. Every field may be left out "
        "unless marked **required**; a field left out is unknown."
    )
    for block in fields():
        out += ["", f"### `{block.path}`", ""]
        if block.meaning:
            out += [block.meaning, ""]
        out += ["| Field | Type | Unit | Allowed | Meaning |", "|---|---|---|---|---|"]
        for row in block.fields:
            name = f"`{row.path}`" + (" **required**" if row.required else "")
            cells = (name, row.type, row.unit, row.allowed, row.meaning)
            out.append("| " + " | ".join(_cell(c) for c in cells) + " |")
    return "\n".join(out) + "\n"
