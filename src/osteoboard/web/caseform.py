"""The case form, generated from the case model (:class:`osteoboard.case.Case`).

Every field of the model's JSON Schema becomes an input: text, whole or decimal number (with
its unit, from the field name), yes / no / unknown, one of an enumeration (each value by its
name in ``labels.yaml``), a date, several of an enumeration, or a list of texts; every block
a fieldset, every list of blocks (lesions, the myeloma's course) a fieldset per entry with a
button for one more. Field names are the case paths (``patient.age``, ``lesions[0].level``),
so an error of the model (a :class:`~osteoboard.messages.Problem` with its path) is shown at
its field, in the words of :mod:`osteoboard.explain`.

Empty inputs are left out (not documented), never sent as empty values; a block without any
value is left out; an entry of a list without any value is dropped.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from osteoboard import units
from osteoboard.case import Case
from osteoboard.casedoc import value_labels
from osteoboard.explain import explain
from osteoboard.render import format as fmt
from osteoboard.text import Text

__all__ = [
    "Block",
    "BlockList",
    "FormField",
    "ParsedForm",
    "bounds_text",
    "case_spec",
    "convert_value",
    "flatten",
    "input_id",
    "parse_form",
    "set_path",
    "spec_for_path",
]

_INDEX = re.compile(r"\[[^\]]*\]")


@dataclass(frozen=True)
class FormField:
    """One input: ``name`` in its block, ``key`` its path with list indices taken out
    (``lesions[].level``, the key of its label), ``kind`` one of text, integer, number,
    boolean, enum, date, enum_list, text_list."""

    name: str
    key: str
    kind: str
    required: bool = False
    unit: str | None = None
    bounds: tuple[tuple[str, Any], ...] = ()
    options: tuple[tuple[str, Text | None], ...] = ()
    max_items: int | None = None


@dataclass(frozen=True)
class Block:
    """A fieldset: its fields, sub-blocks and lists of blocks, in the model's order.
    ``optional``: the block itself may be missing (myeloma, sarcoma and their parts)."""

    name: str
    key: str
    children: tuple[FormField | Block | BlockList, ...]
    optional: bool = False


@dataclass(frozen=True)
class BlockList:
    """A list of blocks (``lesions``): each entry is ``item`` at ``path[i]``."""

    name: str
    key: str
    item: Block
    max_items: int


def _options(prop: Mapping[str, Any], defs: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    out = []
    for option in prop.get("anyOf", [prop]):
        if option.get("type") == "null":
            continue
        out.append(defs[option["$ref"].rsplit("/", 1)[-1]] if "$ref" in option else option)
    return out


_BOUND_KEYS = (
    "minimum",
    "exclusiveMinimum",
    "maximum",
    "exclusiveMaximum",
    "multipleOf",
    "minLength",
    "maxLength",
    "formatMinimum",
    "formatMaximum",
)


def _bounds(node: Mapping[str, Any]) -> tuple[tuple[str, Any], ...]:
    return tuple((key, node[key]) for key in _BOUND_KEYS if key in node)


def _enum_options(values: Iterable[Any]) -> tuple[tuple[str, Text | None], ...]:
    shown = [str(v) for v in values]
    names = value_labels(shown)
    return tuple((v, names.get(v)) for v in shown)


def _field(name: str, key: str, node: Mapping[str, Any], required: bool) -> FormField:
    unit = units.field_unit(name)
    if "enum" in node:
        return FormField(name, key, "enum", required, None, (), _enum_options(node["enum"]))
    kind = node.get("type")
    if kind == "array":
        items = node["items"]
        if "enum" in items:
            return FormField(
                name,
                key,
                "enum_list",
                required,
                options=_enum_options(items["enum"]),
                max_items=node.get("maxItems"),
            )
        return FormField(
            name, key, "text_list", required, bounds=_bounds(items), max_items=node.get("maxItems")
        )
    if kind == "string":
        kind = "date" if node.get("format") == "date" else "text"
    return FormField(name, key, str(kind), required, unit, _bounds(node))


def _block(
    name: str, key: str, schema: Mapping[str, Any], defs: Mapping[str, Any], optional: bool
) -> Block:
    children: list[FormField | Block | BlockList] = []
    required = set(schema.get("required", ()))
    prefix = f"{key}." if key else ""
    for child, prop in schema["properties"].items():
        options = _options(prop, defs)
        node = options[0] if options else {}
        child_key = prefix + child
        nullable = any(o.get("type") == "null" for o in prop.get("anyOf", []))
        if "properties" in node:
            children.append(_block(child, child_key, node, defs, nullable))
        elif node.get("type") == "array":
            items = _options(node["items"], defs)[0]
            if "properties" in items:
                item = _block(child, child_key + "[]", items, defs, False)
                children.append(BlockList(child, child_key + "[]", item, node.get("maxItems", 50)))
            else:
                children.append(_field(child, child_key + "[]", node, child in required))
        else:
            children.append(_field(child, child_key, node, child in required))
    return Block(name, key, tuple(children), optional)


@functools.cache
def case_spec() -> Block:
    """The form of the whole case (built once from the model's JSON Schema)."""
    schema = Case.model_json_schema()
    return _block("case", "", schema, schema.get("$defs", {}), False)


def _walk(block: Block) -> Iterable[FormField | Block | BlockList]:
    for child in block.children:
        yield child
        if isinstance(child, Block):
            yield from _walk(child)
        elif isinstance(child, BlockList):
            yield child
            yield from _walk(child.item)


@functools.cache
def _by_key() -> dict[str, FormField | Block | BlockList]:
    return {node.key: node for node in _walk(case_spec())}


def spec_for_path(path: str) -> FormField | Block | BlockList | None:
    """The form node of a case path (``lesions[L1].level`` → the lesion's level field)."""
    return _by_key().get(_INDEX.sub("[]", path))


def input_id(path: str) -> str:
    """An element id for a path: ``lesions[0].level`` → ``f-lesions-0-level``."""
    return "f-" + re.sub(r"[^A-Za-z0-9]+", "-", path).strip("-")


# --------------------------------------------------------------------------------------------
# Values shown in the form


def show_number(value: float | int, lang: str) -> str:
    text = repr(value) if isinstance(value, float) else str(value)
    if text.endswith(".0"):
        text = text[:-2]
    return text.replace(".", ",") if lang == "de" else text


def flatten(document: Mapping[str, Any], lang: str = "de") -> dict[str, Any]:
    """A case document as the form's values: path → text (lists of enumeration values stay
    lists, a list of texts becomes one text per line)."""
    out: dict[str, Any] = {}

    def walk(block: Block, data: Mapping[str, Any], prefix: str) -> None:
        for child in block.children:
            path = prefix + child.name
            value = data.get(child.name)
            if value is None:
                continue
            if isinstance(child, Block):
                walk(child, value, path + ".")
            elif isinstance(child, BlockList):
                for i, entry in enumerate(value):
                    walk(child.item, entry, f"{path}[{i}].")
                out[path + "[]"] = len(value)
            elif child.kind == "boolean":
                out[path] = "true" if value else "false"
            elif child.kind in ("integer", "number") and not isinstance(value, bool):
                out[path] = show_number(value, lang)
            elif child.kind == "enum_list":
                out[path] = [str(v) for v in value]
            elif child.kind == "text_list":
                out[path] = "\n".join(str(v) for v in value)
            else:
                out[path] = str(value)

    walk(case_spec(), document, "")
    return out


# --------------------------------------------------------------------------------------------
# Reading a submitted form


@dataclass
class ParsedForm:
    """A submitted form: the case document (``data``), the values to show again
    (``values``, paths of the compacted lists), the rows of each list and the errors by
    path (``errors``; ``""`` for the case as a whole)."""

    data: dict[str, Any] = field(default_factory=dict)
    values: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, list[str]] = field(default_factory=dict)
    case: Case | None = None


