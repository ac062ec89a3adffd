"""Knowledge-base conditions compiled to Python functions, with CEL's semantics.

The CEL text in the knowledge base stays the source of truth: every condition is still
compiled and checked by the CEL library on load (:mod:`osteoboard.guideline`), and the engine
can run either program (:func:`osteoboard.engine.reference_conditions` switches to CEL's, and a
differential test compares both on every condition and on whole proposals). Running a CEL
program costs about 5 µs, mostly in handing values to the library; a condition as a Python
function costs well under one.

Only the part of CEL that conditions use is compiled: ``&&``, ``||``, ``!``, comparisons,
``in``, list literals, string, number and boolean literals, unary minus and the ``exists``
macro (and, with ``fields=True``, a map's field ``m.key``, which the quality indicators read).
An expression with anything else raises :class:`Unsupported`, and the engine runs CEL's own
program for it.

Results follow the library's behaviour exactly, including which error a failed run reports
(the engine branches on the undefined variable it names):

- a variable that is not given is an error value, not an exception, so ``false && x`` is
  false and ``true || x`` is true whichever side the error is on;
- ``a && b`` (and ``a || b``) is decided by a side that is false (true); otherwise the right
  side's error is reported before the left side's, and a side that is no boolean is a type
  error; a chain ``a && b && c && d`` is the balanced tree CEL's parser builds,
  ``(a && b) && (c && d)``;
- ``==``, ``!=``, ``<``… and ``in`` report their left operand's error first; values of
  different types are unequal, except numbers (``1 == 1.0``); ordering them is a type error;
- a list literal reports its first element's error; ``exists`` stops at the first element
  that gives true or an error;
- a field of something that is not a map, or a key the map lacks, is an error (a type error
  here, whatever CEL's message).
"""

from __future__ import annotations

import marshal
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import CodeType
from typing import Any

__all__ = ["Compiled", "Error", "Unsupported", "compile_condition", "undefined"]


class Unsupported(ValueError):
    """The expression uses a part of CEL that is not compiled here."""


class Error:
    """A failed run: an undefined variable (``name``) or a type error (``name`` None)."""

    __slots__ = ("name",)

    def __init__(self, name: str | None) -> None:
        self.name = name

    def __repr__(self) -> str:
        return f"Error({self.name!r})"


TYPE_ERROR = Error(None)


def _is_number(value: Any) -> bool:
    cls = value.__class__
    return cls is int or cls is float


def equal(a: Any, b: Any) -> bool:
    """CEL equality of two values (no errors)."""
    ca, cb = a.__class__, b.__class__
    if ca is cb:
        if ca is list:
            return len(a) == len(b) and all(equal(x, y) for x, y in zip(a, b, strict=True))
        return bool(a == b)
    if (ca is int or ca is float) and (cb is int or cb is float):
        return bool(a == b)
    return False


def _and(left: Any, right: Any) -> Any:
    """``left && right`` when ``left`` is not false."""
    if right is False:
        return False
    if right is True:
        if left is True:
            return True
        return left if left.__class__ is Error else TYPE_ERROR
    if right.__class__ is Error:
        return right
    return left if left.__class__ is Error else TYPE_ERROR


def _or(left: Any, right: Any) -> Any:
    """``left || right`` when ``left`` is not true."""
    if right is True:
        return True
    if right is False:
        if left is False:
            return False
        return left if left.__class__ is Error else TYPE_ERROR
    if right.__class__ is Error:
        return right
    return left if left.__class__ is Error else TYPE_ERROR


def _not(value: Any) -> Any:
    if value is True:
        return False
    if value is False:
        return True
    return value if value.__class__ is Error else TYPE_ERROR


def _eq(left: Any, right: Any) -> Any:
    if left.__class__ is Error:
        return left
    if right.__class__ is Error:
        return right
    return equal(left, right)


def _ne(left: Any, right: Any) -> Any:
    if left.__class__ is Error:
        return left
    if right.__class__ is Error:
        return right
    return not equal(left, right)


