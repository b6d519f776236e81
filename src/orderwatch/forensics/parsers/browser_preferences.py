"""Browser preference files: signed-in accounts and settings that erase or stop history.

Chromium `Preferences` (account_info e-mails, last "Clear browsing data", history saving off,
clear-on-exit), Chromium `Local State` (the account of each profile) and Firefox `prefs.js`
(Sync account, history off, always-private, clear history on shutdown). Only names and e-mail
addresses are taken; tokens and hashes in these files are never read out.
"""

from __future__ import annotations

from typing import Any

from orderwatch.domain.errors import OrderwatchError
from orderwatch.domain.observations import (
    AccountObservation,
    HistoryDeletionObservation,
    format_time,
)
from orderwatch.forensics.parsers.browser_profiles import (
    BrowserProfile,
    dig,
    identify_profile,
    read_json_object,
    read_user_prefs,
)
from orderwatch.forensics.parsers.browser_times import TimeFormat, to_datetime
from orderwatch.forensics.parsers.interface import Artefact, ArtefactParser, ParserMediator
from orderwatch.forensics.parsers.manager import registry

# "Clear browsing data" time ranges as Chromium stores them.
_TIME_PERIODS = {
    0: "the last hour",
    1: "the last 24 hours",
    2: "the last 7 days",
    3: "the last 4 weeks",
    4: "all time",
    5: "older than 30 days",
    6: "the last 15 minutes",
}
_MAIL_CLIENT_WORDS = ("thunderbird", "icedove", "betterbird")  # their prefs.js is not a browser's
_SIGNED_IN_PREFS = ("google.services.last_username", "google.services.last_signed_in_username")


class UnreadablePreferencesError(OrderwatchError):
    """A browser preference file that cannot be read."""


class _PreferenceParser(ArtefactParser):
    """Shared reporting for the preference parsers."""

    def account(
        self,
        mediator: ParserMediator,
        artefact: Artefact,
        service: str,
        identifier: str,
        record: str,
    ) -> None:
        mediator.produce(
            AccountObservation(
                id=mediator.observation_id(self.NAME, artefact.path, "account", record),
                provenance=mediator.provenance(self.NAME, artefact.path, record),
                service=service,
                identifier=identifier,
                source_path=artefact.path,
            )
        )

    def indicator(
        self,
        mediator: ParserMediator,
        artefact: Artefact,
        profile: BrowserProfile,
        name: str,
        detail: str,
        record: str,
        stored_time: object = None,
        time_format: TimeFormat = TimeFormat.WEBKIT,
    ) -> None:
        label = f"{profile.browser} profile '{profile.profile}'"
        mediator.produce(
            HistoryDeletionObservation(
                id=mediator.observation_id(self.NAME, artefact.path, "indicator", name),
                time=to_datetime(stored_time, time_format),
                provenance=mediator.provenance(self.NAME, artefact.path, record, stored_time),
                browser=profile.browser,
                indicator=name,
                detail=f"{label}: {detail}",
            )
        )


def _load_json(artefact: Artefact) -> dict[str, Any]:
    try:
        return read_json_object(artefact)
    except ValueError as error:
        message = f"{artefact.path}: not a readable JSON file: {error}"
        raise UnreadablePreferencesError(message) from error


def _provider(profile: BrowserProfile) -> str:
    return "microsoft" if profile.browser == "edge" else "google"


