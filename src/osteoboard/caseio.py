"""Reading case files (YAML or JSON) into a :class:`Case`, with one line per error.

Bad input becomes a :class:`CaseError` that lists every problem of the document, each one
line naming the field and what is allowed, in German or English, e.g.
``lesions[0].type: must be one of 'lytic', 'mixed' or 'blastic' (got 'lyric'); did you mean
'lytic'?`` (see :mod:`osteoboard.explain` and :mod:`osteoboard.messages`).

Reading is bounded whatever the input: a document is at most :data:`MAX_DOCUMENT_BYTES`
(files and streams are read up to that and no further), nests at most :data:`MAX_DEPTH`
levels, and YAML has at most :data:`MAX_YAML_NODES` values and no aliases (a case never needs
them; they are how a small file expands into a huge one). Every parser error is one line that
names the line of the document, and an error echoes at most a short, escaped excerpt of a
value.
"""

from __future__ import annotations

import json
import json.decoder
import json.scanner
import os
import re
import stat
from collections.abc import Callable, Sequence
from dataclasses import replace
from itertools import accumulate
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from osteoboard.case import Case
from osteoboard.errors import OsteoboardError
from osteoboard.explain import excerpt_param, explain
from osteoboard.messages import Count, Lang, Msg, Problem, one_line, render

__all__ = [
    "MAX_DEPTH",
    "MAX_DOCUMENT_BYTES",
    "MAX_PROBLEMS",
    "MAX_YAML_NODES",
    "CaseError",
    "check_case_document",
    "decode_utf8",
    "excerpt",
    "format_validation_error",
    "load_case",
    "one_line",
    "parse_case",
    "read_document",
    "validation_error",
]

#: Largest case document in bytes (a case with 200 lesions and a long myeloma course is
#: well under 100 kB).
MAX_DOCUMENT_BYTES = 1_000_000
#: Deepest nesting of mappings and lists (the case model itself is 4 levels deep).
MAX_DEPTH = 32
#: Most values (scalars, lists, mappings) in a YAML document.
MAX_YAML_NODES = 50_000
#: Longest integer literal in digits (no field needs more than a handful).
_MAX_DIGITS = 100
#: Most problems listed for one document (the rest are counted).
MAX_PROBLEMS = 20
#: Longest line of an error message, in characters (the longest list of allowed values is
#: about 420).
_MAX_LINE = 600


class CaseError(OsteoboardError, ValueError):
    """Invalid case input: one or more problems, each one line ready for a user.

    ``lines(lang)`` renders them in German (default) or English; ``str()`` is the English
    lines, for logs and tests.
    """

    def __init__(self, problems: str | Problem | Sequence[Problem], *, more: int = 0) -> None:
        if isinstance(problems, str):
            problems = [Problem("", Msg("literal", {"text": problems}))]
        elif isinstance(problems, Problem):
            problems = [problems]
        self.problems: tuple[Problem, ...] = tuple(problems)
        self.more = more
        super().__init__("\n".join(self.lines("en")))

    def lines(self, lang: Lang = "de") -> list[str]:
        out = [one_line(p.render(lang), _MAX_LINE) for p in self.problems]
        if self.more:
            out.append(Msg("more_errors", {"count": self.more}).render(lang))
        return out


def _document_error(name: str, key: str, **params: Any) -> CaseError:
    return CaseError(Problem(name, Msg(key, params)))


# --------------------------------------------------------------------------------------------
# Safe echo of input in messages


def excerpt(value: Any, lang: Lang = "en") -> str:
    """A short, escaped rendering of an input value for an error message."""
    return render(excerpt_param(value), lang)


# --------------------------------------------------------------------------------------------
# YAML


class _NodeError(Exception):
    """A problem at one line of a YAML document; becomes a CaseError with the document name."""

    def __init__(self, line: int, message_key: str, /, **params: Any) -> None:
        super().__init__(message_key)
        self.line = line
        self.message = Msg(message_key, params)


