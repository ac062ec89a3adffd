"""Reading case files (YAML or JSON) into a :class:`Case`, with one-line errors.

Bad input becomes a :class:`CaseError` whose message names the field and what is allowed,
e.g. ``lesions[0].type: must be one of 'lytic', 'mixed', 'blastic' (got 'lyric')``.

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
from collections.abc import Callable, Mapping
from itertools import accumulate
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from osteoboard.case import Case

__all__ = [
    "MAX_DEPTH",
    "MAX_DOCUMENT_BYTES",
    "MAX_YAML_NODES",
    "CaseError",
    "excerpt",
    "format_validation_error",
    "load_case",
    "one_line",
    "parse_case",
    "read_document",
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
#: Longest excerpt of an input value in an error message, in characters.
_EXCERPT = 40


class CaseError(ValueError):
    """Invalid case input; the message is one line, ready for a user."""


# --------------------------------------------------------------------------------------------
# Safe echo of input in messages


def one_line(text: str, limit: int = 500) -> str:
    """``text`` as one printable line: control and other non-printable characters escaped,
    at most ``limit`` characters (cut with an ellipsis)."""
    out = "".join(ch if ch.isprintable() else ascii(ch)[1:-1] for ch in text[: limit + 1])
    return out if len(out) <= limit else out[: limit - 1] + "…"


def excerpt(value: Any) -> str:
    """A short, escaped rendering of an input value for an error message."""
    if isinstance(value, str):
        text = repr(value[:_EXCERPT])
        if len(text) > _EXCERPT + 20:  # escapes make it longer than the value
            text = text[: _EXCERPT + 19] + "…"
        return text if len(value) <= _EXCERPT else f"{text}… ({len(value)} characters)"
    if isinstance(value, list | tuple | set | frozenset):
        return f"a list of {len(value)} item{'' if len(value) == 1 else 's'}"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) >= 10**_EXCERPT:
        return "a number too large to show"
    try:
        text = repr(value)
    except (ValueError, RecursionError):  # e.g. an integer over Python's digit limit
        return f"a {type(value).__name__}"
    return one_line(text, _EXCERPT)


# --------------------------------------------------------------------------------------------
# YAML


class _NodeError(Exception):
    """A problem at one line of a YAML document; becomes a CaseError with the document name."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(message)
        self.line = line
        self.message = message


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
            what = "date" if node.tag.endswith(":timestamp") else "value"
            detail = one_line(str(exc), 80) if isinstance(exc, ValueError) else ""
            raise _NodeError(
                node.start_mark.line + 1,
                f"invalid {what} {excerpt(node.value if isinstance(node.value, str) else '')}"
                + (f" ({detail})" if detail else ""),
            ) from None


def _construct_mapping(loader: _StrictLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    loader.flatten_mapping(node)
    out: dict[Any, Any] = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        line = key_node.start_mark.line + 1
        if isinstance(key, list | dict | set):
            raise _NodeError(line, "a key must be a plain name, not a list or mapping")
        if key in out:
            raise _NodeError(line, f"key {excerpt(key)} appears twice")
        out[key] = loader.construct_object(value_node, deep=True)
    return out


_StrictLoader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG,
    _construct_mapping,
)


def _event_line(event: yaml.Event) -> int:
    return event.start_mark.line + 1 if event.start_mark is not None else 0


def _check_yaml_events(text: str) -> None:
    """Refuse aliases, deep nesting and too many values before anything is built."""
    depth = 0
    nodes = 0
    for event in yaml.parse(text, Loader=_YamlBase):
        if isinstance(event, yaml.AliasEvent):
            raise _NodeError(_event_line(event), "aliases (*name) are not allowed in a case")
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > MAX_DEPTH:
                raise _NodeError(_event_line(event), f"nested deeper than {MAX_DEPTH} levels")
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1
        if isinstance(event, yaml.NodeEvent):
            nodes += 1
            if nodes > MAX_YAML_NODES:
                raise _NodeError(_event_line(event), f"more than {MAX_YAML_NODES} values")


def _read_yaml(text: str, name: str) -> Any:
    try:
        _check_yaml_events(text)
        return yaml.load(text, Loader=_StrictLoader)  # a SafeLoader
    except _NodeError as exc:
        raise CaseError(f"{name}: invalid YAML at line {exc.line}: {exc.message}") from None
    except yaml.reader.ReaderError as exc:
        char = exc.character if isinstance(exc.character, str) else chr(exc.character)
        raise CaseError(
            f"{name}: invalid YAML at line {_line_at(text, exc.position)}: "
            f"character U+{ord(char):04X} is not allowed in YAML"
        ) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f" at line {mark.line + 1}" if mark is not None else ""
        problem = one_line(str(exc.problem or exc.context or "cannot parse"), 200)
        raise CaseError(f"{name}: invalid YAML{where}: {problem}") from None
    except yaml.YAMLError as exc:
        raise CaseError(f"{name}: invalid YAML: {one_line(str(exc), 200)}") from None


# --------------------------------------------------------------------------------------------
# JSON

_JSON_STRING = re.compile(r'"(?:[^"\\\n]|\\.)*"')
_LONG_NUMBER = re.compile(rf"[0-9]{{{_MAX_DIGITS + 1},}}")
_BRACKET_DEPTH = {"{": 1, "[": 1, "}": -1, "]": -1}


def _line_at(text: str, pos: int) -> int:
    return text.count("\n", 0, pos) + 1


