"""Login throttling: after N failed logins in a row an account is locked for a while."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from orderwatch.settings import Settings


@dataclass(frozen=True)
class LoginState:
    """An account's failed-login counter and the end of its lockout, if any."""

    failed_logins: int = 0
    locked_until: datetime | None = None


@dataclass(frozen=True)
class ThrottlePolicy:
    """Lock an account for `lockout` after `max_failures` consecutive failed logins."""

    max_failures: int = 5
    lockout: timedelta = timedelta(minutes=15)

    def __post_init__(self) -> None:
        if self.max_failures < 1:
            raise ValueError("login_max_failures must be at least 1")
        if self.lockout <= timedelta(0):
            raise ValueError("login_lockout_minutes must be positive")

    @classmethod
    def from_settings(cls, settings: Settings) -> ThrottlePolicy:
        """The policy configured by login_max_failures and login_lockout_minutes."""
        return cls(settings.login_max_failures, timedelta(minutes=settings.login_lockout_minutes))

    def is_locked(self, state: LoginState, now: datetime) -> bool:
        """Whether a login attempt must be refused without even checking the password."""
        return state.locked_until is not None and now < state.locked_until

    def after_failure(self, state: LoginState, now: datetime) -> LoginState:
        """The state after one more failed login; reaching the limit starts a lockout."""
        failures = state.failed_logins + 1
        if state.locked_until is not None and now >= state.locked_until:
            failures = 1  # the previous lockout has run out: count afresh
        if failures >= self.max_failures:
            return LoginState(failures, now + self.lockout)
        return LoginState(failures, None)

    def after_success(self) -> LoginState:
        """A successful login clears the counter."""
        return LoginState(0, None)
