from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from orderwatch.security import LoginState, ThrottlePolicy
from orderwatch.settings import Settings

NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


def test_locks_after_max_failures_for_the_lockout() -> None:
    policy = ThrottlePolicy(max_failures=3, lockout=timedelta(minutes=10))
    state = LoginState()
    for expected in (1, 2):
        state = policy.after_failure(state, NOW)
        assert state == LoginState(expected, None)
        assert not policy.is_locked(state, NOW)
    state = policy.after_failure(state, NOW)
    assert state == LoginState(3, NOW + timedelta(minutes=10))
    assert policy.is_locked(state, NOW + timedelta(minutes=9, seconds=59))
    assert not policy.is_locked(state, NOW + timedelta(minutes=10))


def test_failure_after_an_expired_lockout_counts_afresh() -> None:
    policy = ThrottlePolicy(max_failures=3, lockout=timedelta(minutes=10))
    locked = LoginState(3, NOW)
    assert policy.after_failure(locked, NOW + timedelta(minutes=1)) == LoginState(1, None)


def test_success_clears() -> None:
    assert ThrottlePolicy().after_success() == LoginState(0, None)


def test_from_settings_and_validation() -> None:
    settings = Settings(login_max_failures=7, login_lockout_minutes=30)
    policy = ThrottlePolicy.from_settings(settings)
    assert policy == ThrottlePolicy(7, timedelta(minutes=30))
    with pytest.raises(ValueError, match="at least 1"):
        ThrottlePolicy(max_failures=0)
    with pytest.raises(ValueError, match="positive"):
        ThrottlePolicy(lockout=timedelta(0))
