"""Accounts: users with argon2id password hashes, API tokens, login sessions and the
count of failed logins.

Secrets are never stored: a token and a session id are random (256 bits) and only their
sha256 is kept; a password only as its argon2id hash. The secret of a new token or session
is returned once, by the function that creates it.

Failed logins are counted per user name in the database (every worker process of the API
sees the same count): after ``max_failures`` failures within ``window`` the name is locked
until the oldest of them leaves the window; attempts meanwhile are refused unchecked.

A login writes (the attempt, the session) even when it fails, so :func:`login` does not
raise: it returns a :class:`LoginResult`; commit, then call :meth:`LoginResult.unwrap`.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Connection, bindparam, delete, func, select
from sqlalchemy.orm import Session

from osteoboard.store import audit
from osteoboard.store.errors import (
    AuthenticationError,
    ConflictError,
    InvalidInputError,
    LockedOutError,
    NotFoundError,
    StateError,
)
from osteoboard.store.models import (
    NAME_LEN,
    ApiToken,
    LoginAttempt,
    LoginSession,
    User,
    utcnow,
)
from osteoboard.store.permissions import Actor, Operation, Role, require

__all__ = [
    "DEFAULT_POLICY",
    "HASHER",
    "PASSWORD_MIN",
    "TOKEN_PREFIX",
    "LoginPolicy",
    "LoginResult",
    "NewLogin",
    "NewToken",
    "PasswordCheck",
    "actor_for_user",
    "check_csrf",
    "check_password",
    "create_token",
    "create_user",
    "deactivate_user",
    "generate_password",
    "get_user",
    "list_tokens",
    "list_users",
    "login",
    "logout",
    "purge_login_records",
    "resolve_session",
    "resolve_token",
    "revoke_token",
    "set_password",
    "set_role",
]

PASSWORD_MIN = 12
TOKEN_PREFIX = "obt_"
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-@]*$")
#: argon2id with the RFC 9106 low-memory parameters (64 MiB, 3 passes, 4 lanes)
HASHER = PasswordHasher()


@functools.cache
def _dummy_hash() -> str:
    """Verified against when the user name is unknown, so that both cases take as long."""
    return HASHER.hash(secrets.token_urlsafe(16))


@dataclass(frozen=True)
class LoginPolicy:
    """Lock-out after ``max_failures`` failed logins within ``window``; sessions last
    ``session_lifetime``."""

    max_failures: int = 5
    window: timedelta = timedelta(minutes=15)
    session_lifetime: timedelta = timedelta(hours=8)


DEFAULT_POLICY = LoginPolicy()


def _sha256(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _name(value: str, field: str) -> str:
    if not isinstance(value, str) or not _NAME.match(value) or len(value) > NAME_LEN:
        raise InvalidInputError("bad_name", field=field, got=repr(value)[:80])
    return value


def _role(value: Role | str, field: str = "role") -> Role:
    try:
        return Role(value)
    except ValueError:
        raise InvalidInputError(
            "one_of", field=field, allowed=", ".join(r.value for r in Role), got=repr(value)[:40]
        ) from None


def _password(value: str) -> str:
    if not isinstance(value, str) or len(value) < PASSWORD_MIN:
        raise InvalidInputError("password_too_short", field="password", limit=PASSWORD_MIN)
    if len(value) > 1024:
        raise InvalidInputError("text_too_long", field="password", limit=1024, count=len(value))
    return value


def _user_content(user: User) -> dict[str, object]:
    """What the audit trail hashes of a user: never the password hash."""
    return {"username": user.username, "role": user.role, "active": user.active}


def generate_password() -> str:
    """A random password (24 characters, about 144 bits)."""
    return secrets.token_urlsafe(18)


# -- users --------------------------------------------------------------------------------------


def create_user(
    session: Session, actor: Actor, username: str, role: Role | str, password: str
) -> User:
    """A new active user with an argon2id hash of ``password`` (at least 12 characters)."""
    require(actor, Operation.user_manage)
    username = _name(username, "username")
    role = _role(role)
    password = _password(password)
    if session.scalar(select(User.id).where(User.username == username)) is not None:
        raise ConflictError("username_taken", name=username)
    user = User(
        username=username,
        password_hash=HASHER.hash(password),
        role=role.value,
        active=True,
        created_at=utcnow(),
    )
    session.add(user)
    session.flush()
    audit.append(session, actor, "user.create", "user", user.id, audit.digest(_user_content(user)))
    return user


def get_user(session: Session, actor: Actor, username: str) -> User:
    require(actor, Operation.user_manage)
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        raise NotFoundError.of("user", username)
    return user


def list_users(session: Session, actor: Actor) -> list[User]:
    require(actor, Operation.user_manage)
    return list(session.scalars(select(User).order_by(User.username)))


def set_password(session: Session, actor: Actor, username: str, password: str) -> User:
    """A new password; the user's open sessions end."""
    user = get_user(session, actor, username)
    user.password_hash = HASHER.hash(_password(password))
    _end_sessions(session, user)
    session.flush()
    audit.append(
        session, actor, "user.password", "user", user.id, audit.digest(_user_content(user))
    )
    return user