def _check_json_text(text: str) -> None:
    """Refuse deep nesting and overlong numbers before parsing (as line errors)."""
    # Strings cannot hold raw newlines, so blanking them keeps every line number.
    skeleton = _JSON_STRING.sub('""', text)
    match = _LONG_NUMBER.search(skeleton)
    if match:
        raise _NodeError(_line_at(skeleton, match.start()), "number with too many digits")
    brackets = [(m.start(), _BRACKET_DEPTH[m.group()]) for m in re.finditer(r"[\[\]{}]", skeleton)]
    for (pos, _), depth in zip(brackets, accumulate(step for _, step in brackets), strict=True):
        if depth > MAX_DEPTH:
            raise _NodeError(_line_at(skeleton, pos), f"nested deeper than {MAX_DEPTH} levels")


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
                raise _NodeError(_line_at(s_and_end[0], start), f"key {excerpt(key)} appears twice")
            out[key] = value
        return out, end


def _read_json(text: str, name: str) -> Any:
    try:
        _check_json_text(text)
        return _StrictJSONDecoder().decode(text)
    except _NodeError as exc:
        raise CaseError(f"{name}: invalid JSON at line {exc.line}: {exc.message}") from None
    except json.JSONDecodeError as exc:
        raise CaseError(f"{name}: invalid JSON at line {exc.lineno}: {exc.msg}") from None
    except (ValueError, RecursionError) as exc:  # pragma: no cover - the checks above come first
        raise CaseError(f"{name}: invalid JSON: {one_line(str(exc), 200)}") from None


def read_document(text: str, *, name: str = "case") -> Any:
    """Parse YAML or JSON text (JSON is YAML, but JSON's own errors read better)."""
    name = one_line(name, 200)
    if len(text) > MAX_DOCUMENT_BYTES:
        raise CaseError(f"{name}: larger than {MAX_DOCUMENT_BYTES:,} bytes; is this a case file?")
    if "\x00" in text:
        raise CaseError(f"{name}: binary data (NUL character); a case is YAML or JSON text")
    if text.lstrip().startswith("{"):
        return _read_json(text, name)
    return _read_yaml(text, name)


# --------------------------------------------------------------------------------------------
# Validation errors


_PLAIN_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")


def _loc(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif part.startswith("function-") or part in {"str", "int", "float", "bool"}:
            continue  # pydantic's inner validator names are not fields
        elif _PLAIN_NAME.match(part):
            out += f".{part}" if out else part
        else:  # an unknown key: show it escaped and short
            out += f"[{excerpt(part)}]"
    return out or "case"


def _describe(err: Mapping[str, Any]) -> str:
    kind = err["type"]
    ctx = err.get("ctx") or {}
    if kind == "extra_forbidden":
        return "unknown field (check the spelling; see `osteoboard schema`)"
    if kind in {"enum", "literal_error"}:
        return f"must be one of {ctx.get('expected')} (got {excerpt(err.get('input'))})"
    if kind == "missing":
        return "is required"
    msg = one_line(str(err["msg"]), 300)
    if msg.startswith("Value error, "):
        msg = msg[len("Value error, ") :]
    elif msg.startswith("Assertion failed, "):
        msg = msg[len("Assertion failed, ") :]
    else:
        msg = msg[0].lower() + msg[1:]
    if kind not in {"value_error", "assertion_error"} and "input" in err:
        value = err["input"]
        if not isinstance(value, dict | list):
            msg += f" (got {excerpt(value)})"
    return msg


def format_validation_error(exc: ValidationError, *, prefix: str = "") -> str:
    """The first error as one line: ``field.path: what is allowed (got …)``.

    When there are more, the count is appended so that nothing looks fixed that is not.
    """
    errors = exc.errors(include_url=False)
    first = errors[0]
    where = _loc(tuple(first["loc"]))
    line = f"{prefix}{where}: {_describe(first)}"
    if len(errors) > 1:
        line += f" (and {len(errors) - 1} more error{'s' if len(errors) > 2 else ''})"
    return line


def parse_case(data: Any, *, name: str = "case") -> Case:
    if not isinstance(data, dict):
        raise CaseError(
            f"{one_line(name, 200)}: a case is a mapping of fields (id, patient, lesions …)"
        )
    try:
        return Case.model_validate(data)
    except ValidationError as exc:
        raise CaseError(format_validation_error(exc)) from None


# --------------------------------------------------------------------------------------------
# Files and streams


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
            raise CaseError(
                f"{name}: larger than {MAX_DOCUMENT_BYTES:,} bytes; is this a case file?"
            )
    try:
        return b"".join(chunks).decode("utf-8")
    except UnicodeDecodeError:
        raise CaseError(f"{name}: not UTF-8 text") from None


def _read_path(p: Path, name: str) -> str:
    # Opened without blocking, so that a FIFO without a writer reads as empty instead of
    # waiting for ever; reads then block as usual for data a writer sends.
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(p, flags)
    except FileNotFoundError:
        raise CaseError(f"{name}: no such file") from None
    except OSError as exc:
        raise CaseError(f"{name}: cannot read ({exc.strerror})") from None
    try:
        mode = os.fstat(fd).st_mode
        if stat.S_ISDIR(mode):
            raise CaseError(f"{name}: is a directory, not a case file")
        if hasattr(os, "set_blocking"):
            os.set_blocking(fd, True)
        try:
            return _read_limited(lambda n: os.read(fd, n), name)
        except OSError as exc:
            raise CaseError(f"{name}: cannot read ({exc.strerror})") from None
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
        raise CaseError(f"{name}: empty file; a case is YAML or JSON text")
    return parse_case(read_document(text, name=name), name=name)
