"""Builds the demo unit: teams, staff, 1,300 persons with orders, declarations and visits.

Everything is synthetic: names from made-up syllables with "Demo" surnames, example.org
addresses, locally administered MACs, dates relative to today. Seeded, so a seed gives the same
unit (apart from the generated password).
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, TypeVar

from orderwatch.demo import names
from orderwatch.domain.access import Actor, Role
from orderwatch.domain.caseload import (
    ManagementLevel,
    OrderKind,
    RiskLevel,
    VisitCadence,
    VisitOutcome,
    days_overdue,
    effective_visit_due,
)
from orderwatch.domain.conditions import Condition, parse_condition
from orderwatch.domain.errors import OrderwatchError
from orderwatch.domain.orderfile import DeclaredAccount, DeclaredDevice, OrderRecord
from orderwatch.security.passwords import generate_password, hash_password
from orderwatch.storage.bulk import (
    BulkPerson,
    BulkUser,
    BulkVisit,
    bulk_create_persons,
    bulk_create_users,
)
from orderwatch.storage.database import Database
from orderwatch.storage.records import PersonInput
from orderwatch.storage.users import list_users

T = TypeVar("T")

TEAMS = ("North", "East", "South", "West")
_RISKS = (
    (RiskLevel.VERY_HIGH, 5),
    (RiskLevel.HIGH, 20),
    (RiskLevel.MEDIUM, 45),
    (RiskLevel.LOW, 30),
)
_KINDS = (
    (OrderKind.SHPO, 60),
    (OrderKind.SOPO, 10),
    (OrderKind.NOTIFICATION, 25),
    (OrderKind.BAIL, 5),
)
_OUTCOMES = (
    (VisitOutcome.COMPLETED, 85),
    (VisitOutcome.NO_ACCESS, 8),
    (VisitOutcome.CONCERNS_RAISED, 5),
    (VisitOutcome.REFUSED, 2),
)
_COURTS = ("Demo Crown Court", "Exampleshire Magistrates' Court", "Testbury Crown Court")
_ALWAYS = ("declare_devices", "no_indecent_images", "inspection_on_request")
_SOMETIMES: tuple[dict[str, Any], ...] = (
    {"type": "retain_history"},
    {"type": "no_encryption_or_wiping"},
    {"type": "no_anonymisation"},
    {"type": "declare_accounts"},
    {"type": "declare_cloud_storage"},
    {"type": "no_contact_with_children"},
    {"type": "keep_monitoring"},
    {"type": "no_adult_pornography", "domains": ["adult-site.example"]},
    {"type": "prohibited_words", "words": ["example-banned-word"], "phrases": ["home alone"]},
    {"type": "prohibited_apps_or_sites", "apps": ["Kik"], "domains": ["example-chat-site.test"]},
)
_DEVICES: tuple[tuple[str, tuple[tuple[str, str], ...]], ...] = (
    ("phone", (("Samsung", "Galaxy A14"), ("Apple", "iPhone 12"), ("Motorola", "Moto G54"))),
    ("laptop", (("Dell", "Latitude 5420"), ("Lenovo", "ThinkPad E14"), ("HP", "ProBook 450"))),
    ("tablet", (("Apple", "iPad 9th gen"), ("Amazon", "Fire HD 10"))),
    ("usb_storage", (("SanDisk", "Cruzer Blade"), ("Kingston", "DataTraveler Exodia"))),
    ("games_console", (("Sony", "PlayStation 5"), ("Nintendo", "Switch"))),
)
_SERVICES = ("email", "facebook", "instagram", "whatsapp", "snapchat", "dropbox")
_NOTES = (
    "Routine visit; declared devices checked.",
    "Spoke about employment and accommodation.",
    "Devices produced on request; nothing of concern.",
    None,
)
_BATCH = 500


@dataclass(frozen=True)
class DemoLogin:
    username: str
    password: str
    role: Role
    note: str


@dataclass(frozen=True)
class DemoUnit:
    """What was built, and the logins to print."""

    logins: tuple[DemoLogin, ...]
    teams: int
    officers: int
    persons: int
    overdue: int
    seconds: float


def _weighted(rng: random.Random, table: tuple[tuple[T, int], ...]) -> T:
    return rng.choices([v for v, _ in table], weights=[w for _, w in table])[0]


def _staff(officers: int) -> list[BulkUser]:
    staff = [
        BulkUser(f"sup.{t.lower()}", f"Supervisor {t} Demoford", Role.SUPERVISOR, f"Team {t}")
        for t in TEAMS
    ]
    for n in range(1, officers + 1):
        team = f"Team {TEAMS[(n - 1) % len(TEAMS)]}"
        staff.append(BulkUser(f"officer{n:02d}", f"Officer {n:02d} Demoson", Role.OFFICER, team))
    staff += [
        BulkUser("examiner", "Examiner Demoworth", Role.EXAMINER),
        BulkUser("admin", "Admin Demoby", Role.ADMIN),
        BulkUser("auditor", "Auditor Demodale", Role.AUDITOR),
    ]
    return staff


def _order(rng: random.Random, since: date, today: date) -> OrderRecord:
    kind = _weighted(rng, _KINDS)
    made = since - timedelta(days=rng.randint(0, 60))
    years = {OrderKind.SHPO: 5, OrderKind.SOPO: 5, OrderKind.BAIL: 1}.get(kind)
    expires = made + timedelta(days=365 * years + rng.randint(0, 700)) if years else None
    if expires is not None and expires < today and rng.random() < 0.95:
        # A unit manages people whose orders are in force: most long-managed persons have had
        # their order renewed or extended, so only a few expired orders remain to be seen.
        expires = today + timedelta(days=rng.randint(30, 5 * 365))
    picked = rng.sample(_SOMETIMES, rng.randint(2, 6))
    conditions: tuple[Condition, ...] = tuple(
        parse_condition(r) for r in [{"type": t} for t in _ALWAYS] + picked
    )
    return OrderRecord(kind, rng.choice(_COURTS), made, expires, conditions)


def _devices(rng: random.Random, since: date) -> tuple[DeclaredDevice, ...]:
    devices = []
    for kind, models in rng.sample(_DEVICES, rng.randint(1, 4)):
        make, model = rng.choice(models)
        devices.append(
            DeclaredDevice(
                kind=kind,
                make=make,
                model=model,
                serial=names.serial(rng),
                imei=names.imei(rng) if kind == "phone" else None,
                mac=names.mac(rng) if kind in ("laptop", "tablet", "games_console") else None,
                declared_on=since + timedelta(days=rng.randint(0, 3)),
            )
        )
    return tuple(devices)


def _accounts(rng: random.Random, full_name: str, n: int) -> tuple[DeclaredAccount, ...]:
    handle = full_name.lower().replace(" ", ".") + str(n % 97)
    services = rng.sample(_SERVICES, rng.randint(1, 3))
    return tuple(
        DeclaredAccount(s, f"{handle}@example.org" if s == "email" else handle) for s in services
    )


def _visits(
    rng: random.Random,
    risk: RiskLevel,
    management: ManagementLevel,
    since: date,
    today: date,
    officer: str,
    cadence: VisitCadence,
) -> tuple[BulkVisit, ...]:
    interval = cadence.interval(risk)
    if management is ManagementLevel.REACTIVE:
        interval = timedelta(days=365)
    overdue = rng.random() < 0.12
    # The latest visit: within the interval for most, older than it for ~12% (overdue).
    lag = interval + timedelta(days=rng.randint(1, 60)) if overdue else interval * rng.random()
    last = today - lag
    visits = []
    when = last
    for _ in range(rng.randint(1, 6)):
        if when < since:
            break
        outcome = _weighted(rng, _OUTCOMES)
        visits.append(
            BulkVisit(
                due_on=when - timedelta(days=rng.randint(0, 7)),
                done_on=when,
                outcome=outcome,
                notes=rng.choice(_NOTES),
                officer=officer,
                devices_inspected=rng.randint(0, 2) if outcome is VisitOutcome.COMPLETED else 0,
            )
        )
        when -= interval + timedelta(days=rng.randint(-7, 7))
    if not overdue and management is ManagementLevel.ACTIVE and rng.random() < 0.15:
        visits.append(BulkVisit(due_on=today + timedelta(days=rng.randint(1, 30)), officer=officer))
    return tuple(visits)


def _person(
    rng: random.Random,
    n: int,
    officer: str,
    today: date,
    cadence: VisitCadence,
) -> BulkPerson:
    risk = _weighted(rng, _RISKS)
    reactive = risk is RiskLevel.LOW and rng.random() < 0.5
    management = ManagementLevel.REACTIVE if reactive else ManagementLevel.ACTIVE
    since = today - timedelta(days=rng.randint(90, 10 * 365))
    full_name = names.full_name(rng)
    born = today - timedelta(days=rng.randint(20 * 365, 75 * 365))
    aliases = (names.full_name(rng),) if rng.random() < 0.2 else ()
    data = PersonInput(
        reference=f"DEMO-{n:04d}",
        full_name=full_name,
        risk_level=risk,
        management_level=management,
        officer_id=0,
        managed_since=since,
        date_of_birth=born,
        address=names.address(rng),
        aliases=aliases,
    )
    return BulkPerson(
        data=data,
        officer=officer,
        examiners=("examiner",) if rng.random() < 0.05 else (),
        order=_order(rng, since, today),
        devices=_devices(rng, since),
        accounts=_accounts(rng, full_name, n),
        visits=_visits(rng, risk, management, since, today, officer, cadence),
    )


def _is_overdue(person: BulkPerson, today: date, cadence: VisitCadence) -> bool:
    done = [v.done_on for v in person.visits if v.done_on is not None]
    booked = [v.due_on for v in person.visits if v.done_on is None]
    due = effective_visit_due(
        person.data.risk_level,
        person.data.management_level,
        max(done) if done else None,
        person.data.managed_since,
        min(booked) if booked else None,
        cadence,
    )
    return days_overdue(due, today) > 0


def build_demo_unit(
    database: Database,
    *,
    persons: int = 1300,
    officers: int = 28,
    seed: int = 2024,
    today: date | None = None,
    password: str | None = None,
    cadence: VisitCadence | None = None,
) -> DemoUnit:
    """Fill an upgraded, empty database with a synthetic unit (OrderwatchError if not empty).

    Every demo account shares one password (generated unless given), printed by the caller.
    """
    started = time.perf_counter()
    if officers < 1 or persons < 0:
        raise OrderwatchError("a demo unit needs at least one officer")
    rng = random.Random(seed)
    today = today or date.today()
    cadence = cadence or VisitCadence()
    password = password or generate_password(16)
    actor = Actor.command_line("demo generator")
    staff = _staff(officers)
    with database.session() as session:
        existing = list_users(session, actor)
        if existing:
            raise OrderwatchError(
                f"the database at {database.display_url} already has {len(existing)} "
                "account(s); the demo unit needs an empty database"
            )
        bulk_create_users(session, actor, staff, password_hash=hash_password(password))
    officer_names = [u.username for u in staff if u.role is Role.OFFICER]
    people = [
        _person(rng, n, officer_names[rng.randrange(len(officer_names))], today, cadence)
        for n in range(1, persons + 1)
    ]
    for start in range(0, len(people), _BATCH):
        with database.session() as session:
            batch = people[start : start + _BATCH]
            bulk_create_persons(session, actor, batch, batch=f"demo unit, seed {seed}")
    logins = (
        DemoLogin("officer01", password, Role.OFFICER, f"one of {officers} officers (officer01..)"),
        DemoLogin("sup.north", password, Role.SUPERVISOR, "supervisor of Team North"),
        DemoLogin("examiner", password, Role.EXAMINER, "sees the persons assigned to them"),
        DemoLogin("admin", password, Role.ADMIN, "manages accounts; sees no persons"),
        DemoLogin("auditor", password, Role.AUDITOR, "reads the audit log"),
    )
    return DemoUnit(
        logins=logins,
        teams=len(TEAMS),
        officers=officers,
        persons=persons,
        overdue=sum(1 for p in people if _is_overdue(p, today, cadence)),
        seconds=time.perf_counter() - started,
    )