def set_role(session: Session, actor: Actor, username: str, role: Role | str) -> User:
    user = get_user(session, actor, username)
    user.role = _role(role).value
    session.flush()
    audit.append(session, actor, "user.role", "user", user.id, audit.digest(_user_content(user)))
    return user


def deactivate_user(session: Session, actor: Actor, username: str) -> User:
    """The user can no longer log in; open sessions end."""
    user = get_user(session, actor, username)
    user.active = False
    _end_sessions(session, user)
    session.flush()
    audit.append(
        session, actor, "user.deactivate", "user", user.id, audit.digest(_user_content(user))
    )
    return user


def _end_sessions(session: Session, user: User) -> None:
    now = utcnow()
    for login_session in session.scalars(
        select(LoginSession).where(LoginSession.user_id == user.id, LoginSession.ended_at.is_(None))
    ):
        login_session.ended_at = now


def actor_for_user(user: User) -> Actor:
    return Actor(kind="user", name=user.username, role=Role(user.role), id=user.id)


# -- login sessions -----------------------------------------------------------------------------


@dataclass(frozen=True)
class NewLogin:
    """A login session just opened: ``session_id`` (the cookie value) and ``csrf_secret``
    are shown once; the store keeps only the session id's sha256."""

    session_id: str
    csrf_secret: str
    expires_at: datetime
    actor: Actor


@dataclass(frozen=True)
class LoginResult:
    """The outcome of :func:`login`: ``new`` on success, else ``error``."""

    new: NewLogin | None
    error: AuthenticationError | None

    def unwrap(self) -> NewLogin:
        """The new login, or raise the error (call after committing the transaction, so
        the failed attempt is counted)."""
        if self.error is not None:
            raise self.error
        assert self.new is not None
        return self.new


def _failures(session: Session, username: str, since: datetime) -> list[datetime]:
    """Times of the failed attempts since ``since`` and after the last success."""
    last_success = session.scalar(
        select(func.max(LoginAttempt.at)).where(
            LoginAttempt.username == username, LoginAttempt.succeeded.is_(True)
        )
    )
    start = max(since, last_success) if last_success is not None else since
    return list(
        session.scalars(
            select(LoginAttempt.at)
            .where(
                LoginAttempt.username == username,
                LoginAttempt.succeeded.is_(False),
                LoginAttempt.at > start,
            )
            .order_by(LoginAttempt.at)
        )
    )


@dataclass(frozen=True)
class PasswordCheck:
    """A password checked against the stored hash outside the write transaction (argon2 takes
    a tenth of a second or more, and every writer would wait for it): ``login`` trusts it
    only while the user's hash is still the one it was checked against."""

    username: str
    password_hash: str | None
    ok: bool


