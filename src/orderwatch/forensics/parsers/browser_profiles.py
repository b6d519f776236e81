"""Which browser and profile a file belongs to (from its path), and what its profile says of age.

Profile age comes from small files beside the databases: Chromium's `Preferences`
(profile.creation_time, profile.last_engagement_time), Firefox's `times.json` (created) and
`prefs.js` (toolkit.startup.last_success). They are parsed as data, never executed.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import PurePosixPath
from typing import Any
from urllib.parse import urlsplit

from orderwatch.domain.reference_lists import CLOUD_STORAGE_DOMAINS
from orderwatch.forensics.parsers.browser_times import TimeFormat, to_datetime
from orderwatch.forensics.parsers.interface import Artefact

PREFERENCES_LIMIT = 32 * 1024 * 1024  # larger "preferences" files are not read
EMAIL_PATTERN = re.compile(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
_USER_PREF = re.compile(r'^\s*(?:user_)?pref\(\s*"((?:[^"\\]|\\.)*)"\s*,\s*(.+?)\s*\)\s*;', re.M)

# Path words (lower case) naming a Chromium-based browser, tried in this order.
_CHROMIUM_BROWSERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("edge", ("edge", "microsoft-edge", "microsoft-edge-beta", "microsoft-edge-dev")),
    ("brave", ("bravesoftware", "brave-browser")),
    (
        "opera",
        ("opera software", "opera", "opera stable", "opera gx stable", "com.operasoftware.opera"),
    ),
    ("vivaldi", ("vivaldi",)),
    ("chromium", ("chromium",)),
    ("chrome", ("chrome", "google-chrome", "google-chrome-beta", "google-chrome-unstable")),
)
_FIREFOX_BROWSERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("tor browser", ("tor browser", "tor-browser", "torbrowser", "tor browser.app")),
    ("librewolf", ("librewolf",)),
    ("waterfox", ("waterfox",)),
    ("firefox", ("firefox",)),
)


@dataclass(frozen=True)
class BrowserProfile:
    browser: str  # chrome, edge, brave, opera, vivaldi, chromium, firefox, tor browser, safari ...
    profile: str  # "Default", "Profile 1", "abcd1234.default-release" ...


@dataclass(frozen=True)
class ProfileTimes:
    """When a browser profile was created and last used, as far as its own files say."""

    created: datetime | None = None
    last_used: datetime | None = None


def identify_profile(path: str, family: str) -> BrowserProfile:
    """The browser (by the folders on the path) and profile (the file's folder) of a file."""
    parts = PurePosixPath(path).parts
    folders = [part.lower() for part in parts[:-1]]
    folder = parts[-2] if len(parts) >= 2 else ""
    if family == "safari":
        profile = "Default" if folder.lower() in ("", "safari") else folder
        return BrowserProfile("safari", profile)
    table = _FIREFOX_BROWSERS if family == "firefox" else _CHROMIUM_BROWSERS
    fallback = "firefox" if family == "firefox" else "chromium-based"
    for browser, words in table:
        if any(word in folders for word in words):
            return BrowserProfile(browser, folder or "Default")
    return BrowserProfile(fallback, folder or "Default")


def read_json_object(artefact: Artefact) -> dict[str, Any]:
    """A JSON object file (Chromium Preferences, Local State, Firefox times.json), size-bounded."""
    if artefact.size() > PREFERENCES_LIMIT:
        raise ValueError(f"larger than {PREFERENCES_LIMIT} bytes; not read")
    with artefact.open() as stream:
        data = json.loads(stream.read().decode("utf-8", errors="replace"))
    if not isinstance(data, dict):
        raise ValueError("not a JSON object")
    return data


def read_user_prefs(artefact: Artefact) -> dict[str, object]:
    """Firefox prefs.js as a dict of pref name -> value (bool, int, str), parsed, not run."""
    if artefact.size() > PREFERENCES_LIMIT:
        raise ValueError(f"larger than {PREFERENCES_LIMIT} bytes; not read")
    with artefact.open() as stream:
        text = stream.read().decode("utf-8", errors="replace")
    prefs: dict[str, object] = {}
    for match in _USER_PREF.finditer(text):
        try:
            name = json.loads(f'"{match.group(1)}"')
            value = json.loads(match.group(2))
        except ValueError:
            continue
        if isinstance(value, bool | int | str):
            prefs[name] = value
    return prefs


def dig(data: dict[str, Any], dotted: str) -> object:
    """A nested JSON value by its dotted preference name, or None."""
    node: object = data
    for key in dotted.split("."):
        if not isinstance(node, dict):
            return None
        node = node.get(key)
    return node


def profile_times(artefact: Artefact, family: str) -> ProfileTimes:
    """Creation and last-use times from the profile files beside `artefact` (missing: None)."""
    try:
        if family == "chromium":
            return _chromium_times(artefact)
        if family == "firefox":
            return _firefox_times(artefact)
    except (OSError, ValueError):
        pass
    return ProfileTimes()


def _chromium_times(artefact: Artefact) -> ProfileTimes:
    preferences = artefact.sibling("Preferences")
    if preferences is None:
        return ProfileTimes()
    data = read_json_object(preferences)
    return ProfileTimes(
        created=to_datetime(dig(data, "profile.creation_time"), TimeFormat.WEBKIT),
        last_used=to_datetime(dig(data, "profile.last_engagement_time"), TimeFormat.WEBKIT),
    )


def _firefox_times(artefact: Artefact) -> ProfileTimes:
    created = last_used = None
    times = artefact.sibling("times.json")
    if times is not None:
        created = to_datetime(read_json_object(times).get("created"), TimeFormat.POSIX_MS)
    prefs = artefact.sibling("prefs.js")
    if prefs is not None:
        last_success = read_user_prefs(prefs).get("toolkit.startup.last_success")
        last_used = to_datetime(last_success, TimeFormat.POSIX)
    return ProfileTimes(created=created, last_used=last_used)


def site_of(url: str) -> str:
    """The site a URL or sign-on realm belongs to, e.g. "facebook.com" (www./m. dropped)."""
    try:
        host = (urlsplit(url.strip()).hostname or "").lower()
    except ValueError:
        host = ""
    for prefix in ("www.", "m."):
        if host.startswith(prefix):
            host = host[len(prefix) :]
    return host or url.strip()


def service_of(url: str) -> str:
    """The service a saved login is for, as officers name it: "facebook" for
    https://www.facebook.com/, "dropbox" for dropbox.com (the shared cloud-storage list)."""
    host = site_of(url)
    labels = host.split(".")
    for index in range(len(labels) - 1):
        known = CLOUD_STORAGE_DOMAINS.get(".".join(labels[index:]))
        if known is not None:
            return known
    if len(labels) < 2:
        return host
    country_pair = len(labels) >= 3 and len(labels[-1]) == 2 and len(labels[-2]) <= 3
    return labels[-3] if country_pair else labels[-2]


def is_email(text: object) -> bool:
    return isinstance(text, str) and EMAIL_PATTERN.fullmatch(text.strip()) is not None
