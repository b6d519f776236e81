"""The checks behind each condition, one function per observation kind.

Each check reads one observation against the compiled order (`OrderContext`) and returns the
findings it supports; conditions the order lacks never produce findings, declared items never do.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache

from orderwatch.domain.conditions import Condition, ConditionType
from orderwatch.domain.lexicons import Lexicon
from orderwatch.domain.observations import (
    AccountObservation,
    AppEventObservation,
    BrowserVisitObservation,
    DownloadObservation,
    EncryptedContainerObservation,
    HashMatchObservation,
    HistoryDeletionObservation,
    ImageObservation,
    InstalledSoftwareObservation,
    Observation,
    SearchTermObservation,
    TamperObservation,
    TextObservation,
    UsbDeviceObservation,
    as_utc,
)
from orderwatch.domain.reference_lists import (
    ADULT_DOMAINS,
    ANONYMITY_DOMAINS,
    CLOUD_STORAGE_DOMAINS,
    KNOWN_GOOD_CATEGORIES,
    SOFTWARE_NAMES,
    VPN_DOMAINS,
    DomainIndex,
    domain_in,
    host_of,
    readable_url,
)
from orderwatch.domain.rules_findings import Finding, Severity
from orderwatch.domain.rules_identity import (
    CLOUD_SERVICES,
    DeclaredIdentities,
    is_built_in_account,
    is_display_name,
    is_email,
    is_generated_serial,
    normalise_identifier,
    normalise_name,
    normalise_serial,
    normalise_service,
)
from orderwatch.domain.textmatch import KeywordHit, KeywordMatcher

C = ConditionType
ADULT_SCORE_THRESHOLD = 0.8
_ADULT_SCORE_HINTS = ("porn", "explicit", "nud", "exposed", "sexual", "nsfw")
_HISTORY_EVENTS = ("history_cleared", "history_deleted", "private_browsing", "incognito")


# The shipped lists, the same for every order: anonymity, VPN, cloud storage, adult sites.
_SHIPPED_SITES = DomainIndex(
    (ANONYMITY_DOMAINS, VPN_DOMAINS, tuple(CLOUD_STORAGE_DOMAINS), ADULT_DOMAINS)
)


@lru_cache(maxsize=1 << 14)
def _shipped_site(host: str) -> tuple[str | None, ...]:
    """_SHIPPED_SITES.find(host), remembered: the same hosts come back all day."""
    return _SHIPPED_SITES.find(host)


def site_index(conditions: Mapping[ConditionType, Condition]) -> DomainIndex:
    """One order's own domain lists: its adult sites and its prohibited sites."""
    adult = conditions.get(C.NO_ADULT_PORNOGRAPHY)
    sites = conditions.get(C.PROHIBITED_APPS_OR_SITES)
    return DomainIndex(
        (
            tuple(adult.strings("domains")) if adult is not None else (),
            tuple(sites.strings("domains")) if sites is not None else (),
        )
    )


