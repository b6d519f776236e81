"""The agent's data dir, its optional `agent.toml` settings and its enrolment (credential 0600).

Everything the agent keeps lives in one folder (0711): `enrolment.json` (server, device id,
conditions) and `credential` and `spool.sqlite3` (0600), `status.json` (0644, the overt notice)
and an optional `agent.toml`.
"""

from __future__ import annotations

import json
import os
import tomllib
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from orderwatch.domain.errors import InvalidInputError, OrderwatchError, Problem

ENROLMENT_FILE = "enrolment.json"
CREDENTIAL_FILE = "credential"
CONFIG_FILE = "agent.toml"
SPOOL_FILE = "spool.sqlite3"
STATUS_FILE = "status.json"
PROCESS_NAME = "orderwatch-agent"


class NotEnrolledError(OrderwatchError):
    """The agent has no enrolment yet (run `orderwatch agent enrol`)."""


def default_agent_dir() -> Path:
    """ORDERWATCH_AGENT_DIR, else /var/lib/orderwatch-agent for root, else the user's data dir."""
    named = os.environ.get("ORDERWATCH_AGENT_DIR")
    if named:
        return Path(named)
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        return Path("/var/lib/orderwatch-agent")
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "orderwatch-agent"


def prepare_data_dir(path: Path) -> Path:
    """Create the data dir (0711): only its owner lists it or reads the credential and spool
    (0600), while anyone on the device may read the status file by its name (overt)."""
    path.mkdir(parents=True, exist_ok=True)
    os.chmod(path, 0o711)
    return path


class AgentConfig(BaseModel):
    """Settings from `agent.toml` in the data dir; every key is optional."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    home: Path | None = None  # whose folders are watched (default: the running user's home)
    interval_seconds: float = Field(default=60.0, gt=0)  # how often the loop wakes up
    heartbeat_minutes: float = Field(default=15.0, gt=0)
    browser_scan_seconds: float = Field(default=60.0, ge=0)  # a changed history db: this often
    removable_scan_seconds: float = Field(default=30.0, ge=0)
    software_scan_minutes: float = Field(default=60.0, ge=0)
    image_scan_minutes: float = Field(default=10.0, ge=0)
    config_refresh_minutes: float = Field(default=60.0, gt=0)  # conditions re-read from the server
    tamper_check_minutes: float = Field(default=60.0, ge=0)
    browser_roots: list[Path] = Field(default_factory=list)  # extra folders holding profiles
    image_folders: list[Path] | None = None  # default: Pictures, Downloads, Desktop, Documents
    image_caches: bool = True  # also browser caches
    image_max_bytes: int = Field(default=64 * 1024 * 1024, gt=0)
    images_per_scan: int = Field(default=20_000, gt=0)  # more wait for the next scan
    image_classifier: str | None = None  # "package.module:factory" giving .scores(content)
    software_roots: list[Path] | None = None  # default: dpkg status, applications, /opt, ~
    sysfs_root: Path = Path("/")  # a fake tree in tests
    spool_max_mb: float = Field(default=256.0, gt=0)
    spool_max_observations: int = Field(default=1_000_000, gt=0)
    upload_batch_max: int | None = Field(default=None, gt=0)  # below the server's own limit
    upload_timeout_seconds: float = Field(default=30.0, gt=0)
    backoff_initial_seconds: float = Field(default=2.0, gt=0)
    backoff_max_seconds: float = Field(default=900.0, gt=0)
    upload_seconds_per_cycle: float = Field(default=30.0, gt=0)  # then collecting resumes

    @property
    def home_dir(self) -> Path:
        return self.home or Path.home()


def load_config(data_dir: Path) -> AgentConfig:
    """`agent.toml` of the data dir, or the defaults; bad keys or values name the problem."""
    path = data_dir / CONFIG_FILE
    if not path.is_file():
        return AgentConfig()
    try:
        with open(path, "rb") as handle:
            values = tomllib.load(handle)
    except tomllib.TOMLDecodeError as error:
        raise InvalidInputError(str(path), [Problem(0, f"not valid TOML: {error}")]) from None
    try:
        return AgentConfig.model_validate(values)
    except ValidationError as error:
        problems = [
            Problem(0, f"{'.'.join(str(p) for p in e['loc']) or 'file'}: {e['msg']}")
            for e in error.errors(include_url=False)
        ]
        raise InvalidInputError(str(path), problems) from None


@dataclass
class Enrolment:
    """What the server answered at enrolment (the credential is kept in its own 0600 file)."""

    server: str
    device_id: int
    conditions: list[dict[str, Any]]
    hostname: str
    enrolled_at: str
    agent_version: str
    max_batch_observations: int = 1000
    max_batch_bytes: int = 4 * 1024 * 1024
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def source(self) -> str:
        """The provenance source of this device's observations (also seeds their ids)."""
        return f"monitored device {self.device_id}"


def save_enrolment(data_dir: Path, enrolment: Enrolment, credential: str) -> None:
    """Write the credential (0600, never logged) and the enrolment, each atomically."""
    prepare_data_dir(data_dir)
    _write_private(data_dir / CREDENTIAL_FILE, credential.strip() + "\n")
    _write_private(data_dir / ENROLMENT_FILE, json.dumps(asdict(enrolment), indent=2) + "\n")


def update_conditions(
    data_dir: Path, enrolment: Enrolment, conditions: list[dict[str, Any]]
) -> None:
    """Keep the conditions the server sent last (orders change)."""
    enrolment.conditions = conditions
    _write_private(data_dir / ENROLMENT_FILE, json.dumps(asdict(enrolment), indent=2) + "\n")


def load_enrolment(data_dir: Path) -> tuple[Enrolment, str]:
    """The enrolment and the credential; NotEnrolledError when the agent was never enrolled."""
    path = data_dir / ENROLMENT_FILE
    if not path.is_file():
        raise NotEnrolledError(
            f"this agent is not enrolled ({path} is missing); run: orderwatch agent enrol "
            "--server URL --code CODE"
        )
    try:
        data = json.loads(path.read_text("utf-8"))
        known = {f for f in Enrolment.__dataclass_fields__ if f != "extra"}
        enrolment = Enrolment(
            **{k: v for k, v in data.items() if k in known},
            extra={k: v for k, v in data.items() if k not in known},
        )
        credential = (data_dir / CREDENTIAL_FILE).read_text("utf-8").strip()
    except (OSError, ValueError, TypeError) as error:
        raise OrderwatchError(f"{path}: cannot read the enrolment: {error}") from None
    if not credential:
        raise OrderwatchError(f"{data_dir / CREDENTIAL_FILE} is empty; enrol the agent again")
    return enrolment, credential


def _write_private(path: Path, text: str) -> None:
    """Replace `path` by a file only its owner can read, written in full before the rename."""
    temporary = path.with_name(path.name + ".tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())
    os.chmod(temporary, 0o600)
    os.replace(temporary, path)
