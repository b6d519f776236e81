"""Triage with hash sets: exact and PDQ matches in inventory and report, and the --quick run.

"Known" material is simulated only by listing hashes of innocuous synthetic images (COMMON.md).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path

import pytest
from triage_evidence import folder_contents, read_outputs

from orderwatch.forensics.hashing import pdq_hash

TriageRun = Callable[..., tuple[int, Path]]


def _csv(path: Path, rows: list[dict[str, object]]) -> Path:
    columns = ["md5", "sha1", "pdq", "size", "category"]
    lines = [",".join(columns)]
    lines += [",".join(str(row.get(c, "")) for c in columns) for row in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_exact_and_pdq_matches_reach_inventory_observations_and_html(
    evidence_folder: Path, triage_run: TriageRun, tmp_path: Path
) -> None:
    contents = folder_contents()
    garden = contents["/photos/garden.png"]
    hashset = _csv(
        tmp_path / "known.csv",
        [
            {"md5": hashlib.md5(garden).hexdigest(), "size": len(garden), "category": "A"},
            {"pdq": pdq_hash(garden)[0].hex(), "category": "B"},
        ],
    )
    code, out = triage_run(evidence_folder, "--hashset", hashset)
    assert code == 0
    report, inventory = read_outputs(out)
    by_path = {entry["path"]: entry for entry in inventory}
    exact = {
        (m["method"], m["category"], m["distance"]) for m in by_path["/photos/garden.png"]["match"]
    }
    assert exact == {("md5", "A", 0), ("pdq", "B", 0)}
    # The JPEG re-encoding is not the same file, but it is the same picture.
    (near,) = by_path["/photos/garden_copy.jpg"]["match"]
    assert near["method"] == "pdq" and near["category"] == "B" and 0 < near["distance"] <= 31
    assert by_path["/photos/stripes.png"]["match"] == []
    assert by_path["/docs/notes.txt"]["match"] == []
    matched = {p for p, e in by_path.items() if e["match"]}
    assert matched == {"/photos/garden.png", "/photos/garden_copy.jpg", "/.hidden_copy.png"}
    summary = report["summary"]
    assert summary["hash_matches"] == 3
    assert summary["match_categories"] == {"A": 2, "B": 3}
    observations = [o for o in report["observations"] if o["kind"] == "hash_match"]
    assert len(observations) == 5  # two exact (md5) and three PDQ
    assert all(o["hashset"] == "known" for o in observations)
    assert report["hashsets"] == [
        {"path": str(hashset), "sha256": hashlib.sha256(hashset.read_bytes()).hexdigest()}
    ]
    html = (out / "report.html").read_text(encoding="utf-8")
    matches = html[html.index('id="matches"') : html.index('id="hidden"')]
    assert "/photos/garden_copy.jpg" in matches and "<img" not in html.lower()


def test_quick_run_hashes_listed_sizes_and_images_only_and_says_so(
    evidence_folder: Path, triage_run: TriageRun, tmp_path: Path
) -> None:
    notes = folder_contents()["/docs/notes.txt"]
    hashset = _csv(
        tmp_path / "sizes.csv",
        [{"md5": hashlib.md5(notes).hexdigest(), "size": len(notes), "category": "C"}],
    )
    code, out = triage_run(evidence_folder, "--hashset", hashset, "--quick")
    assert code == 0
    report, inventory = read_outputs(out)
    hashed = {e["path"] for e in inventory if e["hashed"]}
    assert hashed == {
        "/docs/notes.txt",  # its size is in the hash set
        "/photos/garden.png",  # images, for PDQ
        "/photos/garden_copy.jpg",
        "/photos/stripes.png",
        "/downloads/kernel32.dll",
        "/.hidden_copy.png",
        "/broken.jpg",
    }
    skipped = next(e for e in inventory if e["path"] == "/vault.hc")
    assert skipped["md5"] is None and skipped["entropy"] is None and skipped["type"] is None
    zipped = next(e for e in inventory if e["path"] == "/docs/holiday.zip")
    assert zipped["type"] == "zip" and zipped["md5"] is None  # typed from its head only
    assert report["summary"]["quick"] is True and report["mode"] == "quick"
    assert report["summary"]["files"] == len(folder_contents())
    assert report["summary"]["files_hashed"] == len(hashed)
    assert report["summary"]["hash_matches"] == 1
    assert "Quick run." in (out / "report.html").read_text(encoding="utf-8")


def test_quick_without_a_hash_set_is_refused(
    evidence_folder: Path, triage_run: TriageRun, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out = triage_run(evidence_folder, "--quick")
    assert code == 2
    assert "--quick: needs --hashset" in capsys.readouterr().err
    assert not out.exists()


def test_quick_with_a_size_less_list_hashes_images_only_and_says_why(
    evidence_folder: Path, triage_run: TriageRun, tmp_path: Path
) -> None:
    notes = folder_contents()["/docs/notes.txt"]
    plain = tmp_path / "plain.txt"
    plain.write_text(hashlib.md5(notes).hexdigest() + "\n", encoding="utf-8")
    code, out = triage_run(evidence_folder, "--hashset", plain, "--quick")
    assert code == 0
    report, inventory = read_outputs(out)
    assert report["summary"]["quick_sizes"] == 0
    assert {e["type"] for e in inventory if e["hashed"]} == {"png", "jpeg"}
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "The hash sets carry no file sizes, so only images were hashed." in html
