"""A small unit with hand-placed outcomes around period boundaries, for the statistics tests.

The comparison is 1 Jan - 31 Mar 2025 (90 days) against 3 Oct - 31 Dec 2024. Every record sits
on, just inside or just outside a boundary; alerts sit either side of local midnight (London),
where UTC and local days differ. The figures the tests expect are worked out by hand beside
each record below.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

from orderwatch.domain.access import Actor, Role
from orderwatch.domain.caseload import ManagementLevel, RiskLevel, VisitOutcome
from orderwatch.domain.conditions import ConditionType
from orderwatch.domain.investigations import (
    ArrestInput,
    ChargeInput,
    InvestigationInput,
    InvestigationOutcome,
    OffenceInput,
    SafeguardingInput,
    WarrantInput,
)
from orderwatch.domain.investigations_exhibits import (
    CustodyAction,
    CustodyEntryInput,
    ExhibitInput,
    ExhibitStatus,
)
from orderwatch.domain.statistics import Comparison, custom_comparison
from orderwatch.storage import (
    Database,
    PersonInput,
    VisitReport,
    create_person,
    get_user_by_username,
    record_visit,
    schedule_visit,
)
from orderwatch.storage.bulk import BulkUser, bulk_create_users
from orderwatch.storage.exhibits import add_custody_entry, create_exhibit, set_examination_step
from orderwatch.storage.investigations import create_investigation
from orderwatch.storage.investigations_parts import (
    add_arrest,
    add_charge,
    add_offence,
    add_safeguarding,
    add_warrant,
)
from orderwatch.storage.monitoring_tables import AlertRow

SYSTEM = Actor.command_line("stats tests")
TODAY = date(2025, 4, 10)
COMPARISON: Comparison = custom_comparison(date(2025, 1, 1), date(2025, 3, 31), TODAY)
STAFF = [
    BulkUser("ofc.a1", "Officer A One", Role.OFFICER, "Team A"),
    BulkUser("ofc.a2", "Officer A Two", Role.OFFICER, "Team A"),
    BulkUser("ofc.b1", "Officer B One", Role.OFFICER, "Team B"),
    BulkUser("sup.a", "Supervisor A", Role.SUPERVISOR, "Team A"),
    BulkUser("exam", "Examiner", Role.EXAMINER),
    BulkUser("admin", "Admin", Role.ADMIN),
    BulkUser("auditor", "Auditor", Role.AUDITOR),
]


@dataclass
class StatsUnit:
    database: Database
    actors: dict[str, Actor]
    alerts: dict[str, int]


def _utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def _alert(
    person_id: int, opened: str, state: str, condition: str, changed: str | None = None
) -> AlertRow:
    at = _utc(opened)
    return AlertRow(
        person_id=person_id,
        condition=condition,
        severity="high",
        severity_rank=3,
        key=f"{condition}:{opened}",
        title=f"test alert {opened}",
        occurrences=1,
        first_seen=at,
        last_seen=at,
        opened_at=at,
        updated_at=at,
        state=state,
        state_changed_at=_utc(changed) if changed else None,
    )


def build(database: Database) -> StatsUnit:
    d = date.fromisoformat
    with database.session() as s:
        bulk_create_users(s, SYSTEM, STAFF, password_hash="not-a-real-hash")
        actors = {u.username: get_user_by_username(s, SYSTEM, u.username).actor for u in STAFF}
        persons = {}
        for officer in ("ofc.a1", "ofc.a2", "ofc.b1"):
            data = PersonInput(
                f"P-{officer[-2:].upper()}",
                f"Person {officer}",
                RiskLevel.HIGH,  # a visit every 56 days
                ManagementLevel.ACTIVE,
                actors[officer].user_id or 0,
                d("2024-01-01"),
            )
            persons[officer] = create_person(s, SYSTEM, data).id
        a1 = actors["ofc.a1"]
        inv = create_investigation(
            s, a1, InvestigationInput(a1.user_id or 0, d("2024-09-01"), persons["ofc.a1"])
        ).id  # opened before both periods: investigations opened 0 / 0
        # arrests: previous 2, current 2 (the two outside the periods are not counted)
        for day in (
            "2024-10-02",
            "2024-10-03",
            "2024-12-31",
            "2025-01-01",
            "2025-03-31",
            "2025-04-01",
        ):
            add_arrest(s, a1, inv, ArrestInput(d(day)))
        for _ in range(3):  # charges: current 3, previous 0 ("new")
            add_charge(s, a1, inv, ChargeInput(d("2025-02-01")))
        # warrants executed: previous 1, current 1; one never executed
        add_warrant(s, a1, inv, WarrantInput(d("2024-12-20"), "1 Road", d("2024-12-31")))
        add_warrant(s, a1, inv, WarrantInput(d("2024-12-20"), "2 Road", d("2025-01-05")))
        add_warrant(s, a1, inv, WarrantInput(d("2025-03-01"), "3 Road"))
        # children safeguarded: previous 4, current 5
        add_safeguarding(s, a1, inv, SafeguardingInput(d("2024-11-15"), 4))
        add_safeguarding(s, a1, inv, SafeguardingInput(d("2025-01-31"), 2))
        add_safeguarding(s, a1, inv, SafeguardingInput(d("2025-03-31"), 3))
        add_safeguarding(s, a1, inv, SafeguardingInput(d("2025-04-01"), 50))  # after the period
        # alerts on P-A1 (London: BST from 30 Mar 2025; 2 Oct 2024 is BST too)
        person = persons["ofc.a1"]
        rows = {
            "breach": _alert(
                person,
                "2025-01-15T12:00",
                "breach_recorded",
                "no_contact_with_children",
                "2025-01-20T10:00",
            ),
            "arrest": _alert(
                person,
                "2025-03-31T22:30",
                "referred_for_arrest",
                "prohibited_words",
                "2025-03-31T22:45",
            ),
            "late": _alert(person, "2025-03-31T23:30", "new", "prohibited_words"),  # 00:30 on 1 Apr
            "first": _alert(
                person, "2024-10-02T23:30", "closed_no_action", "retain_history", "2024-10-05T09:00"
            ),
            "early": _alert(person, "2024-10-02T22:30", "new", "retain_history"),  # 23:30 on 2 Oct
        }
        s.add_all(rows.values())
        s.flush()
        alerts = {name: row.id for name, row in rows.items()}
        # offences: previous 1 (cyber), current 3 (1 cyber); breaches from offences: the SHPO
        # breach counts, the notification breach found through the breach alert does not
        add_offence(s, a1, inv, OffenceInput("iioc_possession", d("2024-12-01"), True))
        add_offence(s, a1, inv, OffenceInput("iioc_making", d("2025-02-01"), True))
        add_offence(
            s,
            a1,
            inv,
            OffenceInput(
                "breach_shpo", d("2025-02-02"), False, ConditionType.NO_CONTACT_WITH_CHILDREN
            ),
        )
        add_offence(
            s,
            a1,
            inv,
            OffenceInput("breach_notification", d("2025-01-21"), False, alert_id=alerts["breach"]),
        )

        # exhibits: seized previous 2, current 2; hidden/undeclared current 2; examined 1 / 1
        # (10 and 40 days after seizure); backlog at each period's end 1 / 1
        def exhibit(seized: str, hidden: bool = False, undeclared: bool = False) -> int:
            data = ExhibitInput(
                "Device", "phone", d(seized), "DC A1", hidden=hidden, undeclared=undeclared
            )
            return create_exhibit(s, a1, inv, data).summary.id

        examined_before = exhibit("2024-11-01")
        set_examination_step(s, a1, examined_before, ExhibitStatus.TRIAGED, d("2024-11-11"))
        waited = exhibit("2024-12-01")
        set_examination_step(s, a1, waited, ExhibitStatus.FULL_EXAMINATION, d("2025-01-10"))
        exhibit("2025-02-01", hidden=True)
        destroyed = exhibit("2025-03-01", undeclared=True)
        add_custody_entry(
            s,
            a1,
            destroyed,
            CustodyEntryInput(
                CustodyAction.DESTROYED, _utc("2025-03-15T12:00"), "Destruction", "court order"
            ),
        )
        # visits: P-A1 previous 1, current 1 (late); P-A2 and P-B1 never visited (overdue)
        record_visit(s, SYSTEM, person, VisitReport(d("2024-11-30"), VisitOutcome.COMPLETED))
        schedule_visit(s, SYSTEM, person, d("2025-02-01"))
        record_visit(s, SYSTEM, person, VisitReport(d("2025-02-10"), VisitOutcome.COMPLETED))
        # team B: an unmanaged suspect, one arrest, charged on 1 Mar
        b1 = actors["ofc.b1"]
        other = create_investigation(
            s,
            b1,
            InvestigationInput(
                b1.user_id or 0,
                d("2025-02-02"),
                subject_name="Referred Suspect",
                outcome=InvestigationOutcome.CHARGED,
                outcome_on=d("2025-03-01"),
            ),
        ).id
        add_arrest(s, b1, other, ArrestInput(d("2025-02-03")))
    return StatsUnit(database, actors, alerts)
