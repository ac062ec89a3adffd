"""Validation errors explained: one :class:`~osteoboard.messages.Problem` per pydantic error.

Everything said comes from pydantic's error list and from the model itself: the field path of
the error, the allowed values of an enumeration (from its class), the bounds pydantic reports,
the field names of the block for "did you mean …?". Hints help with the usual slips — a
decimal comma, a German date, a lab value in conventional units — without ever changing the
input: a hint only accompanies an error.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
import types
from collections.abc import Mapping, Sequence
from enum import Enum
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import BaseModel, ValidationError

from osteoboard import units
from osteoboard.messages import (
    Msg,
    Param,
    Problem,
    alternatives,
    one_line,
    render,
    value_error,
)

__all__ = [
    "ACCEPTED_EXTRA_NAMES",
    "excerpt_param",
    "explain",
    "field_path",
    "json_pointer",
    "suggest",
]

#: Longest excerpt of an input value in a message, in characters.
EXCERPT = 40
#: Words longer than this get no "did you mean" (nothing in the model is that long).
_SUGGEST_MAX = 64

_PLAIN_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")
_DECIMAL_COMMA = re.compile(r"^\s*([+-]?\d+),(\d+)\s*$")
_GERMAN_DATE = re.compile(r"^\s*(\d{1,2})\.\s*(\d{1,2})\.\s*(\d{2}|\d{4})\s*$")
_BOOL_WORDS = frozenset({"ja", "nein", "wahr", "falsch", "unbekannt", "j", "n"})

#: Keys a block (by model name) accepts besides its fields: the laboratory values in
#: conventional units, converted before validation.
ACCEPTED_EXTRA_NAMES: dict[str, tuple[str, ...]] = {"Labs": tuple(units.CONVENTIONAL_LAB_FIELDS)}


def _short_repr(text: str) -> str:
    out = repr(text[:EXCERPT])
    if len(out) > EXCERPT + 20:  # escapes make it longer than the value
        out = out[: EXCERPT + 19] + "…"
    return out


def excerpt_param(value: Any) -> Param:
    """A short, escaped rendering of an input value (a message for lists, mappings …)."""
    if isinstance(value, str):
        text = _short_repr(value)
        if len(value) <= EXCERPT:
            return text
        return Msg("excerpt_long_text", {"text": text, "count": len(value)})
    if isinstance(value, list | tuple | set | frozenset):
        if len(value) == 1:
            return Msg("excerpt_list_one")
        return Msg("excerpt_list", {"count": len(value)})
    if isinstance(value, dict):
        return Msg("excerpt_mapping")
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) >= 10**EXCERPT:
        return Msg("excerpt_huge_number")
    if isinstance(value, bool):  # as written in YAML and JSON
        return "true" if value else "false"
    if isinstance(value, dt.date):  # a date or a date and time, as written
        return _short_repr(value.isoformat())
    try:
        text = repr(value)
    except (ValueError, RecursionError):  # e.g. an integer over Python's digit limit
        return Msg("excerpt_object", {"type": type(value).__name__})
    return one_line(text, EXCERPT)


# --------------------------------------------------------------------------------------------
# Paths and the model behind them


def _is_field_part(part: int | str) -> bool:
    # pydantic's inner validator names and union branches are not fields
    return isinstance(part, int) or not (
        part.startswith("function-") or part in {"str", "int", "float", "bool"}
    )


def field_path(loc: Sequence[int | str], root: str = "case") -> str:
    """``lesions[0].type`` for pydantic's ``('lesions', 0, 'type')``; odd keys escaped."""
    out = ""
    for part in loc:
        if not _is_field_part(part):
            continue
        if isinstance(part, int):
            out += f"[{part}]"
        elif _PLAIN_NAME.match(part):
            out += f".{part}" if out else part
        else:  # an unknown key: show it escaped and short
            out += f"[{_short_repr(part)}{'…' if len(part) > EXCERPT else ''}]"
    return out or root


POINTER_KEY_LIMIT = 200
"""A key longer than this ends a JSON pointer at its block (the pointer stays exact and short:
a hostile 500,000-character key would otherwise be echoed whole)."""


