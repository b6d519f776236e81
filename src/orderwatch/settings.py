"""Run-time settings, read from ORDERWATCH_* environment variables and an optional TOML file.

Settings are never built at import time: call `get_settings()` (cached) and pass the result on.
Tests call `reset_settings()` after changing the environment.
"""

from __future__ import annotations

import os
import tomllib
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, SecretStr, ValidationError, model_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from orderwatch.domain.errors import OrderwatchError


def default_data_dir() -> Path:
    """Where orderwatch keeps its database and run files unless told otherwise."""
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "orderwatch"


class _TomlFileSource(PydanticBaseSettingsSource):
    """Reads the file named by ORDERWATCH_CONFIG (a flat TOML table of setting names)."""

    def __init__(self, settings_cls: type[BaseSettings]) -> None:
        super().__init__(settings_cls)
        path = os.environ.get("ORDERWATCH_CONFIG")
        self._values: dict[str, Any] = {}
        if path:
            try:
                with open(path, "rb") as handle:
                    self._values = tomllib.load(handle)
            except FileNotFoundError as error:
                raise ValueError(f"ORDERWATCH_CONFIG names {path}, which does not exist") from error
            except tomllib.TOMLDecodeError as error:
                raise ValueError(f"{path}: not valid TOML: {error}") from error

    def get_field_value(self, field: Any, field_name: str) -> tuple[Any, str, bool]:
        return self._values.get(field_name), field_name, False

    def __call__(self) -> dict[str, Any]:
        return {k: v for k, v in self._values.items() if k in self.settings_cls.model_fields}


class Settings(BaseSettings):
    """Everything configurable. Environment variables win over the config file."""

    model_config = SettingsConfigDict(env_prefix="ORDERWATCH_", extra="ignore")

    data_dir: Path = Field(default_factory=default_data_dir)
    database_url: str | None = None
    secret_key: SecretStr | None = None
    # Visit cadence in days by risk level (active management); reactive management has none.
    visit_cadence_days: dict[str, int] = Field(
        default_factory=lambda: {"very_high": 28, "high": 56, "medium": 112, "low": 365}
    )
    observation_retention_days: int = 365
    heartbeat_missed_after_minutes: int = 90
    incident_window_minutes: int = 24 * 60
    max_batch_observations: int = 1000
    max_batch_bytes: int = 4 * 1024 * 1024
    login_max_failures: int = 5
    login_lockout_minutes: int = 15
    session_max_age_minutes: int = 8 * 60
    behind_tls: bool = False
    smtp_host: str | None = None
    smtp_port: int = 25
    smtp_sender: str = "orderwatch@localhost"
    # none (a local relay) | starttls (usually port 587) | tls (implicit TLS, usually port 465)
    smtp_security: Literal["none", "starttls", "tls"] = "none"
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_ca_file: Path | None = None  # an internal CA to trust besides the system's
    task_backend: str = "inprocess"  # inprocess | celery
    celery_broker_url: str = "redis://127.0.0.1:6379/0"
    workers: int | None = None
    # An editable software catalogue (YAML) that overrides/extends the shipped one.
    software_catalogue: Path | None = None

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings, env_settings, _TomlFileSource(settings_cls))

    @model_validator(mode="after")
    def _credentials_only_over_tls(self) -> Settings:
        if self.smtp_username and self.smtp_security == "none":
            raise ValueError(
                "smtp_username is set but smtp_security is none: the password would cross "
                "the network in clear; set smtp_security to starttls or tls"
            )
        return self

    @property
    def effective_database_url(self) -> str:
        """The configured database, or SQLite in the data dir."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.data_dir / 'orderwatch.sqlite3'}"


class SettingsError(OrderwatchError):
    """Settings that cannot be used; the message names each setting and never its value."""


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, built on first use (SettingsError when they are wrong)."""
    try:
        return Settings()
    except ValidationError as error:
        raise SettingsError(settings_problems(error)) from None


def settings_problems(error: ValidationError) -> str:
    """Each problem as `setting: what is wrong`, without the values (they may be secrets)."""
    problems = []
    for item in error.errors(include_input=False, include_url=False):
        where = ".".join(str(part) for part in item["loc"])
        message = str(item["msg"]).removeprefix("Value error, ")
        name = f"ORDERWATCH_{where.upper()}" if where else "settings"
        problems.append(f"{name}: {message}")
    return "bad settings (environment or ORDERWATCH_CONFIG file): " + "; ".join(problems)


def reset_settings() -> None:
    """Forget the cached settings (tests, or after the environment changed)."""
    get_settings.cache_clear()
