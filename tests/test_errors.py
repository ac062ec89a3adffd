"""Every error osteoboard raises on purpose derives from OsteoboardError (DESIGN.md: one
error base class, as httpx has), so an integrator can catch them all with one clause."""

from __future__ import annotations

import ast
from pathlib import Path

import osteoboard
from osteoboard.errors import OsteoboardError

SRC = Path(osteoboard.__file__).parent


def _error_classes() -> list[tuple[str, str]]:
    """(module, class) of every class named ``…Error`` defined in the package."""
    found = []
    for path in sorted(SRC.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        module = ".".join(path.relative_to(SRC.parent).with_suffix("").parts)
        found += [
            (module, node.name)
            for node in tree.body
            if isinstance(node, ast.ClassDef) and node.name.endswith("Error")
        ]
    return found


#: Errors that never leave the package: caught where they are raised.
_INTERNAL = {"_NodeError", "_DuplicateKey"}
#: Not an exception: a response model of the API.
_NOT_EXCEPTIONS = {"FieldError"}


def test_every_error_of_the_package_is_an_osteoboard_error() -> None:
    import importlib

    classes = _error_classes()
    assert len(classes) >= 15
    wrong = []
    for module, name in classes:
        if name in _INTERNAL | _NOT_EXCEPTIONS:
            continue
        cls = getattr(importlib.import_module(module), name)
        if issubclass(cls, Exception) and not issubclass(cls, OsteoboardError):
            wrong.append(f"{module}.{name}")
    assert not wrong, f"not derived from OsteoboardError: {wrong}"
