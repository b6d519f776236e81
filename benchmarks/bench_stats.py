"""Statistics dashboard for a year of a large force, on PostgreSQL and SQLite.

    make bench BENCH=stats        (options after BENCH_ARGS=: --requests N, --skip-postgres,
                                    --persons N, --officers N, --alerts N)

Data: the demo unit at 10,000 persons and 100 officers (4 teams), a year of demo investigations
(about 5,000 exhibits with custody chains), and 50,000 monitoring alerts spread over the year
(60% decided, ~12% of those breaches). The dashboard page is requested in-process through the
ASGI app ("last six months vs the six before"); "server" time is measured by an ASGI wrapper
from the request's arrival to the last body byte, so the test client's own overhead is left
out. Rows: the supervisor's team dashboard, the whole-unit dashboard, the CSV export, and the
one-page PDF (WeasyPrint) for comparison.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from bench_pages import ServerTimer, _percentile, on_scratch_postgres
from fastapi.testclient import TestClient
from sqlalchemy import func, insert, select  # benchmark harness, not the app

from orderwatch.demo import build_demo_unit
from orderwatch.demo.investigations import build_demo_investigations
from orderwatch.domain.access import Actor
from orderwatch.settings import Settings
from orderwatch.storage import Database, create_web_session, get_user_by_username
from orderwatch.storage.exhibits_tables import CustodyRow, ExhibitRow
from orderwatch.storage.monitoring_tables import AlertRow
from orderwatch.storage.tables import PersonRow
from orderwatch.web import create_app
from orderwatch.web.app import freeze_start_up_heap
from orderwatch.web.security import SESSION_COOKIE

SYSTEM = Actor.command_line("stats benchmark")
CONDITIONS = (
    "declare_devices",
    "retain_history",
    "no_anonymisation",
    "prohibited_words",
    "no_contact_with_children",
    "prohibited_apps_or_sites",
    "keep_monitoring",
)
DECISIONS = (
    ("closed_no_action", 55),
    ("advice_given", 25),
    ("breach_recorded", 12),
    ("referred_for_arrest", 8),
)


def _alerts(database: Database, count: int, today: date, seed: int = 11) -> None:
    """Monitoring alerts over the last year (the monitoring area's table, filled directly)."""
    rng = random.Random(seed)
    with database.read_session() as session:
        persons = list(session.scalars(select(PersonRow.id)))
    now = datetime.combine(today, datetime.min.time(), tzinfo=UTC)
    states = [s for s, _ in DECISIONS]
    weights = [w for _, w in DECISIONS]
    rows = []
    for n in range(count):
        opened = now - timedelta(seconds=rng.randint(0, 365 * 86400))
        decided = rng.random() < 0.6
        state = rng.choices(states, weights)[0] if decided else rng.choice(("new", "under_review"))
        condition = rng.choice(CONDITIONS)
        rows.append(
            {
                "person_id": rng.choice(persons),
                "device_id": None,
                "condition": condition,
                "severity": "high",
                "severity_rank": 3,
                "key": f"{condition}:{n}",
                "title": f"benchmark alert {n}",
                "detail": None,
                "occurrences": rng.randint(1, 5),
                "first_seen": opened,
                "last_seen": opened,
                "opened_at": opened,
                "updated_at": opened,
                "state": state,
                "state_changed_at": opened + timedelta(hours=rng.randint(1, 96))
                if decided
                else None,
                "state_changed_by": None,
            }
        )
    with database.session() as session:
        for start in range(0, len(rows), 2000):
            session.execute(insert(AlertRow), rows[start : start + 2000])


def _build(database: Database, args: argparse.Namespace, label: str) -> None:
    today = date.today()
    started = time.perf_counter()
    database.upgrade()
    build_demo_unit(database, persons=args.persons, officers=args.officers, today=today)
    made = build_demo_investigations(database, per_officer=args.per_officer, today=today)
    _alerts(database, args.alerts, today)
    with database.read_session() as session:
        exhibits = session.scalar(select(func.count()).select_from(ExhibitRow))
        custody = session.scalar(select(func.count()).select_from(CustodyRow))
    if database.dialect == "postgresql":
        with database.engine.begin() as connection:  # fresh statistics, as autovacuum would
            connection.exec_driver_sql("ANALYZE")
    print(
        f"{label}: built in {time.perf_counter() - started:.0f} s: {args.persons:,} persons, "
        f"{args.officers} officers, {made.investigations:,} investigations, {exhibits:,} "
        f"exhibits ({custody:,} custody entries), {args.alerts:,} alerts",
        flush=True,
    )


def _client(
    database: Database, settings: Settings, username: str
) -> tuple[TestClient, ServerTimer]:
    with database.session() as session:
        user = get_user_by_username(session, SYSTEM, username)
        opened = create_web_session(session, user.id, max_age=timedelta(hours=2))
    timer = ServerTimer(create_app(settings, database))
    freeze_start_up_heap()  # as `orderwatch serve` does
    client = TestClient(timer, base_url="http://bench")  # type: ignore[arg-type]
    client.cookies.set(SESSION_COOKIE, opened.token)
    return client, timer


def _backend_seconds(database: Database) -> float:
    """CPU seconds used so far by the PostgreSQL backends serving this database (read from
    /proc: the server runs on this machine); 0 on SQLite, where the app process does it all."""
    if database.dialect != "postgresql":
        return 0.0
    with database.engine.connect() as connection:
        pids = connection.exec_driver_sql(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
        ).scalars()
        total = 0.0
        for pid in pids:
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def _measure(
    client: TestClient, timer: ServerTimer, path: str, n: int, database: Database
) -> tuple[float, float, int, float, float]:
    """p50 and p95 of the server time (ms), response size, and CPU per request (ms) of this
    process and of the database server: CPU does not grow with other sessions' load."""
    for _ in range(3):  # warm templates, caches and the connection pool
        assert client.get(path).status_code == 200, path
    timer.samples.clear()
    size = 0
    cpu, backend = time.process_time(), _backend_seconds(database)
    for _ in range(n):
        response = client.get(path)
        assert response.status_code == 200, (path, response.status_code)
        size = len(response.content)
    cpu = (time.process_time() - cpu) * 1000 / n
    backend = (_backend_seconds(database) - backend) * 1000 / n
    samples = timer.samples[-n:]
    return _percentile(samples, 0.5) * 1000, _percentile(samples, 0.95) * 1000, size, cpu, backend


def _run(label: str, database: Database, settings: Settings, args: argparse.Namespace) -> None:
    _build(database, args, label)
    client, timer = _client(database, settings, "sup.north")
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"{label}: load average before measuring {load} (the machine is shared)", flush=True)
    cases = (
        ("dashboard, team (25 officers)", "/statistics", args.requests),
        ("dashboard, whole unit (4 teams)", "/statistics?scope=unit", args.requests),
        ("CSV export, whole unit", "/statistics/export.csv?scope=unit", args.requests),
        (
            "one-page PDF, whole unit",
            "/statistics/press.pdf?scope=unit",
            max(5, args.requests // 4),
        ),
    )
    for name, path, n in cases:
        p50, p95, size, cpu, backend = _measure(client, timer, path, n, database)
        server_cpu = f"{backend:.0f}" if database.dialect == "postgresql" else "-"
        print(
            f"| {label} | {name} | {n} | {p50:.0f} | {p95:.0f} | {cpu:.0f} | {server_cpu} "
            f"| {size // 1024} KiB |",
            flush=True,
        )
    client.close()


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="bench_stats")
    parser.add_argument("--requests", type=int, default=30)
    parser.add_argument("--persons", type=int, default=10_000)
    parser.add_argument("--officers", type=int, default=100)
    parser.add_argument("--per-officer", type=float, default=29.0)
    parser.add_argument("--alerts", type=int, default=50_000)
    parser.add_argument("--skip-postgres", action="store_true")
    args, _ = parser.parse_known_args(argv)
    print("times in ms, server side (in-process ASGI); 'last six months vs the six before';")
    print("CPU ms per request: app process (app and test client) and PostgreSQL backends")
    print("| engine | request | n | p50 | p95 | app CPU | db CPU | size |")
    print("|---|---|---|---|---|---|---|---|")
    folder = Path(tempfile.mkdtemp(prefix="ow-bench-stats-"))
    try:
        settings = Settings(data_dir=folder)
        if not args.skip_postgres:
            _run_postgres(settings, args)
        sqlite = Database(f"sqlite:///{folder / 'orderwatch.sqlite3'}")
        try:
            _run("SQLite", sqlite, settings, args)
        finally:
            sqlite.dispose()
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _run_postgres(settings: Settings, args: argparse.Namespace) -> None:
    on_scratch_postgres(lambda database: _run("PostgreSQL", database, settings, args))
