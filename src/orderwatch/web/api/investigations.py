"""Investigations, their records and exhibits as JSON. Outside the caller's reach: 404.

Every record endpoint answers with the whole investigation (or exhibit) after the change, so a
client never has to guess what was stored.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter

from orderwatch.domain.conditions import ConditionError, parse_condition
from orderwatch.domain.errors import InvalidInputError, Problem
from orderwatch.domain.investigations import (
    ArrestInput,
    BailInput,
    ChargeInput,
    InvestigationInput,
    OffenceInput,
    ReferralInput,
    SafeguardingInput,
    WarrantInput,
)
from orderwatch.domain.investigations_exhibits import CustodyEntryInput, ExhibitInput, Priority
from orderwatch.storage import investigations_parts as parts
from orderwatch.storage.exhibits import (
    add_custody_entry,
    create_exhibit,
    get_exhibit,
    list_queue,
    set_examination_step,
    set_priority,
)
from orderwatch.storage.investigations import (
    create_investigation,
    get_investigation,
    list_investigations,
)
from orderwatch.storage.investigations_records import Exhibit, Investigation
from orderwatch.web.api.investigations_schemas import (
    ArrestIn,
    BailIn,
    BailOut,
    ChargeIn,
    CustodyIn,
    ExhibitIn,
    ExhibitOut,
    ExhibitSummaryOut,
    InvestigationIn,
    InvestigationOut,
    InvestigationSummaryOut,
    OffenceIn,
    PriorityIn,
    ReferralIn,
    SafeguardingIn,
    StatusIn,
    WarrantIn,
)
from orderwatch.web.deps import CaseworkUser, DatabaseDep, SettingsDep
from orderwatch.web.pages.investigations import offence_types

router = APIRouter(tags=["investigations"])


def investigation_out(found: Investigation) -> InvestigationOut:
    """The record as JSON; bail conditions in their YAML/JSON form ({"type": ..., **params})."""
    values = {name: getattr(found, name) for name in InvestigationOut.model_fields}
    values["bail"] = [
        BailOut(
            id=b.id,
            granted_on=b.granted_on,
            return_on=b.return_on,
            conditions=[c.to_record() for c in b.conditions],
            note=b.note,
        )
        for b in found.bail
    ]
    return InvestigationOut.model_validate(values, from_attributes=True)


def exhibit_out(found: Exhibit) -> ExhibitOut:
    return ExhibitOut.model_validate(found)


@router.get("/investigations", response_model=list[InvestigationSummaryOut])
def list_all(
    user: CaseworkUser, database: DatabaseDep, open_only: bool = False
) -> list[InvestigationSummaryOut]:
    """Investigations in the caller's reach, newest first."""
    with database.read_session() as session:
        rows = list_investigations(session, user.actor, open_only=open_only)
    return [InvestigationSummaryOut.model_validate(r) for r in rows]


@router.post("/investigations", response_model=InvestigationOut, status_code=201)
def create(body: InvestigationIn, user: CaseworkUser, database: DatabaseDep) -> InvestigationOut:
    with database.session() as session:
        found = create_investigation(session, user.actor, InvestigationInput(**body.model_dump()))
    return investigation_out(found)


@router.get("/investigations/{investigation_id}", response_model=InvestigationOut)
def read(
    investigation_id: int, user: CaseworkUser, database: DatabaseDep, settings: SettingsDep
) -> InvestigationOut:
    """The whole investigation (audited as a view)."""
    with database.session() as session:
        found = get_investigation(session, user.actor, investigation_id, offence_types(settings))
    return investigation_out(found)


def _after(
    database: DatabaseDep,
    user: CaseworkUser,
    investigation_id: int,
    change: Callable[[Any], object],
) -> InvestigationOut:
    with database.session() as session:
        change(session)
        found = get_investigation(session, user.actor, investigation_id)
    return investigation_out(found)


@router.post(
    "/investigations/{investigation_id}/referrals", response_model=InvestigationOut, status_code=201
)
def add_referral(
    investigation_id: int, body: ReferralIn, user: CaseworkUser, database: DatabaseDep
) -> InvestigationOut:
    data = ReferralInput(**body.model_dump())
    return _after(
        database,
        user,
        investigation_id,
        lambda s: parts.add_referral(s, user.actor, investigation_id, data),
    )


@router.post(
    "/investigations/{investigation_id}/warrants", response_model=InvestigationOut, status_code=201
)
def add_warrant(
    investigation_id: int, body: WarrantIn, user: CaseworkUser, database: DatabaseDep
) -> InvestigationOut:
    data = WarrantInput(**body.model_dump())
    return _after(
        database,
        user,
        investigation_id,
        lambda s: parts.add_warrant(s, user.actor, investigation_id, data),
    )


@router.post(
    "/investigations/{investigation_id}/arrests", response_model=InvestigationOut, status_code=201
)
def add_arrest(
    investigation_id: int, body: ArrestIn, user: CaseworkUser, database: DatabaseDep
) -> InvestigationOut:
    data = ArrestInput(**body.model_dump())
    return _after(
        database,
        user,
        investigation_id,
        lambda s: parts.add_arrest(s, user.actor, investigation_id, data),
    )


