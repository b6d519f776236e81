"""A real `orderwatch serve` process over a temp SQLite data dir, with a managed person whose
order the agent monitors, and a real agent process (`orderwatch agent ...`)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx2 as httpx
from sqlalchemy import func, select

from orderwatch.domain.access import Actor, Role
from orderwatch.domain.orderfile import parse_order_document
from orderwatch.storage import Database, create_user, get_user_by_username, import_order_document
from orderwatch.storage.monitoring_alerts import list_alerts
from orderwatch.storage.monitoring_devices import issue_enrolment_code
from orderwatch.storage.monitoring_tables import ObservationRow
from orderwatch.storage.tables import DeviceRow

SYSTEM = Actor.command_line("agent tests")
OFFICER = "dc.agent"
PROHIBITED_WORD = "bananaphone"
PROHIBITED_DOMAIN = "example-chat-site.test"
DECLARED_USB_SERIAL = "4C530001230517117082"

ORDER_YAML = f"""
person: {{ref: OW-AGENT-1, name: Alex Agent, risk_level: high, management: active,
          officer: {OFFICER}}}
order:
  kind: SHPO
  made: 2024-01-10
  conditions:
    - {{type: declare_devices, within_days: 0}}
    - type: retain_history
    - type: no_encryption_or_wiping
    - type: no_indecent_images
    - {{type: prohibited_words, words: [{PROHIBITED_WORD}]}}
    - {{type: prohibited_apps_or_sites, domains: [{PROHIBITED_DOMAIN}]}}
    - type: keep_monitoring
declared_devices:
  - {{kind: laptop, make: Dell, model: Latitude 5420, serial: 7XK2Q53}}
  - {{kind: usb_storage, vendor: SanDisk, product: Cruzer Blade, serial: "{DECLARED_USB_SERIAL}"}}
"""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_for(check: Callable[[], Any], timeout: float, what: str, interval: float = 0.25) -> Any:
    """Poll `check` until it returns something truthy; fail naming `what` after `timeout`."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(interval)


@dataclass
class MonitoringUnit:
    """The server's database with one officer and one person under an order."""

    data_dir: Path
    person_id: int
    laptop_id: int

    @property
    def database_url(self) -> str:
        return f"sqlite:///{self.data_dir / 'orderwatch.sqlite3'}"

    def database(self) -> Database:
        return Database(self.database_url)

    def new_code(self) -> str:
        database = self.database()
        try:
            with database.session() as session:
                issued = issue_enrolment_code(session, SYSTEM, self.person_id, self.laptop_id)
            return issued.code
        finally:
            database.dispose()

    def alerts(self) -> list[Any]:
        """The open alerts in the responsible officer's queue for the person."""
        database = self.database()
        try:
            with database.session() as session:
                user = get_user_by_username(session, SYSTEM, OFFICER)
                officer = Actor(user.id, user.username, Role.OFFICER, team_id=user.team_id)
                return list(list_alerts(session, officer, person_id=self.person_id).alerts)
        finally:
            database.dispose()

    def observations(self) -> dict[str, list[dict[str, Any]]]:
        """Stored observations by kind (their payloads), and the count per client id."""
        database = self.database()
        try:
            with database.read_session() as session:
                rows = session.execute(
                    select(ObservationRow.kind, ObservationRow.payload).order_by(ObservationRow.id)
                ).all()
        finally:
            database.dispose()
        out: dict[str, list[dict[str, Any]]] = {}
        for kind, payload in rows:
            out.setdefault(kind, []).append(payload)
        return out

    def duplicate_client_ids(self) -> int:
        database = self.database()
        try:
            with database.read_session() as session:
                total = session.scalar(select(func.count()).select_from(ObservationRow))
                distinct = session.scalar(
                    select(func.count(func.distinct(ObservationRow.client_id)))
                )
        finally:
            database.dispose()
        return int(total or 0) - int(distinct or 0)


def build_unit(data_dir: Path) -> MonitoringUnit:
    database = Database(f"sqlite:///{data_dir / 'orderwatch.sqlite3'}")
    try:
        database.upgrade()
        with database.session() as session:
            create_user(
                session,
                SYSTEM,
                username=OFFICER,
                role=Role.OFFICER,
                password="agent-test-password",
                full_name="DC Agent",
            )
        with database.session() as session:
            person = import_order_document(session, SYSTEM, parse_order_document(ORDER_YAML))
            laptop = session.scalar(
                select(DeviceRow.id).where(
                    DeviceRow.person_id == person.id, DeviceRow.kind == "laptop"
                )
            )
    finally:
        database.dispose()
    assert laptop is not None
    return MonitoringUnit(data_dir, person.id, int(laptop))


class ServerProcess:
    """`orderwatch serve` on a fixed port over the unit's data dir; start, kill, start again."""

    def __init__(self, unit: MonitoringUnit, port: int | None = None) -> None:
        self.unit = unit
        self.port = port or free_port()
        self.process: subprocess.Popen[bytes] | None = None
        self.log_path = unit.data_dir / "serve.log"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        env = {**os.environ, "ORDERWATCH_DATA_DIR": str(self.unit.data_dir)}
        env.pop("ORDERWATCH_DATABASE_URL", None)
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "orderwatch.cli", "serve", "--port", str(self.port)],
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        wait_for(self._ready, 60, f"orderwatch serve on {self.url} ({self.log_path})")

    def _ready(self) -> bool:
        assert self.process is not None
        if self.process.poll() is not None:
            raise AssertionError("orderwatch serve exited: " + self.log_path.read_text()[-3000:])
        try:
            return httpx.get(self.url + "/healthz", timeout=1).status_code == 200
        except httpx.TransportError:
            return False

    def kill(self) -> None:
        """SIGKILL: the server dies mid-request, as in a crash."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=20)
        self.process = None

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=20)
        self.process = None


def agent_command(data_dir: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "orderwatch.cli", "agent", *args, "--data-dir", str(data_dir)]


def enrol_agent(data_dir: Path, server: str, code: str) -> str:
    done = subprocess.run(
        agent_command(data_dir, "enrol", "--server", server, "--code", code),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def write_agent_config(data_dir: Path, **values: Any) -> None:
    """agent.toml with the given keys (paths and lists written as TOML)."""
    data_dir.mkdir(parents=True, exist_ok=True)
    lines = []
    for key, value in values.items():
        lines.append(f"{key} = {_toml(value)}")
    (data_dir / "agent.toml").write_text("\n".join(lines) + "\n")


def _toml(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    text = str(value).replace("\\", "\\\\").replace('"', '\\"')
    return f'"{text}"'


class AgentProcess:
    """`orderwatch-agent run` (the lean entry point a service runs) in the background, its
    output kept in a log file."""

    def __init__(self, data_dir: Path, *args: str) -> None:
        self.data_dir = data_dir
        self.log_path = data_dir.parent / f"{data_dir.name}-agent.log"
        command = [sys.executable, "-m", "orderwatch.agent", "run", *args, "--data-dir"]
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                [*command, str(data_dir)], stdout=log, stderr=subprocess.STDOUT
            )

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def alive(self) -> bool:
        return self.process.poll() is None

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=20)

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=20)
        return int(self.process.returncode)