_YamlBase: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _StrictLoader(_YamlBase):  # type: ignore[valid-type,misc]
    """Safe loader that rejects duplicate and non-scalar keys and turns every constructor error
    (impossible dates, bad values behind explicit tags, huge integers) into a line error."""

    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
        try:
            return super().construct_object(node, deep=deep)
        except (_NodeError, yaml.YAMLError):
            raise
        except (ValueError, TypeError, LookupError, AttributeError, ArithmeticError) as exc:
            what = "invalid_date_value" if node.tag.endswith(":timestamp") else "invalid_value"
            detail = one_line(str(exc), 80) if isinstance(exc, ValueError) else ""
            value = excerpt_param(node.value if isinstance(node.value, str) else "")
            if detail:
                raise _NodeError(
                    node.start_mark.line + 1, what + "_detail", value=value, detail=detail
                ) from None
            raise _NodeError(node.start_mark.line + 1, what, value=value) from None


def _construct_mapping(loader: _StrictLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    """A mapping whose keys are text: every field name is, and a key YAML would read as a
    number (``{calcium_mmol_l: 2,52}`` has a key ``52``) keeps its spelling for the message."""
    loader.flatten_mapping(node)
    out: dict[Any, Any] = {}
    for key_node, value_node in node.value:
        line = key_node.start_mark.line + 1
        if not isinstance(key_node, yaml.ScalarNode):
            raise _NodeError(line, "key_not_plain")
        key = loader.construct_object(key_node, deep=True)
        if key is None:  # ``~: 2``, ``null: 2`` or ``: 2``
            raise _NodeError(line, "key_null")
        if not isinstance(key, str):
            key = key_node.value
        if key in out:
            raise _NodeError(line, "key_twice", key=excerpt_param(key))
        out[key] = loader.construct_object(value_node, deep=True)
    return out


_StrictLoader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG,
    _construct_mapping,
)


# Plain scalars are read by the rules of YAML 1.2's core schema, not PyYAML's YAML 1.1: a
# boolean is only true or false (yes, no, on and off are text), and a number is decimal only.
# YAML 1.1 reads ``age: 075`` as octal 61, ``1:10`` as base 60 (70) and ``karnofsky: no`` as
# false; in a case, 075 is 75, and 1:10, 0x1F or 0o17 are text (which a number field then
# refuses, naming the field). Dates (YYYY-MM-DD) stay dates.
_YAML11_SCALARS = frozenset(
    {"tag:yaml.org,2002:bool", "tag:yaml.org,2002:int", "tag:yaml.org,2002:float"}
)
_StrictLoader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag not in _YAML11_SCALARS]
    for first, resolvers in _YamlBase.yaml_implicit_resolvers.items()
}
_StrictLoader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)
_StrictLoader.add_implicit_resolver(
    "tag:yaml.org,2002:int", re.compile(r"^[-+]?[0-9]+$"), list("-+0123456789")
)
_StrictLoader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(
        r"""^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?
        |[-+]?\.(?:inf|Inf|INF)
        |\.(?:nan|NaN|NAN))$""",
        re.X,
    ),
    list("-+.0123456789"),
)


def _construct_timestamp(loader: _StrictLoader, node: yaml.ScalarNode) -> Any:
    """A date; one that is no day of the calendar (2026-02-30) stays text, so that the field
    it stands in names the problem (with every other problem of the case) instead of the
    whole file failing to read."""
    try:
        return loader.construct_yaml_timestamp(node)
    except (ValueError, TypeError, AttributeError):  # no day of the calendar, or no date
        return str(loader.construct_scalar(node))


_StrictLoader.add_constructor("tag:yaml.org,2002:timestamp", _construct_timestamp)


def _construct_int(loader: _StrictLoader, node: yaml.ScalarNode) -> int:
    """A decimal integer (leading zeros allowed: 075 is 75), at most _MAX_DIGITS digits."""
    text = str(loader.construct_scalar(node))
    if sum(ch.isdigit() for ch in text) > _MAX_DIGITS:
        raise _NodeError(node.start_mark.line + 1, "too_many_digits")
    return int(text, 10)


def _construct_bool(loader: _StrictLoader, node: yaml.ScalarNode) -> bool:
    text = str(loader.construct_scalar(node)).lower()
    if text not in ("true", "false"):
        raise ValueError(f"not true or false: {text[:20]!r}")
    return text == "true"


