from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DatabaseError
from storage_unit import SYSTEM, Unit, person_input

from orderwatch.domain.access import Actor
from orderwatch.domain.errors import PermissionDeniedError
from orderwatch.storage import (
    Database,
    get_person,
    list_audit,
    record_audit,
    update_person,
    verify_audit_chain,
)


def _allow_tampering(database: Database) -> None:
    """Lift the database's own append-only guard, as an attacker with DDL rights could."""
    with database.engine.begin() as connection:
        if database.dialect == "postgresql":
            connection.execute(text("ALTER TABLE audit_log DISABLE TRIGGER USER"))
        else:
            connection.execute(text("DROP TRIGGER audit_log_no_update"))
            connection.execute(text("DROP TRIGGER audit_log_no_delete"))


def _append(database: Database, count: int) -> None:
    with database.session() as session:
        for n in range(count):
            record_audit(session, SYSTEM, "note", "test", n, {"n": n})


def test_chain_links_every_row(database: Database) -> None:
    _append(database, 5)
    with database.read_session() as session:
        result = verify_audit_chain(session)
        rows = session.execute(text("SELECT id, prev_hash, hash FROM audit_log ORDER BY id")).all()
    assert result.ok and result.rows_checked == 5
    assert [r.id for r in rows] == [1, 2, 3, 4, 5]
    assert rows[0].prev_hash == "0" * 64
    assert all(rows[i].prev_hash == rows[i - 1].hash for i in range(1, 5))


def test_empty_chain_verifies(database: Database) -> None:
    with database.read_session() as session:
        result = verify_audit_chain(session)
    assert result.ok and result.rows_checked == 0


def test_database_refuses_update_and_delete(database: Database) -> None:
    _append(database, 2)
    with pytest.raises(DatabaseError, match="append-only"), database.session() as session:
        session.execute(text("UPDATE audit_log SET detail = '{}' WHERE id = 1"))
    with pytest.raises(DatabaseError, match="append-only"), database.session() as session:
        session.execute(text("DELETE FROM audit_log WHERE id = 2"))


def test_changed_detail_is_named(database: Database) -> None:
    _append(database, 4)
    _allow_tampering(database)
    with database.engine.begin() as connection:
        connection.execute(text("UPDATE audit_log SET detail = :d WHERE id = 3"), {"d": '{"n":99}'})
    with database.read_session() as session:
        result = verify_audit_chain(session)
    assert not result.ok
    assert result.first_broken_id == 3
    assert result.rows_checked == 2
    assert result.reason == "row 3 was changed after it was written (hash mismatch)"


def test_rewritten_hash_breaks_the_next_link(database: Database) -> None:
    _append(database, 4)
    _allow_tampering(database)
    with database.engine.begin() as connection:
        connection.execute(text("UPDATE audit_log SET hash = :h WHERE id = 2"), {"h": "f" * 64})
    with database.read_session() as session:
        result = verify_audit_chain(session)
    # Row 2's own hash no longer matches its content: it is the first broken row.
    assert result.first_broken_id == 2


def test_deleted_row_shows_as_a_gap(database: Database) -> None:
    _append(database, 5)
    _allow_tampering(database)
    with database.engine.begin() as connection:
        connection.execute(text("DELETE FROM audit_log WHERE id = 3"))
    with database.read_session() as session:
        result = verify_audit_chain(session)
    assert result.first_broken_id == 4
    assert result.reason == "row 3 is missing before row 4"


def test_concurrent_appends_keep_one_chain(database: Database) -> None:
    def work(worker: int) -> None:
        actor = Actor(None, f"worker {worker}", SYSTEM.role, system=True)
        for n in range(8):
            with database.session() as session:
                record_audit(session, actor, "note", "test", f"{worker}.{n}")

    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(work, range(4)))
    with database.read_session() as session:
        result = verify_audit_chain(session)
        count = session.execute(text("SELECT count(*) FROM audit_log")).scalar()
    assert count == 32
    assert result.ok and result.rows_checked == 32


def test_views_and_changes_are_audited_with_user_and_time(unit: Unit) -> None:
    officer = unit["ofc.a1"]
    person_id = unit.persons["ofc.a1"]
    with unit.database.session() as session:
        get_person(session, officer, person_id)
        update_person(
            session, officer, person_id, person_input("P-A1", officer.user_id or 0, full_name="X Y")
        )
    with unit.database.read_session() as session:
        entries = list_audit(session, unit["auditor"], entity="person", entity_id=person_id)
    assert [(e.action, e.username, e.user_id) for e in entries[:2]] == [
        ("update", "ofc.a1", officer.user_id),
        ("view", "ofc.a1", officer.user_id),
    ]
    assert entries[0].detail["changed"] == {"full_name": "changed"}
    assert entries[0].at >= entries[1].at
    assert entries[-1].action == "create" and entries[-1].username == "system (tests)"


def test_only_auditors_read_the_log(unit: Unit) -> None:
    with unit.database.read_session() as session:
        for name in ("ofc.a1", "sup.a", "exam", "admin"):
            with pytest.raises(PermissionDeniedError):
                list_audit(session, unit[name])
        newest = list_audit(session, unit["auditor"], limit=2)
        older = list_audit(session, unit["auditor"], limit=2, before_id=newest[-1].id)
    assert [e.id for e in newest] == sorted((e.id for e in newest), reverse=True)
    assert older[0].id == newest[-1].id - 1
