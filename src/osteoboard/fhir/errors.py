"""The error of the FHIR importer: bad input, one line per problem naming the resource and
element, in German (default) or English."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from osteoboard.errors import OsteoboardError
from osteoboard.messages import Lang, one_line

__all__ = ["FhirImportError", "FhirProblem"]

#: Most problems listed (the rest are counted).
MAX_PROBLEMS = 20


@dataclass(frozen=True)
class FhirProblem:
    """One problem: where (``Observation/ecog-1: valueInteger``, ``entry[3]``, a file) and
    what, in German and English."""

    where: str
    de: str
    en: str

    def render(self, lang: Lang = "de") -> str:
        text = self.de if lang == "de" else self.en
        return f"{self.where}: {text}" if self.where else text


class FhirImportError(OsteoboardError, ValueError):
    """FHIR input that cannot be imported: not JSON, not a Bundle, a resource that fails R4B
    validation, a unit that cannot be converted, or a case that the values do not make."""

    def __init__(self, problems: FhirProblem | Sequence[FhirProblem]) -> None:
        if isinstance(problems, FhirProblem):
            problems = [problems]
        self.problems: tuple[FhirProblem, ...] = tuple(problems[:MAX_PROBLEMS])
        self.more = max(0, len(problems) - MAX_PROBLEMS)
        super().__init__("\n".join(self.lines("en")))

    def lines(self, lang: Lang = "de") -> list[str]:
        out = [one_line(p.render(lang), 600) for p in self.problems]
        if self.more:
            out.append(
                f"… und {self.more} weitere Fehler"
                if lang == "de"
                else f"… and {self.more} more errors"
            )
        return out


def problem(where: str, de: str, en: str) -> FhirImportError:
    return FhirImportError(FhirProblem(where, de, en))
