"""`orderwatch triage` on disk images: E01 verification, deleted files, evidence left unchanged."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path

import pytest
from triage_evidence import DELETED_CONTENT, read_outputs, sha256_of

TriageRun = Callable[..., tuple[int, Path]]

# ../shared/data/MANIFEST.md section 3.1 (dfvfs ext2 family).
EXT2_E01 = "log2timeline_dfvfs/test_data/ext2.E01"
EXT2_E01_SHA256 = "ab9ea9a4951b74c37025ba40a978e85b1e4a0d94438080afb636144170d3f35b"
EXT2_MEDIA_MD5 = "196066add11fb71c4c49cf1bb50d6d24"
PASSWORDS_SHA256 = "02a2a6af2f1ecf4720d7d49d640f0d0a269a7ec733e41973bdd34f09dad0e252"
ANOTHER_FILE = b"This is another file.\n"


def test_e01_triage_lists_the_files_verifies_and_leaves_the_image_unchanged(
    shared_data: Path, triage_run: TriageRun
) -> None:
    image = shared_data / EXT2_E01  # as tests/conftest.py's shared_file(), which is not importable
    if not image.is_file():
        pytest.skip(f"{EXT2_E01} is absent from {shared_data}")
    assert sha256_of(image) == EXT2_E01_SHA256
    code, out = triage_run(image, workers=2)
    assert code == 0
    assert sha256_of(image) == EXT2_E01_SHA256  # read-only: not a byte changed
    report, inventory = read_outputs(out)
    (source,) = report["sources"]
    assert (source["format"], source["size"], source["md5"]) == ("ewf", 4194304, EXT2_MEDIA_MD5)
    assert source["verified"] is True
    by_path = {entry["path"]: entry for entry in inventory}
    assert set(by_path) == {"/passwords.txt", "/a_directory/a_file", "/a_directory/another_file"}
    assert by_path["/passwords.txt"]["size"] == 116
    assert by_path["/passwords.txt"]["sha256"] == PASSWORDS_SHA256
    assert by_path["/passwords.txt"]["inode"] == 14
    assert by_path["/passwords.txt"]["mtime"] == "2021-07-22T14:07:32Z"
    another = by_path["/a_directory/another_file"]
    assert (another["size"], another["inode"]) == (22, 15)
    assert another["md5"] == hashlib.md5(ANOTHER_FILE).hexdigest()
    assert report["summary"]["errors"] == 0 and report["errors"] == []


def test_raw_image_triage_includes_the_deleted_file_with_its_content(
    ext2_image: Path, triage_run: TriageRun
) -> None:
    before = sha256_of(ext2_image)
    code, out = triage_run(ext2_image, workers=1)
    assert code == 0
    assert sha256_of(ext2_image) == before
    report, inventory = read_outputs(out)
    (source,) = report["sources"]
    assert source["format"] == "raw" and source["verified"] is None
    by_path = {entry["path"]: entry for entry in inventory}
    assert set(by_path) == {"/keep.txt", "/dir/gone.bin"}
    gone = by_path["/dir/gone.bin"]
    assert gone["deleted"] is True
    assert gone["sha256"] == hashlib.sha256(DELETED_CONTENT).hexdigest()  # ext2 keeps block maps
    assert by_path["/keep.txt"]["deleted"] is False
    assert report["summary"]["deleted_files"] == 1
    assert report["summary"]["files"] == 2


def test_several_sources_in_one_run_keep_their_files_apart(
    ext2_image: Path, evidence_folder: Path, triage_run: TriageRun
) -> None:
    code, out = triage_run(ext2_image, evidence_folder, workers=2)
    assert code == 0
    report, inventory = read_outputs(out)
    assert [s["format"] for s in report["sources"]] == ["raw", "folder"]
    from_image = {e["path"] for e in inventory if e["source"] == str(ext2_image)}
    from_folder = {e["path"] for e in inventory if e["source"] == str(evidence_folder)}
    assert from_image == {"/keep.txt", "/dir/gone.bin"}
    assert len(from_folder) == 10 and "/vault.hc" in from_folder
    assert report["summary"]["files"] == 12 and report["summary"]["deleted_files"] == 1
