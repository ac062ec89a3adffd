"""Who may do what: the one table of roles and the operations each may perform.

The service layer checks every call against :data:`PERMISSIONS`, and the REST API checks
its endpoints against the same table (:func:`allowed`), so the two can never disagree.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Literal

from osteoboard.store.errors import PermissionDenied

__all__ = [
    "PERMISSIONS",
    "SYSTEM",
    "Actor",
    "Operation",
    "Role",
    "allowed",
    "require",
]


class Role(StrEnum):
    admin = "admin"  # accounts, tokens, audit, re-evaluation
    coordinator = "coordinator"  # cases, meetings and agendas
    board_member = "board_member"  # decisions and sign-off
    viewer = "viewer"  # reads everything, writes nothing


class Operation(StrEnum):
    evaluate = "evaluate"  # stateless evaluation, knowledge base
    case_read = "case:read"  # patients, cases, versions, evaluations
    case_write = "case:write"  # create a case, new version
    case_evaluate = "case:evaluate"  # store an evaluation of a case version
    meeting_read = "meeting:read"  # meetings, agendas, decisions
    meeting_write = "meeting:write"  # meetings and agenda entries
    decision_write = "decision:write"  # item decisions and the overall decision
    sign_off = "decision:sign_off"  # sign an agenda entry off
    reevaluate = "reevaluate"  # re-run unsigned agenda cases on a new knowledge base
    user_manage = "user:manage"  # users (create, role, password, deactivate)
    token_manage = "token:manage"  # API tokens (create, list, revoke)
    audit_verify = "audit:verify"  # read and verify the audit chain
    fhir_import = "fhir:import"  # make a case from FHIR resources (storing it is case:write)


_READ = frozenset({Operation.evaluate, Operation.case_read, Operation.meeting_read})

#: role -> the operations it may perform.
PERMISSIONS: dict[Role, frozenset[Operation]] = {
    Role.admin: _READ
    | {
        Operation.reevaluate,
        Operation.user_manage,
        Operation.token_manage,
        Operation.audit_verify,
        Operation.fhir_import,
    },
    Role.coordinator: _READ
    | {
        Operation.case_write,
        Operation.case_evaluate,
        Operation.meeting_write,
        Operation.reevaluate,
        Operation.fhir_import,
    },
    Role.board_member: _READ
    | {Operation.case_evaluate, Operation.decision_write, Operation.sign_off},
    Role.viewer: _READ,
}


def allowed(role: Role | str, operation: Operation) -> bool:
    """Whether ``role`` may perform ``operation``."""
    try:
        return operation in PERMISSIONS[Role(role)]
    except ValueError:
        return False


@dataclass(frozen=True)
class Actor:
    """Who performs an operation: a logged-in user, an API token or the system itself
    (the command line run by the operator). ``label`` is what the store records as author
    and in the audit trail: never a secret."""

    kind: Literal["user", "token", "system"]
    name: str
    role: Role
    id: int | None = None

    @property
    def label(self) -> str:
        return f"{self.kind}:{self.name}"


#: The operator at the command line: may do what an admin may.
SYSTEM = Actor(kind="system", name="cli", role=Role.admin)


def require(actor: Actor, operation: Operation) -> None:
    """Raise :class:`PermissionDenied` unless the actor's role allows ``operation``."""
    if not allowed(actor.role, operation):
        raise PermissionDenied("forbidden", role=actor.role.value, operation=operation.value)
