"""The permission table is what the service enforces: every role against every guarded
service call."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy.orm import Session

from osteoboard.store import accounts, service
from osteoboard.store.db import Store
from osteoboard.store.errors import PermissionDenied
from osteoboard.store.permissions import PERMISSIONS, Actor, Operation, Role, allowed
from osteoboard.store.reevaluate import reevaluate
from tests.store.helpers import DATE, Prepared, board_member, example, prepared_entry

CALLS: dict[Operation, Callable[[Session, Actor, Prepared], Any]] = {
    Operation.case_read: lambda s, a, p: service.get_case(s, a, p.case_id),
    Operation.case_write: lambda s, a, p: service.create_case(s, a, example("01")),
    Operation.case_evaluate: lambda s, a, p: service.evaluate_case(s, a, p.case_id),
    Operation.meeting_read: lambda s, a, p: service.get_meeting(s, a, p.meeting_id),
    Operation.meeting_write: lambda s, a, p: service.create_meeting(s, a, DATE),
    Operation.decision_write: lambda s, a, p: service.record_overall_decision(
        s, a, p.entry_id, "Wie vorgeschlagen.", True
    ),
    Operation.sign_off: lambda s, a, p: service.sign_off(s, a, p.entry_id),
    Operation.reevaluate: lambda s, a, p: reevaluate(s, a),
    Operation.user_manage: lambda s, a, p: accounts.list_users(s, a),
    Operation.token_manage: lambda s, a, p: accounts.list_tokens(s, a),
}


class _Undo(Exception):
    """Raised to roll an attempt back."""


def test_every_role_may_do_exactly_what_the_table_says(store: Store) -> None:
    with store.write() as session:
        prepared = prepared_entry(session)
        users = {role: board_member(session, role.value).id for role in Role}
    outcomes: dict[tuple[Role, Operation], bool] = {}
    for role in Role:
        actor = Actor(kind="user", name=role.value, role=role, id=users[role])
        for operation, call in CALLS.items():
            try:
                with store.write() as session:
                    call(session, actor, prepared)
                    raise _Undo
            except PermissionDenied:
                outcomes[role, operation] = False
            except Exception:  # done, or refused for another reason (state, input)
                outcomes[role, operation] = True
    assert outcomes == {
        (role, operation): allowed(role, operation) for role in Role for operation in CALLS
    }


def test_the_table_names_every_role_and_the_viewer_only_reads() -> None:
    assert set(PERMISSIONS) == set(Role)
    assert PERMISSIONS[Role.viewer] == {
        Operation.evaluate,
        Operation.case_read,
        Operation.meeting_read,
    }
    assert all(PERMISSIONS[Role.viewer] <= ops for ops in PERMISSIONS.values())
    assert [role for role in Role if allowed(role, Operation.sign_off)] == [Role.board_member]
    assert not allowed("chief", Operation.case_read)


def test_permission_denied_names_role_and_operation() -> None:
    from osteoboard.store.permissions import require

    viewer = Actor(kind="token", name="kis", role=Role.viewer)
    with pytest.raises(PermissionDenied) as denied:
        require(viewer, Operation.case_write)
    assert denied.value.status == 403
    assert denied.value.message("de") == "die Rolle viewer darf case:write nicht"
