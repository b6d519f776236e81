"""`orderwatch triage` on a folder: the output contract, hashes, detectors, errors, workers."""

from __future__ import annotations

import getpass
import hashlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from triage_evidence import MIB, folder_contents, read_outputs

from orderwatch import __version__

CONTRACT_INVENTORY_KEYS = {
    "path",
    "size",
    "deleted",
    "md5",
    "sha1",
    "sha256",
    "type",
    "extension_mismatch",
    "entropy",
    "pdq",
    "match",
}
TriageRun = Callable[..., tuple[int, Path]]


@pytest.fixture(scope="module")
def folder_outputs(
    evidence_folder: Path, tmp_path_factory: pytest.TempPathFactory
) -> tuple[dict[str, Any], list[dict[str, Any]], Path]:
    """One single-worker triage of the evidence folder, shared by the assertions below."""
    from orderwatch.cli import main

    out = tmp_path_factory.mktemp("folder-run") / "out"
    assert main(["triage", str(evidence_folder), "--out", str(out), "--workers", "1"]) == 0
    report, inventory = read_outputs(out)
    return report, inventory, out


def test_report_json_has_the_contract_shape(folder_outputs: Any, evidence_folder: Path) -> None:
    report, _, _ = folder_outputs
    assert report["tool"] == {"name": "orderwatch", "version": __version__}
    (source,) = report["sources"]
    assert source["path"] == str(evidence_folder)
    assert source["format"] == "folder"
    assert source["verified"] is None  # a folder stores no hash to verify against
    assert source["size"] == sum(len(c) for c in folder_contents().values())
    summary = report["summary"]
    assert set(summary) >= {"files", "deleted_files", "bytes_hashed", "seconds", "hash_matches"}
    assert summary["files"] == len(folder_contents())
    assert summary["deleted_files"] == 0
    assert summary["bytes_hashed"] == source["size"]
    assert summary["hash_matches"] == 0 and summary["quick"] is False
    assert summary["errors"] == len(report["errors"]) == 1
    assert report["findings"] == []
    for error in report["errors"]:
        assert set(error) >= {"path", "stage", "message"}


def test_provenance_says_who_ran_what_and_when(folder_outputs: Any, evidence_folder: Path) -> None:
    report, _, out = folder_outputs
    provenance = report["provenance"]
    assert provenance["user"] == getpass.getuser()
    assert provenance["tool_version"] == __version__
    assert provenance["command_line"] == [
        "orderwatch",
        "triage",
        str(evidence_folder),
        "--out",
        str(out),
        "--workers",
        "1",
    ]
    assert provenance["started"] <= provenance["finished"]
    assert provenance["started"].endswith("Z")


def test_every_file_is_in_the_inventory_with_correct_hashes(folder_outputs: Any) -> None:
    _, inventory, _ = folder_outputs
    by_path = {entry["path"]: entry for entry in inventory}
    expected = folder_contents()
    assert set(by_path) == set(expected)
    for path, content in expected.items():
        entry = by_path[path]
        assert set(entry) >= CONTRACT_INVENTORY_KEYS | {"source", "mtime", "atime", "ctime"}
        assert entry["size"] == len(content)
        assert entry["md5"] == hashlib.md5(content).hexdigest()
        assert entry["sha1"] == hashlib.sha1(content).hexdigest()
        assert entry["sha256"] == hashlib.sha256(content).hexdigest()
        assert entry["deleted"] is False
        assert entry["match"] == []
        assert (entry["entropy"] is not None) == (len(content) > MIB)


def test_types_mismatches_entropy_and_pdq(folder_outputs: Any) -> None:
    _, inventory, _ = folder_outputs
    by_path = {entry["path"]: entry for entry in inventory}
    assert by_path["/photos/garden.png"]["type"] == "png"
    assert by_path["/downloads/kernel32.dll"]["type"] == "jpeg"
    assert by_path["/docs/notes.txt"]["type"] == "text"
    assert by_path["/vault.hc"]["type"] is None
    mismatched = {p for p, e in by_path.items() if e["extension_mismatch"]}
    assert mismatched == {"/downloads/kernel32.dll"}
    assert by_path["/vault.hc"]["entropy"] > 7.99
    assert by_path["/logs/big.log"]["entropy"] < 4.5
    with_pdq = {p for p, e in by_path.items() if e["pdq"]}
    assert with_pdq == {
        "/photos/garden.png",
        "/photos/garden_copy.jpg",
        "/photos/stripes.png",
        "/downloads/kernel32.dll",
        "/.hidden_copy.png",
    }
    assert all(len(by_path[p]["pdq"]) == 64 for p in with_pdq)
    assert by_path["/photos/garden.png"]["pdq"] == by_path["/.hidden_copy.png"]["pdq"]
    assert by_path["/docs/holiday.zip"]["archive"]["members"] == ["trip/day1.jpg", "readme.txt"]


