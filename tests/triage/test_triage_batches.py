"""Scheduling: verification before all, files a parser claims first, then the largest alone,
small files grouped."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

from orderwatch.forensics.sources import open_source
from orderwatch.triage.engine import (
    BATCH_BYTES,
    BATCH_FILES,
    LANE_FILES,
    TriageOptions,
    _schedule,
    plan_batches,
)
from orderwatch.triage.progress import SilentProgress
from orderwatch.triage.records import Batch, FileTask
from orderwatch.triage.report import RunFacts
from orderwatch.triage.worker import WorkerOptions

MIB = 1024 * 1024


@dataclass(frozen=True)
class Record:
    path: str
    size: int


def _tasks(sizes: list[int]) -> list[FileTask]:
    return [FileTask(0, "/src", Record(f"/f{i:05d}", size)) for i, size in enumerate(sizes)]


def test_big_files_go_first_together_in_size_order() -> None:
    batches = plan_batches(_tasks([10, 50 * MIB, 3, 20 * MIB, 9 * MIB]))
    assert [[t.record.size for t in b.files] for b in batches] == [
        [50 * MIB, 20 * MIB, 9 * MIB],
        [10, 3],
    ]


def test_big_files_make_lane_groups_of_lane_files() -> None:
    sizes = [(10 + i) * MIB for i in range(LANE_FILES * 2 + 3)]
    batches = plan_batches(_tasks(sizes))
    assert [len(b.files) for b in batches] == [LANE_FILES, LANE_FILES, 3]
    assert batches[0].files[0].record.size == max(sizes)


def test_small_files_are_grouped_within_the_byte_and_count_limits() -> None:
    sizes = [64 * 1024] * 1000 + [100] * 600
    batches = plan_batches(_tasks(sizes))
    assert sum(len(b.files) for b in batches) == len(sizes)
    assert all(len(b.files) <= BATCH_FILES for b in batches)
    assert all(b.size <= BATCH_BYTES for b in batches)
    assert batches[0].files[0].record.size == 64 * 1024
    assert [len(b.files) for b in batches] == [256, 256, 256, 256, 256, 256, 64]
    assert {t.record.size for t in batches[3].files} == {64 * 1024, 100}  # the tail fills up


def test_verification_comes_before_every_file() -> None:
    verify = Batch(verify_source=0, verify_path="/evidence/disk.E01")
    batches = plan_batches(_tasks([5, 40 * MIB]), [verify])
    assert batches[0] is verify
    assert batches[1].files[0].record.size == 40 * MIB


def test_a_quick_run_schedules_the_files_it_must_hash_first() -> None:
    tasks = [
        FileTask(0, "/src", Record("/big_unlisted", 40 * MIB), hash_all=False),
        FileTask(0, "/src", Record("/small_listed", 10), hash_all=True),
        FileTask(0, "/src", Record("/tiny_unlisted", 5), hash_all=False),
    ]
    order = [t.record.path for b in plan_batches(tasks) for t in b.files]
    assert order == ["/small_listed", "/big_unlisted", "/tiny_unlisted"]


def test_the_plan_is_deterministic_for_equal_sizes() -> None:
    tasks = _tasks([100] * 10)
    once = plan_batches(tasks)
    again = plan_batches(list(reversed(tasks)))
    assert [[t.record.path for t in b.files] for b in once] == [
        [t.record.path for t in b.files] for b in again
    ]


def test_files_a_parser_claims_go_before_larger_ones_found_earlier(tmp_path: Path) -> None:
    """The walk runs ahead; a hive found after a big file is still handed on first."""
    (tmp_path / "a_big.bin").write_bytes(b"\0" * (9 * MIB))
    config = tmp_path / "z" / "Windows" / "System32" / "config"
    config.mkdir(parents=True)
    (config / "SYSTEM").write_bytes(b"regf" + b"\0" * 4092)
    (tmp_path / "m_small.txt").write_bytes(b"small")
    options = TriageOptions(sources=[tmp_path], out=tmp_path / "out")
    with open_source(tmp_path) as source:
        facts = RunFacts(started=datetime.now(UTC), command_line=[], workers=1, quick=False)
        facts.sources = [{"path": str(tmp_path)}]
        batches = list(_schedule([source], options, facts, None, SilentProgress()))
    order = [t.record.path for b in batches for t in b.files]
    # the hive's batch (small files go together) before the big file walked first
    assert order == ["/z/Windows/System32/config/SYSTEM", "/m_small.txt", "/a_big.bin"]
    # the registry is asked once, in the walk; the workers read the answer from the task
    claimed = {t.record.path: t.claimed for b in batches for t in b.files}
    assert claimed == {order[0]: True, order[1]: False, order[2]: False}
    no_parsers = replace(options, worker_options=WorkerOptions(parsers=False))
    with open_source(tmp_path) as source:
        batches = list(_schedule([source], no_parsers, facts, None, SilentProgress()))
    assert batches[0].files[0].record.path == "/a_big.bin"  # without parsers: largest first
    assert not any(t.claimed for b in batches for t in b.files)


def test_big_files_found_in_different_windows_are_hashed_together(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Big files wait for a full lane group (or the walk's end) instead of going alone."""
    import orderwatch.triage.engine as engine

    monkeypatch.setattr(engine, "WALK_WINDOW_FILES", 2)
    for name in ("a", "c", "e"):
        with open(tmp_path / f"{name}_big.bin", "wb") as big:
            big.truncate(9 * MIB)  # sparse: only the size matters here
        (tmp_path / f"{name}_small.txt").write_bytes(b"small")
    options = TriageOptions(sources=[tmp_path], out=tmp_path / "out")
    with open_source(tmp_path) as source:
        facts = RunFacts(started=datetime.now(UTC), command_line=[], workers=1, quick=False)
        facts.sources = [{"path": str(tmp_path)}]
        batches = list(_schedule([source], options, facts, None, SilentProgress()))
    groups = [sorted(t.record.path for t in b.files) for b in batches]
    assert ["/a_big.bin", "/c_big.bin", "/e_big.bin"] in groups
    assert sum(len(g) for g in groups) == 6
