"""Each order condition through ingestion: an observation in a batch becomes the right alert
for the right person, citing that observation; declared or harmless things raise nothing."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from monitor_unit import START, SYSTEM, MonitorUnit, build_unit, obs

from orderwatch.forensics.hashsets import build_hashset
from orderwatch.monitor.ingest import unit_hashsets
from orderwatch.settings import Settings
from orderwatch.storage import Database
from orderwatch.storage.monitoring_alerts import get_alert

# (condition, observation, severity, words in the title, what matched)
CASES: list[tuple[str, dict[str, Any], str, str, str | None]] = [
    (
        "declare_devices",
        obs(
            "usb_device",
            vendor="Kingston",
            product="DataTraveler",
            serial="UNDECLARED-1",
            first_seen="2025-02-01T10:00:00Z",
        ),
        "high",
        "Undeclared USB storage device: Kingston DataTraveler (serial UNDECLARED-1)",
        None,
    ),
    (
        "retain_history",
        obs("history_deletion", browser="Chrome", indicator="history_cleared", detail="412 rows"),
        "high",
        "History deletion in Chrome: history cleared",
        "412 rows",
    ),
    (
        "no_encryption_or_wiping",
        obs("installed_software", name="VeraCrypt 1.26", category="encryption"),
        "high",
        "Encryption software: VeraCrypt 1.26",
        None,
    ),
    (
        "no_anonymisation",
        obs("browser_visit", browser="Firefox", url="https://www.torproject.org/download/"),
        "high",
        "Visited anonymity network or proxy: www.torproject.org",
        "https://www.torproject.org/download/",
    ),
    (
        "declare_accounts",
        obs("account", service="Instagram", identifier="secret.handle99"),
        "high",
        "Undeclared account: secret.handle99 (Instagram)",
        None,
    ),
    (
        "declare_cloud_storage",
        obs("browser_visit", browser="Chrome", url="https://mega.nz/folder/abc"),
        "medium",
        "Visited undeclared cloud storage",
        "https://mega.nz/folder/abc",
    ),
    (
        "no_indecent_images",
        obs("hash_match", path="C:/Users/x/a.jpg", hashset="unit-set", method="md5"),
        "critical",
        "Known indecent image (uncategorised) in hash set unit-set",
        "C:/Users/x/a.jpg (md5 match)",
    ),
    (
        "no_adult_pornography",
        obs("browser_visit", browser="Chrome", url="https://adult-site.example/videos"),
        "medium",
        "Visited adult pornography site: adult-site.example",
        "https://adult-site.example/videos",
    ),
    (
        "no_contact_with_children",
        obs("text", app="WhatsApp", text="so r u home alone tonight?"),
        "high",
        "Possible grooming indicator in WhatsApp text: asking whether a child is alone",
        '"r u home alone"',
    ),
    (
        "prohibited_words",
        obs("text", app="SMS", text="did you get the Ex4mple-B@nned-W0rd thing"),
        "medium",
        'Prohibited word "example-banned-word" in SMS text',
        '"Ex4mple-B@nned-W0rd"',
    ),
    (
        "prohibited_apps_or_sites",
        obs("app_event", app="Kik Messenger", event="opened"),
        "high",
        "Prohibited app: Kik Messenger (Kik)",
        None,
    ),
    (
        "keep_monitoring",
        obs("tamper", event="agent_stopped", detail="service stopped"),
        "high",
        "Monitoring tampered with: agent stopped",
        "service stopped",
    ),
]


@pytest.mark.parametrize(("condition", "item", "severity", "title", "matched"), CASES)
def test_an_observation_raises_its_conditions_alert(
    module_unit: MonitorUnit,
    condition: str,
    item: dict[str, Any],
    severity: str,
    title: str,
    matched: str | None,
) -> None:
    before = {r.id for r in module_unit.alert_rows("a2")}
    result = module_unit.send("a2", [item])
    assert result.body["stored"] == 1
    new = [r for r in module_unit.alert_rows("a2") if r.id not in before]
    assert [(r.condition, r.severity) for r in new] == [(condition, severity)]
    assert new[0].title.startswith(title)
    assert new[0].occurrences == 1
    with module_unit.database.session() as session:
        file = get_alert(session, SYSTEM, new[0].id)
    assert [e.client_id for e in file.evidence] == [item["id"]]
    assert file.evidence[0].matched == matched
    assert file.alert.device_label == "laptop Dell Latitude (SER-a2)"
    assert file.alert.person_reference == "P-A2"


HARMLESS = [
    obs(
        "usb_device", vendor="Dell", product="Stick", serial="SER-a1"
    ),  # the declared laptop serial
    obs("account", service="facebook", identifier="A1.Handle"),  # declared, other case
    obs("account", service="gmail", identifier="a1@example.net"),  # declared address
    obs("browser_visit", browser="Chrome", url="https://www.bbc.co.uk/news"),
    obs("text", app="SMS", text="see you at the job centre at ten"),
    obs("search_term", engine="Google", term="bus times to the town centre"),
    obs("installed_software", name="LibreOffice 7.6"),
    obs("heartbeat", agent_version="1.0"),
    obs("image", path="/home/x/cat.jpg", md5="0" * 32, scores={"porn": 0.2}),
]


def test_declared_and_harmless_observations_raise_nothing(module_unit: MonitorUnit) -> None:
    before = module_unit.count("monitor_alerts")
    result = module_unit.send("a1", HARMLESS)
    assert result.body == {
        "batch_id": result.body["batch_id"],
        "device_id": module_unit.devices["a1"],
        "received": len(HARMLESS),
        "stored": len(HARMLESS),
        "duplicates": 0,
    }
    assert module_unit.count("monitor_alerts") == before


def test_a_usb_device_within_the_declaration_period_is_low_severity(
    module_unit: MonitorUnit,
) -> None:
    first_seen = START - timedelta(days=1)
    item = obs("usb_device", vendor="SanDisk", product="Cruzer", serial="NEW-STICK-9",
               first_seen=first_seen.isoformat())  # fmt: skip
    module_unit.send("b1", [item])
    row = next(r for r in module_unit.alert_rows("b1") if "NEW-STICK-9" in r.key)
    assert (row.condition, row.severity) == ("declare_devices", "low")


def test_an_image_matching_the_units_hash_set_is_critical(
    database: Database, monitor_password_hash: str, tmp_path: Path
) -> None:
    known = "9e107d9d372bb6826bd81d3542a419d6"
    listing = tmp_path / "known.txt"
    listing.write_text(f"{known}\n")
    (tmp_path / "hashsets").mkdir()
    build_hashset([listing], tmp_path / "hashsets" / "unit-known.owhs")
    settings = Settings(data_dir=tmp_path)
    hashsets = unit_hashsets(settings)  # every index in <data dir>/hashsets
    assert hashsets is not None and hashsets.names == ["unit-known"]
    unit = build_unit(database, settings, monitor_password_hash, hashsets=hashsets)
    image = obs("image", path="/home/p/Pictures/x.jpg", md5=known.upper(), pdq=None)
    other = obs("image", path="/home/p/Pictures/y.jpg", md5="1" * 32)
    unit.send("a1", [image, other])
    rows = unit.alert_rows("a1")
    assert [(r.condition, r.severity, r.title) for r in rows] == [
        (
            "no_indecent_images",
            "critical",
            "Known indecent image (uncategorised) in hash set unit-known",
        )
    ]
    with database.session() as session:
        file = get_alert(session, SYSTEM, rows[0].id)
    assert [e.client_id for e in file.evidence] == [image["id"]]
    assert file.evidence[0].payload["md5"] == known.upper()  # hashes are all that is kept
