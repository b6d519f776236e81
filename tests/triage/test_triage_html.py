"""report.html: findings grouped by condition, a timeline with provenance, never an image."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from triage_evidence import read_outputs

from orderwatch.triage.html import group_findings, render_html

TriageRun = Callable[..., tuple[int, Path]]


def _observation(oid: str, kind: str, time: str | None, **fields: Any) -> dict[str, Any]:
    return {
        "id": oid,
        "kind": kind,
        "time": time,
        **fields,
        "provenance": {
            "source": "/evidence/laptop.E01",
            "parser": fields.pop("parser", "hash_set"),
            "path": fields.get("path"),
            "record": "md5=abc",
            "original_time": None,
        },
    }


def synthetic_report() -> dict[str, Any]:
    observations = [
        _observation(
            "o1",
            "hash_match",
            "2024-01-01T08:00:00Z",
            path="/Users/sam/a.jpg",
            hashset="vics-2024",
            category="A",
            method="md5",
            distance=0,
        ),
        _observation(
            "o2",
            "installed_software",
            "2024-01-02T09:00:00Z",
            name="VeraCrypt",
            category="encryption",
            path="/Program Files/VeraCrypt",
            parser="software",
        ),
        _observation("o3", "usb_device", None, vendor="Kingston", serial="X1", parser="usbstor"),
    ]
    findings = [
        {
            "condition": "no_indecent_images",
            "severity": "critical",
            "title": "A file matches a known-image hash set",
            "observations": ["o1"],
            "detail": None,
        },
        {
            "condition": "no_encryption_or_wiping",
            "severity": "high",
            "title": "Encryption software installed: VeraCrypt",
            "observations": ["o2"],
            "detail": "category encryption",
        },
    ]
    return {
        "tool": {"name": "orderwatch", "version": "0.1.0"},
        "sources": [
            {
                "path": "/evidence/laptop.E01",
                "format": "ewf",
                "size": 1,
                "md5": "m",
                "sha1": None,
                "verified": True,
                "volumes": ["whole (NTFS)"],
                "snapshots": ["vss1 2013-12-03T06:35:09Z"],
            }
        ],
        "summary": {
            "files": 3,
            "deleted_files": 1,
            "bytes_hashed": 10,
            "seconds": 1.0,
            "hash_matches": 1,
            "errors": 1,
            "files_hashed": 3,
            "observations": 3,
            "findings": 2,
            "quick": False,
            "match_categories": {"A": 1},
        },
        "findings": findings,
        "observations": observations,
        "errors": [
            {"path": "/bad.jpg", "stage": "pdq", "message": "cannot decode image", "source": "x"}
        ],
        "mode": "full",
        "order": {
            "path": "order.yaml",
            "sha256": "f" * 64,
            "person_ref": "OW-0001",
            "kind": "SHPO",
            "made": "2023-05-10",
            "conditions": ["declare_devices", "no_encryption_or_wiping", "no_indecent_images"],
        },
        "hashsets": [{"path": "vics.json", "sha256": "e" * 64}],
        "provenance": {
            "tool": "orderwatch",
            "tool_version": "0.1.0",
            "user": "dc.jones",
            "host": "triage-01",
            "started": "2024-02-01T10:00:00Z",
            "finished": "2024-02-01T10:05:00Z",
            "command_line": ["orderwatch", "triage", "/evidence/laptop.E01"],
            "workers": 2,
            "python": "3.11",
            "platform": "Linux",
            "mode": "full",
        },
    }


def test_every_order_condition_is_a_group_breached_or_not() -> None:
    groups = group_findings(synthetic_report())
    assert [g["condition"] for g in groups] == [
        "declare_devices",
        "no_encryption_or_wiping",
        "no_indecent_images",
    ]
    assert [len(g["items"]) for g in groups] == [0, 1, 1]
    assert groups[0]["label"] == "Declare all devices"


def test_html_groups_findings_and_links_evidence_to_the_timeline() -> None:
    html = render_html(synthetic_report())
    sections = re.findall(r'<h2 id="([a-z]+)"', html)
    assert sections == [
        "summary",
        "sources",
        "findings",
        "matches",
        "hidden",
        "timeline",
        "errors",
        "provenance",
    ]
    findings = html[html.index('id="findings"') : html.index('id="matches"')]
    devices = findings[findings.index("condition-declare_devices") :]
    assert devices.index("No finding.") < devices.index("condition-no_encryption_or_wiping")
    assert 'href="#obs-o1"' in findings and 'href="#obs-o2"' in findings
    timeline = html[html.index('id="timeline"') : html.index('id="errors"')]
    # Dated observations in the order given (report.json is already sorted), anchors present.
    assert re.findall(r'<tr id="obs-(o\d)"', timeline) == ["o1", "o2", "o3"]
    assert "parser usbstor" in timeline and "source <code>/evidence/laptop.E01</code>" in timeline
    assert "Encryption software installed: VeraCrypt" in findings
    assert "dc.jones" in html and "OW-0001" in html
    sources = html[html.index('id="sources"') : html.index('id="findings"')]
    assert "whole (NTFS)" in sources and "snapshots: vss1 2013-12-03T06:35:09Z" in sources
    assert "yes, matches the stored hash" in sources


def test_html_never_carries_an_image_or_an_outside_resource() -> None:
    report = synthetic_report()
    report["observations"][0]["path"] = '/x/"><img src=x onerror=alert(1)>.jpg'
    html = render_html(report)
    assert "<img" not in html.lower()
    assert "data:image" not in html
    assert "<script" not in html.lower()
    assert not re.search(r"(src|href)=\"(https?:)?//", html)


def test_a_real_run_shows_matches_hidden_material_and_errors(
    evidence_folder: Path, triage_run: TriageRun
) -> None:
    code, out = triage_run(evidence_folder)
    assert code == 0
    report, _ = read_outputs(out)
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "<img" not in html.lower()
    for observation in report["observations"]:
        assert f'id="obs-{observation["id"]}"' in html
    hidden = html[html.index('id="hidden"') : html.index('id="archives"')]
    assert "/downloads/kernel32.dll: content is jpeg but the name ends .dll" in hidden
    assert "/vault.hc: possible encrypted container" in hidden
    assert "/docs/holiday.zip" in html and "trip/day1.jpg" in html
    errors = html[html.index('id="errors"') : html.index('id="provenance"')]
    assert "/broken.jpg" in errors and "pdq" in errors
    assert "No order file was given" in html


def test_pdf_on_request(evidence_folder: Path, tmp_path: Path) -> None:
    from orderwatch.cli import main

    out = tmp_path / "out"
    assert main(["triage", str(evidence_folder), "--out", str(out), "--workers", "1", "--pdf"]) == 0
    pdf = (out / "report.pdf").read_bytes()
    assert pdf.startswith(b"%PDF-")
    try:
        text = subprocess.run(
            ["pdftotext", str(out / "report.pdf"), "-"], capture_output=True, text=True, check=True
        ).stdout
    except FileNotFoundError:
        pytest.skip("pdftotext (poppler-utils) not installed")
    assert "Device triage report" in text and "Timeline of observations" in text


def test_a_long_timeline_keeps_cited_and_flagged_items_and_says_what_it_left_out() -> None:
    report = synthetic_report()
    visits = [
        _observation(
            f"v{i}", "browser_visit", f"2023-01-01T00:00:{i:02d}Z", url=f"u{i}", parser="chrome"
        )
        for i in range(10)
    ]
    report["observations"] = visits + report["observations"]
    html = render_html(report, timeline_limit=5)
    timeline = html[html.index('id="timeline"') : html.index('id="errors"')]
    shown = re.findall(r'<tr id="obs-(\w+)"', timeline)
    # o1 and o2 are cited; then o3 (a kind a device has few of), then the earliest visits
    assert shown == ["v0", "v1", "o1", "o2", "o3"]
    assert "8 further observations" in timeline
