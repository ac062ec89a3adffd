"""Actors, cases and a prepared agenda entry for the store's tests."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.orm import Session

from osteoboard.case import Case
from osteoboard.caseio import load_case
from osteoboard.store import service
from osteoboard.store.models import User, utcnow
from osteoboard.store.permissions import Actor, Role

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"

COORDINATOR = Actor(kind="user", name="carla", role=Role.coordinator, id=None)
VIEWER = Actor(kind="user", name="vera", role=Role.viewer, id=None)
ADMIN = Actor(kind="user", name="adam", role=Role.admin, id=None)
DATE = dt.date(2026, 12, 3)


def example(name: str) -> Case:
    """An example case by the start of its file name, e.g. ``04``."""
    (path,) = EXAMPLES.glob(f"{name}-*.yaml")
    return load_case(path)


def board_member(session: Session, name: str = "bruno") -> Actor:
    """A board member with a user row (sign-off records the user); no real password hash,
    the tests of accounts cover those."""
    user = User(
        username=name,
        password_hash="-",
        role=Role.board_member.value,
        active=True,
        created_at=utcnow(),
    )
    session.add(user)
    session.flush()
    return Actor(kind="user", name=name, role=Role.board_member, id=user.id)


@dataclass(frozen=True)
class Prepared:
    case_id: int
    meeting_id: int
    entry_id: int
    evaluation_id: int
    items: tuple[str, ...]


def prepared_entry(
    session: Session, case: str = "04", *, meeting_id: int | None = None
) -> Prepared:
    """An evaluated case on a meeting's agenda (a new meeting unless one is given)."""
    version = service.create_case(session, COORDINATOR, example(case))
    evaluation = service.evaluate_case(session, COORDINATOR, version.case_id)
    if meeting_id is None:
        meeting_id = service.create_meeting(
            session, COORDINATOR, DATE, disciplines=["Radioonkologie", "Orthopädie"]
        ).id
    entry = service.add_agenda_entry(session, COORDINATOR, meeting_id, version.case_id)
    items = tuple(item.key for item in service.proposal_items(evaluation))
    return Prepared(version.case_id, meeting_id, entry.id, evaluation.id, items)


def decide_all(session: Session, actor: Actor, prepared: Prepared) -> None:
    """Accept every item and record a guideline-conform overall decision."""
    for key in prepared.items:
        service.record_item_decision(session, actor, prepared.entry_id, key, "accepted")
    service.record_overall_decision(
        session, actor, prepared.entry_id, "Vorgehen wie vorgeschlagen.", True
    )