def _construct_float(loader: _StrictLoader, node: yaml.ScalarNode) -> float:
    """A decimal number; one so small it would read as 0 (``1e-400``) is a line error."""
    text = str(loader.construct_scalar(node))
    value: float = loader.construct_yaml_float(node)
    if _EXPONENT_NUMBER.fullmatch(text) and _underflows(text):
        raise _NodeError(node.start_mark.line + 1, "number_underflow")
    return value


_StrictLoader.add_constructor("tag:yaml.org,2002:int", _construct_int)
_StrictLoader.add_constructor("tag:yaml.org,2002:float", _construct_float)
_StrictLoader.add_constructor("tag:yaml.org,2002:bool", _construct_bool)


def _event_line(event: yaml.Event) -> int:
    return event.start_mark.line + 1 if event.start_mark is not None else 0


def _check_yaml_events(text: str) -> None:
    """Refuse aliases, explicit tags, deep nesting and too many values before anything is
    built. A case has no use for a tag: ``!!binary``, ``!!set`` or ``!!str 64`` would each
    turn what the file shows into something else without a word."""
    depth = 0
    nodes = 0
    for event in yaml.parse(text, Loader=_YamlBase):
        if isinstance(event, yaml.AliasEvent):
            raise _NodeError(_event_line(event), "no_aliases")
        tag = getattr(event, "tag", None)
        if tag is not None:  # only a tag written in the file: untagged nodes have none
            raise _NodeError(_event_line(event), "yaml_tag", tag=repr(one_line(str(tag), 80)))
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > MAX_DEPTH:
                raise _NodeError(_event_line(event), "too_deep", limit=MAX_DEPTH)
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1
        if isinstance(event, yaml.NodeEvent):
            nodes += 1
            if nodes > MAX_YAML_NODES:
                raise _NodeError(_event_line(event), "too_many_values", limit=MAX_YAML_NODES)


#: PyYAML's problems (libyaml's words, and the pure-Python parser's where they differ) -> the
#: message that says them in the user's language; anything else is shown as it is, framed.
_YAML_PROBLEMS: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern), key)
    for pattern, key in (
        (r"found (?:a )?tab character", "yaml_tab"),
        (r"found character (?:'.*' )?that cannot start any token", "yaml_bad_start"),
        (r"but found another document|expected '<document start>'", "yaml_more_documents"),
        (r"mapping values are not allowed", "yaml_colon"),
        (r"did not find expected key|expected <block end>", "yaml_indentation"),
        (r"did not find expected '-' indicator", "yaml_indentation"),
        (r"did not find expected ',' or '\]'|expected ',' or '\]'", "yaml_unclosed"),
        (r"did not find expected ',' or '\}'|expected ',' or '\}'", "yaml_unclosed"),
        (r"found unexpected end of stream", "yaml_unclosed_quote"),
        (r"could not find expected ':'", "yaml_missing_colon"),
        (r"did not find expected node content|expected the node content", "yaml_missing_value"),
        (r"found unknown escape character", "yaml_escape"),
        (r"could not determine a constructor for the tag", "yaml_tag"),
        (r"found unknown directive name", "yaml_directive"),
        (r"exceeded maximum nesting depth", "too_deep"),
        (r"found duplicate anchor", "yaml_anchor_twice"),
    )
)


def _yaml_problem(exc: yaml.MarkedYAMLError, text: str) -> Msg:
    """A parser problem in the user's words (the character at the mark where it matters)."""
    problem = str(exc.problem or exc.context or "")
    words = f"{exc.context or ''} {problem}"
    for pattern, key in _YAML_PROBLEMS:
        if not pattern.search(words):
            continue
        if key == "yaml_bad_start":
            mark = exc.problem_mark
            char = text[mark.index] if mark is not None and 0 <= mark.index < len(text) else ""
            if char == "\t":
                return Msg("yaml_tab")
            return Msg(key, {"char": repr(char) if char else "?"})
        if key == "yaml_unclosed":
            bracket = "]" if "]" in problem else "}"
            return Msg(key, {"open": repr("[" if bracket == "]" else "{"), "close": repr(bracket)})
        if key == "yaml_tag":
            tag = problem.rpartition(" ")[2]
            return Msg(key, {"tag": one_line(tag, 80)})
        if key == "too_deep":
            return Msg(key, {"limit": MAX_DEPTH})
        return Msg(key)
    return Msg("yaml_other", {"detail": one_line(problem or "cannot parse", 200)})


