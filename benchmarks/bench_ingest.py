"""Monitoring ingestion through the HTTP API: observations/s and batch latency (p50/p95).

`make bench BENCH=ingest` (BENCH_ARGS="--batches 300 --engine sqlite" for a shorter run). For
each engine: the demo unit (1,300 persons, each with their own order), one enrolled device per
person, a real `uvicorn` server in a subprocess on 127.0.0.1, and client threads posting batches
of 100 synthetic observations (browsing, searches, chat with some prohibited words and grooming
phrases, heartbeats, USB sticks, tamper events) round-robin over the persons. Every person's
order is compiled before the clock starts (a first one-heartbeat batch each), so the figure is
sustained ingestion: validation, rules, incident folding and the committed transaction.

Compared in the same run: the same rows written straight to the database by one executemany
per batch (no HTTP, no validation, no rules): what the engine itself allows here.
"""

from __future__ import annotations

import argparse
import json
import os
import queue
import random
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from http.client import HTTPConnection
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx

from orderwatch.demo import build_demo_unit
from orderwatch.domain.access import Actor
from orderwatch.monitor.simulate import TrafficProfile, encode, synthetic_observations
from orderwatch.storage import Database
from orderwatch.storage.monitoring_devices import (
    BulkEnrolment,
    bulk_enrol_devices,
    first_declared_devices,
)

SYSTEM = Actor.command_line("bench")
REPO = Path(__file__).resolve().parents[1]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def database_for(engine: str, folder: Path) -> Iterator[str]:
    """A fresh database URL on the engine (a PostgreSQL database is dropped afterwards)."""
    if engine == "sqlite":
        yield f"sqlite:///{folder / 'bench.sqlite3'}"
        return
    from bench_pages import scratch_postgres

    with scratch_postgres() as url:
        if url is None:
            raise SystemExit("bench_ingest: PostgreSQL is needed for --engine postgresql")
        yield url


def prepare(url: str, persons: int) -> list[tuple[int, str]]:
    """The demo unit and one enrolled device per person: [(person id, credential)]."""
    database = Database(url)
    try:
        database.upgrade()
        build_demo_unit(database, persons=persons, officers=28, password="bench-password-x")
        with database.session() as session:
            devices = first_declared_devices(session, SYSTEM)
            enrolments = [
                BulkEnrolment(person, device, label, f"owd_bench_{person}")
                for person, device, label in devices
            ]
            bulk_enrol_devices(session, SYSTEM, enrolments)
    finally:
        database.dispose()
    return [(e.person_id, e.credential) for e in enrolments]


def make_batches(
    devices: list[tuple[int, str]], count: int, size: int, seed: int
) -> list[tuple[str, bytes, int]]:
    """`count` batches of `size` observations, round-robin over the devices, times in the last
    hour: [(credential, body, observations)]."""
    rng = random.Random(seed)
    end = datetime.now(UTC)
    profile = TrafficProfile(share_flagged=0.03, special_chance=0.05, heartbeat_minutes=5)
    run = uuid.uuid4().hex[:8]
    out = []
    for number in range(count):
        _, credential = devices[number % len(devices)]
        start = end - timedelta(minutes=60)
        items = synthetic_observations(
            rng, size, start, end, prefix=f"{run}-{number}", profile=profile
        )
        body = encode({"batch_id": f"{run}-b{number}", "observations": items})
        out.append((credential, body, len(items)))
    return out


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a process and its children so far (Linux /proc)."""
    total = 0.0
    tick = os.sysconf("SC_CLK_TCK")
    for task in [pid, *_children(pid)]:
        try:
            fields = Path(f"/proc/{task}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / tick
    return total


def database_backends(url: str) -> list[int]:
    """The PostgreSQL server processes serving the benchmark's database (none for SQLite)."""
    if url.startswith("sqlite"):
        return []
    import psycopg

    plain = url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(plain) as connection:
        rows = connection.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid()"
        ).fetchall()
    return [int(pid) for (pid,) in rows]


