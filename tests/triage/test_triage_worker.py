"""Per-file failures and damaged evidence: recorded with their stage, the run completes."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest
from triage_evidence import read_outputs

from orderwatch.forensics.sources import open_source
from orderwatch.triage.progress import RichProgress, SilentProgress, progress_for
from orderwatch.triage.records import Batch, FileTask
from orderwatch.triage.worker import WorkerOptions, init_worker, run_batch

TriageRun = Callable[..., tuple[int, Path]]
EXT2_E01 = "log2timeline_dfvfs/test_data/ext2.E01"


def test_a_file_gone_since_the_walk_is_an_open_error_with_its_record(tmp_path: Path) -> None:
    (tmp_path / "here.txt").write_bytes(b"present\n")
    (tmp_path / "gone.txt").write_bytes(b"soon deleted\n")
    with open_source(tmp_path) as source:
        records = {r.path: r for r in source.walk()}
    (tmp_path / "gone.txt").unlink()
    init_worker(WorkerOptions())
    tasks = tuple(FileTask(0, str(tmp_path), r) for r in records.values())
    result = run_batch(Batch(files=tasks))
    by_path = {e["path"]: e for e in map(json.loads, result.lines)}
    assert set(by_path) == {"/here.txt", "/gone.txt"}  # the record is kept, hashes unknown
    gone = by_path["/gone.txt"]
    assert gone["md5"] is None and gone["hashed"] is False
    (error,) = result.errors  # /here.txt has none
    assert (error.path, error.stage) == ("/gone.txt", "open")
    assert "No such file" in error.message
    assert by_path["/here.txt"]["hashed"]
    assert (result.files, result.files_hashed) == (2, 1)


def test_an_unreadable_file_is_a_read_error(tmp_path: Path) -> None:
    (tmp_path / "file.bin").write_bytes(b"x" * 100)
    with open_source(tmp_path) as source:
        (record,) = list(source.walk())
    # /proc/self/mem opens but fails on read with EIO at offset 0, as a bad sector does.
    task = FileTask(0, str(tmp_path), replace(record, locator="/proc/self/mem"))
    init_worker(WorkerOptions())
    result = run_batch(Batch(files=(task,)))
    (error,) = result.errors
    assert (error.path, error.stage) == ("/file.bin", "read")
    assert "Input/output error" in error.message
    (entry,) = map(json.loads, result.lines)
    assert entry["md5"] is None and result.bytes_hashed == 0


def test_truncated_e01_is_recorded_and_the_run_exits_0(
    shared_data: Path, triage_run: TriageRun, tmp_path: Path
) -> None:
    image = shared_data / EXT2_E01
    if not image.is_file():
        pytest.skip(f"{EXT2_E01} is absent from {shared_data}")
    truncated = tmp_path / "truncated.E01"
    truncated.write_bytes(image.read_bytes()[:6000])
    code, out = triage_run(truncated, workers=2)
    assert code == 0
    report, inventory = read_outputs(out)
    assert inventory == []
    (source,) = report["sources"]
    assert source["format"] == "ewf" and source["verified"] is False
    stages = {e["stage"] for e in report["errors"]}
    assert "verify" in stages and "volume" in stages
    assert report["summary"]["errors"] == len(report["errors"]) >= 2


def test_progress_is_silent_off_a_terminal_and_a_bar_on_one() -> None:
    assert isinstance(progress_for(io.StringIO()), SilentProgress)
    screen = io.StringIO()
    bar = RichProgress(screen)
    bar.start(files=3, total_bytes=3000)
    bar.advance(2, 2000)
    bar.note("hash-set match: /x.jpg (known, A)")
    bar.advance(1, 1000)
    bar.stop()
    shown = screen.getvalue()
    assert "3/3 files" in shown and "hash-set match: /x.jpg (known, A)" in shown


def test_the_bar_totals_grow_while_the_walk_finds_files() -> None:
    screen = io.StringIO()
    bar = RichProgress(screen)
    bar.start(files=0, total_bytes=0)
    bar.discover(2, 2000)
    bar.advance(2, 2000)
    bar.discover(3, 3000)
    bar.advance(3, 3000)
    bar.stop()
    assert "5/5 files" in screen.getvalue()


def test_a_file_that_shrank_since_the_walk_is_flagged(tmp_path: Path) -> None:
    (tmp_path / "log.txt").write_bytes(b"a" * 1000)
    with open_source(tmp_path) as source:
        (record,) = list(source.walk())
    (tmp_path / "log.txt").write_bytes(b"a" * 400)  # e.g. a live folder being written to
    init_worker(WorkerOptions())
    result = run_batch(Batch(files=(FileTask(0, str(tmp_path), record),)))
    (error,) = result.errors
    assert error.stage == "read" and error.message.startswith("read 400 bytes of 1000")
    (entry,) = map(json.loads, result.lines)
    assert entry["size_read"] == 400 and entry["md5"] is not None
    assert result.keys is None  # hashes travel separately only when the run matches hash sets


def test_a_batch_sends_each_files_hashes_when_the_run_matches(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_bytes(b"abc")
    with open_source(tmp_path) as source:
        (record,) = list(source.walk())
    init_worker(WorkerOptions(match_keys=True))
    try:
        result = run_batch(Batch(files=(FileTask(0, str(tmp_path), record),)))
    finally:
        init_worker(WorkerOptions())
    assert result.keys == [
        (
            "900150983cd24fb0d6963f7d28e17f72",
            "a9993e364706816aba3e25717850c26c9cd0d89d",
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
            None,
        )
    ]


def test_a_worker_uses_the_catalogue_its_parent_loaded() -> None:
    from orderwatch.forensics import software_catalogue

    before = software_catalogue.default_catalogue()
    mine = software_catalogue.SoftwareCatalogue([])
    init_worker(WorkerOptions(catalogue=mine))
    try:
        assert software_catalogue.default_catalogue() is mine
    finally:
        software_catalogue.use_default_catalogue(before)
        init_worker(WorkerOptions())


def test_a_worker_parses_what_the_parent_found_claimed_and_asks_when_nobody_did(
    tmp_path: Path,
) -> None:
    prefs = tmp_path / "Thunderbird" / "Profiles" / "a1.default" / "prefs.js"
    prefs.parent.mkdir(parents=True)
    prefs.write_text('user_pref("mail.identity.id1.useremail", "sam@example.org");\n')
    with open_source(tmp_path) as source:
        (record,) = list(source.walk())
    init_worker(WorkerOptions())
    kinds = {}
    for claimed in (True, None, False):
        result = run_batch(Batch(files=(FileTask(0, str(tmp_path), record, claimed=claimed),)))
        kinds[claimed] = sorted(item[2] for item in result.encoded)
    assert kinds[True] == kinds[None] == ["account"]
    assert kinds[False] == []  # the parent's answer is trusted: the registry is not asked again
