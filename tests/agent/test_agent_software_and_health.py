"""Installed-software changes through the triage catalogue; heartbeats; tamper events: stopped
uncleanly, clock moved back, the agent's own files changed."""

from __future__ import annotations

import json
import shutil
from datetime import timedelta
from pathlib import Path

from agent_fixtures import NOW, Clock, make_context, run, spooled

from orderwatch.agent.collectors.health import (
    HeartbeatCollector,
    TamperCollector,
    agent_started,
    agent_stopping,
)
from orderwatch.agent.collectors.software import SoftwareCollector

DPKG_STATUS = """Package: bash
Status: install ok installed
Version: 5.2

Package: bleachbit
Status: install ok installed
Version: 4.4

Package: qbittorrent
Status: deinstall ok config-files
Version: 4.5
"""


def test_programs_installed_and_removed_are_reported_by_catalogue_name(tmp_path: Path) -> None:
    root = tmp_path / "root"
    status = root / "var/lib/dpkg/status"
    status.parent.mkdir(parents=True)
    status.write_text(DPKG_STATUS)
    clock = Clock()
    context = make_context(
        tmp_path, clock=clock, software_roots=[status, root / "opt", root / "share/applications"]
    )
    collector = SoftwareCollector()
    assert run(collector, context) == 1
    [bleachbit] = spooled(context, "installed_software")
    assert (bleachbit["name"], bleachbit["category"]) == ("BleachBit", "wiping")
    assert bleachbit["provenance"]["record"] == "package bleachbit (line 5)"

    veracrypt = root / "opt/VeraCrypt"
    veracrypt.mkdir(parents=True)
    (veracrypt / "veracrypt").write_bytes(b"\x7fELF")
    launcher = root / "share/applications/torbrowser.desktop"
    launcher.parent.mkdir(parents=True)
    launcher.write_text("[Desktop Entry]\nName=Tor Browser\nExec=/opt/tor/start-tor-browser\n")
    clock.now = NOW + timedelta(hours=1)
    assert run(collector, context) == 2
    found = {o["name"]: o for o in spooled(context, "installed_software")}
    assert found["VeraCrypt"]["category"] == "encryption"
    assert found["Tor Browser"]["category"] == "anonymity"
    assert found["VeraCrypt"]["time"] == "2026-06-01T13:00:00Z"
    assert run(collector, context) == 0  # nothing changed

    shutil.rmtree(veracrypt)
    clock.now = NOW + timedelta(hours=2)
    assert run(collector, context) == 1
    [removed] = spooled(context, "app_event")
    assert (removed["app"], removed["event"]) == ("VeraCrypt", "uninstalled")
    assert "installed since 2026-06-01T13:00:00Z" in removed["detail"]


def test_heartbeats_carry_the_version_and_a_time(tmp_path: Path) -> None:
    clock = Clock()
    context = make_context(tmp_path, clock=clock)
    collector = HeartbeatCollector()
    assert run(collector, context) == 1
    clock.now = NOW + timedelta(minutes=15)
    assert run(collector, context) == 1
    beats = spooled(context, "heartbeat")
    assert [b["time"] for b in beats] == ["2026-06-01T12:00:00Z", "2026-06-01T12:15:00Z"]
    assert beats[0]["agent_version"]
    assert beats[0]["id"] != beats[1]["id"]


def test_an_unclean_stop_is_tamper_and_a_clean_one_an_app_event(tmp_path: Path) -> None:
    clock = Clock()
    context = make_context(tmp_path, clock=clock)
    assert agent_started(context, 101) == []  # the first start ever
    clock.now = NOW + timedelta(minutes=5)
    TamperCollector(tmp_path / "data", tmp_path / "program").collect(context)  # alive at 12:05
    clock.now = NOW + timedelta(hours=3)
    [said] = agent_started(context, 202)  # pid 101 was killed: no clean stop recorded
    [tamper] = spooled(context, "tamper")
    assert tamper["event"] == "agent_stopped"
    assert tamper["detail"] == said
    assert "pid 101" in said and "last seen running at 2026-06-01T12:05:00Z" in said

    clock.now = NOW + timedelta(hours=4)
    agent_stopping(context, "signal SIGTERM")
    [event] = spooled(context, "app_event")
    assert (event["app"], event["event"]) == ("orderwatch-agent", "agent_stopped")
    assert event["detail"].startswith("stopped cleanly (signal SIGTERM)")
    assert agent_started(context, 303) == []  # after a clean stop: no tamper
    assert len(spooled(context, "tamper")) == 1


def test_the_clock_moving_back_is_tamper(tmp_path: Path) -> None:
    clock = Clock()
    context = make_context(tmp_path, clock=clock)
    collector = TamperCollector(tmp_path / "data", tmp_path / "program")
    agent_started(context, 1)
    clock.now = NOW + timedelta(minutes=10)
    collector.collect(context)
    clock.now = NOW + timedelta(minutes=9)  # a minute back: within the tolerance
    collector.collect(context)
    assert spooled(context, "tamper") == []
    clock.now = NOW - timedelta(days=2)
    assert collector.collect(context).spooled == 1
    [tamper] = spooled(context, "tamper")
    assert tamper["event"] == "clock_moved_back"
    assert tamper["detail"] == (
        "the clock went back 173,340 s: it said 2026-06-01T12:09:00Z earlier and says "
        "2026-05-30T12:00:00Z now"
    )
    clock.now = NOW - timedelta(days=2) + timedelta(minutes=1)
    assert collector.collect(context).spooled == 0  # said once


def test_the_agents_own_files_changing_is_tamper(tmp_path: Path) -> None:
    program = tmp_path / "program"
    (program / "agent").mkdir(parents=True)
    (program / "agent/service.py").write_text("print('agent')\n")
    (program / "catalogue.yaml").write_text("software: []\n")
    data = tmp_path / "data"
    data.mkdir()
    (data / "agent.toml").write_text("interval_seconds = 60\n")
    context = make_context(tmp_path, tamper_check_minutes=0)
    collector = TamperCollector(data, program)
    assert collector.collect(context).spooled == 0  # the baseline
    assert collector.collect(context).spooled == 0
    (program / "agent/service.py").write_text("print('patched')\n")
    (program / "agent/hook.py").write_text("")
    (data / "agent.toml").write_text("image_caches = false\n")
    assert collector.collect(context).spooled == 1
    [tamper] = spooled(context, "tamper")
    assert tamper["event"] == "files_changed"
    detail = tamper["detail"]
    assert f"changed: {data / 'agent.toml'}, {program / 'agent/service.py'};" in detail
    assert f"added: {program / 'agent/hook.py'}" in detail
    baseline = json.loads(context.spool.get_state("agent.files") or "{}")
    assert str(program / "agent/hook.py") in baseline["digests"]
    assert collector.collect(context).spooled == 0  # the new state is the new baseline