def _orderable(left: Any, right: Any) -> bool:
    cl, cr = left.__class__, right.__class__
    if (cl is int or cl is float) and (cr is int or cr is float):
        return True
    return cl is cr and cl in (str, bool)


def _compare(op: Callable[[Any, Any], bool]) -> Callable[[Any, Any], Any]:
    def compare(left: Any, right: Any) -> Any:
        if left.__class__ is Error:
            return left
        if right.__class__ is Error:
            return right
        if not _orderable(left, right):
            return TYPE_ERROR
        return op(left, right)

    return compare


_lt = _compare(lambda a, b: a < b)
_le = _compare(lambda a, b: a <= b)
_gt = _compare(lambda a, b: a > b)
_ge = _compare(lambda a, b: a >= b)


def _in(item: Any, container: Any) -> Any:
    if item.__class__ is Error:
        return item
    if container.__class__ is Error:
        return container
    if container.__class__ is not list:
        return TYPE_ERROR
    return any(equal(item, member) for member in container)


def _in_strings(item: Any, members: frozenset[str], container: list[Any]) -> Any:
    """``item in [...]`` with a literal list of strings."""
    if item.__class__ is str:
        return item in members
    if item.__class__ is Error:
        return item
    return any(equal(item, member) for member in container)


def _list(*items: Any) -> Any:
    for item in items:
        if item.__class__ is Error:
            return item
    return list(items)


def _exists(container: Any, predicate: Callable[[Any], Any]) -> Any:
    if container.__class__ is Error:
        return container
    if container.__class__ is not list:
        return TYPE_ERROR
    for member in container:
        result = predicate(member)
        if result is True:
            return True
        if result is False:
            continue
        return result if result.__class__ is Error else TYPE_ERROR
    return False


def _field(container: Any, key: str) -> Any:
    """``container.key`` on a map."""
    if container.__class__ is Error:
        return container
    if container.__class__ is not dict or key not in container:
        return TYPE_ERROR
    return container[key]


def _neg(value: Any) -> Any:
    if value.__class__ is Error:
        return value
    return -value if _is_number(value) else TYPE_ERROR


# --- parsing ---------------------------------------------------------------------------

_TOKEN = re.compile(
    r"""
    (?P<space>\s+)
  | (?P<number>\d+\.\d*(?:[eE][+-]?\d+)?|\d+[eE][+-]?\d+|\.\d+(?:[eE][+-]?\d+)?|\d+)
  | (?P<string>"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*')
  | (?P<name>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<op>&&|\|\||==|!=|<=|>=|[<>!()\[\],.\-])
    """,
    re.VERBOSE,
)

_ESCAPES = {
    "n": "\n",
    "t": "\t",
    "r": "\r",
    "\\": "\\",
    "'": "'",
    '"': '"',
    "/": "/",
    "b": "\b",
    "f": "\f",
    "a": "\a",
    "v": "\v",
    "?": "?",
    "`": "`",
}


def _unquote(text: str) -> str:
    body = text[1:-1]
    if "\\" not in body:
        return body
    out: list[str] = []
    i = 0
    while i < len(body):
        ch = body[i]
        if ch != "\\":
            out.append(ch)
            i += 1
            continue
        code = body[i + 1]
        if code in _ESCAPES:
            out.append(_ESCAPES[code])
            i += 2
        elif code in "uU":
            width = 4 if code == "u" else 8
            out.append(chr(int(body[i + 2 : i + 2 + width], 16)))
            i += 2 + width
        else:
            raise Unsupported(f"escape \\{code}")
    return "".join(out)