@dataclass
class OrderContext:
    """An order compiled for checking: its conditions, declarations and matchers.

    `word_hits` and `grooming_hits`, when set (by `with_hits`), hold the keyword hits of texts
    found beforehand for a batch of observations; texts not among them are matched one by one.
    """

    conditions: dict[ConditionType, Condition]
    declared: DeclaredIdentities
    lexicon: Lexicon | None
    words: KeywordMatcher | None  # prohibited_words
    apps: KeywordMatcher | None  # prohibited_apps_or_sites apps
    now: datetime | None
    sites: DomainIndex | None = None  # built from `conditions` when not given
    word_hits: Mapping[str, list[KeywordHit]] | None = None
    grooming_hits: Mapping[str, list[KeywordHit]] | None = None

    def __post_init__(self) -> None:
        if self.sites is None:
            self.sites = site_index(self.conditions)

    def has(self, condition: ConditionType) -> bool:
        return condition in self.conditions

    def with_hits(self, observations: Sequence[Observation]) -> OrderContext:
        """A copy of this context holding the keyword hits of every text of `observations`,
        each matcher run once over all of them (find_many): much cheaper than text by text."""
        words: dict[str, None] = {}
        grooming: dict[str, None] = {}
        for obs in observations:
            texts = TEXTS.get(obs.kind)
            if texts is None:
                continue
            for text in texts.words(obs):
                if text:
                    words[text] = None
            text = texts.grooming(obs)
            if text:
                grooming[text] = None
        scoped = copy.copy(self)
        if self.words is not None and words:
            ordered = list(words)
            scoped.word_hits = dict(zip(ordered, self.words.find_many(ordered), strict=True))
        if self._grooming_matcher() is not None and grooming:
            ordered = list(grooming)
            matcher = self._grooming_matcher()
            assert matcher is not None
            scoped.grooming_hits = dict(zip(ordered, matcher.find_many(ordered), strict=True))
        return scoped

    def _grooming_matcher(self) -> KeywordMatcher | None:
        if self.lexicon is None or not self.has(C.NO_CONTACT_WITH_CHILDREN):
            return None
        return self.lexicon.matcher

    def word_matches(self, text: str) -> list[KeywordHit]:
        """The order's prohibited words in `text`."""
        assert self.words is not None
        found = self.word_hits.get(text) if self.word_hits is not None else None
        return self.words.find(text) if found is None else found

    def grooming_matches(self, text: str) -> list[KeywordHit]:
        """The grooming lexicon's indicators in `text` (none without the condition)."""
        matcher = self._grooming_matcher()
        if matcher is None:
            return []
        found = self.grooming_hits.get(text) if self.grooming_hits is not None else None
        return matcher.find(text) if found is None else found

    def finding(
        self,
        condition: ConditionType,
        severity: Severity,
        title: str,
        obs: Observation,
        key: str,
        detail: str | None = None,
    ) -> list[Finding]:
        if condition not in self.conditions:
            return []
        return [Finding(condition, severity, title, (obs.id,), detail, f"{condition}:{key}")]


def _name(text: str | None) -> str:
    return " ".join((text or "").split()) or "unnamed"


def check_usb(ctx: OrderContext, obs: Observation) -> list[Finding]:
    assert isinstance(obs, UsbDeviceObservation)
    if ctx.declared.has_serial(obs.serial):
        return []
    device = _name(f"{obs.vendor or ''} {obs.product or ''}".strip() or "unknown device")
    if is_generated_serial(obs.serial):
        if ctx.declared.has_device_named(obs.vendor, obs.product):
            return []
        title = f"Undeclared USB storage device: {device} (no serial number)"
        return ctx.finding(C.DECLARE_DEVICES, Severity.MEDIUM, title, obs, f"usb:{device.lower()}")
    serial = normalise_serial(obs.serial)
    title = f"Undeclared USB storage device: {device} (serial {serial})"
    severity, detail = Severity.HIGH, None
    condition = ctx.conditions.get(C.DECLARE_DEVICES)
    first = obs.first_seen or obs.time
    if condition is not None and ctx.now is not None and first is not None:
        days = condition.integer("within_days")
        if as_utc(ctx.now) - as_utc(first) < timedelta(days=days):
            severity = Severity.LOW
            detail = (
                f"first seen {as_utc(first):%Y-%m-%d}, within the {days}-day declaration period"
            )
    return ctx.finding(C.DECLARE_DEVICES, severity, title, obs, f"usb:{serial}", detail)


def check_account(ctx: OrderContext, obs: Observation) -> list[Finding]:
    assert isinstance(obs, AccountObservation)
    identifier = obs.identifier.strip()
    if not identifier or is_built_in_account(identifier):
        return []
    service = normalise_service(obs.service)
    found: list[Finding] = []
    if is_display_name(service):  # a sender name: an alias unless it is the person's own
        if ctx.declared.is_own_name(identifier) or ctx.declared.has_account(
            obs.service, identifier
        ):
            return []
        title = f"Undeclared alias: {identifier!r} (display name)"
        key = f"alias:{normalise_name(identifier)}"
        return ctx.finding(C.DECLARE_ACCOUNTS, Severity.MEDIUM, title, obs, key)
    if not ctx.declared.has_account(obs.service, identifier):
        what = "e-mail address" if is_email(identifier) else "account"
        severity = Severity.MEDIUM if service == "windows" else Severity.HIGH
        title = f"Undeclared {what}: {identifier} ({_name(obs.service)})"
        key = f"account:{normalise_identifier(identifier)}"
        if not is_email(identifier):
            key = f"account:{service}:{normalise_identifier(identifier)}"
        found += ctx.finding(C.DECLARE_ACCOUNTS, severity, title, obs, key)
    if service in CLOUD_SERVICES and not ctx.declared.has_cloud_service(service):
        title = f"Undeclared cloud storage account: {identifier} on {_name(obs.service)}"
        found += ctx.finding(
            C.DECLARE_CLOUD_STORAGE, Severity.MEDIUM, title, obs, f"cloud:{service}"
        )
    return found