def check_password(session: Session, username: str, password: str) -> PasswordCheck:
    """Check a password without writing anything (a read session is enough); pass the result
    to :func:`login` in the write transaction that records the attempt."""
    if not isinstance(username, str) or len(username) > NAME_LEN:
        username = ""
    user = session.scalar(select(User).where(User.username == username)) if username else None
    stored = user.password_hash if user else None
    ok: bool
    try:
        ok = HASHER.verify(stored or _dummy_hash(), password)
    except (VerificationError, InvalidHashError, TypeError):
        ok = False
    return PasswordCheck(username, stored, bool(ok and user is not None))


def login(
    session: Session,
    username: str,
    password: str,
    *,
    policy: LoginPolicy = DEFAULT_POLICY,
    now: datetime | None = None,
    checked: PasswordCheck | None = None,
) -> LoginResult:
    """Check a user name and password and open a login session.

    Refused unchecked while the name is locked out (:class:`LockedOutError` with the seconds
    to wait); a wrong name or password counts as a failure (:class:`AuthenticationError`,
    the same message for both). Every checked attempt is recorded. With ``checked`` (from
    :func:`check_password`, for this name) the password is not hashed again here, unless the
    user's hash changed since.
    """
    now = now or utcnow()
    if not isinstance(username, str) or len(username) > NAME_LEN:
        username = ""
    failures = _failures(session, username, now - policy.window)
    if len(failures) >= policy.max_failures:
        until = failures[-policy.max_failures] + policy.window
        wait = max(1, int((until - now).total_seconds() + 0.999))
        return LoginResult(None, LockedOutError(wait))
    user = session.scalar(select(User).where(User.username == username)) if username else None
    stored = user.password_hash if user else None
    ok: bool
    if checked is not None and checked.username == username and checked.password_hash == stored:
        ok = checked.ok
    else:
        try:
            ok = HASHER.verify(stored or _dummy_hash(), password)
        except (VerificationError, InvalidHashError, TypeError):
            ok = False
    ok = ok and user is not None and user.active
    session.add(LoginAttempt(username=username, at=now, succeeded=ok))
    session.flush()
    if not ok or user is None:
        audit.append(
            session,
            "anonymous",
            "login.failed",
            "user",
            user.id if user else "",
            audit.digest({"user": user.id if user else None, "at": now.isoformat()}),
        )
        return LoginResult(None, AuthenticationError("bad_login"))
    if HASHER.check_needs_rehash(user.password_hash):
        user.password_hash = HASHER.hash(password)
    session_id = secrets.token_urlsafe(32)
    record = LoginSession(
        id_sha256=_sha256(session_id),
        user_id=user.id,
        csrf_secret=secrets.token_urlsafe(32),
        created_at=now,
        expires_at=now + policy.session_lifetime,
    )
    session.add(record)
    session.flush()
    actor = actor_for_user(user)
    audit.append(
        session,
        actor,
        "session.create",
        "login_session",
        record.id,
        audit.digest({"user": user.id, "expires_at": record.expires_at.isoformat()}),
    )
    return LoginResult(NewLogin(session_id, record.csrf_secret, record.expires_at, actor), None)


def resolve_session(
    session: Session, session_id: str, *, now: datetime | None = None
) -> tuple[LoginSession, Actor]:
    """The open, unexpired login session with this id and its user as an actor; else
    :class:`AuthenticationError`. (Check the request's CSRF token against
    ``login_session.csrf_secret`` with :func:`check_csrf`.)"""
    now = now or utcnow()
    record = session.scalar(
        select(LoginSession).where(LoginSession.id_sha256 == _sha256(session_id or ""))
    )
    if (
        record is None
        or record.ended_at is not None
        or record.expires_at <= now
        or not record.user.active
    ):
        raise AuthenticationError("session_invalid")
    return record, actor_for_user(record.user)


def check_csrf(login_session: LoginSession, token: str | None) -> bool:
    """Whether ``token`` is the session's CSRF secret (compared in constant time)."""
    return token is not None and hmac.compare_digest(
        login_session.csrf_secret.encode(), token.encode()
    )


