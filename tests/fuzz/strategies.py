"""Hypothesis strategies for case documents: generated from the published JSON Schema, mutated
from the examples (type swaps, extreme numbers, unicode and control characters, deleted,
duplicated and unknown fields), and malformed as YAML or JSON text."""

from __future__ import annotations

import copy
import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml
from hypothesis import strategies as st

from osteoboard.case import Case

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE_TEXTS = [p.read_text(encoding="utf-8") for p in sorted((ROOT / "examples").glob("*.yaml"))]
EXAMPLE_DOCS = [yaml.safe_load(t) for t in EXAMPLE_TEXTS]
SCHEMA = Case.model_json_schema()

# --------------------------------------------------------------------------------------------
# From the schema

_NASTY_TEXT = st.sampled_from(
    [
        "",
        " ",
        "\x1b[31mred\x1b[0m",
        "a\rb\nc",
        "\x00",
        "\t",
        "腺癌",
        "🦴🩻",
        "\u202eevil",
        "\ufeff",
        "\ue000",
        "a\u0301\u0301\u0301",
        "x" * 300,
        "null",
        "~",
        "NaN",
        "2024-02-30",
        "-1",
    ]
)
_UNICODE_TEXT = st.text(st.characters(codec="utf-8"), max_size=30)


def _string(node: dict[str, Any]) -> st.SearchStrategy[Any]:
    if node.get("format") == "date":
        return st.dates(dt.date(1850, 1, 1), dt.date(2150, 12, 31)).map(dt.date.isoformat)
    if "pattern" in node:
        return st.from_regex(node["pattern"], fullmatch=True).filter(
            lambda s: len(s) <= node.get("maxLength", 200)
        )
    return st.one_of(
        st.text(max_size=min(node.get("maxLength", 80), 80)), _NASTY_TEXT, _UNICODE_TEXT
    )


def _number(node: dict[str, Any], integer: bool) -> st.SearchStrategy[Any]:
    lo = node.get("minimum", node.get("exclusiveMinimum"))
    hi = node.get("maximum", node.get("exclusiveMaximum"))
    if integer:
        step = node.get("multipleOf", 1)
        inside = st.integers(
            None if lo is None else -(-lo // step), None if hi is None else hi // step
        ).map(lambda n: n * step)
        return st.one_of(inside, st.integers())
    inside = st.floats(
        lo,
        hi,
        exclude_min="exclusiveMinimum" in node,
        exclude_max="exclusiveMaximum" in node,
        allow_nan=False,
    )
    edges = st.sampled_from([v for v in (lo, hi) if v is not None] or [0.0])
    return st.one_of(inside, edges, st.floats(allow_nan=False, allow_infinity=False))


def from_schema(node: dict[str, Any], depth: int = 0) -> st.SearchStrategy[Any]:
    """Mostly valid values for a JSON Schema node (with edges and odd text)."""
    if "$ref" in node:
        name = node["$ref"].rsplit("/", 1)[-1]
        return st.deferred(lambda: from_schema(SCHEMA["$defs"][name], depth + 1))
    if "anyOf" in node:
        return st.one_of([from_schema(option, depth) for option in node["anyOf"]])
    if "enum" in node:
        return st.sampled_from(node["enum"])
    kind = node.get("type")
    if kind == "object":
        props = node.get("properties", {})
        required = set(node.get("required", []))
        return st.fixed_dictionaries(
            {k: from_schema(v, depth + 1) for k, v in props.items() if k in required},
            optional={k: from_schema(v, depth + 1) for k, v in props.items() if k not in required},
        )
    if kind == "array":
        return st.lists(from_schema(node.get("items", {}), depth + 1), max_size=4)
    if kind == "string":
        return _string(node)
    if kind in {"integer", "number"}:
        return _number(node, kind == "integer")
    if kind == "boolean":
        return st.booleans()
    if kind == "null":
        return st.none()
    return st.none()


def schema_documents() -> st.SearchStrategy[dict[str, Any]]:
    return from_schema(SCHEMA)  # type: ignore[return-value]


# --------------------------------------------------------------------------------------------
# Mutations of the examples

WEIRD_VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.sampled_from([10**400, -(10**30), 0, -1, 2**63, 1e308, -0.0, 5e-324]),
    st.floats(),
    _NASTY_TEXT,
    _UNICODE_TEXT,
    st.sampled_from(["1899-12-31", "2101-01-01", "9999-12-31", "0001-01-01", "2024-13-01"]),
    st.dates().map(dt.date.isoformat),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=5), st.integers(), max_size=2),
    st.just(["other"] * 50),
)


