"""The audit chain: appended by every write in its transaction, serialised under concurrent
writers, and verified — an edited, deleted or reordered row is found by raw-SQL tampering on
both databases."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select, text
from typer.testing import CliRunner

from osteoboard.cli import app
from osteoboard.store import accounts, audit, service
from osteoboard.store.db import Store
from osteoboard.store.errors import InvalidInputError
from osteoboard.store.models import AuditRow
from osteoboard.store.permissions import SYSTEM
from tests.store.helpers import COORDINATOR, DATE, board_member, decide_all, example, prepared_entry


def _actions(store: Store) -> list[tuple[int, str, str]]:
    with store.read() as session:
        return [
            (row.seq, row.actor, row.action)
            for row in session.scalars(select(AuditRow).order_by(AuditRow.seq))
        ]


def test_every_write_appends_a_row_in_its_transaction(store: Store) -> None:
    with store.write() as session:
        prepared = prepared_entry(session)
        member = board_member(session)
        decide_all(session, member, prepared)
        service.sign_off(session, member, prepared.entry_id)
    actions = _actions(store)
    assert [seq for seq, _, _ in actions] == list(range(1, len(actions) + 1))
    assert [action for _, _, action in actions[:6]] == [
        "patient.create",
        "case.create",
        "case_version.create",
        "evaluation.create",
        "meeting.create",
        "agenda_entry.create",
    ]
    decisions = [a for a in actions if a[2] == "item_decision.record"]
    assert len(decisions) == len(prepared.items)
    assert actions[-2:] == [
        (len(actions) - 1, "user:bruno", "overall_decision.record"),
        (len(actions), "user:bruno", "agenda_entry.sign_off"),
    ]
    with pytest.raises(InvalidInputError), store.write() as session:  # rolled back: no row
        service.create_meeting(session, COORDINATOR, DATE)
        service.create_meeting(session, COORDINATOR, DATE, title="x" * 500)
    assert _actions(store) == actions
    with store.read() as session:
        assert audit.verify(session).ok


def test_audit_rows_hold_ids_and_hashes_but_no_patient_data_or_secrets(store: Store) -> None:
    case = example("04")
    with store.write() as session:
        version = service.create_case(session, COORDINATOR, case)
        service.evaluate_case(session, COORDINATOR, version.case_id)
        accounts.create_user(session, SYSTEM, "anna", "viewer", "geheim-geheim-geheim")
        token = accounts.create_token(session, SYSTEM, "kis", "viewer")
        login = accounts.login(session, "anna", "geheim-geheim-geheim").unwrap()
        stored = version.document
    with store.read() as session:
        rows = session.scalars(select(AuditRow)).all()
        text_of_rows = "\n".join(
            f"{r.at} {r.actor} {r.action} {r.object_type} {r.object_id} {r.content_sha256}"
            for r in rows
        )
    assert audit.digest(stored) in {r.content_sha256 for r in rows}
    for secret in ("geheim-geheim-geheim", token.secret, login.session_id, login.csrf_secret):
        assert secret not in text_of_rows
    for value in (case.id, "lung_nsclc", "T6", str(case.board_date)):
        assert value not in text_of_rows


def _tamper(store: Store, *statements: str) -> None:
    """Change audit rows with raw SQL, as someone with the database's owner rights would:
    the append-only triggers are set aside for this one transaction."""
    with store.write() as session:
        if store.dialect == "postgresql":
            session.execute(text("SET LOCAL session_replication_role = replica"))
        else:
            session.execute(text("DROP TRIGGER audit_log_no_update"))
            session.execute(text("DROP TRIGGER audit_log_no_delete"))
        for statement in statements:
            session.execute(text(statement))


def _chain(store: Store, writes: int = 6) -> None:
    with store.write() as session:
        for day in range(writes):
            service.create_meeting(session, COORDINATOR, DATE, title=f"Board {day}")


def _verify(store: Store) -> audit.Verification:
    with store.read() as session:
        return audit.verify(session)


def test_the_triggers_refuse_to_change_audit_rows(store: Store) -> None:
    _chain(store, 2)
    for statement in ("UPDATE audit_log SET actor = 'x'", "DELETE FROM audit_log WHERE seq = 2"):
        with pytest.raises(Exception, match="append-only"), store.write() as session:
            session.execute(text(statement))
    assert _verify(store).ok


@pytest.mark.parametrize(
    ("tampering", "seq", "kind"),
    [
        (["UPDATE audit_log SET object_id = '999' WHERE seq = 3"], 3, "edited"),
        (["UPDATE audit_log SET content_sha256 = row_hash WHERE seq = 5"], 5, "edited"),
        (["DELETE FROM audit_log WHERE seq = 2"], 2, "missing"),
        (["DELETE FROM audit_log WHERE seq = 6"], 6, "head"),
        (
            [
                "UPDATE audit_log SET seq = 100 WHERE seq = 3",
                "UPDATE audit_log SET seq = 3 WHERE seq = 4",
                "UPDATE audit_log SET seq = 4 WHERE seq = 100",
            ],
            3,
            "edited",
        ),
    ],
    ids=["edit", "edit-hash-field", "delete", "delete-last", "swap"],
)
def test_verify_finds_the_first_bad_row(
    store: Store, tampering: list[str], seq: int, kind: str
) -> None:
    _chain(store)
    assert _verify(store) == audit.Verification(6, None)
    _tamper(store, *tampering)
    problem = _verify(store).problem
    assert problem is not None and (problem.seq, problem.kind) == (seq, kind)


def test_verify_finds_a_row_rewritten_with_a_matching_hash(store: Store) -> None:
    """Whoever recomputes an edited row's own hash still breaks the link to the next row."""
    _chain(store)
    with store.read() as session:
        row = session.scalars(select(AuditRow).where(AuditRow.seq == 3)).one()
        forged = audit.row_hash(
            row.seq,
            row.at,
            "user:mallory",
            row.action,
            row.object_type,
            row.object_id,
            row.content_sha256,
            row.prev_hash,
        )
    _tamper(
        store, f"UPDATE audit_log SET actor = 'user:mallory', row_hash = '{forged}' WHERE seq = 3"
    )
    problem = _verify(store).problem
    assert problem is not None and (problem.seq, problem.kind) == (4, "broken_link")


