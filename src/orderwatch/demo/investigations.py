"""A year of synthetic investigations for the demo unit: referrals, warrants, arrests, offences
(with the cyber flag), charges and court results, children safeguarded (counts only), bail, and
exhibits with custody chains and examination-queue states, so the statistics mean something on
first run. Activity rises through the year, as the published figures the dashboard mirrors do.

Seeded and relative to `today`; subjects are the unit's demo persons or made-up suspects.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from orderwatch.demo import names
from orderwatch.domain.access import Actor
from orderwatch.domain.caseload import RiskLevel
from orderwatch.domain.conditions import ConditionType, parse_condition
from orderwatch.domain.investigations import (
    ArrestInput,
    BailInput,
    ChargeInput,
    ChargeResult,
    InvestigationOutcome,
    OffenceInput,
    OffenceTypes,
    ReferralInput,
    ReferralSource,
    SafeguardingInput,
    WarrantInput,
    load_offence_types,
)
from orderwatch.domain.investigations_exhibits import (
    CustodyAction,
    CustodyEntryInput,
    ExhibitStatus,
    derive_priority,
)
from orderwatch.domain.statistics import UNIT_TIME_ZONE
from orderwatch.storage import Database, list_caseload
from orderwatch.storage.investigations_bulk import (
    BulkExhibit,
    BulkInvestigation,
    bulk_create_investigations,
)

_OFFENCES = (
    ("iioc_possession", 30),
    ("iioc_making", 18),
    ("iioc_distribution", 6),
    ("sexual_communication_child", 10),
    ("inciting_child", 4),
    ("breach_shpo", 16),
    ("breach_notification", 8),
    ("breach_sopo", 2),
    ("breach_bail", 4),
    ("extreme_pornography", 2),
)
_BREACHED = (
    ConditionType.DECLARE_DEVICES,
    ConditionType.RETAIN_HISTORY,
    ConditionType.NO_ANONYMISATION,
    ConditionType.NO_CONTACT_WITH_CHILDREN,
    ConditionType.DECLARE_ACCOUNTS,
    ConditionType.PROHIBITED_APPS_OR_SITES,
)
_SOURCES = (
    (ReferralSource.CEOP_NCA, 35),
    (ReferralSource.INDUSTRY, 15),
    (ReferralSource.MONITORING, 20),
    (ReferralSource.HOME_VISIT, 15),
    (ReferralSource.OTHER_FORCE, 5),
    (ReferralSource.PUBLIC, 5),
    (ReferralSource.PARTNER_AGENCY, 5),
)
_DEVICES = (
    ("phone", "Android phone"),
    ("phone", "iPhone"),
    ("laptop", "Laptop"),
    ("tablet", "Tablet"),
    ("usb_storage", "USB stick"),
    ("sd_card", "Micro SD card"),
    ("external_disk", "External hard disk"),
    ("games_console", "Games console"),
)
_BAIL = ("no_contact_with_children", "declare_devices", "no_anonymisation", "retain_history")


@dataclass(frozen=True)
class DemoInvestigations:
    investigations: int
    exhibits: int
    arrests: int


def _weighted(rng: random.Random, table: Sequence[tuple[object, int]]) -> object:
    return rng.choices([v for v, _ in table], weights=[w for _, w in table])[0]


def _at(day: date, hour: int, rng: random.Random) -> datetime:
    local = datetime.combine(day, time(hour, rng.randint(0, 59)), tzinfo=ZoneInfo(UNIT_TIME_ZONE))
    return local.astimezone(UTC)


@dataclass
class _Counter:
    investigation: int = 0
    exhibit: int = 0

    def reference(self, prefix: str, year: int) -> str:
        if prefix == "INV":
            self.investigation += 1
            return f"INV-{year}-D{self.investigation:04d}"
        self.exhibit += 1
        return f"EX-{year}-D{self.exhibit:05d}"


def _exhibits(
    rng: random.Random,
    counter: _Counter,
    seized_on: date,
    today: date,
    officer: str,
    priority: tuple[object, str],
    examiners: Sequence[str],
) -> tuple[BulkExhibit, ...]:
    out = []
    for _ in range(rng.choice((1, 1, 2, 2, 3, 4, 6))):
        kind, description = rng.choice(_DEVICES)
        seal = f"SEAL-{rng.randint(100000, 999999)}"
        steps = [
            CustodyEntryInput(
                CustodyAction.SEIZED, _at(seized_on, 7, rng), officer, "seized under warrant", seal
            ),
            CustodyEntryInput(
                CustodyAction.BOOKED_IN,
                _at(seized_on, 15, rng),
                "Property store",
                "into store",
                seal,
            ),
        ]
        age = (today - seized_on).days
        wait = int(rng.triangular(5, 240, 60))
        triaged = seized_on + timedelta(days=wait) if wait < age else None
        full = None
        status, disposed = ExhibitStatus.AWAITING, None
        if triaged is not None:
            status = ExhibitStatus.TRIAGED
            steps.append(
                CustodyEntryInput(
                    CustodyAction.BOOKED_OUT,
                    _at(triaged, 9, rng),
                    "Digital forensics unit",
                    "for triage",
                )
            )
            if rng.random() < 0.35 and (today - triaged).days > 20:
                full = triaged + timedelta(days=rng.randint(3, 20))
                status = ExhibitStatus.FULL_EXAMINATION
            if (today - triaged).days > 45 and rng.random() < 0.5:
                back = triaged + timedelta(days=rng.randint(25, 45))
                steps.append(
                    CustodyEntryInput(
                        CustodyAction.BOOKED_IN,
                        _at(back, 11, rng),
                        "Property store",
                        "examined",
                        f"{seal}-R",
                    )
                )
                if rng.random() < 0.5:
                    disposed = back + timedelta(days=rng.randint(10, 40))
                    if disposed < today:
                        action = rng.choice(
                            (CustodyAction.RETURNED_TO_OWNER, CustodyAction.DESTROYED)
                        )
                        steps.append(
                            CustodyEntryInput(
                                action,
                                _at(disposed, 14, rng),
                                "Owner"
                                if action is CustodyAction.RETURNED_TO_OWNER
                                else "Destruction contractor",
                                "case concluded",
                            )
                        )
                        status = (
                            ExhibitStatus.RETURNED
                            if action is CustodyAction.RETURNED_TO_OWNER
                            else ExhibitStatus.DESTROYED
                        )
                    else:
                        disposed = None
        level, reason = priority
        out.append(
            BulkExhibit(
                reference=counter.reference("EX", seized_on.year),
                description=f"{description} {names.serial(rng, 4)}",
                device_kind=kind,
                seized_on=seized_on,
                status=status,
                priority=level,  # type: ignore[arg-type]
                priority_reason=reason,
                custody=tuple(steps),
                hidden=rng.random() < 0.07,
                undeclared=rng.random() < 0.15,
                seized_from="home address",
                triaged_on=triaged,
                full_exam_on=full,
                disposed_on=disposed,
                examiner=rng.choice(examiners) if examiners and triaged else None,
            )
        )
    return tuple(out)


def _investigation(
    rng: random.Random,
    counter: _Counter,
    opened: date,
    today: date,
    officer: str,
    person: tuple[str, str, RiskLevel] | None,
    types: OffenceTypes,
    examiners: Sequence[str],
) -> BulkInvestigation:
    reference, subject, risk = person if person else (None, names.full_name(rng), None)
    source = _weighted(rng, _SOURCES)
    online = rng.random() < (0.5 if source is ReferralSource.HOME_VISIT else 0.85)
    received = opened - timedelta(days=rng.randint(0, 10))
    referrals = (ReferralInput(received, source, online, f"REF-{rng.randint(10000, 99999)}"),)  # type: ignore[arg-type]
    age = (today - opened).days

    def later(low: int, high: int) -> date | None:
        day = opened + timedelta(days=rng.randint(low, high))
        return day if day <= today else None

    warrants: list[WarrantInput] = []
    arrests: list[ArrestInput] = []
    exhibits: tuple[BulkExhibit, ...] = ()
    executed = None
    if rng.random() < 0.7:
        applied = later(0, 5) or opened
        executed = later(6, 14) if rng.random() < 0.92 else None
        warrants.append(WarrantInput(applied, names.address(rng), executed))
    if executed is not None and rng.random() < 0.75:
        arrests.append(ArrestInput(executed))
    offences = []
    for _ in range(rng.choice((1, 1, 2, 3))):
        kind = str(_weighted(rng, _OFFENCES))
        found = later(3, 60)
        if found is None:
            continue
        typ = types.get(kind)
        breach = typ is not None and typ.breach
        online = typ is not None and typ.online
        cyber = rng.random() < (0.95 if online else 0.7 if breach else 0.2)
        condition = rng.choice(_BREACHED) if breach and kind != "breach_notification" else None
        offences.append(OffenceInput(kind, found, cyber, condition))
    against_child = any(o.offence_type in types.child_keys for o in offences)
    safeguarding: tuple[SafeguardingInput, ...] = ()
    children = 0
    if (against_child or rng.random() < 0.1) and (day := later(5, 40)):
        children = rng.choice((1, 1, 1, 2, 2, 3, 4, 6))
        safeguarding = (SafeguardingInput(day, children),)
    if executed is not None:
        priority = derive_priority(risk, against_child=against_child, children_safeguarded=children)
        exhibits = _exhibits(rng, counter, executed, today, officer, priority, examiners)
    charges = []
    outcome = outcome_on = closed = None
    if offences and age > 60 and rng.random() < 0.55:
        charged = later(45, 150)
        if charged is not None:
            for index, _ in enumerate(offences[: rng.randint(1, len(offences))]):
                result, result_on = ChargeResult.PENDING, None
                if (today - charged).days > 60 and rng.random() < 0.7:
                    result = (
                        ChargeResult.CONVICTED if rng.random() < 0.85 else ChargeResult.ACQUITTED
                    )
                    result_on = charged + timedelta(days=rng.randint(40, (today - charged).days))
                charges.append((ChargeInput(charged, None, result, result_on), index))
            outcome, outcome_on = InvestigationOutcome.CHARGED, charged
    elif age > 90 and rng.random() < 0.5:
        outcome = rng.choice(
            (
                InvestigationOutcome.NO_FURTHER_ACTION,
                InvestigationOutcome.CAUTIONED,
                InvestigationOutcome.RELEASED_UNDER_INVESTIGATION,
            )
        )
        outcome_on = later(60, 90)
        outcome = outcome if outcome_on else None
    if outcome_on and outcome is not InvestigationOutcome.RELEASED_UNDER_INVESTIGATION:
        closed = outcome_on
    bail: tuple[BailInput, ...] = ()
    if arrests and not charges and rng.random() < 0.5:
        picked = rng.sample(_BAIL, rng.randint(1, 3))
        granted = arrests[0].arrested_on
        bail = (
            BailInput(
                granted,
                tuple(parse_condition({"type": t}) for t in picked),
                granted + timedelta(days=28),
            ),
        )
    return BulkInvestigation(
        reference=counter.reference("INV", opened.year),
        officer=officer,
        opened_on=opened,
        subject_name=subject,
        person=reference,
        summary=f"{source.label} referral{' with an online element' if online else ''}.",  # type: ignore[attr-defined]
        outcome=outcome,
        outcome_on=outcome_on,
        closed_on=closed,
        referrals=referrals,
        warrants=tuple(warrants),
        arrests=tuple(arrests),
        offences=tuple(offences),
        charges=tuple(charges),
        safeguarding=safeguarding,
        bail=bail,
        exhibits=exhibits,
    )


def build_demo_investigations(
    database: Database,
    *,
    per_officer: float = 9.0,
    seed: int = 2024,
    today: date | None = None,
    types: OffenceTypes | None = None,
    examiners: Sequence[str] = ("examiner",),
    batch_size: int = 300,
) -> DemoInvestigations:
    """Fill a demo unit (persons and officers already there) with a year of investigations."""
    rng = random.Random(seed)
    today = today or date.today()
    types = types or load_offence_types()
    actor = Actor.command_line("demo generator")
    with database.read_session() as session:
        caseload = list_caseload(session, actor, today=today)
    by_officer: dict[str, list[tuple[str, str, RiskLevel]]] = {}
    for entry in caseload:
        by_officer.setdefault(entry.officer.username, []).append(
            (entry.reference, entry.full_name, entry.risk_level)
        )
    counter = _Counter()
    items: list[BulkInvestigation] = []
    for officer, persons in sorted(by_officer.items()):
        count = max(1, round(rng.gauss(per_officer, per_officer / 4)))
        for _ in range(count):
            # more in the later months: the unit's figures rise through the year
            opened = today - timedelta(days=int(365 * (1 - rng.random() ** 0.8)))
            person = rng.choice(persons) if persons and rng.random() < 0.7 else None
            items.append(
                _investigation(rng, counter, opened, today, officer, person, types, examiners)
            )
    items.sort(key=lambda i: i.opened_on)
    for start in range(0, len(items), batch_size):
        with database.session() as session:
            chunk = items[start : start + batch_size]
            bulk_create_investigations(
                session, actor, chunk, types, batch=f"demo investigations, seed {seed}"
            )
    return DemoInvestigations(
        investigations=len(items),
        exhibits=sum(len(i.exhibits) for i in items),
        arrests=sum(len(i.arrests) for i in items),
    )
