"""The audit trail: a hash chain appended by every write, in the same transaction.

Each row holds its sequence number (1, 2, 3 …), the time, the actor, the action, the object's
type and id, the sha256 of the object's content, the previous row's hash and its own hash
over all of that. Nothing else: no patient data beyond ids and hashes, no secrets.

Appends are serialised: a write transaction is the only writer of the database
(:func:`osteoboard.store.db.lock_for_write`; on PostgreSQL that lock is the chain's head row
itself, read as it is locked), and the chain's head row (``audit_head``) is read and moved in
that transaction, so two writers never fork the chain.

:func:`verify` walks the chain and names the first row that is missing, edited or out of
place; the head row also reveals a deleted last row.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Table, bindparam, insert, select, update
from sqlalchemy.orm import Session

from osteoboard.store.db import lock_for_write, locked_head, move_locked_head
from osteoboard.store.models import AuditHead, AuditRow, utcnow
from osteoboard.store.permissions import Actor

_ROWS: Table = AuditRow.__table__  # type: ignore[assignment]
_HEAD: Table = AuditHead.__table__  # type: ignore[assignment]
# Built once: every write of the store runs them.
_READ_HEAD = select(_HEAD.c.seq, _HEAD.c.row_hash).where(_HEAD.c.id == 1).with_for_update()
_ADD_ROW = insert(_ROWS)
_MOVE_HEAD = (
    update(_HEAD)
    .where(_HEAD.c.id == 1)
    .values(seq=bindparam("new_seq"), row_hash=bindparam("new_hash"))
)
#: PostgreSQL: the new row and the head moved on in one statement (one round trip).
_ADD_ROW_MOVE_HEAD = _MOVE_HEAD.add_cte(
    insert(_ROWS).values({c.name: bindparam(c.name) for c in _ROWS.columns}).cte("added_row")
)

__all__ = [
    "GENESIS",
    "Problem",
    "Verification",
    "append",
    "digest",
    "row_hash",
    "verify",
]

#: the previous hash of the first row
GENESIS = "0" * 64


def digest(content: Any) -> str:
    """sha256 of ``content``: text and bytes as they are, anything else as canonical JSON
    (sorted keys, no spaces; dates and other values by ``str``)."""
    if isinstance(content, str):
        data = content.encode()
    elif isinstance(content, bytes):
        data = content
    else:
        data = json.dumps(
            content, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str
        ).encode()
    return hashlib.sha256(data).hexdigest()


def row_hash(
    seq: int,
    at: str,
    actor: str,
    action: str,
    object_type: str,
    object_id: str,
    content_sha256: str,
    prev_hash: str,
) -> str:
    """The hash of one row: sha256 over its fields as a JSON array."""
    fields = [seq, at, actor, action, object_type, object_id, content_sha256, prev_hash]
    return hashlib.sha256(
        json.dumps(fields, separators=(",", ":"), ensure_ascii=False).encode()
    ).hexdigest()


def _fields_hash(row: AuditRow) -> str:
    return row_hash(
        row.seq,
        row.at,
        row.actor,
        row.action,
        row.object_type,
        row.object_id,
        row.content_sha256,
        row.prev_hash,
    )


def append(
    session: Session,
    actor: Actor | str,
    action: str,
    object_type: str,
    object_id: object,
    content_sha256: str,
) -> int:
    """Append one row to the chain in the session's transaction; returns its sequence number.

    Plain SQL statements on the two tables (no ORM objects: every write appends a row, and
    the unit of work would cost more than the write itself)."""
    session.flush()  # the object the row is about gets its id first
    lock_for_write(session)
    head = locked_head(session)  # PostgreSQL: read with the lock
    head_seq, head_hash = head if head is not None else session.execute(_READ_HEAD).one()
    seq: int = head_seq + 1
    at = utcnow().strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    who = actor.label if isinstance(actor, Actor) else actor
    object_text = str(object_id)
    new_hash = row_hash(seq, at, who, action, object_type, object_text, content_sha256, head_hash)
    row = {
        "seq": seq,
        "at": at,
        "actor": who,
        "action": action,
        "object_type": object_type,
        "object_id": object_text,
        "content_sha256": content_sha256,
        "prev_hash": head_hash,
        "row_hash": new_hash,
    }
    if head is not None:
        session.execute(_ADD_ROW_MOVE_HEAD, {**row, "new_seq": seq, "new_hash": new_hash})
        move_locked_head(session, seq, new_hash)
    else:
        session.execute(_ADD_ROW, row)
        session.execute(_MOVE_HEAD, {"new_seq": seq, "new_hash": new_hash})
    return seq


_PROBLEMS: dict[str, tuple[str, str]] = {
    "missing": ("Eintrag {seq} fehlt (gelöscht)", "row {seq} is missing (deleted)"),
    "edited": (
        "Eintrag {seq} wurde verändert oder verschoben (Hash stimmt nicht)",
        "row {seq} was edited or moved (hash does not match)",
    ),
    "broken_link": (
        "Eintrag {seq} folgt nicht auf seinen Vorgänger (umgestellt oder ersetzt)",
        "row {seq} does not follow its predecessor (reordered or replaced)",
    ),
    "head": (
        "die Kette endet vor Eintrag {seq} (letzte Einträge gelöscht)",
        "the chain ends before row {seq} (last rows deleted)",
    ),
}


@dataclass(frozen=True)
class Problem:
    """The first bad link: its sequence number and what is wrong (``missing``: a row with
    this number is absent; ``edited``: the row's content (or its place) does not give its hash;
    ``broken_link``: its previous hash is not the hash of the row before; ``head``: the
    chain ends before the head row says it does)."""

    seq: int
    kind: str

    def message(self, lang: str = "de") -> str:
        de, en = _PROBLEMS[self.kind]
        return (de if lang == "de" else en).format(seq=self.seq)


@dataclass(frozen=True)
class Verification:
    """The result of :func:`verify`: rows checked and the first problem (None: intact)."""

    rows: int
    problem: Problem | None

    @property
    def ok(self) -> bool:
        return self.problem is None


def check_rows(rows: Iterable[AuditRow], head_seq: int, head_hash: str) -> Verification:
    """Check rows given in sequence order against each other and the head."""
    expected_seq = 1
    prev = GENESIS
    count = 0
    for row in rows:
        count += 1
        if row.seq != expected_seq:
            return Verification(count, Problem(expected_seq, "missing"))
        if _fields_hash(row) != row.row_hash:
            return Verification(count, Problem(row.seq, "edited"))
        if row.prev_hash != prev:
            return Verification(count, Problem(row.seq, "broken_link"))
        prev = row.row_hash
        expected_seq += 1
    last = expected_seq - 1
    if head_seq > last:
        return Verification(count, Problem(last + 1, "head"))
    if head_seq < last or head_hash != prev:
        return Verification(count, Problem(last, "broken_link"))
    return Verification(count, None)


def verify(session: Session) -> Verification:
    """Walk the whole chain in order; name the first bad sequence number, if any."""
    head = session.execute(
        select(AuditHead).where(AuditHead.id == 1).execution_options(populate_existing=True)
    ).scalar_one()
    rows = session.scalars(
        select(AuditRow).order_by(AuditRow.seq).execution_options(yield_per=1000)
    )
    return check_rows(rows, head.seq, head.row_hash)