def _software(
    ctx: OrderContext, obs: Observation, name: str, category: str | None
) -> list[Finding]:
    """Findings for a program seen installed or running, by its category or its name."""
    families = {category} if category else set()
    families.update(h.label for h in software_families().find(name) if h.label)
    prohibited = [h.term for h in ctx.apps.find(name)] if ctx.apps is not None else []
    found: list[Finding] = []
    shown = _name(name)
    key = f"software:{shown.lower()}"
    if families & {"encryption", "wiping"}:
        kind = "Encryption" if "encryption" in families else "Wiping"
        found += ctx.finding(
            C.NO_ENCRYPTION_OR_WIPING, Severity.HIGH, f"{kind} software: {shown}", obs, key
        )
    if "wiping" in families:
        found += ctx.finding(
            C.RETAIN_HISTORY,
            Severity.HIGH,
            f"Wiping software that can delete history: {shown}",
            obs,
            key,
        )
    if families & {"anonymity", "vpn"} and not _allowed(ctx, name):
        anonymity = "anonymity" in families
        severity = Severity.HIGH if anonymity else Severity.MEDIUM
        kind = "Anonymity" if anonymity else "VPN"
        found += ctx.finding(C.NO_ANONYMISATION, severity, f"{kind} software: {shown}", obs, key)
    if "cloud_storage" in families and not _declared_cloud(ctx, name):
        found += ctx.finding(
            C.DECLARE_CLOUD_STORAGE,
            Severity.MEDIUM,
            f"Undeclared cloud storage software: {shown}",
            obs,
            key,
        )
    for app in prohibited:
        found += ctx.finding(
            C.PROHIBITED_APPS_OR_SITES,
            Severity.HIGH,
            f"Prohibited app: {shown} ({app})",
            obs,
            f"app:{app.lower()}",
        )
    return found


_FAMILIES: KeywordMatcher | None = None


def software_families() -> KeywordMatcher:
    """Software names by category (the fallback when a parser gave none), compiled once."""
    global _FAMILIES
    if _FAMILIES is None:
        labels = {n: category for category, names in SOFTWARE_NAMES.items() for n in names}
        _FAMILIES = KeywordMatcher(list(labels), (), labels)
    return _FAMILIES


def _allowed(ctx: OrderContext, name_or_host: str) -> bool:
    condition = ctx.conditions.get(C.NO_ANONYMISATION)
    if condition is None:
        return False
    text = name_or_host.lower()
    for allowed in condition.strings("allow"):
        item = allowed.lower().strip()
        if item and (item in text or domain_in(text, (item,))):
            return True
    return False


def _declared_cloud(ctx: OrderContext, name: str) -> bool:
    lowered = name.lower()
    return any(
        service in lowered or lowered in service
        for service in CLOUD_SERVICES
        if ctx.declared.has_cloud_service(service)
    )


def check_software(ctx: OrderContext, obs: Observation) -> list[Finding]:
    assert isinstance(obs, InstalledSoftwareObservation)
    return _software(ctx, obs, obs.name, obs.category)


def check_app_event(ctx: OrderContext, obs: Observation) -> list[Finding]:
    assert isinstance(obs, AppEventObservation)
    found = _software(ctx, obs, obs.app, None)
    event = obs.event.lower()
    if any(marker in event for marker in _HISTORY_EVENTS):
        title = f"History deletion or private browsing in {_name(obs.app)}: {obs.event}"
        found += ctx.finding(
            C.RETAIN_HISTORY,
            Severity.HIGH,
            title,
            obs,
            f"history:{obs.app.lower()}:{event}",
            obs.detail,
        )
    return found