def json_pointer(loc: Sequence[int | str]) -> str:
    """The JSON Pointer (RFC 6901) of pydantic's ``loc``: ``/lesions/0/type`` for
    ``('lesions', 0, 'type')``; the whole document is ``""``. A key over
    :data:`POINTER_KEY_LIMIT` characters points at the block that holds it."""
    out = ""
    for part in loc:
        if not _is_field_part(part):
            continue
        text = str(part)
        if len(text) > POINTER_KEY_LIMIT:
            break
        out += "/" + text.replace("~", "~0").replace("/", "~1")
    return out


def _branches(tp: Any) -> list[Any]:
    """The types a field annotation allows, without None and Annotated wrappers."""
    origin = get_origin(tp)
    if origin is Annotated:
        return _branches(get_args(tp)[0])
    if origin is Union or origin is types.UnionType:
        return [b for arg in get_args(tp) if arg is not type(None) for b in _branches(arg)]
    return [tp]


def _type_at(root: type[BaseModel] | None, loc: Sequence[int | str]) -> Any | None:
    """The annotation of the field at ``loc`` (a model class at a block), or None."""
    if root is None:
        return None
    tp: Any = root
    for part in loc:
        if not _is_field_part(part):
            continue
        for branch in _branches(tp):
            if isinstance(part, str) and isinstance(branch, type) and issubclass(branch, BaseModel):
                fields = branch.model_fields
                if part in fields:
                    tp = fields[part].annotation
                    break
            elif isinstance(part, int) and get_origin(branch) in (list, tuple):
                tp = get_args(branch)[0]
                break
        else:
            return None
    return tp


def _model_at(root: type[BaseModel] | None, loc: Sequence[int | str]) -> type[BaseModel] | None:
    tp = _type_at(root, loc)
    for branch in _branches(tp):
        if isinstance(branch, type) and issubclass(branch, BaseModel):
            return branch
    return None


def _enum_at(root: type[BaseModel] | None, loc: Sequence[int | str]) -> type[Enum] | None:
    tp = _type_at(root, loc)
    for branch in _branches(tp):
        if get_origin(branch) in (list, tuple):
            branch = get_args(branch)[0]
        for inner in _branches(branch):
            if isinstance(inner, type) and issubclass(inner, Enum):
                return inner
    return None


#: annotated_types' constraint attributes -> the message of each as part of a range.
_LIMITS = {
    "gt": "range_gt",
    "ge": "range_ge",
    "lt": "range_lt",
    "le": "range_le",
    "multiple_of": "range_multiple_of",
}


def _constraints(tp: Any) -> list[Any]:
    """The constraint objects (``Ge(18)`` …) inside a field annotation."""
    found: list[Any] = []
    if get_origin(tp) is Annotated:
        inner, *meta = get_args(tp)
        for item in meta:
            found.extend(getattr(item, "metadata", None) or [item])
        found.extend(_constraints(inner))
    elif get_origin(tp) is Union or get_origin(tp) is types.UnionType:
        for arg in get_args(tp):
            found.extend(_constraints(arg))
    return found


def _limits(root: type[BaseModel] | None, loc: Sequence[int | str]) -> list[tuple[str, float]]:
    """The bounds of the number field at ``loc``: ``[("ge", 18), ("le", 120)]``."""
    model = _model_at(root, loc[:-1])
    info = model.model_fields.get(str(loc[-1])) if model is not None and loc else None
    if info is None:
        return []
    out: list[tuple[str, float]] = []
    for item in [*info.metadata, *_constraints(info.annotation)]:
        for attr in _LIMITS:
            value = getattr(item, attr, None)
            if isinstance(value, int | float) and not isinstance(value, bool):
                out.append((attr, float(value)))
    return out


def _number(value: float) -> str:
    """A bound as it would be typed: four significant digits, no exponent, no trailing .0."""
    rounded = float(f"{value:.4g}")
    return str(int(rounded)) if rounded.is_integer() else repr(rounded)


