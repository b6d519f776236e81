"""The rules engine: one test per condition family, declarations, folding, stream vs batch."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from orderwatch.domain.conditions import Condition, ConditionType, parse_condition
from orderwatch.domain.observations import (
    AccountObservation,
    AppEventObservation,
    BrowserVisitObservation,
    DownloadObservation,
    EncryptedContainerObservation,
    HashMatchObservation,
    HeartbeatObservation,
    HistoryDeletionObservation,
    ImageObservation,
    InstalledSoftwareObservation,
    Observation,
    Provenance,
    SearchTermObservation,
    TamperObservation,
    TextObservation,
    UsbDeviceObservation,
)
from orderwatch.domain.orderfile import DeclaredAccount, DeclaredDevice
from orderwatch.domain.rules import (
    Declarations,
    Finding,
    Severity,
    aggregate_findings,
    compile_order,
    evaluate_conditions,
    missed_heartbeat_finding,
)

C = ConditionType
P = Provenance(source="test-image", parser="test")
T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)

DECLARED = Declarations(
    devices=(
        DeclaredDevice(
            kind="usb_storage",
            vendor="SanDisk",
            product="Cruzer Blade",
            serial="4C530001230517117082",
        ),
        DeclaredDevice(kind="usb_storage", vendor="Kingston", product="DataTraveler"),
    ),
    accounts=(
        DeclaredAccount("email", "sam.person@example.org"),
        DeclaredAccount("gmail", "sam.person79@gmail.com"),
        DeclaredAccount("facebook", "sam.person.79"),
        DeclaredAccount("dropbox", "sam.person@example.org"),
    ),
)


def every_condition(**params: dict[str, object]) -> list[Condition]:
    out = []
    for ctype in ConditionType:
        record: dict[str, object] = {"type": ctype.value, **params.get(ctype.value, {})}
        out.append(parse_condition(record))
    return out


ALL = every_condition(
    prohibited_words={"words": ["example-banned-word"], "phrases": ["are you home alone"]},
    prohibited_apps_or_sites={"apps": ["Kik"], "domains": ["example-chat-site.test"]},
    no_anonymisation={"allow": ["WireGuard"]},
    no_adult_pornography={"domains": ["adult-example.test"]},
)


def run(*observations: Observation, conditions: list[Condition] | None = None) -> list[Finding]:
    return evaluate_conditions(conditions or ALL, list(observations), DECLARED)


def only(findings: list[Finding], condition: ConditionType) -> list[Finding]:
    return [f for f in findings if f.condition is condition]


# --- declare_devices -------------------------------------------------------------------------


def test_undeclared_usb_serial_is_a_finding_with_an_officer_title() -> None:
    usb = UsbDeviceObservation(
        id="u1", provenance=P, vendor="HP", product="v100w", serial="AA951D0000007252&0"
    )
    [finding] = run(usb)
    assert finding.condition is C.DECLARE_DEVICES
    assert finding.severity is Severity.HIGH
    assert finding.title == "Undeclared USB storage device: HP v100w (serial AA951D0000007252)"
    assert finding.observations == ("u1",)
    assert finding.key == "declare_devices:usb:AA951D0000007252"


@pytest.mark.parametrize(
    "serial", ["4C530001230517117082", "4c530001230517117082&0", " 4C53 0001230517117082 "]
)
def test_declared_usb_serial_is_not_a_finding(serial: str) -> None:
    usb = UsbDeviceObservation(
        id="u2", provenance=P, vendor="SanDisk", product="Cruzer Blade", serial=serial
    )
    assert run(usb) == []


def test_usb_without_serial_is_lower_severity_unless_declared_by_name() -> None:
    unknown = UsbDeviceObservation(
        id="u3", provenance=P, vendor="Generic", product="Flash Disk", serial="7&2A3B4C5D&0"
    )
    declared = UsbDeviceObservation(
        id="u4", provenance=P, vendor="Kingston", product="DataTraveler", serial=None
    )
    findings = run(unknown, declared)
    assert [(f.severity, f.observations) for f in findings] == [(Severity.MEDIUM, ("u3",))]
    assert "no serial number" in findings[0].title


def test_usb_within_the_declaration_period_is_low() -> None:
    usb = UsbDeviceObservation(
        id="u5",
        provenance=P,
        vendor="HP",
        product="x",
        serial="NEW1",
        first_seen=T0 - timedelta(days=1),
    )
    compiled = compile_order(ALL, DECLARED, now=T0)
    [finding] = compiled.evaluate(usb)
    assert finding.severity is Severity.LOW
    assert "within the 3-day declaration period" in (finding.detail or "")


# --- declare_accounts ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("service", "identifier"),
    [
        ("Thunderbird", "Sam.Person@Example.org"),
        ("chrome", "sam.person.79+news@googlemail.com"),
        ("Facebook", "@Sam.Person.79"),
        ("windows", "Administrator"),
        ("windows", "WDAGUtilityAccount"),
        ("windows", "DefaultAccount"),
        ("windows", "Guest"),
    ],
)
def test_declared_and_built_in_accounts_are_not_findings(service: str, identifier: str) -> None:
    assert (
        only(
            run(AccountObservation(id="a", provenance=P, service=service, identifier=identifier)),
            C.DECLARE_ACCOUNTS,
        )
        == []
    )


def test_a_display_name_is_an_alias_unless_it_is_the_persons_own_name() -> None:
    named = Declarations(DECLARED.devices, DECLARED.accounts, names=("Sam Pérson", "Sammy P"))

    def shown(name: str) -> AccountObservation:
        return AccountObservation(
            id=name, provenance=P, service="email_display_name", identifier=name
        )

    own = [shown("sam  person"), shown("SAMMY P"), shown("Sam Pérson")]  # case, accents, spaces
    findings = evaluate_conditions(ALL, [*own, shown('Dark "Alias"')], named)
    (finding,) = only(findings, C.DECLARE_ACCOUNTS)
    assert finding.title == "Undeclared alias: 'Dark \"Alias\"' (display name)"
    assert finding.key == "declare_accounts:alias:dark alias"
    assert finding.severity is Severity.MEDIUM
    # without the person's names, every display name is a possible alias
    assert len(only(evaluate_conditions(ALL, own, DECLARED), C.DECLARE_ACCOUNTS)) == 2


def test_undeclared_accounts_are_findings_service_aware() -> None:
    alias = AccountObservation(id="a1", provenance=P, service="Kik", identifier="alias99")
    same_name_other_service = AccountObservation(
        id="a2", provenance=P, service="instagram", identifier="sam.person.79"
    )
    mail = AccountObservation(
        id="a3", provenance=P, service="outlook", identifier="other@example.net"
    )
    local = AccountObservation(id="a4", provenance=P, service="windows", identifier="sammy")
    found = {
        f.observations: f
        for f in only(run(alias, same_name_other_service, mail, local), C.DECLARE_ACCOUNTS)
    }
    assert found[("a1",)].title == "Undeclared account: alias99 (Kik)"
    assert found[("a2",)].severity is Severity.HIGH
    assert found[("a3",)].title == "Undeclared e-mail address: other@example.net (outlook)"
    assert found[("a4",)].severity is Severity.MEDIUM


# --- retain_history, no_encryption_or_wiping, no_anonymisation ----------------------------


def test_history_deletion_evidence() -> None:
    recovered = BrowserVisitObservation(
        id="v1",
        provenance=P,
        browser="Chrome",
        profile="Default",
        url="https://example.org/a",
        recovered=True,
    )
    recovered2 = BrowserVisitObservation(
        id="v2",
        provenance=P,
        browser="Chrome",
        profile="Default",
        url="https://example.org/b",
        recovered=True,
    )
    live = BrowserVisitObservation(
        id="v3", provenance=P, browser="Chrome", url="https://example.org/c"
    )
    deletion = HistoryDeletionObservation(
        id="d1",
        provenance=P,
        browser="Firefox",
        indicator="visit_id_gap",
        detail="ids 120-340 missing",
    )
    wiper = InstalledSoftwareObservation(id="s1", provenance=P, name="CCleaner", category="wiping")
    findings = only(run(recovered, recovered2, live, deletion, wiper), C.RETAIN_HISTORY)
    by_title = {f.title: f for f in findings}
    assert by_title["Deleted browsing history recovered (Chrome)"].observations == ("v1", "v2")
    assert by_title["History deletion in Firefox: visit id gap"].detail == "ids 120-340 missing"
    assert by_title["Wiping software that can delete history: CCleaner"].observations == ("s1",)
    assert len(findings) == 3


def test_encryption_and_wiping() -> None:
    veracrypt = InstalledSoftwareObservation(id="s1", provenance=P, name="VeraCrypt 1.26")
    container = EncryptedContainerObservation(
        id="c1", provenance=P, path="/Users/x/blob.bin", size=10 * 1024 * 1024, entropy=7.9998
    )
    findings = only(run(veracrypt, container), C.NO_ENCRYPTION_OR_WIPING)
    titles = sorted(f.title for f in findings)
    assert titles == [
        "Encryption software: VeraCrypt 1.26",
        "Possible encrypted container: /Users/x/blob.bin (10,485,760 bytes)",
    ]


def test_anonymisation_respects_the_allow_list() -> None:
    tor = InstalledSoftwareObservation(id="s1", provenance=P, name="Tor Browser")
    vpn = InstalledSoftwareObservation(id="s2", provenance=P, name="NordVPN", category="vpn")
    allowed = InstalledSoftwareObservation(id="s3", provenance=P, name="WireGuard", category="vpn")
    onion = BrowserVisitObservation(
        id="v1", provenance=P, browser="Firefox", url="http://abcdefgh.onion/index"
    )
    site = BrowserVisitObservation(
        id="v2", provenance=P, browser="Firefox", url="https://www.torproject.org/download/"
    )
    findings = only(run(tor, vpn, allowed, onion, site), C.NO_ANONYMISATION)
    seen = {f.observations[0]: f.severity for f in findings}
    assert seen == {
        "s1": Severity.HIGH,
        "s2": Severity.MEDIUM,
        "v1": Severity.HIGH,
        "v2": Severity.HIGH,
    }


# --- cloud, images, pornography ------------------------------------------------------------


def test_cloud_storage_undeclared_versus_declared() -> None:
    mega = DownloadObservation(id="w1", provenance=P, url="https://mega.nz/file/abc")
    dropbox = BrowserVisitObservation(
        id="v1", provenance=P, browser="Edge", url="https://www.dropbox.com/home"
    )
    app = InstalledSoftwareObservation(
        id="s1", provenance=P, name="MEGAsync", category="cloud_storage"
    )
    account = AccountObservation(id="a1", provenance=P, service="mega", identifier="x@example.net")
    findings = only(run(mega, dropbox, app, account), C.DECLARE_CLOUD_STORAGE)
    cited = sorted(o for f in findings for o in f.observations)
    assert cited == ["a1", "s1", "w1"]  # Dropbox is declared


def test_hash_matches() -> None:
    bad = HashMatchObservation(id="h1", provenance=P, path="/a.jpg", hashset="unit", category="A")
    bad2 = HashMatchObservation(
        id="h2",
        provenance=P,
        path="/b.jpg",
        hashset="unit",
        category="A",
        method="pdq",
        distance=12,
    )
    good = HashMatchObservation(
        id="h3", provenance=P, path="/c.dll", hashset="nsrl", category="known_good"
    )
    [finding] = run(bad, bad2, good)
    assert finding.severity is Severity.CRITICAL
    assert finding.title == "Known indecent image (category A) in hash set unit"
    assert finding.observations == ("h1", "h2")
    assert finding.detail == "/a.jpg (md5 match); /b.jpg (PDQ near match, distance 12)"


def test_adult_pornography_by_score_and_listed_domain() -> None:
    high = ImageObservation(id="i1", provenance=P, path="/p.jpg", scores={"porn": 0.93})
    low = ImageObservation(id="i2", provenance=P, path="/q.jpg", scores={"porn": 0.2})
    listed = BrowserVisitObservation(
        id="v1", provenance=P, browser="Chrome", url="https://videos.adult-example.test/x"
    )
    findings = only(run(high, low, listed), C.NO_ADULT_PORNOGRAPHY)
    assert sorted(o for f in findings for o in f.observations) == ["i1", "v1"]


# --- words, children, apps and sites -------------------------------------------------------


def test_grooming_indicators_and_prohibited_words_in_text_and_searches() -> None:
    chat = TextObservation(
        id="t1", provenance=P, app="Kik", text="r u h0me al0ne? d0nt tell anyone ok"
    )
    search = SearchTermObservation(
        id="q1", provenance=P, engine="Google", term="example banned word example-banned-word"
    )
    url = BrowserVisitObservation(
        id="v1",
        provenance=P,
        browser="Chrome",
        url="https://search.test/?q=example-banned-word",
        title="nothing",
    )
    plain = TextObservation(id="t2", provenance=P, app="Kik", text="see you at football")
    findings = run(chat, search, url, plain)
    children = only(findings, C.NO_CONTACT_WITH_CHILDREN)
    assert {f.key for f in children} == {
        "no_contact_with_children:grooming:alone_or_unsupervised",
        "no_contact_with_children:grooming:secrecy",
    }
    words = {f.key: f.observations for f in only(findings, C.PROHIBITED_WORDS)}
    assert words == {
        "prohibited_words:word:are you home alone": ("t1",),
        "prohibited_words:word:example-banned-word": ("q1", "v1"),
    }


def test_prohibited_apps_and_sites() -> None:
    kik = InstalledSoftwareObservation(id="s1", provenance=P, name="Kik Messenger", category="chat")
    kikkoman = InstalledSoftwareObservation(id="s2", provenance=P, name="Kikkoman Recipes")
    event = AppEventObservation(id="e1", provenance=P, app="kik", event="opened")
    site = BrowserVisitObservation(
        id="v1", provenance=P, browser="Safari", url="https://rooms.example-chat-site.test/lobby"
    )
    other = BrowserVisitObservation(
        id="v2", provenance=P, browser="Safari", url="https://example-chat-site.test.evil.example/"
    )
    findings = only(run(kik, kikkoman, event, site, other), C.PROHIBITED_APPS_OR_SITES)
    assert {f.key: f.observations for f in findings} == {
        "prohibited_apps_or_sites:app:kik": ("s1", "e1"),
        "prohibited_apps_or_sites:site:example-chat-site.test": ("v1",),
    }


# --- keep_monitoring -----------------------------------------------------------------------


def test_tamper_and_heartbeat_gaps() -> None:
    beats = [
        HeartbeatObservation(id=f"b{i}", provenance=P, time=T0 + timedelta(hours=h))
        for i, h in enumerate((0, 1, 2, 12, 13))
    ]
    tamper = TamperObservation(id="x1", provenance=P, event="agent_stopped", time=T0)
    compiled = compile_order(ALL, DECLARED, now=T0 + timedelta(hours=30))
    stream = [f for o in [tamper, *beats] for f in compiled.evaluate(o)] + compiled.finish()
    titles = sorted(f.title for f in stream)
    assert titles == [
        "Monitoring agent gap for 10 h (threshold 6 h)",
        "Monitoring agent silent for 17 h (threshold 6 h)",
        "Monitoring tampered with: agent stopped",
    ]
    gap = next(f for f in stream if "gap" in f.title)
    assert gap.observations == ("b2", "b3")


def test_missed_heartbeat_helper() -> None:
    assert missed_heartbeat_finding(T0, T0 + timedelta(hours=1), timedelta(hours=2)) is None
    late = missed_heartbeat_finding(T0, T0 + timedelta(hours=3), timedelta(hours=2))
    assert late is not None and late.condition is C.KEEP_MONITORING
    assert late.key == "keep_monitoring:silent"
    never = missed_heartbeat_finding(None, T0, timedelta(hours=2))
    assert never is not None and never.title == "Monitoring agent has never reported"


# --- engine-wide properties ----------------------------------------------------------------


def mixed_observations() -> list[Observation]:
    return [
        UsbDeviceObservation(
            id="u1", provenance=P, vendor="HP", product="v100w", serial="S1&0", time=T0
        ),
        UsbDeviceObservation(
            id="u2",
            provenance=P,
            vendor="HP",
            product="v100w",
            serial="s1",
            time=T0 + timedelta(days=1),
        ),
        InstalledSoftwareObservation(id="s1", provenance=P, name="Tor Browser", time=T0),
        TextObservation(id="t1", provenance=P, app="Kik", text="are you home alone?", time=T0),
        TextObservation(id="t2", provenance=P, app="Kik", text="ARE U HOME AL0NE", time=T0),
        HashMatchObservation(id="h1", provenance=P, path="/a", hashset="s", category="B"),
        AccountObservation(
            id="a1", provenance=P, service="email", identifier="sam.person@example.org"
        ),
    ]


def test_findings_only_for_conditions_the_order_contains() -> None:
    only_devices = [parse_condition({"type": "declare_devices"})]
    findings = run(*mixed_observations(), conditions=only_devices)
    assert {f.condition for f in findings} == {C.DECLARE_DEVICES}
    assert findings[0].observations == ("u1", "u2")


def test_inspection_on_request_never_has_device_findings() -> None:
    conditions = [parse_condition({"type": "inspection_on_request"})]
    assert run(*mixed_observations(), conditions=conditions) == []


def test_batch_folds_by_key_and_sorts_by_severity_then_condition() -> None:
    findings = run(*mixed_observations())
    assert [f.severity for f in findings] == sorted(
        (f.severity for f in findings), key=lambda s: -s.rank
    )
    assert findings[0].condition is C.NO_INDECENT_IMAGES
    keys = [f.key for f in findings]
    assert len(keys) == len(set(keys))
    usb = next(f for f in findings if f.condition is C.DECLARE_DEVICES)
    assert usb.observations == ("u1", "u2")


def test_streaming_and_batch_agree() -> None:
    observations = mixed_observations()
    compiled = compile_order(ALL, DECLARED)
    streamed = [f for o in observations for f in compiled.evaluate(o)] + compiled.finish()
    assert aggregate_findings(streamed) == evaluate_conditions(ALL, observations, DECLARED)


def test_aggregate_keeps_the_highest_severity_and_each_detail_once() -> None:
    a = Finding(C.PROHIBITED_WORDS, Severity.LOW, "t", ("1",), "x", "k")
    b = Finding(C.PROHIBITED_WORDS, Severity.HIGH, "t2", ("2", "1"), "x", "k")
    c = Finding(C.PROHIBITED_WORDS, Severity.MEDIUM, "t3", ("3",), "y", "k")
    [folded] = aggregate_findings([a, b, c])
    assert folded.severity is Severity.HIGH
    assert folded.observations == ("1", "2", "3")
    assert folded.detail == "x; y"
    assert folded.title == "t"
    assert folded.to_dict() == {
        "condition": "prohibited_words",
        "severity": "high",
        "title": "t",
        "observations": ["1", "2", "3"],
        "detail": "x; y",
        "key": "k",
    }