def _tokens(source: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    pos = 0
    while pos < len(source):
        match = _TOKEN.match(source, pos)
        if match is None:
            raise Unsupported(f"character {source[pos]!r}")
        kind = match.lastgroup
        assert kind is not None
        if kind != "space":
            out.append((kind, match.group()))
        pos = match.end()
    out.append(("end", ""))
    return out


# An expression tree: (kind, ...) tuples.
_Node = tuple[Any, ...]
_RELATIONS = {"==", "!=", "<", "<=", ">", ">=", "in"}
_KEYWORDS = {"true": True, "false": False}


def _balanced(kind: str, terms: list[_Node], low: int, high: int) -> _Node:
    """A chain of one logical operator as CEL's parser builds it: a balanced tree over the
    operators ``low``..``high`` (``a && b && c && d`` is ``(a && b) && (c && d)``), which
    decides which error a failed run reports."""
    if high < low:
        return terms[0]
    middle = (low + high + 1) // 2
    left = terms[middle] if middle == low else _balanced(kind, terms, low, middle - 1)
    right = terms[middle + 1] if middle == high else _balanced(kind, terms, middle + 1, high)
    return (kind, left, right)


class _Parser:
    def __init__(self, source: str, fields: bool = False) -> None:
        self.tokens = _tokens(source)
        self.pos = 0
        self.fields = fields

    def peek(self) -> tuple[str, str]:
        return self.tokens[self.pos]

    def take(self, text: str | None = None) -> tuple[str, str]:
        token = self.tokens[self.pos]
        if text is not None and token[1] != text:
            raise Unsupported(f"expected {text!r}, found {token[1]!r}")
        self.pos += 1
        return token

    def parse(self) -> _Node:
        node = self.expression()
        if self.peek()[0] != "end":
            raise Unsupported(f"unexpected {self.peek()[1]!r}")
        return node

    def expression(self) -> _Node:
        node = self.disjunction()
        if self.peek()[1] == "?":
            raise Unsupported("conditional operator")
        return node

    def disjunction(self) -> _Node:
        terms = [self.conjunction()]
        while self.peek()[1] == "||":
            self.take()
            terms.append(self.conjunction())
        return _balanced("or", terms, 0, len(terms) - 2)

    def conjunction(self) -> _Node:
        terms = [self.relation()]
        while self.peek()[1] == "&&":
            self.take()
            terms.append(self.relation())
        return _balanced("and", terms, 0, len(terms) - 2)

    def relation(self) -> _Node:
        node = self.unary()
        while self.peek()[1] in _RELATIONS:
            op = self.take()[1]
            node = ("rel", op, node, self.unary())
        return node

    def unary(self) -> _Node:
        text = self.peek()[1]
        if text == "!":
            self.take()
            return ("not", self.unary())
        if text == "-":
            self.take()
            operand = self.unary()
            if operand[0] == "lit" and _is_number(operand[1]):
                return ("lit", -operand[1])
            return ("neg", operand)
        return self.member()

    def member(self) -> _Node:
        node = self.primary()
        while self.peek()[1] == ".":
            self.take()
            kind, name = self.take()
            if kind == "name" and self.fields and self.peek()[1] != "(":
                node = ("field", node, name)
                continue
            if kind != "name" or name != "exists" or self.peek()[1] != "(":
                raise Unsupported(f"member .{name}")
            self.take("(")
            kind, var = self.take()
            if kind != "name":
                raise Unsupported("exists without a variable")
            self.take(",")
            predicate = self.expression()
            self.take(")")
            node = ("exists", node, var, predicate)
        if self.peek()[1] in ("[", "("):
            raise Unsupported("index or call")
        return node

    def primary(self) -> _Node:
        kind, text = self.take()
        if kind == "number":
            if any(c in text for c in ".eE"):
                return ("lit", float(text))
            return ("lit", int(text))
        if kind == "string":
            return ("lit", _unquote(text))
        if kind == "name":
            if text in _KEYWORDS:
                return ("lit", _KEYWORDS[text])
            if text == "null" or self.peek()[1] == "(":
                raise Unsupported(text)
            return ("var", text)
        if text == "(":
            node = self.expression()
            self.take(")")
            return node
        if text == "[":
            items: list[_Node] = []
            while self.peek()[1] != "]":
                items.append(self.expression())
                if self.peek()[1] != ",":
                    break
                self.take(",")
            self.take("]")
            if all(item[0] == "lit" for item in items):
                return ("lit", [item[1] for item in items])
            return ("list", items)
        raise Unsupported(f"token {text!r}")


# --- code generation -------------------------------------------------------------------


class _Writer:
    """Writes one Python expression per tree; constants go to a table the code reads."""

    def __init__(self) -> None:
        self.constants: list[Any] = []
        self.variables: set[str] = set()
        self.temps = 0
        self.bound: list[str] = []

    def constant(self, value: Any) -> str:
        if isinstance(value, bool | int | float | str):
            return repr(value)
        self.constants.append(value)
        return f"k{len(self.constants) - 1}"

    def parameters(self) -> str:
        """The function's parameters after ``variables``: its constants as defaults, bound
        once and read as locals."""
        return "".join(f", k{i}=K[{i}]" for i in range(len(self.constants)))

    def temp(self) -> str:
        self.temps += 1
        return f"t{self.temps}"

    def write(self, node: _Node) -> str:
        kind = node[0]
        if kind == "lit":
            value = node[1]
            return self.constant(list(value) if isinstance(value, list) else value)
        if kind == "var":
            name = node[1]
            if name in self.bound:
                return f"m_{name}"
            # Read where used, so that a run decided early reads only what it needs. The
            # mapping holds every variable (an undefined one as its Error): see Compiled.
            self.variables.add(name)
            return f"variables[{name!r}]"
        if kind in ("and", "or"):
            # The left side alone decides when it is false (true); else both are needed. Two
            # booleans (the usual case) are combined here, anything else by the helper.
            t, r = self.temp(), self.temp()
            left, right = self.write(node[1]), self.write(node[2])
            decided, other = ("False", "True") if kind == "and" else ("True", "False")
            return (
                f"({decided} if ({t} := {left}) is {decided} else "
                f"({r} if (({r} := {right}) is True or {r} is False) and {t} is {other} "
                f"else _{kind}({t}, {r})))"
            )
        if kind == "not":
            t = self.temp()
            return (
                f"(False if ({t} := {self.write(node[1])}) is True "
                f"else True if {t} is False else _not({t}))"
            )
        if kind == "neg":
            return f"_neg({self.write(node[1])})"
        if kind == "list":
            return f"_list({', '.join(self.write(item) for item in node[1])})"
        if kind == "exists":
            _, container, var, predicate = node
            self.bound.append(var)
            try:
                body = self.write(predicate)
            finally:
                self.bound.pop()
            return f"_exists({self.write(container)}, lambda m_{var}: {body})"
        if kind == "rel":
            return self.relation(node[1], node[2], node[3])
        if kind == "field":
            return f"_field({self.write(node[1])}, {node[2]!r})"
        raise Unsupported(kind)

    def relation(self, op: str, left: _Node, right: _Node) -> str:
        if (
            op in ("==", "!=")
            and right[0] == "lit"
            and isinstance(right[1], str)
            and left[0] != "lit"
        ):
            # A string equals only an equal string: Python's == is CEL's here.
            t = self.temp()
            return (
                f"({t} if ({t} := {self.write(left)}).__class__ is Error "
                f"else {t} {op} {right[1]!r})"
            )
        if (
            right[0] == "lit"
            and (
                right[1].__class__ is int
                or (right[1].__class__ is float and math.isfinite(right[1]))
            )
            and left[0] != "lit"
            and op != "in"
        ):
            # Two numbers compare as in Python (ints and doubles alike, as CEL's library);
            # anything else (an error, another type) goes to the helper.
            t = self.temp()
            return (
                f"({t} {op} {right[1]!r} if (({t} := {self.write(left)}).__class__ is int "
                f"or {t}.__class__ is float) else {_RELATION_HELPERS[op]}({t}, {right[1]!r}))"
            )
        if (
            op == "in"
            and right[0] == "lit"
            and isinstance(right[1], list)
            and all(isinstance(v, str) for v in right[1])
        ):
            t = self.temp()
            members = self.constant(frozenset(right[1]))
            listed = self.constant(list(right[1]))
            return (
                f"({t} in {members} if ({t} := {self.write(left)}).__class__ is str "
                f"else _in_strings({t}, {members}, {listed}))"
            )
        return f"{_RELATION_HELPERS[op]}({self.write(left)}, {self.write(right)})"


_RELATION_HELPERS = {
    "==": "_eq",
    "!=": "_ne",
    "<": "_lt",
    "<=": "_le",
    ">": "_gt",
    ">=": "_ge",
    "in": "_in",
}


_HELPERS: dict[str, Any] = {
    "Error": Error,
    "_and": _and,
    "_or": _or,
    "_not": _not,
    "_eq": _eq,
    "_ne": _ne,
    "_lt": _lt,
    "_le": _le,
    "_gt": _gt,
    "_ge": _ge,
    "_in": _in,
    "_in_strings": _in_strings,
    "_list": _list,
    "_exists": _exists,
    "_neg": _neg,
    "_field": _field,
}


@dataclass(frozen=True)
class Compiled:
    """A condition as a Python function of its variables (flat fact names → values; a fact
    left out is undefined). The result is the condition's value or an :class:`Error`.

    ``run`` takes any mapping. ``fast`` is the function itself: it subscripts its mapping, so
    the mapping must hold every variable the condition reads, an undefined one as its
    :func:`undefined` error (the engine keeps one such map per scope; a dictionary's
    subscript is about twice as fast as its ``get``).

    Pickled as its bytecode (``marshal``), so a knowledge base cached on disk needs no
    compiler when it is read back."""

    source: str
    run: Callable[[Mapping[str, Any]], Any]
    fast: Callable[[dict[str, Any]], Any] = field(compare=False, repr=False)
    python: str
    code: CodeType = field(compare=False, repr=False)
    constants: tuple[Any, ...] = field(default=(), compare=False, repr=False)
    variables: tuple[str, ...] = field(default=(), compare=False, repr=False)

    def __reduce__(self) -> tuple[Any, ...]:
        return (
            _restore,
            (self.source, self.python, marshal.dumps(self.code), self.constants, self.variables),
        )


_UNDEFINED: dict[str, Error] = {}


def undefined(name: str) -> Error:
    """The error a run reports for the variable ``name`` when it is not given (one object per
    name)."""
    found = _UNDEFINED.get(name)
    if found is None:
        found = _UNDEFINED.setdefault(name, Error(name))
    return found


class _Undefined(dict[str, Any]):
    """A mapping whose missing keys read as undefined variables."""

    def __missing__(self, key: str) -> Error:
        return undefined(key)


def _compiled(
    source: str, python: str, code: CodeType, constants: tuple[Any, ...], variables: tuple[str, ...]
) -> Compiled:
    namespace: dict[str, Any] = dict(_HELPERS)
    namespace["K"] = list(constants)
    exec(code, namespace)
    fast = namespace["run"]

    def run(values: Mapping[str, Any]) -> Any:
        return fast(_Undefined(values))

    return Compiled(source, run, fast, python, code, constants, variables)


def _restore(
    source: str, python: str, code: bytes, constants: tuple[Any, ...], variables: tuple[str, ...]
) -> Compiled:
    loaded = marshal.loads(code)
    if not isinstance(loaded, CodeType):
        raise TypeError("a compiled condition must be a code object")
    return _compiled(source, python, loaded, constants, variables)


def compile_condition(source: str, *, fields: bool = False) -> Compiled:
    """Compile a (flattened) CEL condition; :class:`Unsupported` when it uses a part of CEL
    that is not compiled here. ``fields``: also a map's field (``m.key``); a knowledge-base
    rule reads flat fact names, where a dot is never a field."""
    tree = _Parser(source, fields).parse()
    writer = _Writer()
    body = writer.write(tree)
    text = f"def run(variables{writer.parameters()}):\n    return {body}"
    code = compile(text, f"<condition {source[:40]!r}>", "exec")
    constants, variables = tuple(writer.constants), tuple(sorted(writer.variables))
    return _compiled(source, text, code, constants, variables)