def _range(limits: Sequence[tuple[str, float]]) -> Param:
    """``mindestens 18 und höchstens 120`` (empty without limits)."""
    parts = [Msg(_LIMITS[kind], {"bound": _number(bound)}) for kind, bound in limits]
    if len(parts) == 3:
        return Msg("range_3", {"a": parts[0], "b": parts[1], "c": parts[2]})
    if len(parts) == 2:
        return Msg("range_2", {"a": parts[0], "b": parts[1]})
    return parts[0] if parts else ""


def _input_at(data: Any, loc: Sequence[int | str]) -> Any:
    for part in loc:
        if not _is_field_part(part):
            continue
        in_list = isinstance(part, int) and isinstance(data, list) and 0 <= part < len(data)
        if not (in_list or (isinstance(data, dict) and part in data)):
            return None
        data = data[part]
    return data


def _names(model: type[BaseModel]) -> list[str]:
    """Field names a block accepts, aliases included."""
    names: list[str] = []
    for name, info in model.model_fields.items():
        names.append(name)
        for alias in (info.alias, info.validation_alias):
            if isinstance(alias, str) and alias not in names:
                names.append(alias)
    return names + [n for n in ACCEPTED_EXTRA_NAMES.get(model.__name__, ()) if n not in names]


def suggest(word: object, choices: Sequence[str]) -> str | None:
    """The choice closest to a misspelt word (case ignored), if one is close enough."""
    if not isinstance(word, str) or not word or len(word) > _SUGGEST_MAX:
        return None
    lowered = {c.lower(): c for c in choices}
    match = difflib.get_close_matches(word.lower(), list(lowered), n=1, cutoff=0.6)
    return lowered[match[0]] if match else None


def _did_you_mean(word: object, choices: Sequence[str]) -> tuple[Msg, ...]:
    best = suggest(word, choices)
    return (Msg("did_you_mean", {"suggestion": repr(best)}),) if best is not None else ()


# --------------------------------------------------------------------------------------------
# Hints


def _enum_hints(value: Any, values: Sequence[str]) -> tuple[Msg, ...]:
    """The value meant by a misspelling, or by its German or English name ("weiblich")."""
    if not values:
        return ()
    from osteoboard.casedoc import value_synonyms
    from osteoboard.labels import synonym_key

    # A known other word first: by spelling, "nsclc" is closest to 'lung_sclc', the opposite.
    meant = (
        value_synonyms(values).get(synonym_key(value), ())
        if isinstance(value, str) and len(value) <= _SUGGEST_MAX
        else ()
    )
    if meant:
        return (Msg("did_you_mean", {"suggestion": alternatives([repr(v) for v in meant])}),)
    best = suggest(value, values)
    if best is None:
        from osteoboard.casedoc import value_labels

        by_name = {
            name: v for v, text in value_labels(values).items() for name in (text.de, text.en)
        }
        name = suggest(value, list(by_name))
        best = by_name[name] if name is not None else None
    return (Msg("did_you_mean", {"suggestion": repr(best)}),) if best is not None else ()


def _number_hints(value: Any) -> tuple[Msg, ...]:
    if isinstance(value, str):
        match = _DECIMAL_COMMA.match(value)
        if match:
            return (Msg("hint_decimal_comma", {"fixed": f"{match[1]}.{match[2]}"}),)
    return ()


def _is_yes_no(value: Any) -> bool:
    """A yes/no word where a number is expected (``karnofsky: no``)."""
    words = _BOOL_WORDS | {"yes", "no", "on", "off", "y", "true", "false"}
    return isinstance(value, str) and value.strip().lower() in words


_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _date_hints(value: Any) -> tuple[Msg, ...]:
    if isinstance(value, dt.datetime):
        return (Msg("hint_datetime", {"date": value.date().isoformat()}),)
    if not isinstance(value, str):
        return ()
    if _ISO_DATE.match(value.strip()):
        # Written as a date, but no day of the calendar (2026-02-30): say so, not the format.
        return (Msg("hint_no_such_day"),)
    match = _GERMAN_DATE.match(value)
    if not match:
        return (Msg("hint_date_format"),)
    day, month, year = int(match[1]), int(match[2]), match[3]
    if len(year) == 4:
        try:
            date = dt.date(int(year), month, day)
        except ValueError:
            return (Msg("hint_date_format"),)
        return (Msg("hint_date_converted", {"date": date.isoformat()}),)
    return (Msg("hint_date_format"),)


