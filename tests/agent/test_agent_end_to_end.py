"""End to end on loopback: a real `orderwatch serve`, a real agent process and Debian's chromium.

The agent announces itself, picks up what a real browser wrote to its own History and cache, a
USB stick appearing in a (fake) sysfs and a picture; the server turns them into alerts in the
responsible officer's queue; deleting history rows with sqlite3 gives a history_deletion alert.
A server killed during uploads, and the agent killed too, lose and duplicate nothing.
"""

from __future__ import annotations

import functools
import hashlib
import json
import sqlite3
import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from agent_fixtures import chrome_history, chrome_visits
from agent_server import (
    DECLARED_USB_SERIAL,
    PROHIBITED_DOMAIN,
    PROHIBITED_WORD,
    AgentProcess,
    MonitoringUnit,
    ServerProcess,
    agent_command,
    build_unit,
    enrol_agent,
    wait_for,
    write_agent_config,
)
from agent_sysfs import add_internal_disk, add_usb_disk
from test_agent_images import picture

from datafiles import IN_CI

pytestmark = pytest.mark.slow

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
FAST = {
    "interval_seconds": 0.3,
    "browser_scan_seconds": 0,
    "removable_scan_seconds": 0,
    "image_scan_minutes": 0,
    "heartbeat_minutes": 60,
    "backoff_initial_seconds": 0.2,
    "backoff_max_seconds": 1.5,
}


def _need_chromium() -> None:
    if not CHROMIUM.is_file():
        reason = f"{CHROMIUM} is missing (apt-get install chromium; `make sysdeps` does it)"
        if IN_CI:
            pytest.fail(reason + "; CI=true: the agent's browser test must run")
        pytest.skip(reason)


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        return


@pytest.fixture
def site(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """A local web site: a forum page (its title has the order's prohibited word) showing a
    picture, and a chat page."""
    folder = tmp_path / "site"
    folder.mkdir()
    folder.joinpath("forum.html").write_text(
        f"<html><head><title>The {PROHIBITED_WORD} club forum</title></head>"
        '<body><p>Welcome</p><img src="/pic.png" alt="pic"></body></html>'
    )
    folder.joinpath("chat.html").write_text("<html><head><title>Chat</title></head></html>")
    folder.joinpath("pic.png").write_bytes(picture("PNG", (10, 120, 240), 128))
    handler = functools.partial(_QuietHandler, directory=str(folder))
    with ThreadingHTTPServer(("127.0.0.1", 0), handler) as server:
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield f"http://127.0.0.1:{server.server_address[1]}", folder
        finally:
            server.shutdown()
            thread.join(timeout=10)


def browse(user_data: Path, url: str, *extra: str) -> None:
    """One headless chromium run over its own profile (it exits when the pages are done)."""
    command = [
        str(CHROMIUM),
        *CHROMIUM_ARGS,
        f"--user-data-dir={user_data}",
        "--virtual-time-budget=5000",
        *extra,
        "--dump-dom",
        url,
    ]
    subprocess.run(command, capture_output=True, timeout=120, check=True)


def _hashset(unit: MonitoringUnit, md5: str) -> None:
    """The unit's hash set: the innocuous test picture stands in for known material."""
    folder = unit.data_dir / "hashsets"
    folder.mkdir()
    listed = unit.data_dir / "known.csv"
    listed.write_text(f"md5,category\n{md5},A\n")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "orderwatch.cli",
            "hashset",
            "build",
            str(listed),
            "-o",
            str(folder / "unit.owhs"),
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )


def _titles(unit: MonitoringUnit) -> list[str]:
    return [a.title for a in unit.alerts()]


def _has_alert(unit: MonitoringUnit, text: str) -> list[str]:
    return [t for t in _titles(unit) if text in t]