def test_verify_command_exits_0_or_1_naming_the_row(database_url: str, store: Store) -> None:
    _chain(store, 3)
    runner = CliRunner()
    env = {"OSTEOBOARD_DATABASE_URL": database_url}
    ok = runner.invoke(app, ["audit", "verify"], env=env)
    assert (ok.exit_code, ok.stdout) == (0, "Audit-Kette intakt: 3 Einträge\n")
    _tamper(store, "UPDATE audit_log SET actor = 'user:x' WHERE seq = 2")
    bad = runner.invoke(app, ["--lang", "en", "audit", "verify"], env=env)
    assert bad.exit_code == 1
    assert bad.stdout == (
        "audit chain broken at row 2: row 2 was edited or moved (hash does not match)\n"
    )


def test_concurrent_writers_never_fork_the_chain(database_url: str, store: Store) -> None:
    writers, writes = 4, 6
    errors: list[BaseException] = []
    start = threading.Barrier(writers)

    def write(number: int) -> None:
        own = Store(database_url)  # an engine of its own, as another worker process has
        try:
            start.wait()
            for i in range(writes):
                with own.write() as session:
                    service.create_meeting(session, COORDINATOR, DATE, title=f"{number}-{i}")
                    service.create_meeting(session, COORDINATOR, DATE, title=f"{number}-{i}b")
        except BaseException as exc:
            errors.append(exc)
        finally:
            own.dispose()

    threads = [threading.Thread(target=write, args=(n,)) for n in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    result = _verify(store)
    assert result == audit.Verification(writers * writes * 2, None)
    with store.read() as session:
        assert session.scalar(select(func.count(func.distinct(AuditRow.prev_hash)))) == result.rows
