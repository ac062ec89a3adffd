"""Performance status: ECOG (Oken 1982) and Karnofsky, and the ranges between them.

There is no single standard conversion. We keep the scale that was entered and convert to a
range using the common table (Buccheri et al. 1996): ECOG 0 ↔ KPS 90–100, 1 ↔ 70–80,
2 ↔ 50–60, 3 ↔ 30–40, 4 ↔ 10–20. Prasad et al. (2018) found other pairings in 5,844 paired
ratings, so every converted value is named as such in the output.
"""

from __future__ import annotations

from osteoboard.text import Text

__all__ = [
    "CONVERSION_NOTE",
    "ECOG_TO_KARNOFSKY",
    "conflicting",
    "ecog_range_from_karnofsky",
    "karnofsky_range_from_ecog",
]

ECOG_TO_KARNOFSKY: dict[int, tuple[int, ...]] = {
    0: (90, 100),
    1: (70, 80),
    2: (50, 60),
    3: (30, 40),
    4: (10, 20),
}

CONVERSION_NOTE = Text(
    de="Umrechnung ECOG ↔ Karnofsky nach der üblichen Tabelle (Buccheri 1996); es gibt keine "
    "allgemein gültige Umrechnung, daher als Bereich.",
    en="ECOG ↔ Karnofsky converted with the common table (Buccheri 1996); there is no single "
    "standard conversion, hence a range.",
)


def conflicting(ecog: int | None, karnofsky: int | None, grades_apart: int) -> bool:
    """Both documented and at least ``grades_apart`` ECOG grades apart (the knowledge base's
    ``performance_conflict_grades``: ECOG 1 beside Karnofsky 40 at 2)."""
    if ecog is None or karnofsky is None:
        return False
    grades = ecog_range_from_karnofsky(karnofsky) or (4,)
    return min(abs(ecog - g) for g in grades) >= grades_apart


def karnofsky_range_from_ecog(ecog: int) -> tuple[int, ...]:
    """Karnofsky values compatible with an ECOG grade (ECOG 1 → (70, 80))."""
    if ecog not in ECOG_TO_KARNOFSKY:
        raise ValueError("ECOG must be 0–4")
    return ECOG_TO_KARNOFSKY[ecog]


def ecog_range_from_karnofsky(karnofsky: int) -> tuple[int, ...]:
    """ECOG grades compatible with a Karnofsky value (KPS 0 is death, not an ECOG 0–4 grade)."""
    if karnofsky % 10 or not 0 <= karnofsky <= 100:
        raise ValueError("Karnofsky must be 0–100 in steps of 10")
    if karnofsky == 0:
        return ()
    return tuple(e for e, ks in ECOG_TO_KARNOFSKY.items() if karnofsky in ks)