def logout(session: Session, session_id: str) -> None:
    """End a login session (nothing happens when it is unknown or over)."""
    record = session.scalar(
        select(LoginSession).where(LoginSession.id_sha256 == _sha256(session_id or ""))
    )
    if record is None or record.ended_at is not None:
        return
    record.ended_at = utcnow()
    session.flush()
    audit.append(
        session,
        actor_for_user(record.user),
        "session.end",
        "login_session",
        record.id,
        audit.digest({"user": record.user_id, "ended_at": record.ended_at.isoformat()}),
    )


def purge_login_records(
    session: Session, *, policy: LoginPolicy = DEFAULT_POLICY, now: datetime | None = None
) -> int:
    """Delete login attempts older than the lock-out window and sessions that ended or
    expired before it; returns how many rows went."""
    now = now or utcnow()
    cutoff = now - policy.window
    attempts = session.execute(delete(LoginAttempt).where(LoginAttempt.at < cutoff))
    sessions = session.execute(
        delete(LoginSession).where(
            (LoginSession.expires_at < cutoff) | (LoginSession.ended_at < cutoff)
        )
    )
    count = int(getattr(attempts, "rowcount", 0) or 0) + int(getattr(sessions, "rowcount", 0) or 0)
    audit.append(
        session, "system:purge", "login_records.purge", "login_records", "", audit.digest(count)
    )
    return count


# -- API tokens ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class NewToken:
    """A token just created: ``secret`` is shown once and never stored."""

    token: ApiToken
    secret: str


def _token_content(token: ApiToken) -> dict[str, object]:
    return {
        "name": token.name,
        "role": token.role,
        "revoked_at": token.revoked_at.isoformat() if token.revoked_at else None,
    }


def create_token(session: Session, actor: Actor, name: str, role: Role | str) -> NewToken:
    """A token for a system, with a name and a role. The secret (``obt_…``) is returned
    once; only its sha256 is stored."""
    require(actor, Operation.token_manage)
    name = _name(name, "name")
    role = _role(role)
    if session.scalar(select(ApiToken.id).where(ApiToken.name == name)) is not None:
        raise ConflictError("token_name_taken", name=name)
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        name=name,
        secret_sha256=_sha256(secret),
        role=role.value,
        created_by=actor.label,
        created_at=utcnow(),
    )
    session.add(token)
    session.flush()
    audit.append(
        session, actor, "token.create", "api_token", token.id, audit.digest(_token_content(token))
    )
    return NewToken(token, secret)


_TOKEN_BY_HASH = select(ApiToken.id, ApiToken.name, ApiToken.role, ApiToken.revoked_at).where(
    ApiToken.secret_sha256 == bindparam("digest")
)


def resolve_token(session: Session | Connection, secret: str) -> Actor:
    """The actor of a valid, unrevoked token; else :class:`AuthenticationError`. Asked on
    every request a system makes: the columns are read as a plain row (a connection will
    do, without an ORM session)."""
    token = session.execute(_TOKEN_BY_HASH, {"digest": _sha256(secret or "")}).one_or_none()
    if token is None or token.revoked_at is not None:
        raise AuthenticationError("token_invalid")
    return Actor(kind="token", name=token.name, role=Role(token.role), id=token.id)


def list_tokens(session: Session, actor: Actor) -> list[ApiToken]:
    require(actor, Operation.token_manage)
    return list(session.scalars(select(ApiToken).order_by(ApiToken.name)))


def revoke_token(session: Session, actor: Actor, name: str) -> ApiToken:
    """Revoke a token by name: it no longer authenticates."""
    require(actor, Operation.token_manage)
    token = session.scalar(select(ApiToken).where(ApiToken.name == name))
    if token is None:
        raise NotFoundError.of("api_token", name)
    if token.revoked_at is not None:
        raise StateError("token_revoked", name=name)
    token.revoked_at = utcnow()
    session.flush()
    audit.append(
        session, actor, "token.revoke", "api_token", token.id, audit.digest(_token_content(token))
    )
    return token
