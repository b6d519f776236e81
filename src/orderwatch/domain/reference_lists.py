"""Reference lists the rules compare against: anonymity, VPN, cloud-storage and adult domains,
software names by category, and account names that are not a person's alias.

Parsers label installed software with a category from their catalogue; these names are the
rules' own fallback for observations without one (agent app events, visits, downloads).
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache
from urllib.parse import unquote_plus, urlsplit

# Anonymity networks and anonymising proxies (".onion" is a top-level name: any host under it).
ANONYMITY_DOMAINS: tuple[str, ...] = (
    "onion",
    "torproject.org",
    "tails.net",
    "tails.boum.org",
    "geti2p.net",
    "i2p2.de",
    "freenetproject.org",
    "hyphanet.org",
    "whonix.org",
    "kproxy.com",
    "hidester.com",
    "proxysite.com",
    "hide.me",
    "croxyproxy.com",
    "4everproxy.com",
)

VPN_DOMAINS: tuple[str, ...] = (
    "nordvpn.com",
    "expressvpn.com",
    "protonvpn.com",
    "mullvad.net",
    "privateinternetaccess.com",
    "surfshark.com",
    "windscribe.com",
    "cyberghostvpn.com",
    "tunnelbear.com",
    "ipvanish.com",
    "hidemyass.com",
    "purevpn.com",
    "vyprvpn.com",
    "hotspotshield.com",
    "torguard.net",
    "airvpn.org",
    "ivpn.net",
)

# Cloud storage services: domain -> the service name accounts and software use.
CLOUD_STORAGE_DOMAINS: dict[str, str] = {
    "mega.nz": "mega",
    "mega.io": "mega",
    "mega.co.nz": "mega",
    "dropbox.com": "dropbox",
    "dropboxusercontent.com": "dropbox",
    "drive.google.com": "google drive",
    "docs.google.com": "google drive",
    "onedrive.live.com": "onedrive",
    "1drv.ms": "onedrive",
    "icloud.com": "icloud",
    "box.com": "box",
    "pcloud.com": "pcloud",
    "mediafire.com": "mediafire",
    "wetransfer.com": "wetransfer",
    "sync.com": "sync",
    "icedrive.net": "icedrive",
    "tresorit.com": "tresorit",
    "filen.io": "filen",
    "terabox.com": "terabox",
    "gofile.io": "gofile",
    "koofr.eu": "koofr",
    "jottacloud.com": "jottacloud",
    "disk.yandex.com": "yandex disk",
}

# Software names (lower case, matched as whole words) by category, for the rules' fallback.
SOFTWARE_NAMES: dict[str, tuple[str, ...]] = {
    "encryption": (
        "veracrypt",
        "truecrypt",
        "bitlocker to go",
        "axcrypt",
        "cryptomator",
        "gpg4win",
        "diskcryptor",
        "boxcryptor",
        "ciphershed",
        "7-zip aes",
        "keepass",
    ),
    "wiping": (
        "ccleaner",
        "bleachbit",
        "eraser",
        "sdelete",
        "privazer",
        "wise disk cleaner",
        "file shredder",
        "dban",
        "cipher.exe",
        "wipefile",
        "secure eraser",
    ),
    "anonymity": (
        "tor browser",
        "tor",
        "tails",
        "i2p",
        "freenet",
        "hyphanet",
        "whonix",
        "orbot",
        "onion browser",
        "torbrowser",
    ),
    "vpn": (
        "nordvpn",
        "expressvpn",
        "protonvpn",
        "proton vpn",
        "mullvad",
        "surfshark",
        "windscribe",
        "cyberghost",
        "tunnelbear",
        "ipvanish",
        "hotspot shield",
        "openvpn",
        "wireguard",
        "private internet access",
        "purevpn",
        "hide.me",
    ),
    "cloud_storage": (
        "mega",
        "megasync",
        "dropbox",
        "google drive",
        "onedrive",
        "icloud",
        "pcloud",
        "mediafire",
        "box drive",
        "sync.com",
        "icedrive",
        "tresorit",
    ),
}

# Account names an operating system makes itself: never a person's alias.
BUILT_IN_ACCOUNTS: frozenset[str] = frozenset(
    {
        "administrator",
        "guest",
        "defaultaccount",
        "wdagutilityaccount",
        "defaultuser0",
        "defaultuser100000",
        "system",
        "local service",
        "localservice",
        "network service",
        "networkservice",
        "public",
        "default",
        "default user",
        "all users",
        "utilityaccount",
        "wsiaccount",
        "homegroupuser$",
        "root",
        "nobody",
        "daemon",
    }
)

ADULT_DOMAINS: tuple[str, ...] = (
    "pornhub.com",
    "xvideos.com",
    "xnxx.com",
    "xhamster.com",
    "redtube.com",
    "youporn.com",
    "onlyfans.com",
    "chaturbate.com",
    "stripchat.com",
    "spankbang.com",
    "eporner.com",
    "tube8.com",
    "brazzers.com",
)

# Hash-set categories that mean "known and harmless" (not an indecent-image match).
KNOWN_GOOD_CATEGORIES: frozenset[str] = frozenset(
    {"known_good", "knowngood", "nsrl", "ignorable", "benign", "whitelist", "allowlist"}
)


def host_of(url: str) -> str:
    """The lower-case host of a URL (or of a bare domain), without port or trailing dot."""
    text = url.strip()
    if "://" not in text:
        text = "//" + text
    try:
        host = urlsplit(text).hostname or ""
    except ValueError:
        return ""
    return host.rstrip(".").lower()


def domain_in(host: str, domains: tuple[str, ...] | list[str] | frozenset[str]) -> str | None:
    """The listed domain that `host` is or is under (subdomains included), or None; the first
    listed one when several are. Each list is indexed once, then looked up by host suffix."""
    index = _domain_index(domains if isinstance(domains, tuple) else tuple(domains))
    return _first_listed(index, _suffixes(host))


class DomainIndex:
    """Domain lists indexed once, each answered as `domain_in` would: the listed domain a host is
    or is under (subdomains included), the first listed one when several are."""

    __slots__ = ("_indexes",)

    def __init__(self, lists: Iterable[tuple[str, ...]]) -> None:
        self._indexes = [_domain_index(domains) for domains in lists]

    def find(self, host: str) -> tuple[str | None, ...]:
        """The answer of each list for `host` (its suffixes worked out once for all lists)."""
        if not any(self._indexes):
            return (None,) * len(self._indexes)
        suffixes = _suffixes(host)
        return tuple(_first_listed(index, suffixes) for index in self._indexes)


def _suffixes(host: str) -> list[str]:
    """a.example.com, example.com, com."""
    suffixes = [host]
    dot = host.find(".")
    while dot >= 0:
        suffixes.append(host[dot + 1 :])
        dot = host.find(".", dot + 1)
    return suffixes


def _first_listed(index: dict[str, tuple[int, str]], suffixes: list[str]) -> str | None:
    best: tuple[int, str] | None = None
    for suffix in suffixes:
        found = index.get(suffix)
        if found is not None and (best is None or found[0] < best[0]):
            best = found
    return best[1] if best is not None else None


@lru_cache(maxsize=1024)
def _domain_index(domains: tuple[str, ...]) -> dict[str, tuple[int, str]]:
    """Normalised domain -> (its place in the list, the domain as listed)."""
    index: dict[str, tuple[int, str]] = {}
    for place, domain in enumerate(domains):
        wanted = domain.strip().lower().lstrip(".")
        if wanted.startswith("*."):
            wanted = wanted[2:]
        if wanted:
            index.setdefault(wanted, (place, domain))
    return index


def readable_url(url: str) -> str:
    """A URL with percent-escapes and '+' decoded, so words in its path and query can match."""
    try:
        return unquote_plus(url)
    except (UnicodeDecodeError, ValueError):
        return url
