"""One radiotherapy schedule per lesion.

Several rules may each find a schedule right for the same lesion (a painful lesion at a
junctional level: palliative and prophylactic radiotherapy; an oligometastatic patient: SBRT of
every metastasis and a schedule for the painful one). The board irradiates a lesion once, so
the proposal names one schedule per lesion: the first of the firm ones in the knowledge base's
order (``kb.yaml`` ``radiotherapy_schedules``), where a case-level schedule counts for every
lesion. A lower schedule stays only where its rule offers it as an alternative to the chosen
one (``alternative_to``) and is marked as such; the others leave the proposal (their rules
still fire and show in the trace). A conditional schedule names the conditions under which it
would apply; beside a firm higher schedule of its lesion it leaves the proposal too, since
once its conditions are known that one is chosen - unless its rule offers it as an
alternative to that one. The same holds beside a higher schedule that is open only on a
condition of the treatment itself (kb.yaml ``treatment_conditions``, a biopsy of a solitary
lesion) which the lower one needs as well. Beside any other conditional higher schedule both
stay: the conditions an item lists are those of one exploration, not a complete description
of when it applies.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from osteoboard.guideline import KnowledgeBase
from osteoboard.proposal import ItemStatus, Priority, Recommendation

__all__ = ["choose_schedules", "is_firm", "schedule_conflicts"]

_FIRM = frozenset({ItemStatus.firm, ItemStatus.confirmed})


def is_firm(item: Recommendation) -> bool:
    return item.status in _FIRM


def _firm_schedules(kb: KnowledgeBase, items: Iterable[Recommendation]) -> list[Recommendation]:
    order = kb.schedules
    return [i for i in items if i.code in order and is_firm(i)]


def _chosen(kb: KnowledgeBase, schedules: Sequence[Recommendation]) -> dict[str, Recommendation]:
    """Per lesion with a schedule of its own, the one proposed (case-level ones compete, except
    with an urgent schedule of the lesion: the radiotherapy of an emergency at that lesion - an
    unfixed fracture, a compression - is not put off for the stereotactic radiotherapy of every
    metastasis, which follows it)."""
    rank = {code: n for n, code in enumerate(kb.schedules)}
    case_level = [i for i in schedules if i.lesion is None]
    urgent = {i.lesion for i in schedules if i.lesion is not None and i.priority == Priority.urgent}
    chosen: dict[str, Recommendation] = {}
    for item in schedules:
        if item.lesion is None:
            continue
        best = chosen.get(item.lesion)
        if best is None:
            best = (
                item
                if item.lesion in urgent
                else min(case_level, key=lambda i: rank[i.code], default=item)
            )
        if rank[item.code] < rank[best.code]:
            best = item
        chosen[item.lesion] = best
    return chosen


def _offered_beside(kb: KnowledgeBase, item: Recommendation, chosen: Recommendation) -> bool:
    rule = kb.rules_by_id.get(item.rule)
    return rule is not None and chosen.code in rule.rule.alternative_to


def choose_schedules(kb: KnowledgeBase, items: Sequence[Recommendation]) -> list[Recommendation]:
    """The items with one firm radiotherapy schedule per lesion (see the module docstring)."""
    schedules = _firm_schedules(kb, items)
    if len(schedules) < 2:
        return _without_superseded(kb, list(items))
    chosen = _chosen(kb, schedules)
    out: list[Recommendation] = []
    for item in items:
        best = chosen.get(item.lesion) if item.lesion is not None else None
        if best is None or item is best or item.code not in kb.schedules or not is_firm(item):
            out.append(item)
        elif item.code == best.code:
            out.append(item)  # the same schedule from another list (emergency and therapy)
        elif _offered_beside(kb, item, best):
            out.append(item.model_copy(update={"alternative_to": best.code}))
    return _without_superseded(kb, out)


def _treatment_facts(
    kb: KnowledgeBase, code: str, seen: dict[str, frozenset[str]]
) -> frozenset[str]:
    """The facts of the treatment conditions read with every rule proposing ``code`` (kept in
    ``seen`` for one proposal)."""
    facts = seen.get(code)
    if facts is None:
        facts = seen[code] = frozenset(
            fact
            for tc in kb.treatment_conditions
            if code in tc.treatment.actions
            for fact in tc.condition.facts
        )
    return facts


def _settles(
    kb: KnowledgeBase,
    high: Recommendation,
    low: Recommendation,
    seen: dict[str, frozenset[str]],
) -> bool:
    """Whether ``high`` applies wherever ``low`` does: it is firm, or open only on facts of its
    treatment conditions (one group), which ``low`` is open on too, at values ``high``
    accepts, in each of its groups, being read with the same treatment conditions."""
    if is_firm(high):
        return True
    if high.status is not ItemStatus.conditional or not high.conditions:
        return False
    if len({c.group for c in high.conditions}) != 1:
        return False
    facts = _treatment_facts(kb, high.code, seen) & _treatment_facts(kb, low.code, seen)
    needed = {c.fact: set(c.values) for c in high.conditions}
    if not set(needed) <= facts:
        return False
    groups: dict[int, dict[str, set[object]]] = {}
    for c in low.conditions:
        groups.setdefault(c.group, {})[c.fact] = set(c.values)
    return all(
        fact in group and group[fact] <= values
        for group in groups.values()
        for fact, values in needed.items()
    )


def _without_superseded(kb: KnowledgeBase, items: list[Recommendation]) -> list[Recommendation]:
    """Conditional schedules beside a higher schedule of the lesion (or of every lesion) that
    applies wherever they do leave the proposal, unless offered as an alternative to it."""
    rank = {code: n for n, code in enumerate(kb.schedules)}
    schedules = [i for i in items if i.code in rank]
    if len(schedules) < 2:
        return items
    out = []
    seen: dict[str, frozenset[str]] = {}
    for item in items:
        if (
            item.code in rank
            and item.lesion is not None
            and item.status is ItemStatus.conditional
            and any(
                rank[other.code] < rank[item.code]
                and other.lesion in (item.lesion, None)
                and not _offered_beside(kb, item, other)
                and _settles(kb, other, item, seen)
                for other in schedules
            )
        ):
            continue
        out.append(item)
    return out


def schedule_conflicts(
    kb: KnowledgeBase, items: Iterable[Recommendation]
) -> list[tuple[Recommendation, Recommendation]]:
    """Pairs (item, chosen schedule) of firm schedules at one lesion that are neither the
    chosen one nor offered as an alternative to it: empty for every proposal of the engine."""
    schedules = _firm_schedules(kb, items)
    chosen = _chosen(kb, schedules)
    conflicts = []
    for item in schedules:
        best = chosen.get(item.lesion) if item.lesion is not None else None
        if best is None or item.code == best.code:
            continue
        if item.alternative_to != best.code or not _offered_beside(kb, item, best):
            conflicts.append((item, best))
    return conflicts
