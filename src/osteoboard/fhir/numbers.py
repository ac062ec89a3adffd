"""Numbers written as text in FHIR (``valueString`` "2,45 mmol/l", "165.000 /µl").

German lab systems write the decimal comma and a dot between thousands; English ones the
decimal point and a comma between thousands. A single separator followed by exactly three
digits ("165.000", "1,250") is therefore both a decimal and a thousands number, and is never
read as either: :func:`read_number` names both readings, and the importer leaves the value
out and reports it. A number is read as grouped in thousands only when nothing else is
possible: several groups of three ("1.250.000"), or groups ending in the other mark as the
decimal ("1.250,5", "1,250.5").
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["NUMBER_TEXT", "NumberText", "read_number"]

#: A number in a valueString, with an optional comparator and unit ("< 5 mg/l", "2,45mmol/l",
#: "1.250,5 U/l").
NUMBER_TEXT = re.compile(
    r"^\s*(?P<cmp><=|>=|<|>)?\s*(?P<num>[+-]?\d+(?:[.,]\d+)*)\s*(?P<unit>\S+)?\s*$"
)
_SEPARATORS = re.compile(r"[.,]")


@dataclass(frozen=True)
class NumberText:
    """What a written number says: ``value``, or (``value`` None) the two ``readings`` it
    allows, or neither when it is no number (separators in impossible places)."""

    value: float | None
    readings: tuple[float, float] | None = None
    integer: bool = False

    @property
    def ambiguous(self) -> bool:
        return self.readings is not None


#: Longest number text read (a lab value is a few digits; "1.250.000 /µl" is 9 characters).
MAX_NUMBER_TEXT = 40


def read_number(num: str) -> NumberText:
    """The number of ``num`` (the ``num`` group of :data:`NUMBER_TEXT`)."""
    if len(num) > MAX_NUMBER_TEXT:
        return NumberText(None)  # no measurement is written with this many digits
    sign = -1.0 if num.startswith("-") else 1.0
    body = num.lstrip("+-")
    marks = _SEPARATORS.findall(body)
    groups = _SEPARATORS.split(body)
    if not marks:
        return NumberText(sign * float(body), integer=True)
    if len(marks) == 1:
        head, tail = groups
        decimal = sign * float(f"{head}.{tail}")
        if len(tail) == 3 and _group_head(head):
            return NumberText(None, readings=(decimal, sign * float(head + tail)))
        return NumberText(decimal)
    grouped = _group_head(groups[0])
    if len(set(marks)) == 1:
        # "1.250.000": only thousands can repeat
        if grouped and all(len(g) == 3 for g in groups[1:]):
            return NumberText(sign * float("".join(groups)), integer=True)
        return NumberText(None)
    *grouping, point = marks
    if (
        len(set(grouping)) == 1
        and grouping[0] != point
        and grouped
        and all(len(g) == 3 for g in groups[1:-1])
    ):
        return NumberText(sign * float("".join(groups[:-1]) + "." + groups[-1]))
    return NumberText(None)


def _group_head(head: str) -> bool:
    """Whether ``head`` can be the first group of a number grouped in thousands."""
    return 1 <= len(head) <= 3 and not head.startswith("0")