def test_browsing_devices_images_and_deletions_reach_the_officer(
    tmp_path: Path, site: tuple[str, Path]
) -> None:
    _need_chromium()
    base, folder = site
    unit = build_unit(tmp_path / "server")
    known_md5 = hashlib.md5((folder / "pic.png").read_bytes()).hexdigest()
    _hashset(unit, known_md5)
    server = ServerProcess(unit)
    server.start()
    home = tmp_path / "home"
    user_data = home / ".config/chromium"
    user_data.mkdir(parents=True)
    sysfs = tmp_path / "sysfs"
    add_internal_disk(sysfs)
    agent_dir = tmp_path / "agent"
    write_agent_config(
        agent_dir, home=home, sysfs_root=sysfs, software_roots=[tmp_path / "none"], **FAST
    )
    agent: AgentProcess | None = None
    try:
        enrolled = enrol_agent(agent_dir, server.url, unit.new_code())
        assert "enrolled as monitored device" in enrolled
        assert oct((agent_dir / "credential").stat().st_mode & 0o777) == "0o600"
        agent = AgentProcess(agent_dir)

        # Overt: it says what it collects, names itself, and keeps a readable status file.
        log = wait_for(
            lambda: "collecting on: removable" in agent.log() and agent.log(),
            60,
            "the agent's start announcement",
        )
        assert "orderwatch-agent" in log and "started" in log
        assert "collecting on: browser history" in log
        assert Path(f"/proc/{agent.process.pid}/comm").read_text().strip() == "orderwatch-agen"
        status_file = agent_dir / "status.json"
        wait_for(status_file.is_file, 30, "status.json")
        assert oct(status_file.stat().st_mode & 0o777) == "0o644"
        assert json.loads(status_file.read_text())["state"] == "running"

        # A real browser writes its own History and cache.
        browse(user_data, f"{base}/forum.html")
        wait_for(
            lambda: _has_alert(unit, f'Prohibited word "{PROHIBITED_WORD}"'),
            90,
            "the prohibited-word alert",
        )
        wait_for(lambda: _has_alert(unit, "Known indecent image"), 60, "the hash-set alert")
        stored = unit.observations()
        [visit] = stored["browser_visit"]
        assert (visit["url"], visit["title"]) == (
            f"{base}/forum.html",
            f"The {PROHIBITED_WORD} club forum",
        )
        assert all(v["browser"] == "chromium" for v in stored["browser_visit"])
        [image] = [i for i in stored["image"] if i["md5"] == known_md5]
        assert "Cache" in image["path"] and image["pdq"]

        # A second session reaches a prohibited site (its name mapped to the local server).
        port = base.rsplit(":", 1)[1]
        browse(
            user_data,
            f"http://{PROHIBITED_DOMAIN}:{port}/chat.html",
            f"--host-resolver-rules=MAP {PROHIBITED_DOMAIN} 127.0.0.1",
        )
        wait_for(
            lambda: _has_alert(unit, f"Visited prohibited site: {PROHIBITED_DOMAIN}"),
            60,
            "the prohibited-site alert",
        )

        # A USB stick: the declared one raises nothing, an undeclared one does.
        add_usb_disk(
            sysfs,
            "sdb",
            "1-2",
            vendor="SanDisk",
            product="Cruzer Blade",
            serial=DECLARED_USB_SERIAL,
        )
        add_usb_disk(
            sysfs,
            "sdc",
            "1-3",
            vendor="Kingston",
            product="DataTraveler",
            serial="0019E06B5A",
            minor=32,
        )
        wait_for(lambda: _has_alert(unit, "Undeclared USB storage device"), 60, "the USB alert")
        usb = [t for t in _titles(unit) if "USB" in t]
        assert usb == ["Undeclared USB storage device: Kingston DataTraveler (serial 0019E06B5A)"]
        assert len(unit.observations()["usb_device"]) == 2

        # The person deletes the forum visit with sqlite3.
        history = user_data / "Default/History"
        with sqlite3.connect(history) as connection:
            gone = connection.execute(
                "DELETE FROM visits WHERE url IN (SELECT id FROM urls WHERE url LIKE ?)",
                ("%forum.html",),
            ).rowcount
        connection.close()
        assert gone == 1
        wait_for(
            lambda: _has_alert(unit, "History deletion in chromium: visits deleted"),
            60,
            "the history-deletion alert",
        )
        [deletion] = [
            d for d in unit.observations()["history_deletion"] if d["indicator"] == "visits_deleted"
        ]
        assert f"{base}/forum.html" in deletion["detail"]
        assert f"The {PROHIBITED_WORD} club forum" in deletion["detail"]

        assert agent.stop() == 0
        status = subprocess.run(
            agent_command(agent_dir, "status"), capture_output=True, text=True, timeout=60
        )
        assert "not running" in status.stdout
        assert "backlog: 0 observation(s)" in status.stdout
        assert unit.duplicate_client_ids() == 0
    finally:
        if agent is not None:
            agent.stop()
        server.stop()


def test_server_and_agent_killed_during_uploads_lose_and_duplicate_nothing(tmp_path: Path) -> None:
    unit = build_unit(tmp_path / "server")
    server = ServerProcess(unit)
    server.start()
    home = tmp_path / "home"
    history = chrome_history(home / ".config/google-chrome/Default")
    start = datetime.now(UTC) - timedelta(days=2)
    pages = [
        (f"https://site{n}.example.org/p", f"Page {n}", start + timedelta(seconds=n))
        for n in range(3000)
    ]
    chrome_visits(history, pages)
    agent_dir = tmp_path / "agent"
    write_agent_config(
        agent_dir,
        home=home,
        sysfs_root=tmp_path / "no-sysfs",
        software_roots=[tmp_path / "none"],
        image_folders=[],
        upload_batch_max=25,
        **FAST,
    )
    agent: AgentProcess | None = None
    try:
        enrol_agent(agent_dir, server.url, unit.new_code())
        agent = AgentProcess(agent_dir)

        def visits() -> int:
            return len(unit.observations().get("browser_visit", []))

        wait_for(lambda: visits() >= 200, 120, "the first uploads")
        server.kill()  # mid-upload: a batch in flight is lost with the process
        assert visits() < 3000
        server.start()
        wait_for(lambda: visits() >= 1500, 120, "uploads resuming after the restart")
        agent.kill()  # the agent dies too, with a batch claimed and maybe stored
        agent = AgentProcess(agent_dir)
        wait_for(lambda: visits() == 3000, 120, "every visit stored")
        assert agent.stop() == 0
        logs = (tmp_path / "agent-agent.log").read_text()
        assert "upload failed (server unreachable" in logs  # the outage was met and retried

        stored = unit.observations()
        urls = [v["url"] for v in stored["browser_visit"]]
        assert len(urls) == 3000 and set(urls) == {p[0] for p in pages}
        assert unit.duplicate_client_ids() == 0
        [tamper] = [t for t in stored.get("tamper", []) if t["event"] == "agent_stopped"]
        assert "stopped without shutting down" in tamper["detail"]
        assert any("Monitoring tampered with: agent stopped" in t for t in _titles(unit))
        spool = sqlite3.connect(agent_dir / "spool.sqlite3")
        assert spool.execute("SELECT count(*) FROM spool").fetchone() == (0,)
        assert spool.execute("SELECT count(*) FROM rejected").fetchone() == (0,)
        spool.close()
    finally:
        if agent is not None:
            agent.stop()
        server.stop()
    assert json.loads((agent_dir / "status.json").read_text())["state"] == "stopped"