class ChromePreferencesParser(_PreferenceParser):
    """A Chromium-family profile's `Preferences` JSON."""

    NAME = "chrome_preferences"
    DESCRIPTION = "Chrome/Chromium/Edge Preferences: signed-in accounts, history clearing settings"
    FILE_NAMES = ("Preferences",)

    def parse(self, artefact: Artefact, mediator: ParserMediator) -> None:
        data = _load_json(artefact)
        profile = identify_profile(artefact.path, "chromium")
        seen: set[str] = set()
        accounts = data.get("account_info")
        for index, info in enumerate(accounts if isinstance(accounts, list) else []):
            email = info.get("email") if isinstance(info, dict) else None
            if isinstance(email, str) and email.strip() and email.casefold() not in seen:
                seen.add(email.casefold())
                self.account(
                    mediator, artefact, _provider(profile), email.strip(), f"account_info[{index}]"
                )
        for name in _SIGNED_IN_PREFS:
            value = dig(data, name)
            if isinstance(value, str) and value.strip() and value.casefold() not in seen:
                seen.add(value.casefold())
                self.account(mediator, artefact, _provider(profile), value.strip(), name)
        self._history_settings(data, artefact, mediator, profile)

    def _history_settings(
        self,
        data: dict[str, Any],
        artefact: Artefact,
        mediator: ParserMediator,
        profile: BrowserProfile,
    ) -> None:
        cleared = dig(data, "browser.last_clear_browsing_data_time")
        if to_datetime(cleared, TimeFormat.WEBKIT) is not None:
            period = dig(data, "browser.clear_data.time_period")
            span = (
                _TIME_PERIODS.get(period, f"time range code {period}")
                if isinstance(period, int)
                else "the default time range"
            )
            history = dig(data, "browser.clear_data.browsing_history")
            ticked = "unticked" if history is False else "ticked"
            moment = format_time(to_datetime(cleared, TimeFormat.WEBKIT))
            self.indicator(
                mediator,
                artefact,
                profile,
                "browsing_data_cleared",
                f"'Clear browsing data' last used at {moment} (last choices: {span}, "
                f"browsing history {ticked})",
                "browser.last_clear_browsing_data_time",
                cleared,
            )
        if dig(data, "history.saving_disabled") is True:
            self.indicator(
                mediator,
                artefact,
                profile,
                "history_disabled",
                "saving of browsing history is turned off (history.saving_disabled)",
                "history.saving_disabled",
            )
        clear_data = dig(data, "browser.clear_data")
        for key, value in sorted(clear_data.items() if isinstance(clear_data, dict) else []):
            if key.endswith("_on_exit") and "history" in key and value is True:
                self.indicator(
                    mediator,
                    artefact,
                    profile,
                    "clear_on_exit",
                    f"browsing history is deleted whenever the browser closes ({key})",
                    f"browser.clear_data.{key}",
                )


class ChromeLocalStateParser(_PreferenceParser):
    """Chromium `Local State`: the account each profile is signed in with."""

    NAME = "chrome_local_state"
    DESCRIPTION = "Chrome/Chromium/Edge Local State: the account of each profile"
    FILE_NAMES = ("Local State",)

    def parse(self, artefact: Artefact, mediator: ParserMediator) -> None:
        data = _load_json(artefact)
        profile = identify_profile(artefact.path, "chromium")
        cache = dig(data, "profile.info_cache")
        for folder, info in sorted(cache.items() if isinstance(cache, dict) else []):
            user = info.get("user_name") if isinstance(info, dict) else None
            if isinstance(user, str) and user.strip():
                record = f"profile.info_cache[{folder}].user_name"
                self.account(mediator, artefact, _provider(profile), user.strip(), record)


class FirefoxPrefsParser(_PreferenceParser):
    """A Firefox-family profile's `prefs.js` (Thunderbird's is left to the e-mail parsers)."""

    NAME = "firefox_prefs"
    DESCRIPTION = "Firefox prefs.js: Sync account, history off, private mode, clear on shutdown"
    FILE_NAMES = ("prefs.js",)

    def base_names(self) -> str | None:
        return r"prefs\.js"

    def matches(self, path: str) -> bool:
        lowered = path.lower()
        return lowered.rsplit("/", 1)[-1] == "prefs.js" and not any(
            word in lowered for word in _MAIL_CLIENT_WORDS
        )

    def parse(self, artefact: Artefact, mediator: ParserMediator) -> None:
        try:
            prefs = read_user_prefs(artefact)
        except ValueError as error:
            raise UnreadablePreferencesError(f"{artefact.path}: {error}") from error
        profile = identify_profile(artefact.path, "firefox")
        sync_user = prefs.get("services.sync.username")
        if isinstance(sync_user, str) and sync_user.strip():
            self.account(mediator, artefact, "mozilla", sync_user.strip(), "services.sync.username")
        if prefs.get("places.history.enabled") is False:
            self.indicator(
                mediator,
                artefact,
                profile,
                "history_disabled",
                "'Remember browsing and download history' is off (places.history.enabled)",
                "places.history.enabled",
            )
        if prefs.get("browser.privatebrowsing.autostart") is True:
            self.indicator(
                mediator,
                artefact,
                profile,
                "private_browsing_always",
                "always uses private browsing: no history is kept "
                "(browser.privatebrowsing.autostart)",
                "browser.privatebrowsing.autostart",
            )
        history_prefs = (
            "privacy.clearOnShutdown.history",
            "privacy.clearOnShutdown_v2.historyFormDataAndDownloads",
            "privacy.clearOnShutdown_v2.browsingHistoryAndDownloads",
        )
        keeps_history = any(prefs.get(name) is False for name in history_prefs)
        if prefs.get("privacy.sanitize.sanitizeOnShutdown") is True and not keeps_history:
            self.indicator(
                mediator,
                artefact,
                profile,
                "clear_on_exit",
                "browsing history is deleted whenever the browser closes "
                "(privacy.sanitize.sanitizeOnShutdown)",
                "privacy.sanitize.sanitizeOnShutdown",
            )


registry.register(ChromePreferencesParser)
registry.register(ChromeLocalStateParser)
registry.register(FirefoxPrefsParser)
