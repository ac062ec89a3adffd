"""The store's commands: ``db``, ``user``, ``token``, ``audit`` and ``reevaluate``.

Added to the main command line by :func:`add_store_commands`. The store (and SQLAlchemy) is
imported only when one of these commands runs, so the other commands start as fast as before.
Errors are one line on stderr with exit code 2; ``audit verify`` exits 1 when the chain is
broken.
"""

import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer

from osteoboard.messages import Lang, Msg

if TYPE_CHECKING:
    from osteoboard.store.db import Store
    from osteoboard.store.errors import StoreError

__all__ = ["add_store_commands"]


def add_store_commands(app: typer.Typer, lang: Callable[[], Lang]) -> None:
    """Add the store's commands to ``app``; ``lang`` gives the language asked for."""

    def say(key: str, **params: object) -> str:
        return Msg(key, {k: str(v) for k, v in params.items()}).render(lang())

    def out(key: str, **params: object) -> None:
        sys.stdout.write(say(key, **params) + "\n")

    def fail(text: str, code: int = 2) -> NoReturn:
        sys.stderr.write(f"{say('error')}: {text}\n")
        raise typer.Exit(code=code)

    def fail_store(exc: "StoreError") -> NoReturn:
        fail(exc.message(lang()))

    def open_store(*, migrated: bool = True) -> "Store":
        from sqlalchemy.exc import SQLAlchemyError

        from osteoboard.store.db import Store

        try:
            store = Store()
            if migrated:
                current, head = store.current(), store.head()
                if current != head:
                    fail(say("not_migrated", current=current or "—", head=head))
        except (SQLAlchemyError, ValueError, OSError) as exc:
            fail(say("bad_url", detail=str(exc).splitlines()[0][:300]))
        return store

    # -- db --

    db_app = typer.Typer(
        help="Datenbank migrieren / migrate the database (upgrade, downgrade, current).",
        no_args_is_help=True,
    )
    app.add_typer(db_app, name="db")

    @db_app.command("upgrade")
    def db_upgrade(
        revision: Annotated[str, typer.Argument(help="Target revision.")] = "head",
    ) -> None:
        """Migrate the database up (default: to the newest revision)."""
        store = open_store(migrated=False)
        store.upgrade(revision)
        out("upgraded", revision=store.current())

    @db_app.command("downgrade")
    def db_downgrade(
        revision: Annotated[str, typer.Argument(help="Target revision; base: empty.")],
    ) -> None:
        """Migrate the database down to REVISION (base removes every table)."""
        store = open_store(migrated=False)
        store.downgrade(revision)
        current = store.current()
        out("upgraded", revision=current) if current else out("empty")

    @db_app.command("current")
    def db_current() -> None:
        """Print the database's revision."""
        current = open_store(migrated=False).current()
        out("current", revision=current) if current else out("empty")

    # -- users and tokens --

    user_app = typer.Typer(help="Benutzer / users.", no_args_is_help=True)
    app.add_typer(user_app, name="user")

    @user_app.command("add")
    def user_add(
        name: Annotated[str, typer.Argument(help="User name.")],
        role: Annotated[str, typer.Option(help="admin, coordinator, board_member or viewer.")],
        password_stdin: Annotated[
            bool, typer.Option("--password-stdin", help="Read the password from stdin.")
        ] = False,
        generate: Annotated[
            bool,
            typer.Option("--generate-password", help="Generate a password and print it once."),
        ] = False,
    ) -> None:
        """Create a user; the password is prompted twice unless given on stdin or generated."""
        from osteoboard.store import accounts
        from osteoboard.store.errors import StoreError
        from osteoboard.store.permissions import SYSTEM

        if password_stdin and generate:
            fail(say("password_options"))
        store = open_store()
        if generate:
            password = accounts.generate_password()
        elif password_stdin:
            password = sys.stdin.readline().rstrip("\r\n")
            if not password:
                fail(say("password_stdin_empty"))
        else:
            password = typer.prompt(
                say("password_prompt"), hide_input=True, confirmation_prompt=say("password_repeat")
            )
        try:
            with store.write() as session:
                user = accounts.create_user(session, SYSTEM, name, role, password)
                created = (user.username, user.role)
        except StoreError as exc:
            fail_store(exc)
        out("user_added", name=created[0], role=created[1])
        if generate:
            out("password_once", password=password)

    token_app = typer.Typer(help="API-Token für Systeme / API tokens.", no_args_is_help=True)
    app.add_typer(token_app, name="token")

    @token_app.command("create")
    def token_create(
        name: Annotated[str, typer.Argument(help="A name for the system using it.")],
        role: Annotated[str, typer.Option(help="admin, coordinator, board_member or viewer.")],
    ) -> None:
        """Create an API token; its secret is printed once (only its hash is stored)."""
        from osteoboard.store import accounts
        from osteoboard.store.errors import StoreError
        from osteoboard.store.permissions import SYSTEM

        store = open_store()
        try:
            with store.write() as session:
                new = accounts.create_token(session, SYSTEM, name, role)
        except StoreError as exc:
            fail_store(exc)
        sys.stderr.write(say("token_created", name=new.token.name, role=new.token.role) + "\n")
        sys.stdout.write(new.secret + "\n")

    @token_app.command("revoke")
    def token_revoke(name: Annotated[str, typer.Argument(help="The token's name.")]) -> None:
        """Revoke an API token."""
        from osteoboard.store import accounts
        from osteoboard.store.errors import StoreError
        from osteoboard.store.permissions import SYSTEM

        store = open_store()
        try:
            with store.write() as session:
                accounts.revoke_token(session, SYSTEM, name)
        except StoreError as exc:
            fail_store(exc)
        out("token_revoked", name=name)

    @token_app.command("list")
    def token_list() -> None:
        """List the API tokens (name, role, state, created)."""
        from osteoboard.store import accounts
        from osteoboard.store.permissions import SYSTEM

        with open_store().read() as session:
            for token in accounts.list_tokens(session, SYSTEM):
                state = (
                    say("revoked", at=token.revoked_at.isoformat(timespec="minutes"))
                    if token.revoked_at
                    else say("active")
                )
                created = token.created_at.isoformat(timespec="minutes")
                out("token_line", name=token.name, role=token.role, state=state, created=created)

    # -- audit --

    audit_app = typer.Typer(help="Audit-Kette / audit chain.", no_args_is_help=True)
    app.add_typer(audit_app, name="audit")

    @audit_app.command("verify")
    def audit_verify() -> None:
        """Check the audit chain; exit 0 when intact, 1 naming the first bad row."""
        from osteoboard.store import audit

        with open_store().read() as session:
            result = audit.verify(session)
        if result.problem is None:
            out("chain_ok", rows=result.rows)
            return
        problem = result.problem
        sys.stdout.write(say("chain_bad", seq=problem.seq, problem=problem.message(lang())) + "\n")
        raise typer.Exit(code=1)

    # -- re-evaluation --

    @app.command("reevaluate")
    def reevaluate_command(
        meeting: Annotated[
            int | None, typer.Option("--meeting", help="Only this meeting's agenda.")
        ] = None,
        kb_dir: Annotated[
            Path | None,
            typer.Option("--kb", help="Knowledge-base folder (default: the bundled one)."),
        ] = None,
    ) -> None:
        """Re-run unsigned agenda cases evaluated under another knowledge base; print what
        changed per case. Signed records are listed, never altered."""
        from osteoboard.guideline import KnowledgeError, load_knowledge_base
        from osteoboard.store.errors import StoreError
        from osteoboard.store.permissions import SYSTEM
        from osteoboard.store.reevaluate import format_report, reevaluate

        try:
            kb = load_knowledge_base(kb_dir.resolve() if kb_dir else None)
        except KnowledgeError as exc:
            fail(say("kb_error", detail=str(exc)))
        store = open_store()
        try:
            with store.write() as session:
                report = reevaluate(session, SYSTEM, kb=kb, meeting_id=meeting)
        except StoreError as exc:
            fail_store(exc)
        sys.stdout.write(format_report(report, lang()))
