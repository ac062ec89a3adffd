"""A second look at every proposal: items that contradict each other or the case.

The rules decide; this module only checks that what they decided hangs together. Each check
reads the finished :class:`~osteoboard.proposal.Proposal` (and the case, when given) and
reports an :class:`Inconsistency` naming the items and lesions involved. It never changes a
proposal: an inconsistency is a bug in the knowledge base, to be fixed there.

Item status (SPEC §4: emergencies ``suspected`` | ``confirmed``, other items ``firm`` |
``conditional``) is read with ``getattr(item, "status", "firm")``, so the checks work before
and after the contract carries it. Where firmness matters, only firm or confirmed items count:
two fractionations for one lesion are a contradiction only among firm items (a conditional
alternative is allowed), and a renal warning excludes zoledronic acid only when it is firm.
Every other check applies to every item, whatever its status.

Each check states its reason in one line and, where the reason is clinical, the source keys of
``knowledge/sources.yaml``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from osteoboard.case import Case, CastrationStatus, PrimarySite
from osteoboard.guideline import KnowledgeBase, load_knowledge_base
from osteoboard.proposal import Proposal, Recommendation, Warning
from osteoboard.schedules import schedule_conflicts

__all__ = [
    "CHECKS",
    "FIRM_STATUSES",
    "PROGRESSION_FIELD",
    "Check",
    "Inconsistency",
    "check",
]

Item = Recommendation | Warning

#: Statuses of items the board is asked to carry out (not a conditional alternative).
FIRM_STATUSES = frozenset({"firm", "confirmed"})

#: Where documented progression of a neuroendocrine tumour is read: a case path (dotted
#: attributes of :class:`~osteoboard.case.Case`) and, without a case, the fact
#: ``primary.net_progressive`` in an item's ``because``.
PROGRESSION_FIELD = "primary.progressive"

#: Creatinine clearance (Cockcroft–Gault, mL/min) below which zoledronic acid is not given for
#: skeletal-event prevention (zometa-smpc).
ZOLEDRONIC_MIN_CRCL_ML_MIN = 30.0
CRCL_SCORE = "crcl_cockcroft_gault"

ZOLEDRONIC = "BMA.ZOLEDRONIC_ACID"
RENAL_WARNING = "WARN.RENAL_BISPHOSPHONATE"
MSCC = "EMERG.MSCC"
HYPERCALCEMIA = "EMERG.HYPERCALCEMIA"
HYPOCALCEMIA = "EMERG.HYPOCALCEMIA"
MRI_ONE_WEEK = "DX.MRI_SPINE"
CEMENT = "IR.CEMENT_AUGMENTATION"
ABLATION = "IR.THERMAL_ABLATION"
REIRRADIATION = "RT.REIRRADIATION"
POSTOP_RT = "RT.POSTOP"
SEPARATION_SURGERY = "SURG.SEPARATION_SURGERY"
CALCIUM_VITAMIN_D = "BMA.CALCIUM_VITAMIN_D"
TKI = "STS.TARGETED_TKI"
LU177_DOTATATE = "NUC.LU177_DOTATATE"

#: Items that treat a metastatic spinal cord compression at their lesion.
MSCC_TREATMENT = frozenset({MSCC, "RT.MSCC", "SURG.DECOMPRESSION_STABILIZATION"})

#: Operations after which postoperative radiotherapy follows (consultations are not surgery).
SURGERY = frozenset(
    {
        "SURG.DECOMPRESSION_STABILIZATION",
        "SURG.SPINE_STABILIZATION",
        SEPARATION_SURGERY,
        "SURG.PROPHYLACTIC_FIXATION",
        "SURG.FRACTURE_FIXATION",
        "SURG.INTRAMEDULLARY_NAIL",
        "SURG.PLATE_CEMENT_COMPOSITE",
        "SURG.TUMOR_ENDOPROSTHESIS",
        "SURG.EN_BLOC_RESECTION",
    }
)

#: Bone-modifying agents at the dose for skeletal-event prevention (BMA.DENOSUMAB is 120 mg;
#: the osteoporosis dose is BMA.OSTEOPOROSIS_DOSE).
HIGH_DOSE_BMA = frozenset({ZOLEDRONIC, "BMA.DENOSUMAB", "BMA.IBANDRONATE", "BMA.PAMIDRONATE"})


@dataclass(frozen=True)
class Inconsistency:
    """Two items that cannot both stand, or an item the case contradicts."""

    code: str
    message: str
    items: tuple[str, ...]
    lesions: tuple[str, ...] = ()
    rules: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()


@dataclass(frozen=True)
class Check:
    """One consistency check: its stable id, a one-line reason and its clinical sources.

    ``firm_only`` marks a check that lets conditional items stand (see the module docstring).
    """

    code: str
    reason: str
    sources: tuple[str, ...]
    run: Callable[[_View], Iterator[Inconsistency]]
    firm_only: bool = False


def _is_firm(item: Item) -> bool:
    return str(getattr(item, "status", "firm")) in FIRM_STATUSES


class _View:
    """The proposal's items indexed by code and lesion, and the case's facts where given."""

    def __init__(self, proposal: Proposal, case: Case | None, kb: KnowledgeBase) -> None:
        self.proposal = proposal
        self.case = case
        self.kb = kb
        #: The ESCC grades that count as high-grade compression (kb.yaml ``escc_high_grades``).
        self.high_grades = frozenset(kb.constants["escc_high_grades"])
        self.recommendations = [*proposal.emergencies, *proposal.recommendations]
        self.items: list[Item] = [
            *proposal.emergencies,
            *proposal.recommendations,
            *proposal.warnings,
        ]

    def with_code(self, *codes: str, firm: bool = False) -> list[Item]:
        return [i for i in self.items if i.code in codes and (not firm or _is_firm(i))]

    def at(self, lesion: str | None) -> list[Item]:
        return [i for i in self.items if i.lesion == lesion]

    def fact(self, name: str, items: Iterable[Item]) -> Any:
        """The first value of a fact in the ``because`` of the given items (None if absent)."""
        for item in items:
            for b in item.because:
                if b.fact == name and b.value is not None:
                    return b.value
        return None

    def operated(self, item: Item) -> bool:
        """Whether the item's lesion has already been operated: by the item's reasons, or by
        the case where given."""
        if self.fact("lesion.operation", [item]) not in (None, "none"):
            return True
        if self.case is None or item.lesion is None:
            return False
        return any(x.id == item.lesion and x.operation is not None for x in self.case.lesions)

    def case_value(self, path: str) -> Any:
        """A dotted case path (``primary.site``); None without a case or when not a field."""
        value: Any = self.case
        for part in path.split("."):
            if value is None:
                return None
            value = getattr(value, part, None)
        return value

    def escc_high_grade(self, lesion: str, item: Item) -> bool | None:
        """ESCC grade 2–3 at a lesion: from the case when it lists the lesion, else from the
        ``because`` facts of the item and then of the other items at that lesion."""
        if self.case is not None:
            for les in self.case.lesions:
                if les.id == lesion and les.escc_grade is not None:
                    return les.escc_grade.value in self.high_grades
        items = [item, *self.at(lesion)]
        high = self.fact("lesion.escc_high_grade", items)
        if isinstance(high, bool):
            return high
        grade = self.fact("lesion.escc_grade", items)
        if isinstance(grade, str) and grade != "none":
            return grade in self.high_grades
        return None


def _condition_groups(item: Item) -> list[dict[str, set[Any]]]:
    """The alternative sets of conditions of an open item (none for a firm one)."""
    groups: dict[int, dict[str, set[Any]]] = {}
    for c in getattr(item, "conditions", ()):
        groups.setdefault(c.group, {})[c.fact] = {repr(v) for v in c.values}
    return list(groups.values())


def _exclusive(a: Item, b: Item) -> bool:
    """The open conditions of two items cannot hold together: whichever alternative of each
    applies, some fact must take a value for one that the other rules out. Such items wait
    for the same answer and are never proposed together."""
    ga, gb = _condition_groups(a), _condition_groups(b)
    if not ga or not gb:
        return False
    return all(any(fact in y and not (x[fact] & y[fact]) for fact in x) for x in ga for y in gb)


def _label(item: Item) -> str:
    where = f" at {item.lesion}" if item.lesion else ""
    return f"{item.code}{where} (rule {item.rule})"


def _found(
    check: Check, message: str, items: Sequence[Item], lesions: Iterable[str | None] = ()
) -> Inconsistency:
    named = [*(i.lesion for i in items), *lesions]
    return Inconsistency(
        code=check.code,
        message=message,
        items=tuple(dict.fromkeys(i.code for i in items)),
        lesions=tuple(dict.fromkeys(x for x in named if x)),
        rules=tuple(dict.fromkeys(i.rule for i in items)),
        sources=check.sources,
    )


def _beside(
    check: Check, items: Sequence[Item], others: Sequence[Item], why: str
) -> Iterator[Inconsistency]:
    """One inconsistency for each item proposed beside an item that excludes it (unless
    their open conditions exclude each other)."""
    for other in others:
        for item in items:
            if _exclusive(item, other):
                continue
            yield _found(
                check, f"{_label(item)} is proposed beside {_label(other)}, {why}.", [item, other]
            )


_REGISTRY: list[Check] = []


def _check(
    code: str, reason: str, sources: tuple[str, ...] = (), *, firm_only: bool = False
) -> Callable[[Callable[[Check, _View], Iterator[Inconsistency]]], Check]:
    def register(fn: Callable[[Check, _View], Iterator[Inconsistency]]) -> Check:
        def run(view: _View) -> Iterator[Inconsistency]:
            return fn(entry, view)

        entry = Check(code, reason, sources, run, firm_only)
        _REGISTRY.append(entry)
        return entry

    return register


# ---------------------------------------------------------------------------------------------
# The checks, in the order they are reported.


@_check(
    "zoledronic_low_clearance",
    "Zoledronic acid for skeletal-event prevention is not recommended below CrCl 30 mL/min.",
    ("zometa-smpc",),
)
def _zoledronic_low_clearance(check: Check, view: _View) -> Iterator[Inconsistency]:
    scores = [s for s in view.proposal.scores if s.name == CRCL_SCORE and s.lesion is None]
    for score in scores:
        if score.total is not None:
            highest, shown = float(score.total), f"{score.total}"
        elif score.range is not None:
            highest, shown = float(score.range[1]), f"{score.range[0]}–{score.range[1]}"
        else:
            continue
        if highest >= ZOLEDRONIC_MIN_CRCL_ML_MIN:
            continue
        for item in view.with_code(ZOLEDRONIC):
            yield _found(
                check,
                f"{_label(item)} is proposed although creatinine clearance is "
                f"{shown} mL/min, below {ZOLEDRONIC_MIN_CRCL_ML_MIN:g} mL/min.",
                [item],
            )


def _warns_against_zoledronic(warning: Item) -> bool:
    """A renal bisphosphonate warning is against zoledronic acid unless its text names only
    another bisphosphonate (the same code warns against pamidronate)."""
    text = warning.text.en.lower()
    named = {agent for agent in ("zoledronic", "pamidronate", "ibandronate") if agent in text}
    return not named or "zoledronic" in named


@_check(
    "zoledronic_renal_warning",
    "A firm warning against zoledronic acid for renal function cannot stand beside it.",
    ("zometa-smpc",),
    firm_only=True,
)
def _zoledronic_renal_warning(check: Check, view: _View) -> Iterator[Inconsistency]:
    warnings = [w for w in view.with_code(RENAL_WARNING, firm=True) if _warns_against_zoledronic(w)]
    return _beside(check, view.with_code(ZOLEDRONIC), warnings, "which warns against it")


@_check(
    "mri_one_week_beside_mscc",
    "Suspected MSCC needs whole-spine MRI within 24 hours, not a spine MRI within one week.",
    ("nice2023",),
)
def _mri_beside_mscc(check: Check, view: _View) -> Iterator[Inconsistency]:
    why = "which needs whole-spine MRI within 24 hours, not within one week"
    # An urgent spine MRI (an unstable segment before surgery) is not the one-week MRI.
    one_week = [i for i in view.with_code(MRI_ONE_WEEK) if getattr(i, "priority", None) != "urgent"]
    return _beside(check, one_week, view.with_code(MSCC), why)


@_check(
    "cement_high_grade_escc",
    "Cement augmentation is not for a vertebra with high-grade epidural compression (ESCC 2–3).",
    ("laufer2013", "wallace2015"),
)
def _cement_high_grade_escc(check: Check, view: _View) -> Iterator[Inconsistency]:
    for item in view.with_code(CEMENT):
        if item.lesion and view.escc_high_grade(item.lesion, item):
            yield _found(
                check,
                f"{_label(item)} is proposed although {item.lesion} has high-grade epidural "
                "spinal cord compression (ESCC 2–3).",
                [item],
            )


@_check(
    "local_therapy_at_mscc_lesion",
    "Re-irradiation or thermal ablation is not for a lesion compressing the cord "
    "(MSCC or ESCC 2–3): decompression or emergency radiotherapy comes first.",
    ("nice2023", "laufer2013", "tomasian2021"),
)
def _local_therapy_at_mscc(check: Check, view: _View) -> Iterator[Inconsistency]:
    for item in view.with_code(REIRRADIATION, ABLATION):
        lesion = item.lesion
        if not lesion:
            continue
        emergency = [
            i for i in view.at(lesion) if i.code in MSCC_TREATMENT and not _exclusive(item, i)
        ]
        if emergency:
            names = ", ".join(_label(i) for i in emergency)
            yield _found(
                check,
                f"{_label(item)} is proposed at a lesion with a cord-compression emergency "
                f"item: {names}.",
                [item, *emergency],
            )
        elif view.escc_high_grade(lesion, item):
            yield _found(
                check,
                f"{_label(item)} is proposed although {lesion} has high-grade epidural spinal "
                "cord compression (ESCC 2–3).",
                [item],
            )


@_check(
    "postop_rt_without_surgery",
    "Postoperative radiotherapy needs an operation at its lesion: one proposed (or a case-level "
    "one), or one already done.",
    ("seed-002",),
)
def _postop_without_surgery(check: Check, view: _View) -> Iterator[Inconsistency]:
    surgery = view.with_code(*SURGERY)
    for item in view.with_code(POSTOP_RT):
        if any(s.lesion is None or item.lesion is None or s.lesion == item.lesion for s in surgery):
            continue
        if view.operated(item):
            continue
        where = f"for {item.lesion}" if item.lesion else "in the proposal"
        yield _found(check, f"{_label(item)} is proposed without a surgery item {where}.", [item])


@_check(
    "two_fractionations",
    "One lesion gets one radiotherapy schedule: the first firm one in the knowledge base's "
    "order (a case-level schedule counts for every lesion), others only as the alternatives "
    "their rules offer (conditional schedules aside).",
    ("astro2024", "rich2018"),
    firm_only=True,
)
def _two_fractionations(check: Check, view: _View) -> Iterator[Inconsistency]:
    for item, chosen in schedule_conflicts(view.kb, view.recommendations):
        yield _found(
            check,
            f"{_label(item)} is proposed beside {_label(chosen)}, the schedule chosen for "
            f"lesion {item.lesion}, without being offered as its alternative.",
            [item, chosen],
        )


@_check(
    "calcium_vitamin_d_in_hypercalcemia",
    "Calcium and vitamin D supplements are stopped in hypercalcaemia (a supplement conditional "
    "on normal calcium beside a merely suspected hypercalcaemia waits for the same value).",
    ("endocrine2023",),
)
def _calcium_in_hypercalcemia(check: Check, view: _View) -> Iterator[Inconsistency]:
    why = "which stops calcium and vitamin D"
    for emergency in view.with_code(HYPERCALCEMIA):
        for item in view.with_code(CALCIUM_VITAMIN_D):
            if _is_firm(item) or _is_firm(emergency):
                yield from _beside(check, [item], [emergency], why)


@_check(
    "high_dose_bma_in_hypocalcemia",
    "No denosumab or bisphosphonate is started or given while a confirmed hypocalcaemia is "
    "uncorrected.",
    ("xgeva-smpc", "zometa-smpc", "turner2016"),
    firm_only=True,
)
def _high_dose_bma_in_hypocalcemia(check: Check, view: _View) -> Iterator[Inconsistency]:
    why = "which holds them until calcium is corrected"
    for emergency in view.with_code(HYPOCALCEMIA):
        if not _is_firm(emergency):
            continue
        for item in view.with_code(*HIGH_DOSE_BMA):
            if _is_firm(item):
                yield from _beside(check, [item], [emergency], why)


@_check(
    "tki_excluded_subtype",
    "Pazopanib is not approved for liposarcoma; GIST is treated in its own protocols.",
    ("gronchi2021", "s3-sarcoma2022"),
)
def _tki_excluded_subtype(check: Check, view: _View) -> Iterator[Inconsistency]:
    for item in view.with_code(TKI):
        subtype = view.case_value("sarcoma.subtype")
        if subtype is None:
            subtype = view.fact("sts.subtype", [item])
        subtype = getattr(subtype, "value", subtype)
        if subtype in view.kb.constants["sts_tki_excluded_subtypes"]:
            yield _found(
                check,
                f"{_label(item)} (pazopanib) is proposed for sarcoma subtype {subtype}.",
                [item],
            )


@_check(
    "lu177_dotatate_without_progression",
    "Lu-177-DOTATATE is for progressive disease (NETTER-1 enrolled progression on "
    f"somatostatin analogues); read from {PROGRESSION_FIELD}.",
    ("strosberg2017", "lutathera-smpc"),
    firm_only=True,
)
def _lu177_without_progression(check: Check, view: _View) -> Iterator[Inconsistency]:
    for item in view.with_code(LU177_DOTATATE, firm=True):
        documented = view.case_value(PROGRESSION_FIELD) is True
        documented = documented or view.fact("primary.net_progressive", [item]) is True
        if not documented:
            yield _found(
                check,
                f"{_label(item)} is proposed without documented disease progression "
                f"({PROGRESSION_FIELD}).",
                [item],
            )


def _castration_sensitive(view: _View, item: Item) -> bool:
    if view.case is not None:
        primary = view.case.primary
        return (
            primary.site is PrimarySite.prostate
            and primary.castration_status is CastrationStatus.sensitive
        )
    return view.fact("primary.castration_sensitive", [item]) is True


def _treats_hypercalcemia(view: _View, item: Item) -> bool:
    """The agent is part of a hypercalcaemia emergency: an emergency item itself, or an item
    of the emergency's own rules (``emerg.hypercalcemia…``) beside EMERG.HYPERCALCEMIA."""
    if any(item is e for e in view.proposal.emergencies):
        return True
    return bool(view.with_code(HYPERCALCEMIA)) and item.rule.startswith("emerg.hypercalcemia")


