"""`orderwatch serve` and `orderwatch demo`: run the web app under uvicorn."""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
from pathlib import Path
from typing import Any

from orderwatch.domain.errors import OrderwatchError
from orderwatch.settings import Settings, get_settings
from orderwatch.storage import Database

DEMO_DIR_NAME = "demo"
DEMO_LOGINS_FILE = "demo-logins.json"
DEMO_DATABASE_FILE = "orderwatch.sqlite3"


def register(subparsers: Any) -> None:
    serve = subparsers.add_parser(
        "serve", help="upgrade the database and serve the web app and JSON API"
    )
    _add_address(serve)
    serve.set_defaults(func=run_serve)

    demo = subparsers.add_parser(
        "demo",
        help="build a synthetic unit (28 officers, 1,300 persons) once, then serve it",
        description="Builds the demo unit into <data dir>/demo unless it exists there already, "
        "prints the URL and the demo logins, and serves it.",
    )
    _add_address(demo)
    demo.add_argument("--no-serve", action="store_true", help="build and print, do not serve")
    demo.add_argument("--rebuild", action="store_true", help="discard an existing demo unit")
    demo.add_argument("--persons", type=int, default=1300, help=argparse.SUPPRESS)
    demo.add_argument("--officers", type=int, default=28, help=argparse.SUPPRESS)
    demo.set_defaults(func=run_demo)


def _add_address(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (127.0.0.1)")
    parser.add_argument("--port", type=int, default=8000, help="port to listen on (8000)")


def check_port_free(host: str, port: int) -> None:
    """One clear line instead of uvicorn's exit when the address is taken or invalid."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as error:
        raise OrderwatchError(f"cannot listen on {host}: {error.strerror}") from None
    family, kind, proto, _, address = infos[0]
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError as error:
            raise OrderwatchError(
                f"cannot listen on {host}:{port}: {error.strerror}; choose another with --port"
            ) from None


def serve(settings: Settings, database: Database, host: str, port: int) -> None:
    """Bring the schema up to date, then serve until interrupted."""
    import uvicorn

    from orderwatch.web.app import create_app, freeze_start_up_heap

    check_port_free(host, port)
    database.upgrade()  # DatabaseUnavailableError: one line from the CLI, never a traceback
    app = create_app(settings, database)
    freeze_start_up_heap()
    print(f"orderwatch: database {database.display_url}", flush=True)
    print(f"orderwatch: serving on http://{host}:{port}/ (Ctrl-C stops)", flush=True)
    uvicorn.run(
        app,
        host=host,
        port=port,
        log_level="info",
        server_header=False,
        proxy_headers=settings.behind_tls,
        forwarded_allow_ips="127.0.0.1" if settings.behind_tls else None,
    )


def run_serve(args: argparse.Namespace) -> int:
    settings = get_settings()
    serve(settings, Database.from_settings(settings), args.host, args.port)
    return 0


def demo_settings(settings: Settings) -> Settings:
    """The demo unit lives apart from real data: its own folder and SQLite file."""
    folder = settings.data_dir / DEMO_DIR_NAME
    return settings.model_copy(
        update={"data_dir": folder, "database_url": f"sqlite:///{folder / DEMO_DATABASE_FILE}"}
    )


def build_demo(folder: Path, persons: int, officers: int) -> list[dict[str, str]]:
    """Build the unit into a scratch folder, then move it into place (a half-built unit is
    never served). Returns the logins, also kept in the folder for the next run."""
    from orderwatch.demo import build_demo_unit
    from orderwatch.demo.investigations import build_demo_investigations
    from orderwatch.monitor.demo import seed_demo_monitoring

    scratch = folder.with_name(folder.name + ".building")
    shutil.rmtree(scratch, ignore_errors=True)
    scratch.mkdir(parents=True)
    os.chmod(scratch, 0o700)
    database = Database(f"sqlite:///{scratch / DEMO_DATABASE_FILE}")
    try:
        database.upgrade()
        unit = build_demo_unit(database, persons=persons, officers=officers)
        investigations = build_demo_investigations(database)
        monitoring = seed_demo_monitoring(database, get_settings())
    finally:
        database.dispose()
    logins = [
        {"username": x.username, "password": x.password, "role": x.role.value, "note": x.note}
        for x in unit.logins
    ]
    path = scratch / DEMO_LOGINS_FILE
    path.write_text(json.dumps(logins, indent=2) + "\n")
    os.chmod(path, 0o600)
    shutil.rmtree(folder, ignore_errors=True)
    scratch.rename(folder)
    print(
        f"orderwatch: built the demo unit in {unit.seconds:.1f} s: {unit.persons} persons, "
        f"{unit.officers} officers in {unit.teams} teams, {unit.overdue} visits overdue"
    )
    print(
        f"orderwatch: seeded a day of live monitoring in {monitoring.seconds:.1f} s: "
        f"{monitoring.devices} devices, {monitoring.observations:,} observations, "
        f"{monitoring.alerts} alerts in the officers' queues"
    )
    print(
        f"orderwatch: filled a year of outcomes: {investigations.investigations} "
        f"investigations, {investigations.arrests} arrests, {investigations.exhibits} exhibits"
    )
    return logins


def demo_logins(folder: Path) -> list[dict[str, str]] | None:
    """The logins of a demo unit built earlier (None when there is no complete unit)."""
    path = folder / DEMO_LOGINS_FILE
    if not path.is_file() or not (folder / DEMO_DATABASE_FILE).is_file():
        return None
    loaded: list[dict[str, str]] = json.loads(path.read_text())
    return loaded


def run_demo(args: argparse.Namespace) -> int:
    settings = demo_settings(get_settings())
    folder = settings.data_dir
    logins = None if args.rebuild else demo_logins(folder)
    if logins is None:
        if not args.no_serve:
            check_port_free(args.host, args.port)
        logins = build_demo(folder, args.persons, args.officers)
    else:
        print(f"orderwatch: using the demo unit in {folder} (--rebuild starts afresh)")
    print()
    print(f"  Open http://{args.host}:{args.port}/ and log in as one of (all share a password):")
    for login in logins:
        line = f"    {login['username']:<12} {login['password']}  {login['role']:<10}"
        print(f"{line} {login['note']}")
    print()
    if args.no_serve:
        return 0
    serve(settings, Database.from_settings(settings), args.host, args.port)
    return 0
