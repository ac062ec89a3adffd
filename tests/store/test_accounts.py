"""Users, API tokens, login sessions and the lock-out after failed logins."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select, text
from typer.testing import CliRunner

from osteoboard.cli import app
from osteoboard.store import accounts
from osteoboard.store.db import Store
from osteoboard.store.errors import (
    AuthenticationError,
    ConflictError,
    InvalidInputError,
    LockedOutError,
    PermissionDenied,
)
from osteoboard.store.models import ApiToken, LoginSession, User, utcnow
from osteoboard.store.permissions import SYSTEM, Role
from tests.store.helpers import COORDINATOR

PASSWORD = "korrekt-Pferd-Batterie"
#: taken before the fixture quick_password_hashing swaps it for the tests' cheaper one
PRODUCTION_HASHER = accounts.HASHER


def _dump(store: Store) -> str:
    """Every value in every table, as one text (to look for secrets)."""
    parts = []
    with store.read() as session:
        for table in ("users", "api_tokens", "login_sessions", "login_attempts", "audit_log"):
            parts += [repr(tuple(row)) for row in session.execute(text(f"SELECT * FROM {table}"))]
    return "\n".join(parts)


def test_a_user_has_an_argon2id_hash_and_logs_in(store: Store) -> None:
    with store.write() as session:
        user = accounts.create_user(session, SYSTEM, "anna", "coordinator", PASSWORD)
        assert user.password_hash.startswith("$argon2id$")
    with store.write() as session:
        result = accounts.login(session, "anna", PASSWORD)
    new = result.unwrap()
    assert new.actor.label == "user:anna" and new.actor.role is Role.coordinator
    with store.read() as session:
        login_session, actor = accounts.resolve_session(session, new.session_id)
        assert actor == new.actor
        assert accounts.check_csrf(login_session, new.csrf_secret)
        assert not accounts.check_csrf(login_session, "forged")
        assert not accounts.check_csrf(login_session, None)
    dump = _dump(store)
    assert PASSWORD not in dump and new.session_id not in dump
    with store.write() as session:
        accounts.logout(session, new.session_id)
    with pytest.raises(AuthenticationError), store.read() as session:
        accounts.resolve_session(session, new.session_id)


def test_user_input_is_checked(store: Store) -> None:
    with store.write() as session:
        accounts.create_user(session, SYSTEM, "anna", Role.viewer, PASSWORD)
        with pytest.raises(ConflictError):
            accounts.create_user(session, SYSTEM, "anna", Role.viewer, PASSWORD)
        with pytest.raises(InvalidInputError) as short:
            accounts.create_user(session, SYSTEM, "bert", Role.viewer, "kurz")
        assert short.value.message("de") == "password: muss mindestens 12 Zeichen lang sein"
        with pytest.raises(InvalidInputError) as role:
            accounts.create_user(session, SYSTEM, "bert", "chief", PASSWORD)
        assert role.value.field == "role"
        with pytest.raises(InvalidInputError) as name:
            accounts.create_user(session, SYSTEM, "bert smith", Role.viewer, PASSWORD)
        assert name.value.field == "username"
        with pytest.raises(PermissionDenied):
            accounts.create_user(session, COORDINATOR, "bert", Role.viewer, PASSWORD)


def test_a_wrong_password_and_an_unknown_name_fail_alike(store: Store) -> None:
    with store.write() as session:
        accounts.create_user(session, SYSTEM, "anna", Role.viewer, PASSWORD)
    messages = []
    for name, password in (("anna", "falsch-falsch-falsch"), ("nobody", PASSWORD)):
        with store.write() as session:
            result = accounts.login(session, name, password)
        with pytest.raises(AuthenticationError) as failed:
            result.unwrap()
        messages.append(failed.value.message("de"))
    assert messages == ["Benutzername oder Passwort falsch"] * 2


def test_failed_logins_lock_the_name_for_the_window_in_every_worker(
    store: Store, database_url: str
) -> None:
    with store.write() as session:
        accounts.create_user(session, SYSTEM, "anna", Role.viewer, PASSWORD)
    policy = accounts.LoginPolicy(max_failures=3, window=dt.timedelta(minutes=10))
    start = utcnow()
    workers = [store, Store(database_url)]  # two processes' engines on the same database
    try:
        for i in range(3):
            with workers[i % 2].write() as session:
                accounts.login(session, "anna", "falsch-falsch", policy=policy, now=start)
        with workers[1].write() as session:  # locked: even the right password is refused
            result = accounts.login(
                session, "anna", PASSWORD, policy=policy, now=start + dt.timedelta(minutes=4)
            )
        with pytest.raises(LockedOutError) as locked:
            result.unwrap()
        assert locked.value.retry_after == 360 and locked.value.status == 429
        assert "erneut versuchen in 360 s" in locked.value.message("de")
        with workers[0].write() as session:
            later = accounts.login(
                session, "anna", PASSWORD, policy=policy, now=start + dt.timedelta(minutes=11)
            )
        assert later.unwrap().actor.name == "anna"
    finally:
        workers[1].dispose()


def test_a_success_clears_the_count(store: Store) -> None:
    with store.write() as session:
        accounts.create_user(session, SYSTEM, "anna", Role.viewer, PASSWORD)
    policy = accounts.LoginPolicy(max_failures=2)
    now = utcnow()
    for password in ("falsch-falsch", PASSWORD, "falsch-falsch", PASSWORD):
        now += dt.timedelta(seconds=1)
        with store.write() as session:
            result = accounts.login(session, "anna", password, policy=policy, now=now)
    assert result.new is not None


def test_sessions_expire_and_end_when_the_user_is_deactivated(store: Store) -> None:
    with store.write() as session:
        accounts.create_user(session, SYSTEM, "anna", Role.viewer, PASSWORD)
        new = accounts.login(session, "anna", PASSWORD).unwrap()
        second = accounts.login(session, "anna", PASSWORD).unwrap()
    with store.read() as session:
        accounts.resolve_session(session, new.session_id)
        with pytest.raises(AuthenticationError):
            accounts.resolve_session(session, new.session_id, now=new.expires_at)
    with store.write() as session:
        accounts.set_password(session, SYSTEM, "anna", "ein-neues-Passwort")
        accounts.deactivate_user(session, SYSTEM, "anna")
        assert session.scalars(select(LoginSession.ended_at)).all() != [None, None]
    with store.read() as session:
        for login in (new, second):
            with pytest.raises(AuthenticationError) as ended:
                accounts.resolve_session(session, login.session_id)
            assert ended.value.status == 401
    with store.write() as session:
        assert accounts.login(session, "anna", "ein-neues-Passwort").new is None
        user = session.scalar(select(User).where(User.username == "anna"))
        assert user is not None and user.active is False


def test_a_token_is_shown_once_stored_hashed_and_revocable(store: Store) -> None:
    with store.write() as session:
        new = accounts.create_token(session, SYSTEM, "his-gateway", "viewer")
        assert new.secret.startswith("obt_") and len(new.secret) > 40
        with pytest.raises(ConflictError):
            accounts.create_token(session, SYSTEM, "his-gateway", "viewer")
    assert new.secret not in _dump(store)
    with store.read() as session:
        actor = accounts.resolve_token(session, new.secret)
        assert (actor.kind, actor.name, actor.role) == ("token", "his-gateway", Role.viewer)
        with pytest.raises(AuthenticationError):
            accounts.resolve_token(session, new.secret + "x")
        assert [t.name for t in accounts.list_tokens(session, SYSTEM)] == ["his-gateway"]
    with store.write() as session:
        accounts.revoke_token(session, SYSTEM, "his-gateway")
    with pytest.raises(AuthenticationError) as revoked, store.read() as session:
        accounts.resolve_token(session, new.secret)
    assert revoked.value.message("en") == "token unknown or revoked"


def test_the_commands_add_a_user_and_create_a_token(database_url: str) -> None:
    runner = CliRunner()
    env = {"OSTEOBOARD_DATABASE_URL": database_url}
    prompted = runner.invoke(
        app,
        ["user", "add", "anna", "--role", "board_member"],
        input=f"{PASSWORD}\n{PASSWORD}\n",
        env=env,
    )
    assert prompted.exit_code == 0, prompted.stderr
    assert "Benutzer anna angelegt (Rolle board_member)" in prompted.stdout
    piped = runner.invoke(
        app,
        ["user", "add", "bert", "--role", "viewer", "--password-stdin"],
        input=PASSWORD + "\n",
        env=env,
    )
    assert piped.exit_code == 0, piped.stderr
    generated = runner.invoke(
        app, ["user", "add", "carl", "--role", "admin", "--generate-password"], env=env
    )
    assert generated.exit_code == 0
    password = generated.stdout.rsplit(": ", 1)[1].strip()
    taken = runner.invoke(
        app,
        ["--lang", "en", "user", "add", "anna", "--role", "viewer", "--generate-password"],
        env=env,
    )
    assert (taken.exit_code, taken.stderr) == (2, "error: user name anna is already taken\n")
    token = runner.invoke(app, ["token", "create", "kis", "--role", "coordinator"], env=env)
    assert token.exit_code == 0
    secret = token.stdout.strip()
    store = Store(database_url)
    try:
        with store.write() as session:
            for name, given in (("anna", PASSWORD), ("bert", PASSWORD), ("carl", password)):
                assert accounts.login(session, name, given).unwrap().actor.name == name
            assert accounts.resolve_token(session, secret).role is Role.coordinator
            assert session.scalar(select(ApiToken.secret_sha256)) != secret
    finally:
        store.dispose()
    revoke = runner.invoke(app, ["token", "revoke", "kis"], env=env)
    assert revoke.exit_code == 0 and "widerrufen" in revoke.stdout
    listing = runner.invoke(app, ["token", "list"], env=env)
    assert listing.stdout.startswith("kis\tcoordinator\twiderrufen ")


def test_passwords_are_hashed_with_argon2id_at_the_rfc_9106_parameters() -> None:
    from argon2 import Type, profiles

    assert PRODUCTION_HASHER.type is Type.ID
    expected = profiles.RFC_9106_LOW_MEMORY
    assert PRODUCTION_HASHER.memory_cost >= expected.memory_cost
    assert PRODUCTION_HASHER.time_cost >= expected.time_cost
    assert PRODUCTION_HASHER.hash("x" * 12).startswith("$argon2id$v=19$m=65536,t=3,p=4$")
