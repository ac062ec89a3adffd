"""One radiotherapy schedule per lesion.

Several rules may each find a schedule right for the same lesion (a painful lesion at a
junctional level: palliative and prophylactic radiotherapy; an oligometastatic patient: SBRT of
every metastasis and a schedule for the painful one). The board irradiates a lesion once, so
the proposal names one schedule per lesion: the first of the firm ones in the knowledge base's
order (``kb.yaml`` ``radiotherapy_schedules``), where a case-level schedule counts for every
lesion. A lower schedule stays only where its rule offers it as an alternative to the chosen
one (``alternative_to``) and is marked as such; the others leave the proposal (their rules
still fire and show in the trace). A conditional schedule names the conditions under which it
would apply; it leaves the proposal only where those conditions already make a higher schedule
of its lesion apply (a firm one, or a conditional one whose conditions it contains), since
once they are known that one is chosen - unless its rule offers it as an alternative to that
one.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from osteoboard.guideline import KnowledgeBase
from osteoboard.proposal import ItemStatus, Recommendation

__all__ = ["choose_schedules", "is_firm", "schedule_conflicts"]

_FIRM = frozenset({ItemStatus.firm, ItemStatus.confirmed})


def is_firm(item: Recommendation) -> bool:
    return item.status in _FIRM


def _firm_schedules(kb: KnowledgeBase, items: Iterable[Recommendation]) -> list[Recommendation]:
    order = kb.schedules
    return [i for i in items if i.code in order and is_firm(i)]


def _chosen(kb: KnowledgeBase, schedules: Sequence[Recommendation]) -> dict[str, Recommendation]:
    """Per lesion with a schedule of its own, the one proposed (case-level ones compete)."""
    rank = {code: n for n, code in enumerate(kb.schedules)}
    case_level = [i for i in schedules if i.lesion is None]
    chosen: dict[str, Recommendation] = {}
    for item in schedules:
        if item.lesion is None:
            continue
        best = chosen.get(item.lesion)
        if best is None:
            best = min(case_level, key=lambda i: rank[i.code], default=item)
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
        return _without_implied(kb, list(items))
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
    return _without_implied(kb, out)


def _groups(item: Recommendation) -> list[dict[str, frozenset[object]]]:
    """The item's alternative condition groups: per open fact, the values it needs."""
    groups: dict[int, dict[str, frozenset[object]]] = {}
    for c in item.conditions:
        groups.setdefault(c.group, {})[c.fact] = frozenset(c.values)
    return list(groups.values())


def _contains(low: dict[str, frozenset[object]], high: dict[str, frozenset[object]]) -> bool:
    """Whether the conditions ``low`` make every condition of ``high`` hold: each fact of
    ``high`` is open in ``low`` too, at values ``high`` accepts. A number's values are test
    points, not ranges, so they must be the same."""
    for fact, values in high.items():
        needed = low.get(fact)
        if needed is None:
            return False
        numeric = any(isinstance(v, int | float) and not isinstance(v, bool) for v in values)
        if not (needed == values if numeric else needed <= values):
            return False
    return True


def _implies(low: Recommendation, high: Recommendation) -> bool:
    """Whether every completion that makes ``low`` apply makes ``high`` apply."""
    if is_firm(high):
        return True
    if high.status is not ItemStatus.conditional:
        return False
    highs = _groups(high)
    return any(all(_contains(g, h) for g in _groups(low)) for h in highs)


def _without_implied(kb: KnowledgeBase, items: list[Recommendation]) -> list[Recommendation]:
    """Conditional schedules whose conditions already make a higher schedule of the lesion (or
    of every lesion) apply leave the proposal, unless offered as an alternative to it."""
    rank = {code: n for n, code in enumerate(kb.schedules)}
    schedules = [i for i in items if i.code in rank]
    if len(schedules) < 2:
        return items
    out = []
    for item in items:
        if (
            item.code in rank
            and item.lesion is not None
            and item.status is ItemStatus.conditional
            and any(
                rank[other.code] < rank[item.code]
                and other.lesion in (item.lesion, None)
                and not _offered_beside(kb, item, other)
                and _implies(item, other)
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