def _read_yaml(text: str, name: str) -> Any:
    try:
        _check_yaml_events(text)
        return yaml.load(text, Loader=_StrictLoader)  # a SafeLoader
    except _NodeError as exc:
        raise _document_error(name, "invalid_yaml", line=exc.line, problem=exc.message) from None
    except yaml.reader.ReaderError as exc:
        char = exc.character if isinstance(exc.character, str) else chr(exc.character)
        raise _document_error(
            name,
            "invalid_yaml",
            line=_line_at(text, exc.position),
            problem=Msg("bad_character", {"char": f"U+{ord(char):04X}"}),
        ) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = _yaml_problem(exc, text)
        if mark is None:
            raise _document_error(name, "invalid_yaml_nowhere", problem=problem) from None
        raise _document_error(name, "invalid_yaml", line=mark.line + 1, problem=problem) from None
    except yaml.YAMLError as exc:
        problem = Msg("yaml_other", {"detail": one_line(str(exc), 200)})
        raise _document_error(name, "invalid_yaml_nowhere", problem=problem) from None


# --------------------------------------------------------------------------------------------
# JSON

_JSON_STRING = re.compile(r'"(?:[^"\\\n]|\\.)*"')
_LONG_NUMBER = re.compile(rf"[0-9]{{{_MAX_DIGITS + 1},}}")
_BRACKET_DEPTH = {"{": 1, "[": 1, "}": -1, "]": -1}
_EXPONENT_NUMBER = re.compile(r"[-+]?[0-9.]+[eE][-+]?[0-9]+")


def _underflows(text: str) -> bool:
    """True for a number written with non-zero digits that reads as 0 (``1e-9999999``): a
    platelet count so written would be evaluated as none at all."""
    mantissa = re.split(r"[eE]", text, maxsplit=1)[0]
    return any(ch in "123456789" for ch in mantissa) and float(text) == 0.0


def _line_at(text: str, pos: int) -> int:
    return text.count("\n", 0, pos) + 1


def _check_json_text(text: str) -> None:
    """Refuse deep nesting and overlong numbers before parsing (as line errors)."""
    # Strings cannot hold raw newlines, so blanking them keeps every line number.
    skeleton = _JSON_STRING.sub('""', text)
    match = _LONG_NUMBER.search(skeleton)
    if match:
        raise _NodeError(_line_at(skeleton, match.start()), "too_many_digits")
    for match in _EXPONENT_NUMBER.finditer(skeleton):
        if _underflows(match.group()):
            raise _NodeError(_line_at(skeleton, match.start()), "number_underflow")
    brackets = [(m.start(), _BRACKET_DEPTH[m.group()]) for m in re.finditer(r"[\[\]{}]", skeleton)]
    for (pos, _), depth in zip(brackets, accumulate(step for _, step in brackets), strict=True):
        if depth > MAX_DEPTH:
            raise _NodeError(_line_at(skeleton, pos), "too_deep", limit=MAX_DEPTH)


class _StrictJSONDecoder(json.JSONDecoder):
    """JSON decoder that rejects duplicate keys, naming the line (as YAML does)."""

    def __init__(self) -> None:
        super().__init__()
        self.parse_object = self._parse_object
        # The C scanner ignores parse_object; the pure-Python one calls it.
        self.scan_once = json.scanner.py_make_scanner(self)  # type: ignore[attr-defined]

    @staticmethod
    def _parse_object(
        s_and_end: tuple[str, int],
        strict: bool,
        scan_once: Callable[[str, int], tuple[Any, int]],
        object_hook: Any,
        object_pairs_hook: Any,
        memo: dict[str, str] | None = None,
    ) -> tuple[dict[str, Any], int]:
        starts: list[int] = []

        def scan_value(s: str, idx: int) -> tuple[Any, int]:
            starts.append(idx)
            return scan_once(s, idx)

        pairs: list[tuple[str, Any]]
        pairs, end = json.decoder.JSONObject(  # type: ignore[attr-defined]
            s_and_end, strict, scan_value, None, list, memo
        )
        out: dict[str, Any] = {}
        for (key, value), start in zip(pairs, starts, strict=False):
            if key in out:
                raise _NodeError(_line_at(s_and_end[0], start), "key_twice", key=excerpt_param(key))
            out[key] = value
        return out, end


