"""Caseload pages for the demo unit (1,300 persons, 28 officers) on SQLite and PostgreSQL.

    make bench BENCH=pages            (or: .venv/bin/python benchmarks/run.py with BENCH=pages)

Requests run in-process through the ASGI app (starlette's TestClient); "server" time is measured
by an ASGI wrapper around the app from the request's arrival to the last body byte, so the
test client's own overhead is left out. The JSON caseload (/api/v1/caseload) is measured beside
the page as the reference: same query, no HTML. Options: --requests N (200), --skip-postgres.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from orderwatch.demo import build_demo_unit
from orderwatch.domain.access import Actor
from orderwatch.settings import Settings
from orderwatch.storage import Database, create_web_session, get_user_by_username, list_caseload
from orderwatch.web import create_app
from orderwatch.web.app import freeze_start_up_heap
from orderwatch.web.security import SESSION_COOKIE

POSTGRES_ADMIN_URL = os.environ.get(
    "ORDERWATCH_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)


class ServerTimer:
    """ASGI wrapper recording each request's time inside the app, in seconds."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.samples: list[float] = []

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()

        async def timed_send(message: Any) -> None:
            await send(message)
            if message["type"] == "http.response.body" and not message.get("more_body"):
                self.samples.append(time.perf_counter() - started)

        await self.app(scope, receive, timed_send)


def _percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[index]


def _measure(
    client: TestClient, timer: ServerTimer, paths: Callable[[int], str], n: int
) -> tuple[float, float, float, int]:
    """(p50 ms, p95 ms, mean client round trip ms, bytes of the last page) over n requests."""
    for i in range(10):  # warm caches, templates and the connection pool
        assert client.get(paths(i)).status_code == 200
    timer.samples.clear()
    round_trips = []
    size = 0
    for i in range(n):
        started = time.perf_counter()
        response = client.get(paths(i))
        round_trips.append(time.perf_counter() - started)
        assert response.status_code == 200, (paths(i), response.status_code)
        size = len(response.content)
    samples = timer.samples[-n:]
    return (
        _percentile(samples, 0.50) * 1000,
        _percentile(samples, 0.95) * 1000,
        statistics.fmean(round_trips) * 1000,
        size,
    )


def _client_for(
    database: Database, settings: Settings, username: str
) -> tuple[TestClient, ServerTimer, list[int]]:
    system = Actor.command_line("pages benchmark")
    with database.session() as session:
        user = get_user_by_username(session, system, username)
        opened = create_web_session(session, user.id, max_age=timedelta(hours=2))
    with database.read_session() as session:
        persons = [e.person_id for e in list_caseload(session, user.actor)]
    timer = ServerTimer(create_app(settings, database))
    freeze_start_up_heap()  # as `orderwatch serve` does
    client = TestClient(timer, base_url="http://bench")  # type: ignore[arg-type]
    client.cookies.set(SESSION_COOKIE, opened.token)
    return client, timer, persons


def _run_engine(label: str, database: Database, settings: Settings, n: int) -> list[str]:
    started = time.perf_counter()
    database.upgrade()
    unit = build_demo_unit(database, persons=1300, officers=28)
    print(
        f"{label}: demo unit built in {time.perf_counter() - started:.1f} s "
        f"({unit.persons} persons, {unit.officers} officers, {unit.overdue} overdue)",
        flush=True,
    )
    rows = []
    officer, officer_timer, officer_persons = _client_for(database, settings, "officer01")
    supervisor, supervisor_timer, team_persons = _client_for(database, settings, "sup.north")
    cases: list[tuple[str, TestClient, ServerTimer, Callable[[int], str]]] = [
        ("caseload page, officer", officer, officer_timer, lambda i: "/caseload"),
        (
            "person page, officer",
            officer,
            officer_timer,
            lambda i: f"/persons/{officer_persons[i % len(officer_persons)]}",
        ),
        ("caseload page, supervisor", supervisor, supervisor_timer, lambda i: "/caseload"),
        ("team page, supervisor", supervisor, supervisor_timer, lambda i: "/team"),
        ("/api/v1/caseload (reference)", officer, officer_timer, lambda i: "/api/v1/caseload"),
    ]
    for name, client, timer, paths in cases:
        p50, p95, mean_rt, size = _measure(client, timer, paths, n)
        scope = (
            f"{len(officer_persons)} persons"
            if "officer" in name or "api" in name
            else f"{len(team_persons)} persons"
        )
        row = (
            f"| {label} | {name} ({scope}) | {p50:.1f} | {p95:.1f} | {mean_rt:.1f} "
            f"| {size // 1024} KiB |"
        )
        print(row, flush=True)
        rows.append(row)
    officer.close()
    supervisor.close()
    return rows


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="bench_pages")
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--skip-postgres", action="store_true")
    args, _ = parser.parse_known_args(argv)
    print(f"{args.requests} requests per row, in-process ASGI; times in ms")
    print("| engine | page | p50 server | p95 server | mean round trip | size |")
    print("|---|---|---|---|---|---|")
    folder = Path(tempfile.mkdtemp(prefix="ow-bench-pages-"))
    try:
        settings = Settings(data_dir=folder)
        sqlite = Database(f"sqlite:///{folder / 'orderwatch.sqlite3'}")
        try:
            _run_engine("SQLite", sqlite, settings, args.requests)
        finally:
            sqlite.dispose()
        if not args.skip_postgres:
            _run_postgres(settings, args.requests)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@contextmanager
def scratch_postgres() -> Iterator[str | None]:
    """A fresh PostgreSQL database (its URL), dropped afterwards; None, said on screen, when the
    server cannot be reached. Shared by the page, statistics and ingestion benchmarks."""
    from sqlalchemy import create_engine, make_url, text  # benchmark harness, not the app

    admin_url = make_url(POSTGRES_ADMIN_URL)
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    name = f"owbench_{uuid.uuid4().hex[:10]}"
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as error:
        print(f"PostgreSQL at {admin_url.render_as_string()}: unavailable ({error}); skipped")
        admin.dispose()
        yield None
        return
    try:
        yield admin_url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def on_scratch_postgres(run: Callable[[Database], None]) -> None:
    """`run` on a fresh PostgreSQL database (nothing, said on screen, without a server)."""
    with scratch_postgres() as url:
        if url is None:
            return
        database = Database(url)
        try:
            run(database)
        finally:
            database.dispose()


def _run_postgres(settings: Settings, n: int) -> None:
    on_scratch_postgres(lambda database: _run_engine("PostgreSQL", database, settings, n))
