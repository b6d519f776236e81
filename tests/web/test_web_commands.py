"""`orderwatch serve` and `orderwatch demo` as a user runs them (the served app is tested by the
browser test against a real `orderwatch serve`)."""

from __future__ import annotations

import json
import socket
import stat
from pathlib import Path

import pytest

from orderwatch.cli import main
from orderwatch.settings import get_settings, reset_settings


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_serve_with_an_unreachable_database_says_so_in_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv(
        "ORDERWATCH_DATABASE_URL", "postgresql+psycopg://orderwatch:secret@127.0.0.1:1/nowhere"
    )
    reset_settings()
    code = main(["serve", "--port", str(_free_port())])
    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith("orderwatch: error: cannot connect to database ")
    assert err.count("\n") == 1 and "Traceback" not in err
    assert "secret" not in err  # the password is masked


def test_serve_on_a_taken_port_says_so_in_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        code = main(["serve", "--port", str(port)])
    err = capsys.readouterr().err
    assert code == 2
    assert f"cannot listen on 127.0.0.1:{port}" in err and "--port" in err


def test_demo_builds_once_then_reuses_the_unit(capsys: pytest.CaptureFixture[str]) -> None:
    args = ["demo", "--no-serve", "--persons", "40", "--officers", "4", "--port", "8123"]
    assert main(args) == 0
    first = capsys.readouterr().out
    assert "built the demo unit" in first and "40 persons, 4 officers" in first
    assert "http://127.0.0.1:8123/" in first
    folder = get_settings().data_dir / "demo"
    logins = json.loads((folder / "demo-logins.json").read_text())
    assert {x["role"] for x in logins} == {"officer", "supervisor", "examiner", "admin", "auditor"}
    for login in logins:
        assert f"{login['username']:<12} {login['password']}" in first
    assert stat.S_IMODE((folder / "demo-logins.json").stat().st_mode) == 0o600
    built = (folder / "orderwatch.sqlite3").stat().st_mtime_ns
    assert main(args) == 0
    second = capsys.readouterr().out
    assert "using the demo unit" in second and "built the demo unit" not in second
    assert logins[0]["password"] in second
    assert (folder / "orderwatch.sqlite3").stat().st_mtime_ns == built
    assert not Path(str(folder) + ".building").exists()