def _conventional_unit_hints(
    root: type[BaseModel] | None, loc: Sequence[int | str], value: Any
) -> tuple[Msg, ...]:
    """A lab value implausible in SI units that fits the conventional-unit field."""
    if len(loc) < 2 or isinstance(value, bool) or not isinstance(value, int | float):
        return ()
    block, name = _model_at(root, loc[:-1]), loc[-1]
    for conv, (si, convert) in units.CONVENTIONAL_LAB_FIELDS.items():
        if si != name or block is None or conv not in ACCEPTED_EXTRA_NAMES.get(block.__name__, ()):
            continue
        converted = round(float(convert(value)), 2)
        try:
            block.model_validate({si: converted})
        except ValidationError:
            return ()
        return (
            Msg(
                "hint_conventional_unit",
                {
                    "unit": units.field_unit(conv) or "",
                    "field": conv,
                    "value": f"{value:g}",
                    "converted": f"{converted:g}",
                    "si_unit": units.field_unit(si) or "",
                },
            ),
        )
    return ()


def _converted_from(
    root: type[BaseModel] | None, loc: Sequence[int | str], data: Any
) -> tuple[str, Any] | None:
    """(conventional field, value written) when the value at ``loc`` was not written but
    converted from a conventional unit (``calcium_mg_dl: 40`` checked as calcium_mmol_l)."""
    if len(loc) < 2 or not isinstance(loc[-1], str):
        return None
    block, parent = _model_at(root, loc[:-1]), _input_at(data, loc[:-1])
    if block is None or not isinstance(parent, dict) or loc[-1] in parent:
        return None
    accepted = ACCEPTED_EXTRA_NAMES.get(block.__name__, ())
    for conv, (si, _) in units.CONVENTIONAL_LAB_FIELDS.items():
        if si == loc[-1] and conv in parent and conv in accepted:
            return conv, parent[conv]
    return None


def _conventional_problem(
    root: type[BaseModel] | None, loc: Sequence[int | str], conv: str, value: Any, root_name: str
) -> Problem:
    """A converted value out of its field's range, said of the field written, in its unit:
    ``labs.calcium_mg_dl: must be greater than 2.004 and less than 24.05 (got 40)``; with a
    hint when the value fits the SI field instead."""
    si = str(loc[-1])
    limits = [
        (kind, units.si_to_conventional(conv, bound))
        for kind, bound in _limits(root, loc)
        if kind != "multiple_of"
    ]
    what = Msg("out_of_range", {"range": _range(limits), "got": excerpt_param(value)})
    hints: tuple[Msg, ...] = ()
    block = _model_at(root, loc[:-1])
    if block is not None and isinstance(value, int | float) and not isinstance(value, bool):
        try:
            block.model_validate({si: value})
        except ValidationError:
            pass
        else:
            hints = (
                Msg(
                    "hint_conventional_unit",
                    {
                        "unit": units.field_unit(si) or "",
                        "field": si,
                        "value": f"{value:g}",
                        "converted": _number(units.si_to_conventional(conv, value)),
                        "si_unit": units.field_unit(conv) or "",
                    },
                ),
            )
    return Problem(field_path([*loc[:-1], conv], root_name), what, hints)


def _decimal_comma_in_flow(data: Any, loc: Sequence[int | str], root: str) -> Problem | None:
    """``{calcium_mmol_l: 2,52}`` reads as ``calcium_mmol_l: 2`` and a field named ``52``."""
    key = loc[-1]
    parent = _input_at(data, loc[:-1])
    if not isinstance(key, str) or not key.isdigit() or not isinstance(parent, dict):
        return None
    keys = list(parent)
    at = keys.index(key) if key in keys else 0
    if at == 0 or parent[key] is not None:
        return None
    before = keys[at - 1]
    value = parent[before]
    if not isinstance(before, str) or isinstance(value, bool) or not isinstance(value, int):
        return None
    return Problem(
        field_path([*loc[:-1], before], root),
        Msg("decimal_comma_flow", {"raw": f"{value},{key}", "fixed": f"{value}.{key}"}),
    )


