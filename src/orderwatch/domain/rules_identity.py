"""Who and what is declared: normalised comparison of device serials and account identifiers."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from orderwatch.domain.orderfile import DeclaredAccount, DeclaredDevice
from orderwatch.domain.reference_lists import BUILT_IN_ACCOUNTS, CLOUD_STORAGE_DOMAINS

_INSTANCE_SUFFIX = re.compile(r"&\d+$")
_SPACES = re.compile(r"\s+")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")

# Service names as parsers and officers write them -> one name per service.
_SERVICE_ALIASES: dict[str, str] = {
    "e-mail": "email",
    "mail": "email",
    "thunderbird": "email",
    "outlook": "email",
    "gmail": "google",
    "google account": "google",
    "chrome": "google",
    "googlemail": "google",
    "fb": "facebook",
    "messenger": "facebook",
    "insta": "instagram",
    "x": "twitter",
    "windows": "windows",
    "windows profile": "windows",
    "windows account": "windows",
    "local account": "windows",
    "sam": "windows",
    "microsoft account": "microsoft",
    "live": "microsoft",
    "hotmail": "microsoft",
    "megasync": "mega",
    "google drive": "google drive",
}
_GENERIC_SERVICES = frozenset({"", "other", "unknown", "account", "user", "username"})


def normalise_serial(serial: str | None) -> str:
    """Serial as compared: upper case, no whitespace, no Windows instance suffix ("&0")."""
    if not serial:
        return ""
    return _INSTANCE_SUFFIX.sub("", _SPACES.sub("", serial)).upper()


def is_generated_serial(serial: str | None) -> bool:
    """True when Windows made the id up because the device has no serial ("7&2a3b4c&0")."""
    text = normalise_serial(serial)
    return not text or (len(text) > 1 and text[1] == "&")


def _words(text: str | None) -> str:
    return " ".join((text or "").lower().split())


def normalise_service(service: str | None) -> str:
    name = _words(service)
    return _SERVICE_ALIASES.get(name, name)


def normalise_name(name: str) -> str:
    """A person's name compared loosely: case, accents, quotes and spacing ignored."""
    decomposed = unicodedata.normalize("NFKD", name.casefold())
    letters = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(letters.replace('"', " ").replace("'", " ").split())


def is_display_name(service: str | None) -> bool:
    """An account observation that names a display name (e-mail sender name), not a log-in."""
    return normalise_service(service).endswith("display_name")


def is_email(identifier: str) -> bool:
    return bool(_EMAIL.match(identifier.strip()))


def normalise_identifier(identifier: str) -> str:
    """E-mail: lower case, no "+tag", Gmail dots ignored; user name: lower case, no leading "@"."""
    text = identifier.strip().lower()
    if is_email(text):
        local, _, domain = text.rpartition("@")
        local = local.split("+", 1)[0]
        if domain in ("gmail.com", "googlemail.com"):
            local, domain = local.replace(".", ""), "gmail.com"
        return f"{local}@{domain}"
    return text.lstrip("@")


def is_built_in_account(identifier: str) -> bool:
    """Operating-system accounts (Administrator, Guest, DefaultAccount ...) are not aliases."""
    return identifier.strip().lower() in BUILT_IN_ACCOUNTS


@dataclass(frozen=True)
class DeclaredIdentities:
    """The declarations in the form the rules compare against."""

    serials: frozenset[str]
    device_names: frozenset[str]
    emails: frozenset[str]
    accounts: frozenset[tuple[str, str]]  # (service, identifier)
    services: frozenset[str]
    names: frozenset[str] = frozenset()  # the person's name and aliases (normalise_name)

    @classmethod
    def build(
        cls,
        devices: tuple[DeclaredDevice, ...],
        accounts: tuple[DeclaredAccount, ...],
        names: tuple[str, ...] = (),
    ) -> DeclaredIdentities:
        serials = {normalise_serial(d.serial) for d in devices if d.serial}
        device_names: set[str] = set()
        for device in devices:
            for first, second in ((device.vendor, device.product), (device.make, device.model)):
                if first or second:
                    device_names.add(_words(f"{first or ''} {second or ''}"))
            for single in (device.product, device.model):
                if single:
                    device_names.add(_words(single))
        emails = {normalise_identifier(a.identifier) for a in accounts if is_email(a.identifier)}
        pairs = {
            (normalise_service(a.service), normalise_identifier(a.identifier)) for a in accounts
        }
        services = {normalise_service(a.service) for a in accounts}
        return cls(
            frozenset(serials),
            frozenset(device_names),
            frozenset(emails),
            frozenset(pairs),
            frozenset(services),
            frozenset(filter(None, map(normalise_name, names))),
        )

    def has_serial(self, serial: str | None) -> bool:
        return bool(serial) and normalise_serial(serial) in self.serials

    def has_device_named(self, vendor: str | None, product: str | None) -> bool:
        """For devices without a serial: a declared device with the same vendor and product."""
        both = _words(f"{vendor or ''} {product or ''}")
        return bool(both) and (both in self.device_names or _words(product) in self.device_names)

    def has_account(self, service: str, identifier: str) -> bool:
        """Declared when the e-mail address is declared (any service), or the same user name
        on the same service (or a declaration that names no particular service)."""
        ident = normalise_identifier(identifier)
        if is_email(ident):
            return ident in self.emails
        wanted = normalise_service(service)
        return any(
            ident == declared
            and (svc == wanted or svc in _GENERIC_SERVICES or wanted in _GENERIC_SERVICES)
            for svc, declared in self.accounts
        )

    def is_own_name(self, name: str) -> bool:
        """The person's own name or a declared alias (case, accents and spacing ignored)."""
        return normalise_name(name) in self.names

    def has_cloud_service(self, service: str) -> bool:
        return normalise_service(service) in self.services


CLOUD_SERVICES: frozenset[str] = frozenset(CLOUD_STORAGE_DOMAINS.values()) | {"megasync"}
