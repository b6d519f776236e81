"""Issue 4 end to end: one seized-device image, an order, two hash sets -> the right findings.

The image (tests/triage/issue4_device.py) holds a real headless-Chromium profile with deleted
history rows, a Firefox profile, SYSTEM and SOFTWARE hives, setupapi.dev.log, Thunderbird's
prefs.js, pictures, a renamed JPEG and a container. `orderwatch triage` runs once on the raw
image and once on the same media as E01 (built once for the module); each test reads the outputs.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from issue4_device import (
    CONTAINER,
    DECLARED_EMAIL,
    DECLARED_SERIAL,
    GROOMING_PHRASE,
    KNOWN_PICTURE,
    NEAR_PICTURE,
    PLAIN_PICTURE,
    PROHIBITED_DOMAIN,
    PROHIBITED_WORD,
    RENAMED_JPEG,
    UNDECLARED_EMAIL,
    UNDECLARED_SERIAL,
    Device,
    build_device,
    build_e01_copy,
    have_tools,
)
from markupsafe import escape

from orderwatch.cli import main
from orderwatch.settings import reset_settings

pytestmark = pytest.mark.slow

# Conditions a device can show evidence for, and that this image does.
WITH_EVIDENCE = {
    "declare_devices",
    "retain_history",
    "no_encryption_or_wiping",
    "no_anonymisation",
    "declare_accounts",
    "declare_cloud_storage",
    "no_indecent_images",
    "no_contact_with_children",
    "prohibited_words",
    "prohibited_apps_or_sites",
}
# No finding can come from this device for these:
# - keep_monitoring: evidence is the live agent's missed heartbeats and tamper events, never an
#   artefact of a seized device;
# - inspection_on_request: decided by home-visit outcomes an officer records;
# - no_adult_pornography: a device could show it (visits to adult sites, an image classifier),
#   but this image holds none on purpose (test content stays innocuous; the optional classifier
#   is not installed), so the rule must stay silent rather than guess.
WITHOUT_EVIDENCE = {"keep_monitoring", "inspection_on_request", "no_adult_pornography"}


@dataclass(frozen=True)
class Run:
    code: int
    out: Path
    report: dict[str, Any]
    html: str
    source: Path

    @property
    def observations(self) -> dict[str, dict[str, Any]]:
        return {o["id"]: o for o in self.report["observations"]}

    def findings(self, condition: str) -> list[dict[str, Any]]:
        return [f for f in self.report["findings"] if f["condition"] == condition]

    def cited(self, finding: dict[str, Any]) -> list[dict[str, Any]]:
        return [self.observations[i] for i in finding["observations"]]

    def finding(self, condition: str, title_part: str) -> dict[str, Any]:
        (found,) = [f for f in self.findings(condition) if title_part in f["title"]]
        return found


@pytest.fixture(scope="module")
def device(tmp_path_factory: pytest.TempPathFactory) -> Device:
    missing = have_tools()
    if missing:
        pytest.skip(missing)
    return build_device(tmp_path_factory.mktemp("issue4"))


def _triage(source: Path, out: Path, device: Device) -> Run:
    argv = ["triage", str(source), "--out", str(out), "--order", str(device.order)]
    argv += ["--hashset", str(device.md5_set), "--hashset", str(device.pdq_set), "--workers", "2"]
    code = main(argv)
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    return Run(code, out, report, (out / "report.html").read_text(encoding="utf-8"), source)


@pytest.fixture(scope="module")
def _settings(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Module-wide settings (the per-test isolation fixture is function-scoped)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("ORDERWATCH_DATA_DIR", str(tmp_path_factory.mktemp("issue4-data")))
        patch.delenv("ORDERWATCH_CONFIG", raising=False)
        reset_settings()
        yield
    reset_settings()


@pytest.fixture(scope="module")
def raw(device: Device, _settings: None) -> Run:
    return _triage(device.image, device.folder.parent / "out-raw", device)


@pytest.fixture(scope="module")
def e01(device: Device, _settings: None) -> Run:
    image = build_e01_copy(device.folder.parent / "e01", device.image)
    return _triage(image, device.folder.parent / "out-e01", device)


def test_the_run_completes_without_errors_and_ids_are_unique(raw: Run) -> None:
    assert raw.code == 0
    assert raw.report["errors"] == []
    ids = [o["id"] for o in raw.report["observations"]]
    assert len(ids) == len(set(ids)) == raw.report["summary"]["observations"]


def test_a_finding_for_every_condition_with_device_evidence_and_none_for_the_rest(
    raw: Run,
) -> None:
    conditions = {f["condition"] for f in raw.report["findings"]}
    assert conditions == WITH_EVIDENCE
    assert set(raw.report["order"]["conditions"]) == WITH_EVIDENCE | WITHOUT_EVIDENCE
    assert raw.report["summary"]["findings"] == len(raw.report["findings"])


def test_undeclared_usb_stick_only(raw: Run) -> None:
    (finding,) = raw.findings("declare_devices")
    assert UNDECLARED_SERIAL in finding["title"] and finding["severity"] == "high"
    cited = raw.cited(finding)
    assert {o["serial"] for o in cited} == {UNDECLARED_SERIAL}
    # Seen in the SYSTEM hive and in setupapi.dev.log: both cited.
    assert {o["provenance"]["parser"] for o in cited} == {"windows_system_hive", "setupapi_dev_log"}
    declared = [o for o in raw.report["observations"] if o.get("serial") == DECLARED_SERIAL]
    assert len(declared) == 2  # the declared stick was read from both, and is no finding
    assert not any(DECLARED_SERIAL in f["title"] for f in raw.report["findings"])


def test_undeclared_email_only(raw: Run) -> None:
    (finding,) = raw.findings("declare_accounts")
    assert finding["title"] == f"Undeclared e-mail address: {UNDECLARED_EMAIL} (email)"
    [account] = raw.cited(finding)
    assert account["provenance"]["parser"] == "thunderbird_prefs"
    accounts = {o["identifier"] for o in raw.report["observations"] if o["kind"] == "account"}
    assert DECLARED_EMAIL in accounts  # read, and declared: no finding
    cited = {i for f in raw.report["findings"] for i in f["observations"]}
    assert not any(raw.observations[i].get("identifier") == DECLARED_EMAIL for i in cited), (
        "a declared e-mail address is cited by a finding"
    )


def test_recovered_deleted_history_and_deletion_indicators(raw: Run, device: Device) -> None:
    recovered = raw.finding("retain_history", "Deleted browsing history recovered (chromium)")
    visits = raw.cited(recovered)
    assert all(v["kind"] == "browser_visit" and v["recovered"] for v in visits)
    assert {v["url"] for v in visits} == device.deleted_urls
    indicators = [f for f in raw.findings("retain_history") if f is not recovered]
    assert indicators and all(
        o["kind"] == "history_deletion" for f in indicators for o in raw.cited(f)
    )


def test_encryption_software_and_container(raw: Run) -> None:
    software = raw.finding("no_encryption_or_wiping", "Encryption software: VeraCrypt")
    assert [o["provenance"]["parser"] for o in raw.cited(software)] == ["windows_software_hive"]
    container = raw.finding("no_encryption_or_wiping", "Possible encrypted container")
    [observation] = raw.cited(container)
    assert (observation["kind"], observation["path"]) == ("encrypted_container", CONTAINER)
    assert observation["size"] % 512 == 0 and observation["entropy"] > 7.99


def test_tor_browser_from_the_hive_and_its_folder(raw: Run) -> None:
    (finding,) = raw.findings("no_anonymisation")
    assert finding["title"] == "Anonymity software: Tor Browser"
    parsers = {o["provenance"]["parser"] for o in raw.cited(finding)}
    assert parsers == {"windows_software_hive", "software_paths"}


def test_undeclared_cloud_storage_software_and_site(raw: Run) -> None:
    titles = {f["title"] for f in raw.findings("declare_cloud_storage")}
    assert titles == {
        "Undeclared cloud storage software: Dropbox",
        "Visited undeclared cloud storage: mega (mega.nz)",
    }


def test_known_images_exact_and_near_duplicate(raw: Run) -> None:
    by_method = {}
    for finding in raw.findings("no_indecent_images"):
        assert finding["severity"] == "critical"
        for match in raw.cited(finding):
            by_method[match["method"]] = match
    assert set(by_method) == {"md5", "pdq"}
    assert (by_method["md5"]["path"], by_method["md5"]["hashset"]) == (KNOWN_PICTURE, "known-md5")
    near = by_method["pdq"]
    assert (near["path"], near["hashset"]) == (NEAR_PICTURE, "vics-pdq")
    assert 0 < near["distance"] <= 31  # resized and re-encoded: the same picture, other bytes
    matched = {o["path"] for o in raw.report["observations"] if o["kind"] == "hash_match"}
    assert PLAIN_PICTURE not in matched


def test_grooming_phrase_prohibited_word_and_prohibited_site(raw: Run) -> None:
    (grooming,) = raw.findings("no_contact_with_children")
    [search] = raw.cited(grooming)
    assert (search["kind"], search["engine"], search["term"]) == (
        "search_term",
        "Bing",
        GROOMING_PHRASE,
    )
    (word,) = raw.findings("prohibited_words")
    assert PROHIBITED_WORD in word["title"]
    terms = {(o["kind"], o.get("engine")) for o in raw.cited(word)}
    assert ("search_term", "Google") in terms
    (site,) = raw.findings("prohibited_apps_or_sites")
    assert site["title"] == f"Visited prohibited site: {PROHIBITED_DOMAIN}"
    [visit] = raw.cited(site)
    assert visit["url"].startswith(f"https://{PROHIBITED_DOMAIN}/") and not visit["recovered"]


def test_every_cited_observation_has_provenance_in_the_image(raw: Run) -> None:
    inventory_paths = {
        json.loads(line)["path"]
        for line in (raw.out / "inventory.jsonl").read_text(encoding="utf-8").splitlines()
    }
    for finding in raw.report["findings"]:
        assert finding["observations"], finding
        for observation_id in finding["observations"]:
            provenance = raw.observations[observation_id]["provenance"]
            assert provenance["source"] == str(raw.source)
            assert provenance["parser"] and provenance["record"], (finding["title"], provenance)
            assert provenance["path"] in inventory_paths, provenance


def test_renamed_jpeg_is_reported_as_hidden_material(raw: Run) -> None:
    (renamed,) = [o for o in raw.report["observations"] if o["kind"] == "signature_mismatch"]
    assert (renamed["path"], renamed["extension"], renamed["detected_type"]) == (
        RENAMED_JPEG,
        "txt",
        "jpeg",
    )
    hidden = raw.html[raw.html.index('id="hidden"') : raw.html.index('id="timeline"')]
    assert f'href="#obs-{renamed["id"]}"' in hidden and RENAMED_JPEG in hidden


def _section(html: str, condition: str) -> str:
    start = html.index(f'<h3 id="condition-{condition}">')
    ends = [html.find(tag, start + 1) for tag in ("<h3 ", "<h2 ")]
    return html[start : min(e for e in ends if e > 0)]


def test_html_groups_findings_by_condition_and_links_provenance(raw: Run) -> None:
    html = raw.html
    for condition in WITH_EVIDENCE:
        section = _section(html, condition)
        for finding in raw.findings(condition):
            assert str(escape(finding["title"])) in section
            for observation_id in finding["observations"]:
                assert f'href="#obs-{observation_id}"' in section
    for condition in WITHOUT_EVIDENCE:
        assert "No finding." in _section(html, condition)
    timeline = html[html.index('id="timeline"') :]
    for observation_id in {i for f in raw.report["findings"] for i in f["observations"]}:
        observation = raw.observations[observation_id]
        row = timeline[timeline.index(f'<tr id="obs-{observation_id}">') :]
        row = row[: row.index("</tr>")]
        provenance = observation["provenance"]
        assert f"parser {provenance['parser']}" in row
        assert f"path <code>{escape(provenance['path'])}</code>" in row
        assert f"record {escape(provenance['record'])}" in row


def test_the_same_media_as_e01_gives_the_same_findings(raw: Run, e01: Run) -> None:
    assert e01.code == 0 and e01.report["errors"] == []
    assert e01.report["sources"][0]["format"] == "ewf"
    assert e01.report["sources"][0]["verified"] is True

    def shown(run: Run) -> list[tuple[str, str, str, int]]:
        return [
            (f["condition"], f["severity"], f["title"], len(f["observations"]))
            for f in run.report["findings"]
        ]

    assert shown(e01) == shown(raw)
