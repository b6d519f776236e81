"""The commands: `simulate-agent` in this process, `monitor check`, `monitor purge`, and their
one-line errors (SQLite in the test's data dir, as the settings say)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from monitor_unit import MonitorUnit, build_unit

from orderwatch.cli import main
from orderwatch.settings import get_settings
from orderwatch.storage import Database


@pytest.fixture
def cli_unit(monitor_password_hash: str) -> Iterator[MonitorUnit]:
    settings = get_settings()
    database = Database.from_settings(settings)
    database.upgrade()
    unit = build_unit(database, settings, monitor_password_hash)
    yield unit
    database.dispose()


def test_simulate_agent_in_process_raises_alerts_for_the_person(
    cli_unit: MonitorUnit, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["simulate-agent", "--person", "P-A1", "--events", "400", "--seed", "7"])
    out = capsys.readouterr().out
    assert code == 0
    assert "sent 400 observations in 4 batches" in out and "400 stored, 0 already stored" in out
    rows = cli_unit.alert_rows("a1")
    assert f"P-A1 now has {len(rows)} open alert(s)" in out
    conditions = {r.condition for r in rows}
    # the traffic always holds an undeclared USB stick, a tamper event and Tor Browser or
    # LibreOffice/VLC; with seed 7 it also holds prohibited words and grooming phrases
    assert {"declare_devices", "keep_monitoring"} <= conditions
    assert {"prohibited_words", "no_contact_with_children"} <= conditions
    assert cli_unit.count("monitor_observations") == 400
    assert cli_unit.alert_rows("a2") == []

    assert main(["monitor", "check"]) == 0
    assert "silent agent(s)" in capsys.readouterr().out
    assert main(["monitor", "purge", "--older-than-days", "0"]) == 0
    out = capsys.readouterr().out
    evidence = cli_unit.count("monitor_observations")
    assert f"kept {evidence} behind open alerts" in out
    assert f"purged {400 - evidence} observation(s) and 4 batch record(s)" in out


def test_simulate_agent_errors_are_one_line(
    cli_unit: MonitorUnit, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["simulate-agent", "--person", "NOBODY", "--events", "5"]) == 2
    assert capsys.readouterr().err == "orderwatch: error: no managed person NOBODY\n"
    assert main(["simulate-agent", "--person", "P-A1", "--code", "ABC"]) == 2
    assert "--code needs --server" in capsys.readouterr().err
    assert main(["simulate-agent", "--person", "P-A1", "--events", "0"]) == 2
    assert "at least 1" in capsys.readouterr().err


def test_commands_refuse_a_database_not_upgraded(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["monitor", "purge"]) == 2
    assert "run `orderwatch db upgrade` first" in capsys.readouterr().err
