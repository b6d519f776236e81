"""Browser and profile names from paths; profile age from the files beside a database."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from orderwatch.forensics.parsers.browser_profiles import (
    BrowserProfile,
    identify_profile,
    is_email,
    profile_times,
    read_user_prefs,
    service_of,
    site_of,
)
from orderwatch.forensics.parsers.interface import LocalArtefact


@pytest.mark.parametrize(
    ("path", "family", "expected"),
    [
        (
            "/Users/sam/AppData/Local/Google/Chrome/User Data/Profile 1/History",
            "chromium",
            ("chrome", "Profile 1"),
        ),
        ("/home/sam/.config/google-chrome/Default/History", "chromium", ("chrome", "Default")),
        ("/home/sam/.config/chromium/Default/History", "chromium", ("chromium", "Default")),
        (
            "/Users/sam/AppData/Local/Microsoft/Edge/User Data/Default/History",
            "chromium",
            ("edge", "Default"),
        ),
        (
            "/Users/sam/AppData/Local/BraveSoftware/Brave-Browser/User Data/Profile 2/History",
            "chromium",
            ("brave", "Profile 2"),
        ),
        (
            "/Users/sam/AppData/Roaming/Opera Software/Opera Stable/History",
            "chromium",
            ("opera", "Opera Stable"),
        ),
        (
            "/Users/sam/Library/Application Support/Vivaldi/Default/History",
            "chromium",
            ("vivaldi", "Default"),
        ),
        ("/data/History", "chromium", ("chromium-based", "data")),
        (
            "/Users/sam/AppData/Roaming/Mozilla/Firefox/Profiles/abcd1234.default-release/places.sqlite",
            "firefox",
            ("firefox", "abcd1234.default-release"),
        ),
        (
            "/Users/sam/Desktop/Tor Browser/Browser/TorBrowser/Data/Browser/profile.default/"
            "places.sqlite",
            "firefox",
            ("tor browser", "profile.default"),
        ),
        ("/Users/sam/Library/Safari/History.db", "safari", ("safari", "Default")),
    ],
)
def test_browser_and_profile_come_from_the_path(
    path: str, family: str, expected: tuple[str, str]
) -> None:
    assert identify_profile(path, family) == BrowserProfile(*expected)


def test_chromium_profile_times_come_from_preferences(tmp_path: Path) -> None:
    (tmp_path / "History").write_bytes(b"")
    (tmp_path / "Preferences").write_text(
        json.dumps(
            {
                "profile": {
                    "creation_time": "13439841049221256",
                    "last_engagement_time": "13439841049777783",
                }
            }
        )
    )
    times = profile_times(LocalArtefact(tmp_path / "History", tmp_path), "chromium")
    assert times.created == datetime(2026, 11, 22, 17, 10, 49, 221256, tzinfo=UTC)
    assert times.last_used == datetime(2026, 11, 22, 17, 10, 49, 777783, tzinfo=UTC)


def test_firefox_profile_times_come_from_times_json_and_prefs_js(tmp_path: Path) -> None:
    (tmp_path / "places.sqlite").write_bytes(b"")
    (tmp_path / "times.json").write_text('{"created": 1600000000000, "firstUse": null}')
    (tmp_path / "prefs.js").write_text('user_pref("toolkit.startup.last_success", 1700000000);\n')
    times = profile_times(LocalArtefact(tmp_path / "places.sqlite", tmp_path), "firefox")
    assert times.created == datetime(2020, 9, 13, 12, 26, 40, tzinfo=UTC)
    assert times.last_used == datetime(2023, 11, 14, 22, 13, 20, tzinfo=UTC)


def test_broken_profile_files_give_no_times(tmp_path: Path) -> None:
    (tmp_path / "History").write_bytes(b"")
    (tmp_path / "Preferences").write_text("{not json")
    times = profile_times(LocalArtefact(tmp_path / "History", tmp_path), "chromium")
    assert (times.created, times.last_used) == (None, None)


def test_prefs_js_is_parsed_not_run(tmp_path: Path) -> None:
    prefs = tmp_path / "prefs.js"
    prefs.write_text(
        "// Mozilla User Preferences\n"
        'user_pref("places.history.enabled", false);\n'
        'user_pref("services.sync.username", "sam@example.org");\n'
        'user_pref("browser.startup.page", 3);\n'
        'user_pref("evil", require("child_process").exec("rm -rf /"));\n'
        'user_pref("quoted \\"name\\"", "a \\"b\\"");\n'
    )
    assert read_user_prefs(LocalArtefact(prefs, tmp_path)) == {
        "places.history.enabled": False,
        "services.sync.username": "sam@example.org",
        "browser.startup.page": 3,
        'quoted "name"': 'a "b"',
    }


def test_sites_and_email_addresses() -> None:
    assert site_of("https://www.facebook.com/") == "facebook.com"
    assert site_of("https://m.example.org/login") == "example.org"
    assert site_of("android://hash@com.example.app/") == "com.example.app"
    assert service_of("https://www.facebook.com/") == "facebook"
    assert service_of("https://accounts.google.com/signin") == "google"
    assert service_of("https://www.bbc.co.uk/account") == "bbc"
    assert service_of("https://www.dropbox.com/login") == "dropbox"
    assert service_of("https://mega.nz/login") == "mega"
    assert service_of("android://hash@com.facebook.katana/") == "facebook"
    assert is_email("sam.person@example.org")
    assert not is_email("sam.person")
    assert not is_email("two words@example.org")