_DECIMAL = re.compile(r"^[+-]?\d+(?:[.,]\d+)?$")
_INTEGER = re.compile(r"^[+-]?\d+$")


def convert_value(spec: FormField, raw: str) -> Any:
    """The value of one input, as the model expects it; text it cannot read is passed on
    unchanged, so that the model names the problem."""
    text = raw.strip()
    if spec.kind == "integer" and _INTEGER.match(text):
        return int(text)
    if spec.kind == "number" and _DECIMAL.match(text):
        return float(text.replace(",", "."))
    if spec.kind == "boolean" and text in ("true", "false"):
        return text == "true"
    return text


def _read_block(
    block: Block, form: Any, prefix: str, out_values: dict[str, Any], extra_rows: Mapping[str, int]
) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for child in block.children:
        path = prefix + child.name
        if isinstance(child, Block):
            sub = _read_block(child, form, path + ".", out_values, extra_rows)
            if sub:
                data[child.name] = sub
        elif isinstance(child, BlockList):
            rows = _row_indices(form, path)
            entries: list[dict[str, Any]] = []
            for index in rows:
                row_values: dict[str, Any] = {}
                entry = _read_block(child.item, form, f"{path}[{index}].", row_values, extra_rows)
                if entry:
                    # Compacted: the entry's place in the document is its place in the list.
                    new_prefix = f"{path}[{len(entries)}]."
                    old_prefix = f"{path}[{index}]."
                    for key, value in row_values.items():
                        out_values[new_prefix + key[len(old_prefix) :]] = value
                    entries.append(entry)
            out_values[path + "[]"] = len(entries) + extra_rows.get(child.key, 0)
            if entries:
                data[child.name] = entries
        elif child.kind == "enum_list":
            chosen = [v for v in form.getlist(path) if v]
            if chosen:
                out_values[path] = chosen
                data[child.name] = chosen
        elif child.kind == "text_list":
            raw = str(form.get(path) or "")
            lines = [line.strip() for line in raw.splitlines() if line.strip()]
            if lines:
                out_values[path] = raw
                data[child.name] = lines
        else:
            raw = str(form.get(path) or "")
            if raw.strip():
                out_values[path] = raw
                data[child.name] = convert_value(child, raw)
    return data