def _site(ctx: OrderContext, obs: Observation, url: str, verb: str) -> list[Finding]:
    """Findings for a URL visited or downloaded: anonymity, cloud, adult and prohibited sites."""
    host = host_of(url)
    found: list[Finding] = []
    if not host:
        return found
    assert ctx.sites is not None
    anonymity, vpn, cloud, shipped_adult = _shipped_site(host)
    own_adult, prohibited = ctx.sites.find(host)
    if (anonymity or vpn) and not _allowed(ctx, host):
        severity = Severity.HIGH if anonymity else Severity.MEDIUM
        kind = "anonymity network or proxy" if anonymity else "VPN provider"
        listed = anonymity or vpn or host
        title = f"{verb} {kind}: {host}"
        found += ctx.finding(C.NO_ANONYMISATION, severity, title, obs, f"site:{listed}", url)
    if cloud and not ctx.declared.has_cloud_service(CLOUD_STORAGE_DOMAINS[cloud]):
        title = f"{verb} undeclared cloud storage: {CLOUD_STORAGE_DOMAINS[cloud]} ({host})"
        found += ctx.finding(
            C.DECLARE_CLOUD_STORAGE, Severity.MEDIUM, title, obs, f"cloud:{cloud}", url
        )
    if C.NO_ADULT_PORNOGRAPHY in ctx.conditions:
        adult = own_adult or shipped_adult  # the order's own domains are listed first
        if adult:
            title = f"{verb} adult pornography site: {host}"
            found += ctx.finding(
                C.NO_ADULT_PORNOGRAPHY, Severity.MEDIUM, title, obs, f"site:{adult}", url
            )
    if prohibited and C.PROHIBITED_APPS_OR_SITES in ctx.conditions:
        title = f"{verb} prohibited site: {host}"
        found += ctx.finding(
            C.PROHIBITED_APPS_OR_SITES, Severity.HIGH, title, obs, f"site:{prohibited}", url
        )
    return found


def _words(ctx: OrderContext, obs: Observation, text: str | None, where: str) -> list[Finding]:
    """Prohibited words of the order, and grooming indicators in conversations and searches."""
    if not text:
        return []
    found: list[Finding] = []
    if ctx.words is not None:
        for hit in ctx.word_matches(text):
            title = f'Prohibited word "{hit.term}" in {where}'
            quote = text[hit.start : hit.end]
            found += ctx.finding(
                C.PROHIBITED_WORDS,
                Severity.MEDIUM,
                title,
                obs,
                f"word:{hit.term.lower()}",
                f'"{quote}"',
            )
    return found


def _grooming(ctx: OrderContext, obs: Observation, text: str, where: str) -> list[Finding]:
    if ctx.lexicon is None or not ctx.has(C.NO_CONTACT_WITH_CHILDREN) or not text:
        return []
    found: list[Finding] = []
    for hit in ctx.grooming_matches(text):
        category = ctx.lexicon.category(hit.label or "")
        title = f"Possible grooming indicator in {where}: {category.label.lower()}"
        found += ctx.finding(
            C.NO_CONTACT_WITH_CHILDREN,
            Severity(category.severity),
            title,
            obs,
            f"grooming:{category.name}",
            f'"{text[hit.start : hit.end]}"',
        )
    return found


def _visit_texts(obs: Observation) -> tuple[str | None, ...]:
    assert isinstance(obs, BrowserVisitObservation)
    return readable_url(obs.url), obs.title


def _download_texts(obs: Observation) -> tuple[str | None, ...]:
    assert isinstance(obs, DownloadObservation)
    return (readable_url(obs.url),)


def _search_text(obs: Observation) -> str:
    assert isinstance(obs, SearchTermObservation)
    return obs.term


def _message_text(obs: Observation) -> str:
    assert isinstance(obs, TextObservation)
    return obs.text


def _no_text(obs: Observation) -> None:
    return None


@dataclass(frozen=True)
class _Texts:
    """Which texts of an observation kind are matched: against the order's prohibited words,
    and against the grooming lexicon."""

    words: Callable[[Observation], tuple[str | None, ...]]
    grooming: Callable[[Observation], str | None]


TEXTS: dict[str, _Texts] = {
    "browser_visit": _Texts(_visit_texts, _no_text),
    "download": _Texts(_download_texts, _no_text),
    "search_term": _Texts(lambda o: (_search_text(o),), _search_text),
    "text": _Texts(lambda o: (_message_text(o),), _message_text),
}


def check_visit(ctx: OrderContext, obs: Observation) -> list[Finding]:
    assert isinstance(obs, BrowserVisitObservation)
    address, title = _visit_texts(obs)
    found = _site(ctx, obs, obs.url, "Visited")
    found += _words(ctx, obs, address, "a visited address")
    found += _words(ctx, obs, title, "a page title")
    if obs.recovered:
        title = f"Deleted browsing history recovered ({_name(obs.browser)})"
        found += ctx.finding(
            C.RETAIN_HISTORY,
            Severity.HIGH,
            title,
            obs,
            f"recovered:{obs.browser.lower()}:{obs.profile or ''}",
            obs.url,
        )
    return found