def busy_cores() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine so far, from /proc/stat."""
    fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]
    tick = os.sysconf("SC_CLK_TCK")
    return (sum(fields) - idle) / tick, sum(fields) / tick


def _children(pid: int) -> list[int]:
    try:
        found = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return []
    return [int(c) for c in found] + [g for c in found for g in _children(int(c))]


@contextmanager
def server(url: str, data_dir: Path, workers: int) -> Iterator[tuple[str, int]]:
    """`uvicorn` serving the orderwatch app on a free port (stopped afterwards)."""
    port = _free_port()
    env = {
        **os.environ,
        "ORDERWATCH_DATABASE_URL": url,
        "ORDERWATCH_DATA_DIR": str(data_dir),
        "PYTHONPATH": str(Path(__file__).resolve().parent),
    }
    log = (data_dir / "server.log").open("w")
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        "--factory",
        "bench_ingest:application",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        str(workers),
        "--log-level",
        "warning",
        "--no-access-log",
    ]
    process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT, cwd=REPO)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(base + "/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("server did not start: " + (data_dir / "server.log").read_text())
            time.sleep(0.2)
        yield base, process.pid
    finally:
        process.terminate()
        process.wait(timeout=30)
        log.close()


def application() -> Any:
    """The app as `orderwatch serve` builds it, from the environment (uvicorn --factory)."""
    from orderwatch.settings import get_settings
    from orderwatch.web.app import create_app, freeze_start_up_heap

    settings = get_settings()
    app = create_app(settings, Database.from_settings(settings))
    freeze_start_up_heap()
    return app


def post_all(
    base: str, work: list[tuple[str, bytes, int]], clients: int
) -> tuple[float, list[float]]:
    """Post every batch from `clients` threads; (wall seconds, latencies in seconds).

    Each client keeps one HTTP/1.1 connection open (http.client: far less client CPU per
    request than httpx, so the load generator takes less of the cores the server shares); the
    bodies are encoded beforehand. Every batch still goes through HTTP, validation and a commit.
    """
    jobs: queue.Queue[tuple[str, bytes, int]] = queue.Queue()
    for item in work:
        jobs.put(item)
    latencies: list[float] = []
    failures: list[str] = []
    address = urlsplit(base)

    def client() -> None:
        http = HTTPConnection(address.hostname or "127.0.0.1", address.port, timeout=120)
        try:
            while True:
                try:
                    credential, body, _ = jobs.get_nowait()
                except queue.Empty:
                    return
                headers = {
                    "Authorization": f"Bearer {credential}",
                    "Content-Type": "application/json",
                }
                started = time.perf_counter()
                http.request("POST", "/api/v1/agent/batches", body=body, headers=headers)
                response = http.getresponse()
                answer = response.read()
                latencies.append(time.perf_counter() - started)
                if response.status != 200:
                    failures.append(f"{response.status}: {answer[:200]!r}")
        finally:
            http.close()

    threads = [threading.Thread(target=client) for _ in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - started
    if failures:
        raise RuntimeError(f"{len(failures)} batches refused, e.g. {failures[0]}")
    return wall, latencies


def warm(base: str, devices: list[tuple[int, str]], clients: int) -> None:
    """One heartbeat batch per device, so every person's order is compiled and cached."""
    now = datetime.now(UTC).isoformat()
    run = uuid.uuid4().hex[:8]
    work = []
    for person, credential in devices:
        item = {"id": f"warm-{run}-{person}", "kind": "heartbeat", "time": now}
        work.append(
            (
                credential,
                json.dumps({"batch_id": f"w{run}-{person}", "observations": [item]}).encode(),
                1,
            )
        )
    post_all(base, work, clients)