def _swaps(value: Any) -> list[Any]:
    """Type swaps of a value: the same content as another type."""
    out: list[Any] = [str(value), [value], {"value": value}, None]
    if isinstance(value, bool):
        out += [int(value), "yes"]
    elif isinstance(value, int | float):
        # float() of a huge integer overflows: the swap is then the integer plus one.
        shifted = float(value) + 0.5 if abs(value) < 1e300 else value + 1
        out += [value * 10**6, -value, shifted, bool(value)]
    elif isinstance(value, str):
        out += [value.upper(), value * 50, f" {value} ", value[:1]]
    return out


def _places(doc: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """Every path to a value in a document."""
    if isinstance(doc, dict):
        for key, value in doc.items():
            yield (*path, key)
            yield from _places(value, (*path, key))
    elif isinstance(doc, list):
        for i, value in enumerate(doc):
            yield (*path, i)
            yield from _places(value, (*path, i))


def _parent(doc: Any, path: tuple[Any, ...]) -> Any:
    for part in path[:-1]:
        doc = doc[part]
    return doc


@st.composite
def mutated_examples(draw: st.DrawFn) -> dict[str, Any]:
    doc = copy.deepcopy(draw(st.sampled_from(EXAMPLE_DOCS)))
    for _ in range(draw(st.integers(1, 4))):
        places = list(_places(doc))
        if not places:
            break
        path = draw(st.sampled_from(places))
        parent, key = _parent(doc, path), path[-1]
        op = draw(st.sampled_from(["weird", "swap", "delete", "unknown", "duplicate", "emptied"]))
        if op == "weird":
            parent[key] = copy.deepcopy(draw(WEIRD_VALUES))
        elif op == "swap":
            parent[key] = draw(st.sampled_from(_swaps(parent[key])))
        elif op == "delete":
            del parent[key]
        elif op == "unknown" and isinstance(parent, dict):
            parent[draw(st.one_of(_NASTY_TEXT, st.text(max_size=12)))] = copy.deepcopy(
                draw(WEIRD_VALUES)
            )
        elif op == "duplicate" and isinstance(parent, list):
            item = parent[key]
            parent.extend(copy.deepcopy(item) for _ in range(draw(st.integers(1, 250))))
        elif op == "emptied":
            parent[key] = copy.deepcopy(draw(st.sampled_from([{}, [], "", 0])))
    return doc


# --------------------------------------------------------------------------------------------
# Text: serialised documents and malformed YAML/JSON


def to_text(doc: Any, as_json: bool) -> str:
    if as_json:
        return json.dumps(doc, default=str, ensure_ascii=False, indent=1)
    return yaml.safe_dump(doc, allow_unicode=True, sort_keys=False)


_SNIPPETS = st.sampled_from(
    [
        "&a ",
        "*a",
        "!!int ",
        "!!float ",
        "!!bool ",
        "!!timestamp ",
        "!!binary ",
        "!!set ",
        "!!python/object/apply:os.system ['true']",
        "? [a, b]\n: 1\n",
        "? {a: 1}\n: 1\n",
        "<<: {a: 1}\n",
        "{",
        "}",
        "[",
        "]",
        ",",
        ":",
        "- ",
        "\x00",
        "\x07",
        "\t",
        "\r",
        "\x1b[2J",
        "\ufeff",
        "\ud7ff",
        "%YAML 1.1\n",
        "%TAG ! tag:x,2000:\n",
        "---\n",
        "\n...\n",
        "'",
        '"',
        "#",
        "|\n",
        ">-\n",
        "9" * 5000,
        "2024-02-30",
        "0000-01-01",
        "2024-01-01 25:00:00",
        ".inf",
        ".nan",
        "[" * 2000,
        "{" * 50 + "}" * 50,
        '"id": "x", ',
        '"\\ud800"',
        '"\\u0000"',
        "1e99999",
        "-0",
    ]
)


@st.composite
def malformed_texts(draw: st.DrawFn) -> str:
    doc = draw(st.one_of(st.sampled_from(EXAMPLE_DOCS), mutated_examples()))
    text = to_text(doc, draw(st.booleans()))
    for _ in range(draw(st.integers(1, 3))):
        op = draw(st.sampled_from(["insert", "truncate", "drop_line", "dup_line", "replace"]))
        pos = draw(st.integers(0, len(text)))
        lines = text.splitlines(keepends=True)
        if op == "insert":
            text = text[:pos] + draw(st.one_of(_SNIPPETS, _UNICODE_TEXT)) + text[pos:]
        elif op == "truncate":
            text = text[:pos]
        elif op == "drop_line" and lines:
            del lines[draw(st.integers(0, len(lines) - 1))]
            text = "".join(lines)
        elif op == "dup_line" and lines:
            i = draw(st.integers(0, len(lines) - 1))
            lines.insert(i, lines[i])
            text = "".join(lines)
        elif op == "replace" and text:
            i = min(pos, len(text) - 1)
            text = text[:i] + draw(st.characters()) + text[i + 1 :]
    return text
