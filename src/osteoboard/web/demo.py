"""Demo data for a first start: accounts, the example cases and a meeting with them.

:func:`ensure_demo` is idempotent: it migrates the store, creates what is missing and leaves
what exists alone, so ``make run`` may call it at every start. New passwords are returned
(and printed by the command line) once; only their argon2id hashes are stored.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import func, select

from osteoboard.caseio import load_case
from osteoboard.store import service
from osteoboard.store.accounts import create_user, generate_password
from osteoboard.store.db import Store
from osteoboard.store.models import Meeting, Patient, User
from osteoboard.store.permissions import SYSTEM, Actor, Role

__all__ = ["DEMO_ACCOUNTS", "DEMO_MEETING_TITLE", "DemoReport", "ensure_demo"]

DEMO_MEETING_TITLE = "Demo-Tumorkonferenz"
#: The accounts a first start creates: the administrator and one person for each working role.
DEMO_ACCOUNTS: tuple[tuple[str, Role], ...] = (
    ("admin", Role.admin),
    ("koordination", Role.coordinator),
    ("board", Role.board_member),
    ("lesen", Role.viewer),
)
#: The demo cases are entered by the system in the coordinator's role.
_DEMO_ACTOR = Actor(kind="system", name="demo", role=Role.coordinator)


@dataclass
class DemoReport:
    """What :func:`ensure_demo` created: new accounts with their passwords (shown once),
    the pseudonyms of new cases and the meeting."""

    passwords: dict[str, tuple[Role, str]] = field(default_factory=dict)
    cases: list[str] = field(default_factory=list)
    meeting_id: int = 0


def ensure_demo(
    store: Store, examples: Path, *, today: dt.date | None = None, accounts: bool = True
) -> DemoReport:
    """Migrate ``store``; when it has no users yet, create :data:`DEMO_ACCOUNTS`; create and
    evaluate every case of ``examples`` (``*.yaml``) whose pseudonym is new; put every one
    of them on the demo meeting (created once, dated ``today``)."""
    store.upgrade()
    report = DemoReport()
    if accounts:
        with store.write() as session:
            if not session.scalar(select(func.count()).select_from(User)):
                for name, role in DEMO_ACCOUNTS:
                    password = generate_password()
                    create_user(session, SYSTEM, name, role, password)
                    report.passwords[name] = (role, password)
    cases = [load_case(path) for path in sorted(examples.glob("*.yaml"))]
    with store.write() as session:
        meeting = session.scalar(
            select(Meeting).where(Meeting.title == DEMO_MEETING_TITLE).order_by(Meeting.id)
        )
        if meeting is None:
            meeting = service.create_meeting(
                session,
                _DEMO_ACTOR,
                today or dt.date.today(),
                title=DEMO_MEETING_TITLE,
                disciplines=[
                    "Orthopädie/Unfallchirurgie",
                    "Strahlentherapie",
                    "Radiologie",
                    "Onkologie",
                    "Nuklearmedizin",
                    "Palliativmedizin",
                ],
            )
        report.meeting_id = meeting.id
        on_agenda = {entry.case_id for entry in meeting.entries}
        for case in cases:
            patient = session.scalar(select(Patient).where(Patient.pseudonym == case.id))
            if patient is None:
                version = service.create_case(session, _DEMO_ACTOR, case, note="Demo-Fall")
                service.evaluate_case(session, _DEMO_ACTOR, version.case_id)
                report.cases.append(case.id)
                case_ids = [version.case_id]
            else:
                case_ids = [record.id for record in patient.cases]
            for case_id in case_ids:
                if case_id not in on_agenda:
                    service.add_agenda_entry(session, _DEMO_ACTOR, meeting.id, case_id)
                    on_agenda.add(case_id)
    return report
