"""One radiotherapy schedule per lesion.

Several rules may each find a schedule right for the same lesion (a painful lesion at a
junctional level: palliative and prophylactic radiotherapy; an oligometastatic patient: SBRT of
every metastasis and a schedule for the painful one). The board irradiates a lesion once, so
the proposal names one schedule per lesion: the first of the firm ones in the knowledge base's
order (``kb.yaml`` ``radiotherapy_schedules``), where a case-level schedule counts for every
lesion. A lower schedule stays only where its rule offers it as an alternative to the chosen
one (``alternative_to``) and is marked as such; the others leave the proposal (their rules
still fire and show in the trace). Conditional schedules are left alone: they name the
conditions under which they would apply.
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
        return list(items)
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
