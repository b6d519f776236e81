"""Triage with --order: findings per condition, citing the observations behind them."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path

import pytest
from triage_evidence import folder_contents, read_outputs

TriageRun = Callable[..., tuple[int, Path]]

ORDER = """\
person:
  ref: OW-0042
  name: Test Person
  risk_level: high
order:
  kind: SHPO
  made: 2023-05-10
  conditions:
    - type: declare_devices
    - type: no_encryption_or_wiping
    - type: no_indecent_images
declared_devices:
  - {kind: laptop, make: Dell, model: Latitude 5420, serial: 7XK2Q53}
"""


def test_findings_cite_observations_and_every_condition_is_shown(
    evidence_folder: Path, triage_run: TriageRun, tmp_path: Path
) -> None:
    order = tmp_path / "order.yaml"
    order.write_text(ORDER, encoding="utf-8")
    garden = folder_contents()["/photos/garden.png"]
    hashset = tmp_path / "known.csv"
    hashset.write_text(f"md5,category\n{hashlib.md5(garden).hexdigest()},A\n", encoding="utf-8")
    code, out = triage_run(evidence_folder, "--order", order, "--hashset", hashset)
    assert code == 0
    report, _ = read_outputs(out)
    observations = {o["id"]: o for o in report["observations"]}
    by_condition = {f["condition"]: f for f in report["findings"]}
    assert set(by_condition) == {"no_indecent_images", "no_encryption_or_wiping"}
    images = by_condition["no_indecent_images"]
    assert images["severity"] == "critical"
    cited = [observations[i] for i in images["observations"]]
    assert {(o["kind"], o["path"]) for o in cited} == {
        ("hash_match", "/photos/garden.png"),
        ("hash_match", "/.hidden_copy.png"),
    }
    container = by_condition["no_encryption_or_wiping"]
    assert [observations[i]["path"] for i in container["observations"]] == ["/vault.hc"]
    assert report["summary"]["findings"] == 2
    assert report["order"]["person_ref"] == "OW-0042"
    assert report["order"]["sha256"] == hashlib.sha256(order.read_bytes()).hexdigest()
    html = (out / "report.html").read_text(encoding="utf-8")
    findings = html[html.index('id="findings"') : html.index('id="matches"')]
    devices = findings[findings.index('id="condition-declare_devices"') :]
    assert devices.index("No finding.") < devices.index('id="condition-no_encryption')
    for observation_id in images["observations"] + container["observations"]:
        assert f'href="#obs-{observation_id}"' in findings


def test_a_bad_order_file_stops_before_any_work(
    evidence_folder: Path, triage_run: TriageRun, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    order = tmp_path / "order.yaml"
    order.write_text(ORDER.replace("no_indecent_images", "no_such_condition"), encoding="utf-8")
    code, out = triage_run(evidence_folder, "--order", order)
    assert code == 2
    assert not out.exists()
    err = capsys.readouterr().err
    assert "no_such_condition" in err and str(order) in err
