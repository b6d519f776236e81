"""History-erasing settings in browser preference files (Chromium Preferences, Firefox prefs.js)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from browser_fixtures import of_kind, run_parsers

from orderwatch.domain.observations import AccountObservation, HistoryDeletionObservation

CHROME_PROFILE = Path("Users/sam/AppData/Local/Google/Chrome/User Data/Profile 1")
BRAVE_PROFILE = Path("Users/sam/AppData/Local/BraveSoftware/Brave-Browser/User Data/Default")
FIREFOX_PROFILE = Path("home/sam/.mozilla/firefox/abcd1234.default-release")


def _indicators(root: Path, path: Path) -> dict[str, HistoryDeletionObservation]:
    mediator = run_parsers(path, root)
    assert mediator.errors == []
    return {
        i.indicator: i
        for i in of_kind(mediator, "history_deletion")
        if isinstance(i, HistoryDeletionObservation)
    }


def _write(root: Path, relative: Path, text: str) -> Path:
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_chrome_clear_browsing_data_and_history_saving_off(tmp_path: Path) -> None:
    preferences = {
        "browser": {
            "last_clear_browsing_data_time": "13390000000000000",
            "clear_data": {"time_period": 4, "browsing_history": True},
        },
        "history": {"saving_disabled": True},
        "profile": {"name": "Person 1"},
    }
    path = _write(tmp_path, CHROME_PROFILE / "Preferences", json.dumps(preferences))
    found = _indicators(tmp_path, path)
    assert set(found) == {"browsing_data_cleared", "history_disabled"}
    cleared = found["browsing_data_cleared"]
    assert (cleared.browser, cleared.time, cleared.detail) == (
        "chrome",
        datetime(2025, 4, 24, 20, 26, 40, tzinfo=UTC),
        "chrome profile 'Profile 1': 'Clear browsing data' last used at 2025-04-24T20:26:40Z "
        "(last choices: all time, browsing history ticked)",
    )
    assert cleared.provenance.record == "browser.last_clear_browsing_data_time"
    assert cleared.provenance.original_time == "13390000000000000"
    assert found["history_disabled"].detail == (
        "chrome profile 'Profile 1': saving of browsing history is turned off "
        "(history.saving_disabled)"
    )


def test_brave_clear_history_on_exit(tmp_path: Path) -> None:
    preferences = {
        "browser": {"clear_data": {"browsing_history_on_exit": True, "cookies_on_exit": True}}
    }
    path = _write(tmp_path, BRAVE_PROFILE / "Preferences", json.dumps(preferences))
    found = _indicators(tmp_path, path)
    assert set(found) == {"clear_on_exit"}
    assert found["clear_on_exit"].browser == "brave"
    assert found["clear_on_exit"].provenance.record == (
        "browser.clear_data.browsing_history_on_exit"
    )


def test_untouched_preferences_show_nothing(tmp_path: Path) -> None:
    preferences = {"browser": {"clear_data": {"time_period": 0}}, "history": {}}
    path = _write(tmp_path, CHROME_PROFILE / "Preferences", json.dumps(preferences))
    assert _indicators(tmp_path, path) == {}


def test_firefox_prefs_history_off_private_and_clear_on_shutdown(tmp_path: Path) -> None:
    prefs = _write(
        tmp_path,
        FIREFOX_PROFILE / "prefs.js",
        "// Mozilla User Preferences\n"
        'user_pref("places.history.enabled", false);\n'
        'user_pref("browser.privatebrowsing.autostart", true);\n'
        'user_pref("privacy.sanitize.sanitizeOnShutdown", true);\n'
        'user_pref("services.sync.username", "sam.sync@example.org");\n',
    )
    mediator = run_parsers(prefs, tmp_path)
    assert mediator.errors == []
    indicators = {
        i.indicator: i.detail
        for i in of_kind(mediator, "history_deletion")
        if isinstance(i, HistoryDeletionObservation)
    }
    label = "firefox profile 'abcd1234.default-release'"
    assert indicators == {
        "history_disabled": f"{label}: 'Remember browsing and download history' is off "
        "(places.history.enabled)",
        "private_browsing_always": f"{label}: always uses private browsing: no history is kept "
        "(browser.privatebrowsing.autostart)",
        "clear_on_exit": f"{label}: browsing history is deleted whenever the browser closes "
        "(privacy.sanitize.sanitizeOnShutdown)",
    }
    [account] = of_kind(mediator, "account")
    assert isinstance(account, AccountObservation)
    assert (account.service, account.identifier) == ("mozilla", "sam.sync@example.org")


def test_firefox_clear_on_shutdown_that_keeps_history_is_no_indicator(tmp_path: Path) -> None:
    prefs = _write(
        tmp_path,
        FIREFOX_PROFILE / "prefs.js",
        'user_pref("privacy.sanitize.sanitizeOnShutdown", true);\n'
        'user_pref("privacy.clearOnShutdown.history", false);\n',
    )
    assert _indicators(tmp_path, prefs) == {}


def test_thunderbird_prefs_are_not_read_as_a_browser(tmp_path: Path) -> None:
    prefs = _write(
        tmp_path,
        Path("home/sam/.thunderbird/xyz.default/prefs.js"),
        'user_pref("places.history.enabled", false);\n',
    )
    assert "firefox_prefs" not in {error.parser for error in run_parsers(prefs, tmp_path).errors}
    assert _indicators(tmp_path, prefs) == {}


@pytest.mark.parametrize("content", ["", "{broken", "[1, 2]"])
def test_unreadable_preferences_give_one_error(tmp_path: Path, content: str) -> None:
    path = _write(tmp_path, CHROME_PROFILE / "Preferences", content)
    mediator = run_parsers(path, tmp_path)
    assert mediator.observations == []
    [error] = mediator.errors
    assert error.parser == "chrome_preferences"
    assert error.message.startswith(
        f"UnreadablePreferencesError: /{CHROME_PROFILE}/Preferences: not a readable JSON file"
    )