def _text_comma_in_flow(
    root: type[BaseModel] | None, data: Any, loc: Sequence[int | str], root_name: str
) -> Problem | None:
    """``{histology: IgG, lambda}`` reads as ``histology: IgG`` and a field named ``lambda``
    without a value: the comma was meant inside the text."""
    key = loc[-1]
    parent = _input_at(data, loc[:-1])
    if not isinstance(key, str) or not isinstance(parent, dict) or parent.get(key) is not None:
        return None
    model = _model_at(root, loc[:-1])
    names = set(_names(model)) if model is not None else set()
    keys = list(parent)
    at = keys.index(key) if key in keys else 0
    words = [key]
    for after in keys[at + 1 :]:  # the words after it belong to the same text
        if parent[after] is not None or after in names:
            break
        words.append(str(after))
    while at > 0:
        at -= 1
        before = keys[at]
        value = parent[before]
        if value is None and before not in names:
            words.insert(0, str(before))  # "IgG, lambda, Bence Jones": several words
            continue
        if not isinstance(before, str) or before not in names or not isinstance(value, str):
            return None
        raw = ", ".join([value, *words])
        return Problem(
            field_path([*loc[:-1], before], root_name),
            Msg("text_comma_flow", {"raw": raw, "field": before}),
        )
    return None


# --------------------------------------------------------------------------------------------
# One error


#: pydantic's bound errors -> our message (and the key of the bound in the error's context)
_BOUNDS = {
    "greater_than": "gt",
    "greater_than_equal": "ge",
    "less_than": "lt",
    "less_than_equal": "le",
    "multiple_of": "multiple_of",
}
_SIMPLE = {
    "int_parsing": "not_int",
    "int_type": "not_int",
    "int_from_float": "not_int",
    "float_parsing": "not_number",
    "float_type": "not_number",
    "finite_number": "not_finite",
    "bool_parsing": "not_bool",
    "bool_type": "not_bool",
    "string_type": "not_text",
    "model_type": "not_mapping",
    "model_attributes_type": "not_mapping",
    "dict_type": "not_mapping",
    "string_unicode": "not_unicode",
    "list_type": "not_list",
}
_DATE_TYPES = frozenset(
    {
        "date_type",
        "date_parsing",
        "date_from_datetime_parsing",
        "date_from_datetime_inexact",
    }
)


def _unknown_field(root: type[BaseModel] | None, loc: Sequence[int | str], where: str) -> Problem:
    model = _model_at(root, loc[:-1])
    names = _names(model) if model is not None else []
    hints = _did_you_mean(loc[-1], names)
    if not hints and names:
        hints = (Msg("allowed_fields", {"names": ", ".join(names)}),)
    return Problem(where, Msg("unknown_field"), hints)


def _validator_problem(text: str, value: Any, where: str, root_name: str) -> Problem:
    """An error one of our validators raised, in its message and with its hints; a disease
    block that does not fit the primary is said of the block."""
    what = value_error(text)
    if what.key == "spine_level":
        hints: tuple[Msg, ...] = (Msg("hint_spine_level"),)
    elif what.key == "lab_not_number" and isinstance(value, dict):
        hints = _number_hints(value.get(str(what.params.get("name"))))
    else:
        hints = ()
    if what.key == "block_for_site" and where == root_name:
        where = str(what.params.get("block"))
    return Problem(where, what, hints)