@router.post(
    "/investigations/{investigation_id}/offences", response_model=InvestigationOut, status_code=201
)
def add_offence(
    investigation_id: int,
    body: OffenceIn,
    user: CaseworkUser,
    database: DatabaseDep,
    settings: SettingsDep,
) -> InvestigationOut:
    data, types = OffenceInput(**body.model_dump()), offence_types(settings)
    return _after(
        database,
        user,
        investigation_id,
        lambda s: parts.add_offence(s, user.actor, investigation_id, data, types),
    )


@router.post(
    "/investigations/{investigation_id}/charges", response_model=InvestigationOut, status_code=201
)
def add_charge(
    investigation_id: int, body: ChargeIn, user: CaseworkUser, database: DatabaseDep
) -> InvestigationOut:
    data = ChargeInput(**body.model_dump())
    return _after(
        database,
        user,
        investigation_id,
        lambda s: parts.add_charge(s, user.actor, investigation_id, data),
    )


@router.post(
    "/investigations/{investigation_id}/safeguarding",
    response_model=InvestigationOut,
    status_code=201,
)
def add_safeguarding(
    investigation_id: int, body: SafeguardingIn, user: CaseworkUser, database: DatabaseDep
) -> InvestigationOut:
    data = SafeguardingInput(**body.model_dump())
    return _after(
        database,
        user,
        investigation_id,
        lambda s: parts.add_safeguarding(s, user.actor, investigation_id, data),
    )


@router.post(
    "/investigations/{investigation_id}/bail", response_model=InvestigationOut, status_code=201
)
def add_bail(
    investigation_id: int, body: BailIn, user: CaseworkUser, database: DatabaseDep
) -> InvestigationOut:
    conditions, problems = [], []
    for index, item in enumerate(body.conditions):
        try:
            conditions.append(parse_condition({**item.params, "type": item.type.value}))
        except ConditionError as error:
            problems.append(Problem(0, f"conditions[{index}]: {error}"))
    if problems:
        raise InvalidInputError("conditions", problems)
    data = BailInput(body.granted_on, tuple(conditions), body.return_on, body.note)
    return _after(
        database,
        user,
        investigation_id,
        lambda s: parts.add_bail(s, user.actor, investigation_id, data),
    )


@router.get("/exhibits", response_model=list[ExhibitSummaryOut], tags=["exhibits"])
def queue(user: CaseworkUser, database: DatabaseDep) -> list[ExhibitSummaryOut]:
    """The examination queue in reach: highest priority first, then longest waiting."""
    with database.read_session() as session:
        rows = list_queue(session, user.actor)
    return [ExhibitSummaryOut.model_validate(r) for r in rows]


@router.post(
    "/investigations/{investigation_id}/exhibits",
    response_model=ExhibitOut,
    status_code=201,
    tags=["exhibits"],
)
def book_in(
    investigation_id: int, body: ExhibitIn, user: CaseworkUser, database: DatabaseDep
) -> ExhibitOut:
    values = body.model_dump()
    values["priority"] = Priority(values["priority"]) if values["priority"] else None
    with database.session() as session:
        found = create_exhibit(session, user.actor, investigation_id, ExhibitInput(**values))
    return exhibit_out(found)


@router.get("/exhibits/{exhibit_id}", response_model=ExhibitOut, tags=["exhibits"])
def read_exhibit(exhibit_id: int, user: CaseworkUser, database: DatabaseDep) -> ExhibitOut:
    """The exhibit and its chain of custody (audited as a view)."""
    with database.session() as session:
        return exhibit_out(get_exhibit(session, user.actor, exhibit_id))


@router.post(
    "/exhibits/{exhibit_id}/custody", response_model=ExhibitOut, status_code=201, tags=["exhibits"]
)
def custody(
    exhibit_id: int, body: CustodyIn, user: CaseworkUser, database: DatabaseDep
) -> ExhibitOut:
    """Append a step to the chain (the time must carry its offset, e.g. ...T14:05:00+01:00)."""
    entry = CustodyEntryInput(**body.model_dump())
    with database.session() as session:
        return exhibit_out(add_custody_entry(session, user.actor, exhibit_id, entry))


@router.put("/exhibits/{exhibit_id}/status", response_model=ExhibitOut, tags=["exhibits"])
def status(
    exhibit_id: int, body: StatusIn, user: CaseworkUser, database: DatabaseDep
) -> ExhibitOut:
    with database.session() as session:
        return exhibit_out(
            set_examination_step(session, user.actor, exhibit_id, body.status, body.on)
        )


@router.put("/exhibits/{exhibit_id}/priority", response_model=ExhibitOut, tags=["exhibits"])
def priority(
    exhibit_id: int, body: PriorityIn, user: CaseworkUser, database: DatabaseDep
) -> ExhibitOut:
    level = Priority(body.priority) if body.priority else None
    with database.session() as session:
        return exhibit_out(set_priority(session, user.actor, exhibit_id, level, body.reason))
