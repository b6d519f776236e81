"""Accounts a Chromium profile holds: saved-login user names (never passwords), autofill e-mail
addresses, the signed-in account. Built on the profile made by the real Debian chromium."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest
from browser_fixtures import CHROMIUM_USER_DATA, default_profile, of_kind, run_parsers

from orderwatch.domain.observations import AccountObservation

pytestmark = pytest.mark.slow

SECRET = "hunter2-not-to-be-seen"
WEBKIT_2025 = 13_390_000_000_000_000  # 2025-04-24T20:26:40Z


def _accounts(root: Path, file_path: Path) -> list[tuple[str, str, str | None]]:
    mediator = run_parsers(file_path, root)
    assert mediator.errors == []
    found = []
    for observation in of_kind(mediator, "account"):
        assert isinstance(observation, AccountObservation)
        found.append((observation.service, observation.identifier, observation.provenance.record))
    return found


def test_fresh_profile_holds_no_accounts(chromium_profile: Path) -> None:
    profile = default_profile(chromium_profile)
    for name in ("Login Data", "Web Data", "Preferences"):
        assert _accounts(chromium_profile, profile / name) == []
    assert _accounts(chromium_profile, chromium_profile / CHROMIUM_USER_DATA / "Local State") == []


def test_saved_logins_give_user_names_and_never_passwords(chromium_copy: Path) -> None:
    logins = default_profile(chromium_copy) / "Login Data"
    with sqlite3.connect(logins) as connection:
        connection.executemany(
            "INSERT INTO logins (origin_url, action_url, username_element, username_value, "
            "password_element, password_value, signon_realm, date_created, blacklisted_by_user, "
            "scheme) VALUES (?, ?, 'user', ?, 'pass', ?, ?, ?, ?, 0)",
            [
                (
                    "https://www.facebook.com/",
                    "",
                    "sam.alias.99",
                    SECRET.encode(),
                    "https://www.facebook.com/",
                    WEBKIT_2025,
                    0,
                ),
                (
                    "https://mega.nz/login",
                    "",
                    "sam@example.net",
                    SECRET.encode(),
                    "https://mega.nz/",
                    WEBKIT_2025 + 1,
                    0,
                ),
                ("https://never.example/", "", "", b"", "https://never.example/", WEBKIT_2025, 1),
            ],
        )
    connection.close()

    mediator = run_parsers(logins, chromium_copy)
    assert mediator.errors == []
    accounts = [a for a in of_kind(mediator, "account") if isinstance(a, AccountObservation)]
    assert [(a.service, a.identifier) for a in accounts] == [
        ("facebook", "sam.alias.99"),
        ("mega", "sam@example.net"),
    ]
    assert accounts[0].time == datetime(2025, 4, 24, 20, 26, 40, tzinfo=UTC)
    assert accounts[0].source_path == "/home/sam/.config/chromium/Default/Login Data"
    assert accounts[0].provenance.record == "logins rowid=1 (https://www.facebook.com/)"
    everything = json.dumps([o.to_dict() for o in mediator.observations])
    assert SECRET not in everything and SECRET.encode().hex() not in everything


def test_autofill_gives_email_addresses(chromium_copy: Path) -> None:
    web_data = default_profile(chromium_copy) / "Web Data"
    with sqlite3.connect(web_data) as connection:
        connection.executemany(
            "INSERT INTO autofill (name, value, value_lower, date_created, date_last_used, count) "
            "VALUES (?, ?, ?, 1700000000, ?, 1)",
            [
                ("email", "Sam.Hidden@Example.NET", "sam.hidden@example.net", 1750000000),
                ("username", "not-an-address", "not-an-address", 1750000000),
                ("name", "Sam", "sam", 1750000000),
            ],
        )
        connection.execute(
            "INSERT INTO address_type_tokens (guid, type, value) VALUES ('g-1', 9, ?)",
            ("other.alias@example.org",),
        )
    connection.close()

    found = _accounts(chromium_copy, web_data)
    assert found == [
        ("email", "Sam.Hidden@Example.NET", "autofill rowid=1"),
        ("email", "other.alias@example.org", "address_type_tokens rowid=1"),
    ]


def test_signed_in_accounts_from_preferences_and_local_state(chromium_copy: Path) -> None:
    user_data = chromium_copy / CHROMIUM_USER_DATA
    preferences_path = user_data / "Default" / "Preferences"
    preferences = json.loads(preferences_path.read_text())
    preferences["account_info"] = [
        {
            "account_id": "1234567890",
            "email": "sam.signin@gmail.example",
            "full_name": "Sam Person",
            "gaia": "1234567890",
            "given_name": "Sam",
        }
    ]
    preferences.setdefault("google", {}).setdefault("services", {})["last_username"] = (
        "SAM.SIGNIN@gmail.example"  # the same account: reported once
    )
    preferences_path.write_text(json.dumps(preferences))
    local_state = json.loads((user_data / "Local State").read_text())
    cache = local_state.setdefault("profile", {}).setdefault("info_cache", {})
    cache.setdefault("Default", {})["user_name"] = "sam.signin@gmail.example"
    cache["Profile 1"] = {"user_name": "second.profile@example.org", "name": "Work"}
    (user_data / "Local State").write_text(json.dumps(local_state))

    assert _accounts(chromium_copy, preferences_path) == [
        ("google", "sam.signin@gmail.example", "account_info[0]")
    ]
    assert _accounts(chromium_copy, user_data / "Local State") == [
        ("google", "sam.signin@gmail.example", "profile.info_cache[Default].user_name"),
        ("google", "second.profile@example.org", "profile.info_cache[Profile 1].user_name"),
    ]