def _problem(
    err: Mapping[str, Any], root: type[BaseModel] | None, data: Any, root_name: str
) -> Problem:
    kind: str = err["type"]
    loc: tuple[int | str, ...] = tuple(err["loc"])
    ctx: Mapping[str, Any] = err.get("ctx") or {}
    value = err.get("input")
    got = excerpt_param(value)
    where = field_path(loc, root_name)
    if kind == "extra_forbidden" and loc:
        return (
            _decimal_comma_in_flow(data, loc, root_name)
            or _text_comma_in_flow(root, data, loc, root_name)
            or _unknown_field(root, loc, where)
        )
    if kind == "missing":
        return Problem(where, Msg("missing"))
    if kind in {"enum", "literal_error"}:
        enum = _enum_at(root, loc)
        values = [str(m.value) for m in enum] if enum is not None else []
        # The model's values; without the model, pydantic's words for them.
        text: Param = alternatives([repr(v) for v in values]) if values else ctx.get("expected", "")
        return Problem(
            where, Msg("one_of", {"allowed": text, "got": got}), _enum_hints(value, values)
        )
    if kind in {"int_from_bool", "float_from_bool"}:
        rng = _range(_limits(root, loc))
        allowed: Param = Msg("range_in_brackets", {"range": rng}) if rng else ""
        key = "not_int_bool" if kind == "int_from_bool" else "not_number_bool"
        return Problem(
            where, Msg(key, {"allowed": allowed, "got": got}), (Msg("hint_unknown_leave_out"),)
        )
    if kind in _SIMPLE:
        key = _SIMPLE[kind]
        hints: tuple[Msg, ...]
        if key in {"not_number", "not_int"} and _is_yes_no(value):
            hints = (Msg("hint_unknown_leave_out"),)
        elif key == "not_number":
            hints = _number_hints(value)
        elif key == "not_bool" and isinstance(value, str) and value.lower() in _BOOL_WORDS:
            hints = (Msg("hint_bool_words"),)
        else:
            hints = ()
        return Problem(where, Msg(key, {"got": got}), hints)
    if kind in _DATE_TYPES:
        return Problem(where, Msg("not_date", {"got": got}), _date_hints(value))
    if kind in _BOUNDS:
        converted = _converted_from(root, loc, data)
        if converted is not None:
            return _conventional_problem(root, loc, *converted, root_name)
        key = _BOUNDS[kind]
        hints = _conventional_unit_hints(root, loc, value)
        if tuple(loc) == ("patient", "age") and kind == "greater_than_equal":
            # Not a typo to work around by leaving the age out: adult scores and doses would
            # be applied to a child.
            hints = (Msg("hint_minor"),)
        return Problem(where, Msg(key, {"bound": str(ctx.get(key)), "got": got}), hints)
    if kind in {"too_long", "string_too_long"}:
        count = ctx.get("actual_length", len(value) if isinstance(value, str | list) else "?")
        is_list = ctx.get("field_type") == "List" or isinstance(value, list)
        key = "list_too_long" if is_list else "text_too_long"
        return Problem(where, Msg(key, {"limit": ctx.get("max_length", "?"), "count": count}))
    if kind in {"too_short", "string_too_short"}:
        is_list = ctx.get("field_type") == "List" or isinstance(value, list)
        key = "list_too_short" if is_list else "text_too_short"
        return Problem(where, Msg(key, {"limit": ctx.get("min_length", "?")}))
    if kind == "string_pattern_mismatch":
        return Problem(where, Msg("pattern", {"pattern": str(ctx.get("pattern")), "got": got}))
    if kind == "invalid_key" and loc:
        return Problem(
            field_path(loc[:-1], root_name), Msg("unknown_key", {"key": excerpt_param(loc[-1])})
        )
    if kind in {"value_error", "assertion_error"}:
        return _validator_problem(str(ctx.get("error", err["msg"])), value, where, root_name)
    # Anything else (rare): pydantic's own words.
    msg = str(err["msg"])
    msg = msg[:1].lower() + msg[1:]
    if not isinstance(value, dict | list):
        msg += f" (got {render(got, 'en')})"
    return Problem(where, Msg("literal", {"text": msg}))


def explain(
    errors: Sequence[Mapping[str, Any]],
    model: type[BaseModel] | None,
    data: Any = None,
    *,
    root: str = "case",
) -> list[Problem]:
    """Each of pydantic's ``errors`` (validating ``data`` against ``model``) as a Problem.

    Without the model, the allowed values are pydantic's and there are no suggestions. A
    problem said twice (two words of one text cut at its commas) is said once."""
    problems = [_problem(err, model, data, root) for err in errors]
    said = {p.render("en"): p for p in problems}
    return list(said.values())
