"""Commands: `simulate-agent` (synthetic traffic), `monitor check` and `monitor purge`."""

from __future__ import annotations

import argparse
import getpass
import random
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

from orderwatch.domain.access import Actor
from orderwatch.domain.conditions import ConditionType
from orderwatch.domain.errors import OrderwatchError
from orderwatch.settings import Settings, get_settings
from orderwatch.storage import Database, get_person_by_reference

SIMULATOR = Actor.command_line("simulate-agent")


def register(subparsers: Any) -> None:
    """Add the monitoring commands to the `orderwatch` parser."""
    simulate = subparsers.add_parser(
        "simulate-agent",
        help="send a day of synthetic agent traffic for one person (demos, benchmarks)",
        description="Enrols a new monitored device for the person's first declared device and "
        "sends synthetic observations in batches: over HTTP to --server, or into the "
        "configured database directly.",
    )
    simulate.add_argument("--person", required=True, metavar="REF", help="the person's reference")
    simulate.add_argument("--events", type=int, default=500, metavar="N", help="observations")
    simulate.add_argument("--server", metavar="URL", help="e.g. http://127.0.0.1:8000")
    simulate.add_argument(
        "--code", help="enrol with this one-time code (with --server; no database access)"
    )
    simulate.add_argument("--batch-size", type=int, default=100, metavar="N")
    simulate.add_argument("--hours", type=float, default=24.0, help="time span (last N hours)")
    simulate.add_argument("--seed", type=int, help="same seed, same traffic")
    simulate.set_defaults(func=run_simulate)

    monitor = subparsers.add_parser("monitor", help="live-monitoring upkeep")
    actions = monitor.add_subparsers(dest="monitor_action", metavar="ACTION", required=True)
    check = actions.add_parser(
        "check", help="alert on silent agents; send (and retry) pending alert e-mails"
    )
    check.set_defaults(func=run_check)
    purge = actions.add_parser(
        "purge", help="delete observations older than the retention period (evidence kept)"
    )
    purge.add_argument(
        "--older-than-days",
        type=int,
        metavar="N",
        help="default: the observation_retention_days setting",
    )
    purge.set_defaults(func=run_purge)


@contextmanager
def _database(settings: Settings) -> Iterator[Database]:
    database = Database.from_settings(settings)
    try:
        current, head = database.current_revision(), database.head_revision()
        if current != head:
            raise OrderwatchError(
                f"database {database.display_url} is at schema {current or 'none'}, not "
                f"{head}; run `orderwatch db upgrade` first"
            )
        yield database
    finally:
        database.dispose()


def run_simulate(args: argparse.Namespace) -> int:
    from orderwatch.monitor.ingest import IngestionService, unit_hashsets
    from orderwatch.monitor.notify import deliver_pending_emails
    from orderwatch.monitor.simulate import (
        HttpAgent,
        InProcessAgent,
        Sender,
        TrafficProfile,
        send_all,
    )
    from orderwatch.storage.monitoring_alerts import count_open_alerts
    from orderwatch.storage.monitoring_devices import (
        exchange_enrolment_code,
        issue_enrolment_code,
    )

    if args.events < 1 or args.batch_size < 1:
        raise OrderwatchError("--events and --batch-size must be at least 1")
    settings = get_settings()
    rng = random.Random(args.seed)
    profile = TrafficProfile()
    if args.code:
        if not args.server:
            raise OrderwatchError("--code needs --server (the code is exchanged over HTTP)")
        agent = HttpAgent(args.server)
        agent.enrol(args.code)
        return _report(send_all(agent, _traffic(args, rng, profile), batch_size=args.batch_size))
    with _database(settings) as database:
        with database.session() as session:
            file = get_person_by_reference(session, SIMULATOR, args.person)
            if not file.devices:
                raise OrderwatchError(f"{args.person} has no declared device to enrol; declare one")
            issued = issue_enrolment_code(session, SIMULATOR, file.person.id, file.devices[0].id)
            words = _prohibited_words(file.order.conditions if file.order else ())
        if words:
            profile = TrafficProfile(prohibited_words=words)
        sender: Sender
        if args.server:
            http = HttpAgent(args.server)
            http.enrol(issued.code)
            sender = http
        else:
            with database.session() as session:
                enrolled = exchange_enrolment_code(
                    session, issued.code, hostname="simulated-agent", agent_version="simulate"
                )
            service = IngestionService(database, settings, hashsets=unit_hashsets(settings))
            sender = InProcessAgent(service, enrolled.credential)
        report = send_all(sender, _traffic(args, rng, profile), batch_size=args.batch_size)
        if not args.server:
            deliver_pending_emails(database, settings)
        with database.read_session() as session:
            open_alerts = count_open_alerts(session, [file.person.id]).get(file.person.id, 0)
    _report(report)
    print(f"orderwatch: {args.person} now has {open_alerts} open alert(s)")
    return 0 if report.refused == 0 else 1


def _traffic(args: argparse.Namespace, rng: random.Random, profile: Any) -> list[dict[str, Any]]:
    from orderwatch.monitor.simulate import synthetic_observations

    end = datetime.now(UTC)
    prefix = f"sim-{args.person}-{uuid.uuid4().hex[:8]}"
    start = end - timedelta(hours=args.hours)
    return synthetic_observations(rng, args.events, start, end, prefix=prefix, profile=profile)


def _prohibited_words(conditions: Any) -> tuple[str, ...]:
    for condition in conditions:
        if condition.type is ConditionType.PROHIBITED_WORDS:
            return condition.strings("words") + condition.strings("phrases")
    return ()


def _report(report: Any) -> int:
    rate = report.sent / report.seconds if report.seconds else 0.0
    print(
        f"orderwatch: sent {report.sent} observations in {report.batches} batches "
        f"({rate:,.0f}/s): {report.stored} stored, {report.duplicates} already stored, "
        f"{report.refused} batch(es) refused"
    )
    return 0 if report.refused == 0 else 1


def run_check(args: argparse.Namespace) -> int:
    from orderwatch.monitor.heartbeats import check_silent_agents
    from orderwatch.monitor.notify import deliver_pending_emails
    from orderwatch.storage.monitoring_notices import retry_failed_emails

    settings = get_settings()
    with _database(settings) as database:
        silent = check_silent_agents(database, settings)
        with database.session() as session:
            retried = retry_failed_emails(session) if settings.smtp_host else 0
        delivered = deliver_pending_emails(database, settings, limit=1000)
    print(
        f"orderwatch: {silent.devices_silent} silent agent(s) on orders requiring monitoring, "
        f"{silent.alerts_created} new alert(s); e-mails: {delivered.sent} sent, "
        f"{delivered.failed} failed ({retried} retried)"
    )
    return 0


def run_purge(args: argparse.Namespace) -> int:
    from orderwatch.storage.monitoring_upkeep import purge_observations

    settings = get_settings()
    days = args.older_than_days
    if days is None:
        days = settings.observation_retention_days
    if days < 0:
        raise OrderwatchError("--older-than-days must be 0 or more")
    cutoff = datetime.now(UTC) - timedelta(days=days)
    who = Actor.command_line(f"monitor purge: {_user()}")
    with _database(settings) as database, database.session() as session:
        report = purge_observations(session, who, cutoff)
    print(
        f"orderwatch: purged {report.observations} observation(s) and {report.batches} batch "
        f"record(s) older than {days} day(s) ({cutoff:%Y-%m-%d %H:%M} UTC); kept "
        f"{report.kept_as_evidence} behind open alerts or recorded breaches"
    )
    return 0


def _user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"