class _DuplicateKey(Exception):
    """A JSON object names a key twice (the strict decoder then finds where)."""


def _unique_pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out = dict(pairs)
    if len(out) != len(pairs):
        raise _DuplicateKey
    return out


#: The C decoder, with duplicate keys detected: most documents have none, and then this
#: gives the same values as the strict decoder at a fraction of its cost.
_FAST_JSON = json.JSONDecoder(object_pairs_hook=_unique_pairs)


#: The json module's problems -> the message that says them in the user's language.
_JSON_PROBLEMS = {
    "Expecting value": "json_expecting_value",
    "Expecting ',' delimiter": "json_expecting_comma",
    "Expecting ':' delimiter": "json_expecting_colon",
    "Expecting property name enclosed in double quotes": "json_expecting_name",
    "Illegal trailing comma before end of object": "json_trailing_comma",
    "Illegal trailing comma before end of array": "json_trailing_comma",
    "Unterminated string starting at": "json_unterminated",
    "Invalid control character at": "json_control",
    "Invalid \\escape": "json_escape",
    "Invalid \\uXXXX escape": "json_escape",
    "Extra data": "json_extra",
}


def _json_problem(message: str) -> Msg:
    key = _JSON_PROBLEMS.get(message)
    if key is None:
        return Msg("json_other", {"detail": one_line(message, 200)})
    return Msg(key)


def _read_json(text: str, name: str) -> Any:
    try:
        _check_json_text(text)
        try:
            return _FAST_JSON.decode(text)
        except (_DuplicateKey, json.JSONDecodeError):
            pass  # the strict decoder names the line
        return _StrictJSONDecoder().decode(text)
    except _NodeError as exc:
        raise _document_error(name, "invalid_json", line=exc.line, problem=exc.message) from None
    except json.JSONDecodeError as exc:
        problem = _json_problem(exc.msg)
        raise _document_error(name, "invalid_json", line=exc.lineno, problem=problem) from None
    except (ValueError, RecursionError) as exc:  # pragma: no cover - the checks above come first
        raise _document_error(
            name, "invalid_json_nowhere", problem=one_line(str(exc), 200)
        ) from None


def read_document(
    text: str, *, name: str = "case", limit: int = MAX_DOCUMENT_BYTES, json_only: bool = False
) -> Any:
    """Parse YAML or JSON text (JSON is YAML, but JSON's own errors read better); ``limit``
    in characters (a case file's by default). ``json_only``: a body declared JSON is read
    as JSON only (YAML under ``application/json`` is an error of its JSON)."""
    name = one_line(name, 200)
    if len(text) > limit:
        raise _document_error(name, "too_large", limit=Count(limit))
    if "\x00" in text:
        raise _document_error(name, "binary")
    if json_only and not text.strip():
        return None  # no document at all: the caller says what was expected
    if json_only or text.lstrip().startswith("{"):
        return _read_json(text, name)
    return _read_yaml(text, name)


# --------------------------------------------------------------------------------------------
# Validation errors


def validation_error(
    exc: ValidationError,
    model: type[BaseModel] | None,
    data: Any = None,
    *,
    prefix: str = "",
    root: str = "case",
) -> CaseError:
    """Every error of a validation as a CaseError (the first :data:`MAX_PROBLEMS` in full,
    the rest counted); ``prefix`` goes before each field path."""
    errors = exc.errors(include_url=False)
    problems = explain(errors[:MAX_PROBLEMS], model, data, root=root)
    if prefix:
        problems = [replace(p, where=prefix + p.where) for p in problems]
    return CaseError(problems, more=max(0, len(errors) - MAX_PROBLEMS))


def format_validation_error(
    exc: ValidationError, *, prefix: str = "", model: type[BaseModel] | None = None
) -> str:
    """The first error as one English line: ``field.path: what is allowed (got …)``.

    When there are more, the count is appended so that nothing looks fixed that is not.
    """
    errors = exc.errors(include_url=False)
    line = prefix + one_line(explain(errors[:1], model)[0].render("en"), _MAX_LINE)
    if len(errors) > 1:
        line += f" (and {len(errors) - 1} more error{'s' if len(errors) > 2 else ''})"
    return line