def raw_insert_rate(url: str, work: list[tuple[str, bytes, int]]) -> float:
    """Observations/s when the same rows go straight in (one executemany + commit per batch)."""
    rows_per_batch = []
    now = datetime.now(UTC).isoformat()
    for number, (_, body, _) in enumerate(work):
        items = json.loads(body)["observations"]
        rows_per_batch.append(
            [
                (1, 1, f"raw-{number}-{i['id']}", i["kind"], i["time"], now, json.dumps(i))
                for i in items
            ]
        )
    sql = (
        "INSERT INTO monitor_observations (person_id, device_id, client_id, kind, observed_at, "
        "received_at, payload) VALUES ({})"
    )
    total = sum(len(rows) for rows in rows_per_batch)
    if url.startswith("sqlite"):
        connection = sqlite3.connect(url.removeprefix("sqlite:///"), isolation_level=None)
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("PRAGMA synchronous=NORMAL")
        statement = sql.format(", ".join("?" * 7))
        started = time.perf_counter()
        for rows in rows_per_batch:
            connection.execute("BEGIN IMMEDIATE")
            connection.executemany(statement, rows)
            connection.execute("COMMIT")
        seconds = time.perf_counter() - started
        connection.close()
        return total / seconds
    import psycopg

    plain = url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(plain) as connection:
        statement = sql.format(", ".join(["%s"] * 7))
        started = time.perf_counter()
        for rows in rows_per_batch:
            with connection.cursor() as cursor:
                cursor.executemany(statement, rows)
            connection.commit()
        seconds = time.perf_counter() - started
    return total / seconds


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def run_engine(engine: str, args: argparse.Namespace) -> None:
    folder = Path(tempfile.mkdtemp(prefix="orderwatch-bench-ingest-"))
    try:
        with database_for(engine, folder) as url:
            started = time.perf_counter()
            devices = prepare(url, args.persons)
            work = make_batches(devices, args.batches, args.batch_size, args.seed)
            print(
                f"  {engine}: {len(devices)} persons enrolled, {len(work)} batches of "
                f"{args.batch_size} prepared in {time.perf_counter() - started:.1f} s"
            )
            with server(url, folder, args.workers) as (base, pid):
                started = time.perf_counter()
                for _ in range(args.workers):  # each worker process has its own cache
                    warm(base, devices, args.clients)
                warmed = time.perf_counter() - started
                print(f"  {engine}: every order compiled (warm-up) in {warmed:.1f} s")
                backends = database_backends(url)  # the server's pooled connections
                cpu_before = cpu_seconds(pid)
                db_before = sum(cpu_seconds(b) for b in backends)
                client_before = time.process_time()
                machine_before = busy_cores()
                wall, latencies = post_all(base, work, args.clients)
                cpu = cpu_seconds(pid) - cpu_before
                db_cpu = sum(cpu_seconds(b) for b in backends) - db_before
                client_cpu = time.process_time() - client_before
                machine = [a - b for a, b in zip(busy_cores(), machine_before, strict=True)]
            observations = sum(n for _, _, n in work)
            print(
                f"  {engine:<10} orderwatch API  {observations / wall:8,.0f} observations/s   "
                f"batch latency p50 {percentile(latencies, 0.5) * 1e3:6.1f} ms  "
                f"p95 {percentile(latencies, 0.95) * 1e3:6.1f} ms  "
                f"({observations:,} in {wall:.1f} s, {args.clients} clients, "
                f"{args.workers} worker(s))"
            )
            print(
                f"  {engine:<10} server CPU     {cpu / observations * 1e6:8.0f} us per observation "
                f"({observations / cpu:,.0f} observations/s per core of the server process)"
            )
            per = 1e6 / observations
            database = f"database {db_cpu * per:.0f} us" if backends else "database in-process"
            print(
                f"  {engine:<10} other CPU      {database}, load generator "
                f"{client_cpu * per:.0f} us per observation; the machine's {os.cpu_count()} "
                f"cores were {machine[0] / machine[1]:.0%} busy (everything on it)"
            )
            raw = raw_insert_rate(url, work[: min(len(work), 200)])
            print(
                f"  {engine:<10} raw executemany {raw:8,.0f} observations/s   (no HTTP, no rules)"
            )
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="bench_ingest")
    parser.add_argument("--engine", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--persons", type=int, default=1300)
    parser.add_argument("--batches", type=int, default=1000, help="measured batches per engine")
    parser.add_argument("--batch-size", type=int, default=100)
    parser.add_argument("--clients", type=int, default=3, help="client threads posting at once")
    parser.add_argument("--workers", type=int, default=1, help="uvicorn worker processes")
    parser.add_argument("--seed", type=int, default=5)
    args = parser.parse_args(argv)
    print("load average at start: {:.1f} {:.1f} {:.1f}".format(*os.getloadavg()))
    engines = ("sqlite", "postgresql") if args.engine == "both" else (args.engine,)
    for engine in engines:
        run_engine(engine, args)


if __name__ == "__main__":
    main(sys.argv[1:])