def test_hidden_material_observations(folder_outputs: Any) -> None:
    report, _, _ = folder_outputs
    found = {(o["kind"], o["path"]) for o in report["observations"]}
    assert found == {
        ("signature_mismatch", "/downloads/kernel32.dll"),
        ("encrypted_container", "/vault.hc"),
        ("file", "/.hidden_copy.png"),
    }
    for observation in report["observations"]:
        assert observation["provenance"]["parser"] == "hidden_material"
        assert observation["provenance"]["path"] == observation["path"]
        assert observation["time"].endswith("Z")


def test_an_undecodable_image_is_an_error_and_the_run_goes_on(folder_outputs: Any) -> None:
    report, inventory, _ = folder_outputs
    (error,) = report["errors"]
    assert (error["path"], error["stage"]) == ("/broken.jpg", "pdq")
    assert "cannot decode image" in error["message"]
    broken = next(e for e in inventory if e["path"] == "/broken.jpg")
    assert broken["md5"] == hashlib.md5(folder_contents()["/broken.jpg"]).hexdigest()
    assert broken["pdq"] is None


def test_inventory_streams_largest_files_first(folder_outputs: Any) -> None:
    _, inventory, _ = folder_outputs
    sizes = [entry["size"] for entry in inventory]
    assert sizes[:2] == sorted(sizes, reverse=True)[:2]


def _stable(report: dict[str, Any]) -> dict[str, Any]:
    """The report without what legitimately differs between two runs (times, workers, argv)."""
    report = dict(report)
    report["summary"] = {k: v for k, v in report["summary"].items() if k != "seconds"}
    report.pop("provenance")
    return report


def test_one_and_two_workers_give_identical_output(
    evidence_folder: Path, triage_run: TriageRun
) -> None:
    code1, out1 = triage_run(evidence_folder, workers=1)
    code2, out2 = triage_run(evidence_folder, workers=2)
    assert code1 == code2 == 0
    report1, inventory1 = read_outputs(out1)
    report2, inventory2 = read_outputs(out2)
    assert report2["provenance"]["workers"] == 2 and report1["provenance"]["workers"] == 1
    assert _stable(report1) == _stable(report2)
    key = lambda e: e["path"]  # noqa: E731
    assert sorted(inventory1, key=key) == sorted(inventory2, key=key)


def test_a_run_leaves_the_garbage_collector_as_it_found_it(
    evidence_folder: Path, tmp_path: Path
) -> None:
    """The run's parent collects less often while it walks and gathers results (as its workers
    do, what it had before out of sight), and afterwards as before."""
    import gc

    from orderwatch.tasks.executor import WORKER_GC_THRESHOLD
    from orderwatch.triage.engine import TriageOptions, run_triage
    from orderwatch.triage.progress import SilentProgress

    seen: list[tuple[int, int]] = []

    class Watching(SilentProgress):
        def advance(self, files: int, done_bytes: int) -> None:
            seen.append((gc.get_threshold()[0], gc.get_freeze_count()))

    before = (gc.get_threshold(), gc.get_freeze_count())
    run_triage(TriageOptions([evidence_folder], tmp_path / "out", workers=2), Watching())
    assert seen and all(t == WORKER_GC_THRESHOLD and frozen > 1000 for t, frozen in seen)
    assert (gc.get_threshold(), gc.get_freeze_count()) == before


def test_unknown_source_format_exits_2_with_one_line(
    tmp_path: Path, triage_run: TriageRun, capsys: pytest.CaptureFixture[str]
) -> None:
    mystery = tmp_path / "mystery.xyz"
    mystery.write_bytes(b"\x13\x37" * 3000)
    code, out = triage_run(mystery)
    assert code == 2
    message = capsys.readouterr().err.strip()
    assert "\n" not in message
    assert str(mystery) in message and "E01" in message
    assert not (out / "report.json").exists()


def test_refuses_an_out_dir_inside_the_source_or_with_a_report(
    evidence_folder: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from orderwatch.cli import main

    inside = evidence_folder / "out"
    assert main(["triage", str(evidence_folder), "--out", str(inside)]) == 2
    assert "inside the source" in capsys.readouterr().err
    assert not inside.exists()
    used = tmp_path / "used"
    used.mkdir()
    (used / "report.json").write_text("{}")
    assert main(["triage", str(evidence_folder), "--out", str(used)]) == 2
    assert "already holds report.json" in capsys.readouterr().err


def test_workers_default_to_the_setting(
    evidence_folder: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from orderwatch.cli import main
    from orderwatch.settings import reset_settings

    monkeypatch.setenv("ORDERWATCH_WORKERS", "1")
    reset_settings()
    assert main(["triage", str(evidence_folder), "--out", str(tmp_path / "out")]) == 0
    report, _ = read_outputs(tmp_path / "out")
    assert report["provenance"]["workers"] == 1
    assert "--workers" not in report["provenance"]["command_line"]