def _row_indices(form: Any, path: str) -> list[int]:
    """The entries of a list present in the form, in order (``path[3].x`` → 3)."""
    pattern = re.compile(re.escape(path) + r"\[(\d+)\]\.")
    found = {int(m.group(1)) for key in form for m in [pattern.match(key)] if m}
    return sorted(found)


def _where(path: str) -> str:
    """The path of the form element an error belongs to: the input, the fieldset of a
    block or list entry, the list input of a list entry; ``""`` for the case as a whole."""
    while path and path != "case":
        key = _INDEX.sub("[]", path)
        node = _by_key().get(key) or _by_key().get(key + "[]")
        if isinstance(node, FormField) and node.kind in ("enum_list", "text_list"):
            return re.sub(r"\[\d+\]$", "", path)
        if node is not None:
            return path
        cut = max(path.rfind("."), path.rfind("["))
        if cut <= 0:
            break
        path = path[:cut]
    return ""


def parse_form(
    form: Any, *, lang: str = "de", add_row: str | None = None, fixed_id: str | None = None
) -> ParsedForm:
    """Read a submitted case form and validate it against the model. ``add_row``: the key of
    a list (``lesions[]``) that gets one more empty entry; ``fixed_id``: the pseudonym of a
    case being edited (the form cannot change it)."""
    parsed = ParsedForm()
    extra = {add_row: 1} if add_row else {}
    parsed.data = _read_block(case_spec(), form, "", parsed.values, extra)
    if fixed_id is not None:
        parsed.data["id"] = fixed_id
        parsed.values["id"] = fixed_id
    try:
        parsed.case = Case.model_validate(parsed.data)
    except ValidationError as exc:
        for problem in explain(exc.errors(include_url=False), Case, parsed.data):
            text = "; ".join(
                [problem.what.render(_lang(lang)), *(h.render(_lang(lang)) for h in problem.hints)]
            )
            parsed.errors.setdefault(_where(problem.where), []).append(text)
    return parsed


def _lang(lang: str) -> Any:
    return "en" if lang == "en" else "de"


# --------------------------------------------------------------------------------------------
# Answers to questions: one field of the newest version set


def set_path(document: dict[str, Any], path: str, value: Any) -> None:
    """Set ``path`` (``patient.fit_for_surgery``, ``lesions[L1].escc_grade``) in a case
    document; a list entry is found by its id. Raises KeyError when the entry is missing."""
    parts = re.findall(r"[^.\[\]]+|\[[^\]]*\]", path)
    node: Any = document
    for i, part in enumerate(parts):
        last = i == len(parts) - 1
        if part.startswith("["):
            ident = part[1:-1]
            matches = [entry for entry in node if str(entry.get("id")) == ident]
            if not matches:
                raise KeyError(path)
            node = matches[0]
            continue
        nxt = parts[i + 1] if not last else None
        if last:
            if value is None:
                node.pop(part, None)
            else:
                node[part] = value
        else:
            if part not in node or node[part] is None:
                node[part] = [] if nxt is not None and nxt.startswith("[") else {}
            node = node[part]


def bounds_text(spec: FormField, lang: str) -> str:
    """What the field allows, in words: ``≥ 18, ≤ 120``, ``höchstens 200 Zeichen``."""
    parts: list[str] = []
    signs = {"minimum": "≥", "exclusiveMinimum": ">", "maximum": "≤", "exclusiveMaximum": "<"}
    for key, value in spec.bounds:
        if key in signs:
            parts.append(f"{signs[key]} {fmt.number(value, lang)}")
        elif key == "multipleOf":
            parts.append(
                f"Vielfaches von {fmt.number(value, lang)}"
                if lang == "de"
                else f"multiple of {fmt.number(value, lang)}"
            )
        elif key == "maxLength":
            parts.append(
                f"höchstens {value} Zeichen" if lang == "de" else f"at most {value} characters"
            )
        elif key == "formatMinimum":
            parts.append(("ab " if lang == "de" else "from ") + str(value))
        elif key == "formatMaximum":
            parts.append(("bis " if lang == "de" else "to ") + str(value))
    return ", ".join(parts)
