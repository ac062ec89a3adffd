"""The ``osteoboard`` console script: :data:`osteoboard.cli.app`, started faster.

Importing the command line and the engine and reading the knowledge base create a few hundred
thousand objects that live until the process ends (modules, classes, pydantic's validators,
the rules). The cyclic garbage collector would walk them again and again while they are made,
which costs a tenth of a short command's run. So it is paused while the command line (and, for
a command that evaluates cases, the engine) is imported, and what exists then is moved out of
its reach (:func:`gc.freeze`) before it runs again; the command itself runs with the collector
on (the server and the cohort runner run for long).
"""

from __future__ import annotations

import gc
import importlib
import sys

__all__ = ["main"]

#: Commands that evaluate cases: the engine is imported with the command line. (Another
#: argument that happens to read the same only costs that import.)
ENGINE_COMMANDS = frozenset({"evaluate", "demo"})


def main() -> None:
    """Run the command line (the ``osteoboard`` console script)."""
    gc.disable()
    try:
        from osteoboard.cli import app

        if ENGINE_COMMANDS.intersection(sys.argv[1:]):
            importlib.import_module("osteoboard.engine")
        gc.freeze()
    finally:
        gc.enable()
    app()