@_check(
    "high_dose_bma_cspc",
    "No high-dose bone-modifying agent in castration-sensitive prostate cancer, lytic lesions "
    "included (no skeletal-event benefit shown in mHSPC); hypercalcaemia treatment aside.",
    ("eau2025", "seed-002"),
)
def _high_dose_bma_cspc(check: Check, view: _View) -> Iterator[Inconsistency]:
    for item in view.with_code(*HIGH_DOSE_BMA):
        if _castration_sensitive(view, item) and not _treats_hypercalcemia(view, item):
            yield _found(
                check,
                f"{_label(item)} is a high-dose bone-modifying agent, proposed in "
                "castration-sensitive prostate cancer.",
                [item],
            )


#: Every check, in report order, by its stable id.
CHECKS: dict[str, Check] = {c.code: c for c in _REGISTRY}


def check(
    proposal: Proposal, case: Case | None = None, kb: KnowledgeBase | None = None
) -> list[Inconsistency]:
    """Every inconsistency of a proposal (empty when it hangs together).

    With the case, facts are read from it (ESCC grades, sarcoma subtype, castration status,
    documented progression); without it, from the ``because`` facts of the items.
    """
    view = _View(proposal, case, kb or load_knowledge_base())
    found: list[Inconsistency] = []
    for entry in CHECKS.values():
        found.extend(entry.run(view))
    return found