def check_download(ctx: OrderContext, obs: Observation) -> list[Finding]:
    assert isinstance(obs, DownloadObservation)
    (address,) = _download_texts(obs)
    return _site(ctx, obs, obs.url, "Downloaded from") + _words(
        ctx, obs, address, "a download address"
    )


def check_search(ctx: OrderContext, obs: Observation) -> list[Finding]:
    assert isinstance(obs, SearchTermObservation)
    where, term = f"a {_name(obs.engine)} search", _search_text(obs)  # the text TEXTS matches
    return _words(ctx, obs, term, where) + _grooming(ctx, obs, term, where)


def check_text(ctx: OrderContext, obs: Observation) -> list[Finding]:
    assert isinstance(obs, TextObservation)
    where, text = f"{_name(obs.app)} text", _message_text(obs)  # the text TEXTS matches
    return _words(ctx, obs, text, where) + _grooming(ctx, obs, text, where)


def check_history_deletion(ctx: OrderContext, obs: Observation) -> list[Finding]:
    assert isinstance(obs, HistoryDeletionObservation)
    title = f"History deletion in {_name(obs.browser)}: {obs.indicator.replace('_', ' ')}"
    key = f"history:{obs.browser.lower()}:{obs.indicator}"
    return ctx.finding(C.RETAIN_HISTORY, Severity.HIGH, title, obs, key, obs.detail)


def check_container(ctx: OrderContext, obs: Observation) -> list[Finding]:
    assert isinstance(obs, EncryptedContainerObservation)
    title = f"Possible encrypted container: {obs.path} ({obs.size:,} bytes)"
    detail = f"entropy {obs.entropy:.3f} bits per byte, no known file signature"
    return ctx.finding(
        C.NO_ENCRYPTION_OR_WIPING, Severity.HIGH, title, obs, f"container:{obs.path}", detail
    )


def check_hash_match(ctx: OrderContext, obs: Observation) -> list[Finding]:
    assert isinstance(obs, HashMatchObservation)
    category = (obs.category or "").strip()
    if category.lower().replace(" ", "_") in KNOWN_GOOD_CATEGORIES:
        return []
    shown = f"category {category}" if category else "uncategorised"
    how = "PDQ near match" if obs.method == "pdq" else f"{obs.method} match"
    title = f"Known indecent image ({shown}) in hash set {obs.hashset}"
    detail = f"{obs.path} ({how}" + (f", distance {obs.distance})" if obs.method == "pdq" else ")")
    key = f"hash:{obs.hashset}:{category or 'none'}"
    return ctx.finding(C.NO_INDECENT_IMAGES, Severity.CRITICAL, title, obs, key, detail)


def check_image(ctx: OrderContext, obs: Observation) -> list[Finding]:
    assert isinstance(obs, ImageObservation)
    scores = {
        k: v for k, v in obs.scores.items() if any(h in k.lower() for h in _ADULT_SCORE_HINTS)
    }
    if not scores:
        return []
    label, score = max(scores.items(), key=lambda item: item[1])
    if score < ADULT_SCORE_THRESHOLD:
        return []
    title = "Image classified as adult pornography"
    detail = f"{obs.path} ({label} {score:.2f})"
    return ctx.finding(C.NO_ADULT_PORNOGRAPHY, Severity.MEDIUM, title, obs, "image", detail)


def check_tamper(ctx: OrderContext, obs: Observation) -> list[Finding]:
    assert isinstance(obs, TamperObservation)
    title = f"Monitoring tampered with: {obs.event.replace('_', ' ')}"
    return ctx.finding(
        C.KEEP_MONITORING, Severity.HIGH, title, obs, f"tamper:{obs.event}", obs.detail
    )


CHECKS: dict[str, Callable[[OrderContext, Observation], list[Finding]]] = {
    "usb_device": check_usb,
    "account": check_account,
    "installed_software": check_software,
    "app_event": check_app_event,
    "browser_visit": check_visit,
    "download": check_download,
    "search_term": check_search,
    "text": check_text,
    "history_deletion": check_history_deletion,
    "encrypted_container": check_container,
    "hash_match": check_hash_match,
    "image": check_image,
    "tamper": check_tamper,
}
