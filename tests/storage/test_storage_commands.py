"""The storage commands, run through orderwatch.cli.main on SQLite and PostgreSQL."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from sqlalchemy import text

from orderwatch.cli import main
from orderwatch.settings import reset_settings
from orderwatch.storage import Database, authenticate, list_users

from storage_unit import SYSTEM  # isort: skip

GOOD = """\
person:
  ref: OW-0001
  name: Sam Person
  officer: dc.jones
order:
  kind: SHPO
  made: 2023-05-10
  conditions:
    - type: retain_history
declared_devices:
  - {kind: phone, imei: "356938035643809"}
"""


@pytest.fixture
def cli_database(database: Database, monkeypatch: pytest.MonkeyPatch) -> Database:
    """The commands pointed at the test database through ORDERWATCH_DATABASE_URL."""
    monkeypatch.setenv("ORDERWATCH_DATABASE_URL", database.url)
    reset_settings()
    return database


def _password(output: str) -> str:
    found = re.search(
        r"^\s*(?:password \(shown once, note it now\): )?([A-Za-z0-9]{20})$", output, re.M
    )
    assert found, output
    return found.group(1)


def test_init_creates_the_first_admin_once(
    cli_database: Database, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["init"]) == 0
    first = capsys.readouterr().out
    password = _password(first)
    assert "created admin account 'admin'" in first
    assert main(["init"]) == 0
    second = capsys.readouterr().out
    assert "already initialised" in second and password not in second
    with cli_database.session() as session:
        assert authenticate(session, "admin", password).ok
        assert [u.username for u in list_users(session, SYSTEM)] == ["admin"]


def test_init_on_the_default_sqlite_makes_the_data_dir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "fresh" / "data"
    monkeypatch.setenv("ORDERWATCH_DATA_DIR", str(data))
    reset_settings()
    assert main(["init", "--admin", "chief"]) == 0
    out = capsys.readouterr().out
    assert (data / "orderwatch.sqlite3").is_file() and (data.stat().st_mode & 0o777) == 0o700
    assert "created admin account 'chief'" in out and f"data dir: {data}" in out


def test_db_upgrade_reports_the_revision(
    cli_database: Database, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["db", "upgrade"]) == 0
    head = cli_database.head_revision()
    assert capsys.readouterr().out.strip().endswith(f"already at schema {head}")


def test_user_add_generates_or_reads_the_password(
    cli_database: Database, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert (
        main(
            [
                "user",
                "add",
                "DC.Jones",
                "--role",
                "officer",
                "--team",
                "North",
                "--name",
                "DC Jones",
            ]
        )
        == 0
    )
    out = capsys.readouterr().out
    generated = _password(out)
    assert (
        "created team 'North'" in out
        and "created officer account 'dc.jones' in team 'North'" in out
    )
    monkeypatch.setattr("sys.stdin", io.StringIO("a typed password\n"))
    assert (
        main(
            ["user", "add", "sup.n", "--role", "supervisor", "--team", "North", "--password-stdin"]
        )
        == 0
    )
    out = capsys.readouterr().out
    assert "a typed password" not in out and "created team" not in out
    with cli_database.session() as session:
        assert authenticate(session, "dc.jones", generated).ok
        assert authenticate(session, "sup.n", "a typed password").ok
    # bad input: one clear line, exit 2
    assert main(["user", "add", "dc.jones", "--role", "officer"]) == 2
    assert (
        capsys.readouterr().err.strip()
        == "orderwatch: error: username: the user name 'dc.jones' is taken"
    )
    monkeypatch.setattr("sys.stdin", io.StringIO("short\n"))
    assert main(["user", "add", "x.y", "--role", "admin", "--password-stdin"]) == 2
    assert "fewer than 10 characters" in capsys.readouterr().err


def test_user_list_deactivate_unlock_and_reset_password(
    cli_database: Database, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("first password 1\n"))
    assert main(["user", "add", "dc.smith", "--role", "officer", "--password-stdin"]) == 0
    for _ in range(10):  # enough failures to lock the account
        with cli_database.session() as session:
            authenticate(session, "dc.smith", "wrong password")
    capsys.readouterr()
    assert main(["user", "list"]) == 0
    listed = capsys.readouterr().out
    assert re.search(r"^dc\.smith +officer +- +active, locked until ", listed, re.M), listed
    assert main(["user", "unlock", "DC.Smith"]) == 0
    assert "unlocked account 'dc.smith'" in capsys.readouterr().out
    with cli_database.session() as session:
        assert authenticate(session, "dc.smith", "first password 1").ok
    assert main(["user", "deactivate", "dc.smith"]) == 0
    assert main(["user", "list"]) == 0
    assert re.search(r"^dc\.smith .* deactivated$", capsys.readouterr().out, re.M)
    with cli_database.session() as session:
        assert not authenticate(session, "dc.smith", "first password 1").ok
    assert main(["user", "activate", "dc.smith"]) == 0
    assert main(["user", "reset-password", "dc.smith"]) == 0
    out = capsys.readouterr().out
    generated = _password(out)
    assert "their web sessions have ended" in out
    with cli_database.session() as session:
        assert authenticate(session, "dc.smith", generated).ok
        assert not authenticate(session, "dc.smith", "first password 1").ok
    assert main(["user", "deactivate", "nobody"]) == 2
    assert "no account named 'nobody'" in capsys.readouterr().err


def test_import_orders_all_or_nothing(
    cli_database: Database, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["user", "add", "dc.jones", "--role", "officer"]) == 0
    good = tmp_path / "good.yaml"
    good.write_text(GOOD)
    bad = tmp_path / "bad.yaml"
    bad.write_text(GOOD.replace("OW-0001", "OW-0002").replace("retain_history", "no_fun"))
    ghost = tmp_path / "ghost.yaml"
    ghost.write_text(GOOD.replace("OW-0001", "OW-0003").replace("dc.jones", "dc.ghost"))
    capsys.readouterr()

    assert main(["import-orders", str(good), str(bad)]) == 1
    err = capsys.readouterr().err
    expected = f"orderwatch: error: {bad}: line 9: unknown condition type 'no_fun'; known types:"
    assert expected in err
    assert "nothing imported (2 file(s) given)" in err

    assert main(["import-orders", str(good), str(ghost)]) == 1
    err = capsys.readouterr().err
    assert f"{ghost}: officer 'dc.ghost' does not exist (or is not an officer)" in err

    with cli_database.read_session() as session:
        assert session.execute(text("SELECT count(*) FROM persons")).scalar() == 0

    assert main(["import-orders", str(good)]) == 0
    assert capsys.readouterr().out.strip() == "imported 1 order file(s): OW-0001"
    with cli_database.read_session() as session:
        assert session.execute(text("SELECT count(*) FROM devices")).scalar() == 1


def test_audit_verify_names_the_broken_row(
    cli_database: Database, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["user", "add", "a.one", "--role", "auditor"]) == 0
    assert main(["user", "add", "a.two", "--role", "auditor"]) == 0
    capsys.readouterr()
    assert main(["audit", "verify"]) == 0
    assert capsys.readouterr().out.strip() == "audit chain intact: 2 row(s) verified"
    with cli_database.engine.begin() as connection:
        if cli_database.dialect == "postgresql":
            connection.execute(text("ALTER TABLE audit_log DISABLE TRIGGER USER"))
        else:
            connection.execute(text("DROP TRIGGER audit_log_no_update"))
        connection.execute(text("UPDATE audit_log SET username = 'someone else' WHERE id = 2"))
    assert main(["audit", "verify"]) == 1
    assert capsys.readouterr().err.strip() == (
        "audit chain BROKEN at row 2: row 2 was changed after it was written (hash mismatch) "
        "(1 row(s) before it verified)"
    )


def test_unreachable_database_is_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("ORDERWATCH_DATABASE_URL", "postgresql+psycopg://ow:hunter22@127.0.0.1:1/ow")
    reset_settings()
    assert main(["audit", "verify"]) == 2
    err = capsys.readouterr().err
    assert err.startswith(
        "orderwatch: error: cannot connect to database postgresql+psycopg://ow:***@"
    )
    assert "hunter22" not in err and err.count("\n") == 1


def test_bad_settings_are_one_line_naming_each_setting_never_its_value(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    monkeypatch.setenv("ORDERWATCH_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("ORDERWATCH_SMTP_PORT", "not-a-port")
    monkeypatch.setenv("ORDERWATCH_SMTP_USERNAME", "mailer")
    monkeypatch.setenv("ORDERWATCH_SMTP_PASSWORD", "hunter22-secret")
    reset_settings()
    try:
        assert main(["db", "upgrade"]) == 2
        err = capsys.readouterr().err
        assert err.startswith("orderwatch: error: bad settings") and err.count("\n") == 1
        assert "ORDERWATCH_SMTP_PORT: Input should be a valid integer" in err
        assert "not-a-port" not in err and "hunter22-secret" not in err
        monkeypatch.setenv("ORDERWATCH_SMTP_PORT", "25")
        reset_settings()
        assert main(["db", "upgrade"]) == 2
        err = capsys.readouterr().err
        assert "smtp_security is none" in err and "hunter22-secret" not in err
    finally:
        reset_settings()