def check_case_document(data: Any, name: str = "case") -> None:
    """A CaseError when a document is no case at all (a list, a FHIR resource, a case wrapped
    under ``case:``): one line that says what it is, instead of one per field."""
    if not isinstance(data, dict):
        raise _document_error(one_line(name, 200), "not_a_case")
    kind = data.get("resourceType")
    if isinstance(kind, str):  # a FHIR resource has no field of a case by that name
        raise _document_error(one_line(name, 200), "fhir_not_case", type=excerpt_param(kind))
    if isinstance(data.get("case"), dict) and "id" not in data and "patient" not in data:
        # A case wrapped in a document of its own (a referral test case with its expected
        # codes): one message pointing at the block instead of one per unknown key.
        raise _document_error(one_line(name, 200), "wrapped_case")


def parse_case(data: Any, *, name: str = "case") -> Case:
    check_case_document(data, name)
    try:
        return Case.model_validate(data)
    except ValidationError as exc:
        raise validation_error(exc, Case, data) from None


# --------------------------------------------------------------------------------------------
# Files and streams


def _utf16(data: bytes) -> bool:
    """UTF-16 text (as Windows PowerShell 5 writes with ``>``): a UTF-16 byte-order mark, or
    NUL bytes in every other place of the first characters (text in the Latin alphabet)."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return True
    head = data[:64]
    return len(head) >= 8 and (all(b == 0 for b in head[1::2]) or all(b == 0 for b in head[0::2]))


def decode_utf8(data: bytes, name: str) -> str:
    """``data`` as UTF-8 text; a CaseError naming the first byte that is not (its line and
    column, in bytes) otherwise."""
    if _utf16(data):
        raise _document_error(name, "utf16")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        start = data.rfind(b"\n", 0, exc.start) + 1
        where = {
            "byte": f"0x{data[exc.start]:02X}",
            "line": data.count(b"\n", 0, exc.start) + 1,
            "column": exc.start - start + 1,
        }
        raise _document_error(name, "not_utf8_at", **where) from None


def _read_limited(read: Callable[[int], bytes], name: str) -> str:
    """Read at most MAX_DOCUMENT_BYTES (and one more to notice) as UTF-8 text."""
    chunks: list[bytes] = []
    size = 0
    while True:
        chunk = read(min(1 << 16, MAX_DOCUMENT_BYTES + 1 - size))
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
        if size > MAX_DOCUMENT_BYTES:
            raise _document_error(name, "too_large", limit=Count(MAX_DOCUMENT_BYTES))
    return decode_utf8(b"".join(chunks), name)


def _read_path(p: Path, name: str) -> str:
    # Opened without blocking, so that a FIFO without a writer reads as empty instead of
    # waiting for ever; reads then block as usual for data a writer sends.
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(p, flags)
    except FileNotFoundError:
        raise _document_error(name, "no_such_file") from None
    except OSError as exc:
        raise _document_error(name, "cannot_read", reason=exc.strerror or "") from None
    try:
        mode = os.fstat(fd).st_mode
        if stat.S_ISDIR(mode):
            raise _document_error(name, "is_directory")
        if hasattr(os, "set_blocking"):
            os.set_blocking(fd, True)
        try:
            return _read_limited(lambda n: os.read(fd, n), name)
        except OSError as exc:
            raise _document_error(name, "cannot_read", reason=exc.strerror or "") from None
    finally:
        os.close(fd)


def load_case(path: str | Path) -> Case:
    """Read a case file; ``-`` reads standard input. Reads at most MAX_DOCUMENT_BYTES."""
    if str(path) == "-":
        import sys

        text = _read_limited(sys.stdin.buffer.read, "stdin")
        return parse_case(read_document(text, name="stdin"), name="stdin")
    p = Path(path)
    name = one_line(str(p), 200)
    text = _read_path(p, name)
    if not text.strip():
        raise _document_error(name, "empty_file")
    return parse_case(read_document(text, name=name), name=name)
