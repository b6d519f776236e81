"""Commands: `init`, `db upgrade`, `user add|list|deactivate|activate|unlock|reset-password`,
`import-orders`, `audit verify`.

Passwords are printed once to standard output and never logged.
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from orderwatch.domain.access import Actor, Role
from orderwatch.domain.errors import InvalidInputError, NotFoundError, OrderwatchError
from orderwatch.domain.orderfile import OrderDocument, parse_order_document
from orderwatch.security.passwords import MIN_PASSWORD_LENGTH, generate_password
from orderwatch.settings import get_settings
from orderwatch.storage.audit import verify_audit_chain
from orderwatch.storage.database import Database
from orderwatch.storage.imports import import_order_documents
from orderwatch.storage.records import UserAccount
from orderwatch.storage.users import (
    create_team,
    create_user,
    get_user_by_username,
    list_teams,
    list_users,
    set_password,
    unlock_user,
    update_user,
)


def register(subparsers: Any) -> None:
    """Add the storage commands to the `orderwatch` parser."""
    init = subparsers.add_parser(
        "init", help="create the data dir and database, and the first admin account"
    )
    init.add_argument("--admin", default="admin", help="user name of the first admin")
    init.set_defaults(func=run_init)

    db = subparsers.add_parser("db", help="database maintenance")
    db_actions = db.add_subparsers(dest="db_action", metavar="ACTION", required=True)
    db_actions.add_parser("upgrade", help="apply the schema migrations").set_defaults(
        func=run_db_upgrade
    )

    user = subparsers.add_parser("user", help="manage accounts")
    user_actions = user.add_subparsers(dest="user_action", metavar="ACTION", required=True)
    add = user_actions.add_parser("add", help="create an account")
    add.add_argument("username")
    add.add_argument("--role", required=True, choices=[r.value for r in Role])
    add.add_argument("--team", help="team name (created when new)")
    add.add_argument("--name", help="full name (default: the user name)")
    add.add_argument("--email")
    _password_option(add)
    add.set_defaults(func=run_user_add)
    user_actions.add_parser("list", help="list the accounts").set_defaults(func=run_user_list)
    for action, help_text in (
        ("deactivate", "stop an account signing in (its web sessions end now)"),
        ("activate", "let a deactivated account sign in again"),
        ("unlock", "clear a lockout after too many failed sign-ins"),
    ):
        change = user_actions.add_parser(action, help=help_text)
        change.add_argument("username")
        change.set_defaults(func=run_user_change, change=action)
    reset = user_actions.add_parser(
        "reset-password", help="give an account a new password (its web sessions end now)"
    )
    reset.add_argument("username")
    _password_option(reset)
    reset.set_defaults(func=run_user_reset_password)

    imports = subparsers.add_parser("import-orders", help="import order files (all or nothing)")
    imports.add_argument("files", nargs="+", type=Path, metavar="FILE.yaml")
    imports.set_defaults(func=run_import_orders)

    audit = subparsers.add_parser("audit", help="the audit log")
    audit_actions = audit.add_subparsers(dest="audit_action", metavar="ACTION", required=True)
    audit_actions.add_parser(
        "verify", help="check the audit log's hash chain; exit 1 at the first broken link"
    ).set_defaults(func=run_audit_verify)


def _password_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--password-stdin",
        action="store_true",
        help="read the password from standard input instead of generating one",
    )


def _actor() -> Actor:
    try:
        who = getpass.getuser()
    except (KeyError, OSError):
        who = "unknown"
    return Actor.command_line(f"command line: {who}")


@contextmanager
def _database() -> Iterator[Database]:
    """The configured database, its connections closed when the command ends."""
    database = Database.from_settings(get_settings())
    try:
        yield database
    finally:
        database.dispose()


def run_init(args: argparse.Namespace) -> int:
    settings = get_settings()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    os.chmod(settings.data_dir, 0o700)
    with _database() as database:
        database.upgrade()
        print(f"data dir: {settings.data_dir}")
        print(f"database: {database.display_url} (schema {database.current_revision()})")
        return _first_admin(database, args.admin)


def _first_admin(database: Database, username: str) -> int:
    with database.session() as session:
        admins = list_users(session, _actor(), role=Role.ADMIN)
        if admins:
            names = ", ".join(a.username for a in admins)
            print(f"already initialised: admin account(s) {names} exist; nothing created")
            return 0
        password = generate_password()
        create_user(
            session,
            _actor(),
            username=username,
            role=Role.ADMIN,
            password=password,
            full_name="Administrator",
        )
    print(f"created admin account {username!r} with password (shown once, note it now):")
    print(f"  {password}")
    return 0


def run_db_upgrade(args: argparse.Namespace) -> int:
    with _database() as database:
        before = database.current_revision() if _exists(database) else None
        database.upgrade()
        after = database.current_revision()
        shown = database.display_url
    state = "already at" if before == after else f"upgraded from {before or 'empty'} to"
    print(f"database {shown}: {state} schema {after}")
    return 0


def _exists(database: Database) -> bool:
    """False for a SQLite file not created yet (upgrade will create it)."""
    if database.dialect != "sqlite":
        return True
    name = database.engine.url.database
    return not name or name == ":memory:" or Path(name).exists()


def _new_password(from_stdin: bool) -> str:
    """A password read from standard input (checked for length) or a generated one."""
    if not from_stdin:
        return generate_password()
    password = sys.stdin.readline().rstrip("\r\n")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise OrderwatchError(
            f"the password read from standard input has fewer than {MIN_PASSWORD_LENGTH} characters"
        )
    return password


def run_user_add(args: argparse.Namespace) -> int:
    password = _new_password(args.password_stdin)
    actor = _actor()
    with _database() as database, database.session() as session:
        team_id = None
        if args.team:
            teams = {t.name: t.id for t in list_teams(session, actor)}
            team_id = teams.get(args.team.strip())
            if team_id is None:
                team_id = create_team(session, actor, args.team).id
                print(f"created team {args.team.strip()!r}")
        account = create_user(
            session,
            actor,
            username=args.username,
            role=Role(args.role),
            password=password,
            full_name=args.name,
            email=args.email,
            team_id=team_id,
        )
    team = f" in team {account.team_name!r}" if account.team_name else ""
    print(f"created {account.role.value} account {account.username!r}{team}")
    if not args.password_stdin:
        print(f"password (shown once, note it now): {password}")
    return 0


def run_user_list(args: argparse.Namespace) -> int:
    with _database() as database, database.session() as session:
        accounts = list_users(session, _actor())
    now = datetime.now(UTC)
    for account in accounts:
        state = "active" if account.active else "deactivated"
        if account.locked_until is not None and account.locked_until > now:
            state += f", locked until {account.locked_until:%Y-%m-%d %H:%M} UTC"
        team = account.team_name or "-"
        print(f"{account.username:<24} {account.role.value:<10} {team:<24} {state}")
    return 0


def _named_account(session: Any, actor: Actor, username: str) -> UserAccount:
    try:
        return get_user_by_username(session, actor, username)
    except NotFoundError:
        raise OrderwatchError(
            f"no account named {username!r} (see `orderwatch user list`)"
        ) from None


def run_user_change(args: argparse.Namespace) -> int:
    actor = _actor()
    with _database() as database, database.session() as session:
        account = _named_account(session, actor, args.username)
        if args.change == "unlock":
            unlock_user(session, actor, account.id)
        else:
            update_user(session, actor, account.id, active=args.change == "activate")
    done = {"deactivate": "deactivated", "activate": "activated", "unlock": "unlocked"}
    print(f"{done[args.change]} account {account.username!r}")
    return 0


def run_user_reset_password(args: argparse.Namespace) -> int:
    password = _new_password(args.password_stdin)
    actor = _actor()
    with _database() as database, database.session() as session:
        account = _named_account(session, actor, args.username)
        set_password(session, actor, account.id, password)
    print(f"new password set for {account.username!r}; their web sessions have ended")
    if not args.password_stdin:
        print(f"password (shown once, note it now): {password}")
    return 0


def run_import_orders(args: argparse.Namespace) -> int:
    documents: list[tuple[str, OrderDocument]] = []
    failures: list[InvalidInputError] = []
    for path in args.files:
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            raise OrderwatchError(f"{path}: cannot read: {error}") from error
        try:
            documents.append((str(path), parse_order_document(text, source=str(path))))
        except InvalidInputError as error:
            failures.append(error)
    if not failures:
        try:
            with _database() as database, database.session() as session:
                people = import_order_documents(session, _actor(), documents)
        except InvalidInputError as error:
            failures.append(error)
    if failures:
        for failure in failures:
            for problem in failure.problems:
                print(f"orderwatch: error: {failure.source}: {problem}", file=sys.stderr)
        print(f"nothing imported ({len(args.files)} file(s) given)", file=sys.stderr)
        return 1
    references = ", ".join(p.reference for p in people)
    print(f"imported {len(people)} order file(s): {references}")
    return 0


def run_audit_verify(args: argparse.Namespace) -> int:
    with _database() as database, database.read_session() as session:
        result = verify_audit_chain(session)
    if result.ok:
        print(f"audit chain intact: {result.rows_checked} row(s) verified")
        return 0
    print(
        f"audit chain BROKEN at row {result.first_broken_id}: {result.reason} "
        f"({result.rows_checked} row(s) before it verified)",
        file=sys.stderr,
    )
    return 1
