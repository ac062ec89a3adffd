"""The CEL compiler, imported when first used and without the package's interactive shell.

``import cel`` also imports ``cel.cli``, a REPL built on typer, prompt_toolkit and pygments,
which costs more than 100 ms of start-up and is never used here. A placeholder module for
``cel.cli`` is registered first, so that only the compiled extension and its small standard
library load. That happens on the first use of ``compile``, ``Program`` or ``Context`` from
here: a run that takes every condition's Python function from the cached knowledge base
(:mod:`osteoboard.celpy`) loads no CEL at all.
"""

from __future__ import annotations

import sys
import types
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from cel import Context, Program, compile

__all__ = ["CelProgram", "Context", "Program", "compile"]

_LAZY = frozenset({"Context", "Program", "compile"})


def _library() -> Any:
    """The ``cel`` package, imported without its shell."""
    if "cel.cli" not in sys.modules:
        sys.modules["cel.cli"] = types.ModuleType("cel.cli", "not loaded by osteoboard")
    import cel

    return cel


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(_library(), name)
    globals()[name] = value
    return value


class CelProgram:
    """CEL's compiled program for a condition, kept with the text it was compiled from: a
    knowledge base read back from its cache compiles it again only when a run asks for it
    (the engine and the quality indicators run Python functions; CEL's programs are the
    reference, and do not pickle)."""

    __slots__ = ("_program", "source")

    def __init__(self, source: str, program: Any = None) -> None:
        self.source = source
        self._program = program

    def _compiled(self) -> Any:
        program = self._program
        if program is None:
            program = self._program = _library().compile(self.source)
        return program

    def execute(self, context: Any) -> Any:
        return self._compiled().execute(context)

    def variables(self) -> Any:
        return self._compiled().variables()

    def __reduce__(self) -> tuple[Any, ...]:
        return (CelProgram, (self.source,))
