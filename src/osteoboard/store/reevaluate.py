"""Re-evaluation after a knowledge-base change.

:func:`reevaluate` re-runs every case on an agenda that is not signed off (optionally only
one meeting's) whose newest stored evaluation was made with another knowledge-base sha256
than the loaded one, stores the new evaluation and reports per case what changed: codes
added or removed, and codes whose status (firm / conditional / suspected / confirmed) or
priority changed. Signed records are never altered; they are listed as decided under their
knowledge base.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from osteoboard.guideline import KnowledgeBase, load_knowledge_base
from osteoboard.store import service
from osteoboard.store.models import AgendaEntry, Evaluation
from osteoboard.store.permissions import Actor, Operation, require

__all__ = [
    "CaseChange",
    "ItemChange",
    "Reevaluation",
    "SignedRecord",
    "compare",
    "format_report",
    "reevaluate",
]

ChangeKind = Literal["added", "removed", "status", "priority"]


@dataclass(frozen=True)
class ItemChange:
    """One difference between two proposals: ``key`` (CODE or CODE[lesion]), what changed,
    and the values before and after (for ``status`` and ``priority``)."""

    key: str
    kind: ChangeKind
    before: str | None = None
    after: str | None = None


@dataclass(frozen=True)
class CaseChange:
    """A case that was evaluated again."""

    case_id: int
    pseudonym: str
    meeting_ids: tuple[int, ...]
    old_evaluation_id: int
    new_evaluation_id: int
    old_kb_version: str
    changes: tuple[ItemChange, ...]


@dataclass(frozen=True)
class SignedRecord:
    """A signed agenda entry that was left as it is."""

    entry_id: int
    meeting_id: int
    case_id: int
    pseudonym: str
    kb_version: str
    kb_sha256: str


@dataclass
class Reevaluation:
    """What :func:`reevaluate` did."""

    kb_version: str
    kb_sha256: str
    reevaluated: list[CaseChange] = field(default_factory=list)
    signed: list[SignedRecord] = field(default_factory=list)
    current: int = 0  # cases whose newest evaluation already used this knowledge base
    not_evaluated: list[int] = field(default_factory=list)  # case ids never evaluated


def _items(proposal: str) -> dict[str, dict[str, Any]]:
    data = json.loads(proposal)
    items: dict[str, dict[str, Any]] = {}
    for group in ("emergencies", "recommendations", "warnings"):
        for item in data.get(group, []):
            lesion = item.get("lesion")
            key = item["code"] if lesion is None else f"{item['code']}[{lesion}]"
            items[key] = item
    return items


def compare(before: str, after: str) -> list[ItemChange]:
    """The differences between two proposals (contract JSON): codes added and removed, then
    status and priority changes, each in the order of the proposal they appear in."""
    old, new = _items(before), _items(after)
    changes = [ItemChange(key, "added") for key in new if key not in old]
    changes += [ItemChange(key, "removed") for key in old if key not in new]
    for key, item in new.items():
        if key not in old:
            continue
        for attribute, kind in (("status", "status"), ("priority", "priority")):
            was, now = old[key].get(attribute), item.get(attribute)
            if was != now:
                changes.append(ItemChange(key, kind, was, now))  # type: ignore[arg-type]
    return changes


def reevaluate(
    session: Session,
    actor: Actor,
    *,
    kb: KnowledgeBase | None = None,
    meeting_id: int | None = None,
) -> Reevaluation:
    """Re-run the unsigned agenda cases evaluated under another knowledge base (see the
    module's description); ``kb`` defaults to the bundled knowledge base."""
    require(actor, Operation.reevaluate)
    kb = kb or load_knowledge_base()
    report = Reevaluation(kb.version, kb.sha256)
    query = select(AgendaEntry).order_by(AgendaEntry.meeting_id, AgendaEntry.position)
    if meeting_id is not None:
        service.get_meeting(session, actor, meeting_id)
        query = query.where(AgendaEntry.meeting_id == meeting_id)
    entries = list(session.scalars(query))
    signed_cases = {entry.case_id for entry in entries if entry.signed}
    meetings: dict[int, list[int]] = {}
    for entry in entries:
        if entry.signed:
            evaluation = entry.evaluation
            assert evaluation is not None
            if evaluation.kb_sha256 != kb.sha256:
                report.signed.append(
                    SignedRecord(
                        entry.id,
                        entry.meeting_id,
                        entry.case_id,
                        entry.case.patient.pseudonym,
                        evaluation.kb_version,
                        evaluation.kb_sha256,
                    )
                )
        elif entry.case_id not in signed_cases:
            meetings.setdefault(entry.case_id, []).append(entry.meeting_id)
    for case_id, meeting_ids in meetings.items():
        latest = service.latest_evaluation(session, case_id)
        if latest is None:
            report.not_evaluated.append(case_id)
            continue
        if latest.kb_sha256 == kb.sha256:
            report.current += 1
            continue
        version = latest.case_version
        proposal = service.compute_evaluation(version, kb)
        new: Evaluation = service.store_evaluation(session, actor, version, proposal)
        report.reevaluated.append(
            CaseChange(
                case_id,
                version.case.patient.pseudonym,
                tuple(meeting_ids),
                latest.id,
                new.id,
                latest.kb_version,
                tuple(compare(latest.proposal, new.proposal)),
            )
        )
    return report


_TEXT: dict[str, tuple[str, str]] = {
    "heading": ("Wissensbasis {version} ({sha})", "knowledge base {version} ({sha})"),
    "case": (
        "Fall {pseudonym} (Nr. {case}, Sitzung {meetings}): neu ausgewertet, Auswertung {old} → "
        "{new}, vorher Wissensbasis {kb}",
        "case {pseudonym} (no. {case}, meeting {meetings}): evaluated again, evaluation {old} → "
        "{new}, before: knowledge base {kb}",
    ),
    "added": ("  + {key} hinzugekommen", "  + {key} added"),
    "removed": ("  - {key} entfallen", "  - {key} removed"),
    "status": ("  ~ {key}: Status {before} → {after}", "  ~ {key}: status {before} → {after}"),
    "priority": (
        "  ~ {key}: Priorität {before} → {after}",
        "  ~ {key}: priority {before} → {after}",
    ),
    "no_change": ("  keine Änderung der Punkte", "  no change in the items"),
    "signed": (
        "Fall {pseudonym} (Nr. {case}, Sitzung {meeting}): entschieden unter Wissensbasis "
        "{version} ({sha}), nicht verändert",
        "case {pseudonym} (no. {case}, meeting {meeting}): decided under knowledge base "
        "{version} ({sha}), not altered",
    ),
    "current": (
        "{count} Fälle schon mit dieser Wissensbasis ausgewertet",
        "{count} cases already evaluated with this knowledge base",
    ),
    "not_evaluated": (
        "noch nicht ausgewertet (übergangen): Fall {cases}",
        "not evaluated yet (skipped): case {cases}",
    ),
    "nothing": ("keine Fälle auf offenen Tagesordnungen", "no cases on open agendas"),
}


def format_report(report: Reevaluation, lang: str = "de") -> str:
    """The report as text, one line per case and per change (German by default)."""

    def say(message: str, **params: Any) -> str:
        de, en = _TEXT[message]
        return (de if lang == "de" else en).format(**params)

    lines = [say("heading", version=report.kb_version, sha=report.kb_sha256[:12])]
    for case in report.reevaluated:
        lines.append(
            say(
                "case",
                pseudonym=case.pseudonym,
                case=case.case_id,
                meetings=", ".join(str(m) for m in case.meeting_ids),
                old=case.old_evaluation_id,
                new=case.new_evaluation_id,
                kb=case.old_kb_version,
            )
        )
        lines += [
            say(change.kind, key=change.key, before=change.before, after=change.after)
            for change in case.changes
        ] or [say("no_change")]
    for record in report.signed:
        lines.append(
            say(
                "signed",
                pseudonym=record.pseudonym,
                case=record.case_id,
                meeting=record.meeting_id,
                version=record.kb_version,
                sha=record.kb_sha256[:12],
            )
        )
    if report.current:
        lines.append(say("current", count=report.current))
    if report.not_evaluated:
        lines.append(say("not_evaluated", cases=", ".join(map(str, report.not_evaluated))))
    if len(lines) == 1:
        lines.append(say("nothing"))
    return "\n".join(lines) + "\n"
