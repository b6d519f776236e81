"""Lines parsers write in bulk (a history's visits) reach report.json as bytes, through a spool
file beside it: every line of every worker arrives, in an order that does not depend on which
worker finished first, errors are kept when a worker dies, and no spool file is left behind,
whatever happens."""

from __future__ import annotations

import json
import os
import random
import sqlite3
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any, ClassVar

import pytest

from forensics.parsers.browsers.browser_fixtures import (
    FIREFOX_PROFILE,
    PRTIME_2025,
    add_firefox_visit,
    firefox_profile,
)
from orderwatch.forensics.parsers.interface import (
    LINE_SEPARATOR,
    LineBlock,
    LocalArtefact,
    ParserMediator,
    expand_records,
)
from orderwatch.forensics.parsers.manager import registry
from orderwatch.tasks.executor import InlineExecutor, TaskFailure
from orderwatch.triage import engine
from orderwatch.triage.encoded import (
    REPORT_LINES,
    BlockWriter,
    LineSpool,
    ObservationLines,
    SpooledBlock,
    copy_segments,
    encode_observation,
)
from orderwatch.triage.engine import TriageOptions, run_triage
from orderwatch.triage.html import render_html
from orderwatch.triage.records import Batch
from orderwatch.triage.report import write_report

PROFILES = ("a1.default", "b2.default", "c3.default")


@pytest.fixture(scope="module")
def device(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Three Firefox profiles of 300 visits each (a search in every third), and a plain file."""
    root = tmp_path_factory.mktemp("spool") / "device"
    for number, name in enumerate(PROFILES):
        profile = firefox_profile(root, FIREFOX_PROFILE.with_name(name))
        with sqlite3.connect(profile / "places.sqlite") as connection:
            for n in range(300):
                url = (
                    f"https://www.bing.com/search?q=term+{n}"
                    if n % 3 == 0
                    else f"https://e.test/{n}"
                )
                add_firefox_visit(
                    connection, url, f"page {n}", PRTIME_2025 + (n * 3 + number) * 10**6
                )
        connection.close()
    (root / "notes.txt").write_text("nothing to parse\n")
    return root


def _expected_lines(device: Path) -> set[str]:
    """Every line the parsers make of the device's files, parsed here one by one."""
    lines: set[str] = set()
    for path in sorted(p for p in device.rglob("*") if p.is_file()):
        mediator = ParserMediator(str(device), lines=REPORT_LINES, object_kinds=frozenset())
        registry.parse(LocalArtefact(path, device), mediator)
        lines.update(e[-1] for e in mediator.encoded)
        lines.update(encode_observation(o)[-1] for o in mediator.observations)
        lines.update(text for block in mediator.blocks for text in block.texts())
    return lines


class _Scripted(InlineExecutor):
    """Runs every batch in this process, then hands the results on in an order of its own;
    batches holding `dies` come back as a dead worker's TaskFailure; `raise_after` results,
    the run itself fails (noting the spool files in `watch` then)."""

    seen: ClassVar[list[Path]] = []
    blocks: ClassVar[list[Any]] = []  # every block the results carried

    def __init__(
        self,
        *args: Any,
        shuffle: int | None = None,
        dies: str | None = None,
        raise_after: int | None = None,
        watch: Path | None = None,
    ) -> None:
        super().__init__(*args[1:3])
        self.shuffle, self.dies, self.raise_after = shuffle, dies, raise_after
        self.watch = watch

    def map_unordered(self, fn: Callable[[Any], Any], items: Iterable[Any]) -> Iterator[Any]:
        results: list[Any] = []
        for item in items:
            if (
                self.dies
                and isinstance(item, Batch)
                and any(self.dies in t.record.path for t in item.files)
            ):
                results.append(TaskFailure(item, "worker process died"))
            else:
                results.extend(super().map_unordered(fn, [item]))
        _Scripted.blocks = [b for r in results if not isinstance(r, TaskFailure) for b in r.blocks]
        if self.shuffle is not None:
            random.Random(self.shuffle).shuffle(results)
        for number, result in enumerate(results):
            if self.raise_after is not None and number == self.raise_after:
                if self.watch is not None:
                    _Scripted.seen = list(self.watch.glob(".orderwatch-lines-*"))
                raise RuntimeError("the run failed")
            yield result


def _triage(device: Path, out: Path, **script: Any) -> dict[str, Any]:
    def factory(*args: Any) -> _Scripted:
        return _Scripted(*args, **script)

    options = TriageOptions(sources=[device], out=out, workers=1, executor_factory=factory)
    run_triage(options)
    assert not list(out.glob(".orderwatch-lines-*"))  # the spool is gone
    return dict(json.loads((out / "report.json").read_text(encoding="utf-8")))


def test_every_line_of_every_worker_reaches_report_json(device: Path, tmp_path: Path) -> None:
    report = _triage(device, tmp_path / "out")
    observations = report["observations"]
    lines = {json.dumps(o, ensure_ascii=False) for o in observations}
    assert lines == {json.dumps(json.loads(t), ensure_ascii=False) for t in _expected_lines(device)}
    assert len(observations) == report["summary"]["observations"] == len(lines) > 1200
    assert len({o["id"] for o in observations}) == len(observations)
    assert {"browser_visit", "search_term"} <= {o["kind"] for o in observations}


def test_workers_spool_their_lines_and_send_only_where_they_lie(
    device: Path, tmp_path: Path
) -> None:
    _triage(device, tmp_path / "out")
    blocks = [block for _, _, block in _Scripted.blocks]
    assert len(blocks) == len(PROFILES)
    assert all(isinstance(b, SpooledBlock) and b.length > 10_000 for b in blocks)
    # a real pool: each worker process writes its own file, the parent copies from all of them
    options = TriageOptions(sources=[device], out=tmp_path / "pool", workers=2)
    run_triage(options)
    written = json.loads((tmp_path / "pool" / "report.json").read_text(encoding="utf-8"))
    lines = {json.dumps(o, ensure_ascii=False) for o in written["observations"]}
    assert lines == {json.dumps(json.loads(t), ensure_ascii=False) for t in _expected_lines(device)}
    assert not list((tmp_path / "pool").glob(".orderwatch-lines-*"))


def test_a_block_stays_bytes_when_the_spool_folder_is_gone(tmp_path: Path) -> None:
    block = _block('{"id": "a1"}', '{"id": "a2"}')
    spool = LineSpool(tmp_path)
    writer = BlockWriter(spool.worker_folder)
    assert writer.keep(block) is block  # the folder is not made yet
    spool.open_for_workers()
    first, second = writer.keep(block), writer.keep(_block('{"id": "b1"}'))
    assert isinstance(first, SpooledBlock) and isinstance(second, SpooledBlock)
    assert (first.offset, second.offset) == (0, len(block.lines))
    spool.add(0, "dir", "/a", first)
    spool.add(0, "dir", "/b", second)
    segments = spool.segments()
    assert segments is not None
    texts = [t for s in segments.segments for t in segments.texts(s)]
    assert texts == ['{"id": "a1"}', '{"id": "a2"}', '{"id": "b1"}']
    stranger = SpooledBlock(str(tmp_path / "elsewhere.tmp"), 0, 5, (("x", 1),))
    with pytest.raises(ValueError, match="spool folder"):
        spool.add(0, "dir", "/c", stranger)
    spool.remove()
    assert not list(tmp_path.iterdir())
    assert writer.keep(block) is block  # its file went with the run: bytes again
    writer.close()


class _ReadOnlySink:
    """A sink whose place cannot be written (as a full disk): the lines must come back as bytes."""

    def __init__(self, path: Path) -> None:
        path.write_bytes(b"")
        self.descriptor = os.open(path, os.O_RDONLY)

    def place(self) -> tuple[int, int]:
        return self.descriptor, 0

    def written(self, length: int, kinds: tuple[tuple[str, int], ...], templates: Any = ()) -> Any:
        raise AssertionError("nothing was written")


def test_a_history_is_written_into_the_spool_as_it_is_read(device: Path, tmp_path: Path) -> None:
    """A worker's mediator hands its spool file to the parsers (`sink`): a history's lines are
    written there as they are made, and are the bytes the parser gives without it; where the
    file cannot be written they come back as bytes."""
    history = next(device.rglob("places.sqlite"))
    plain = ParserMediator(str(device), lines=REPORT_LINES, object_kinds=frozenset())
    registry.parse(LocalArtefact(history, device), plain)
    (expected,) = plain.blocks
    spool = LineSpool(tmp_path)
    spool.open_for_workers()
    writer = BlockWriter(spool.worker_folder)
    writer.keep(_block('{"id": "before"}'))  # the history's lines go after what is there
    sunk = ParserMediator(str(device), lines=REPORT_LINES, object_kinds=frozenset(), sink=writer)
    registry.parse(LocalArtefact(history, device), sunk)
    (block,) = sunk.blocks
    assert isinstance(block, SpooledBlock) and writer.keep(block) is block
    assert block.kinds == expected.kinds and block.templates  # compact records ...
    assert block.length < len(expected.lines) / 2
    with open(block.file, "rb") as spooled:
        spooled.seek(block.offset)
        assert expand_records(spooled.read(), block.templates) == expected.lines  # ... of them
    spool.add(0, str(device), "/places.sqlite", block)  # read back as lines, all or the last
    segments = spool.segments()
    assert segments is not None
    (segment,) = segments.segments
    assert segments.texts(segment) == expected.texts()
    assert segments.tail(segment, 3) == expected.texts()[-3:]
    with open(tmp_path / "report.json", "wb") as report:
        report.write(b"[")
        placed = copy_segments(segments, report, skip_first=True)
    assert (tmp_path / "report.json").read_bytes() == b"[" + expected.lines[len(LINE_SEPARATOR) :]
    assert placed.texts(placed.segments[0]) == expected.texts()
    writer.close()
    spool.remove()
    refused = _ReadOnlySink(tmp_path / "read-only")
    try:
        kept = ParserMediator(str(device), lines=REPORT_LINES, object_kinds=frozenset())
        kept.sink = refused
        registry.parse(LocalArtefact(history, device), kept)
    finally:
        os.close(refused.descriptor)
    assert kept.blocks == [expected] and not kept.errors


def test_the_order_does_not_depend_on_which_worker_finished_first(
    device: Path, tmp_path: Path
) -> None:
    runs = [_triage(device, tmp_path / f"out{seed}", shuffle=seed) for seed in (None, 1, 2, 3)]
    orders = [[o["id"] for o in run["observations"]] for run in runs]
    assert orders[0] == orders[1] == orders[2] == orders[3]
    # made one by one first (timeline order), then each history's lines, history by history
    bulk = [o for o in runs[0]["observations"] if o["kind"] in ("browser_visit", "search_term")]
    paths = [o["provenance"]["path"] for o in bulk]
    assert paths == sorted(paths)
    assert [p.split("/")[-2] for p in dict.fromkeys(paths)] == list(PROFILES)


def test_a_dead_worker_loses_only_its_files_and_says_so(
    device: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(engine, "BATCH_FILES", 1)  # a batch a file: one history's worker dies
    report = _triage(device, tmp_path / "out", dies=PROFILES[1])
    paths = {o["provenance"]["path"] for o in report["observations"]}
    assert not any(PROFILES[1] in p for p in paths)
    assert any(PROFILES[0] in p for p in paths) and any(PROFILES[2] in p for p in paths)
    dead = [e for e in report["errors"] if e["stage"] == "worker"]
    assert dead and all(PROFILES[1] in e["path"] for e in dead)
    expected = {
        json.dumps(json.loads(t), ensure_ascii=False)
        for t in _expected_lines(device)
        if PROFILES[1] not in json.loads(t)["provenance"]["path"]
    }
    assert {json.dumps(o, ensure_ascii=False) for o in report["observations"]} == expected


def test_no_spool_is_left_when_the_run_fails(
    device: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(engine, "BATCH_FILES", 1)
    out = tmp_path / "out"
    with pytest.raises(RuntimeError, match="the run failed"):
        _triage(device, out, raise_after=2, watch=out)
    assert _Scripted.seen  # the spool was there when the run failed ...
    assert out.is_dir() and not list(out.glob(".orderwatch-lines-*"))  # ... and is gone


def _block(*texts: str) -> LineBlock:
    return LineBlock(b"".join(LINE_SEPARATOR + t.encode() for t in texts), (("x", len(texts)),))


def test_the_spool_orders_by_source_then_path_and_keeps_one_copy(tmp_path: Path) -> None:
    results = [  # what each batch result carries: (source index, source, file path, block)
        [(1, "img", "/b", _block('{"id": "b1"}'))],
        [(0, "dir", "/z", _block('{"id": "z1"}', '{"id": "z2"}'))],
        [(0, "dir", "/a", _block('{"id": "a1"}')), (0, "dir", "/a", _block('{"id": "a2"}'))],
        [(2, "dir", "/z", _block('{"id": "z1"}', '{"id": "z2"}'))],  # the same source again
    ]
    orders = []
    for seed in range(6):
        spool = LineSpool(tmp_path)
        for result in random.Random(seed).sample(results, len(results)):
            for block in result:
                spool.add(*block)
        segments = spool.segments()
        assert segments is not None
        orders.append([t for s in segments.segments for t in segments.texts(s)])
        spool.remove()
        assert not list(tmp_path.iterdir())
    assert all(order == orders[0] for order in orders)
    assert orders[0] == [
        '{"id": "a1"}',
        '{"id": "a2"}',
        '{"id": "z1"}',
        '{"id": "z2"}',
        '{"id": "b1"}',
    ]


@pytest.mark.parametrize("made_one_by_one", [0, 3])
def test_report_json_and_the_html_read_the_bulk_lines(
    device: Path, tmp_path: Path, made_one_by_one: int
) -> None:
    """With and without observations before the bulk lines (the first line then has no
    separator before it): valid JSON; the timeline bounded, saying what it left out."""
    report = _triage(device, tmp_path / "run")
    encoded = [encode_observation_dict(o) for o in report["observations"][:made_one_by_one]]
    spool, visits = LineSpool(tmp_path), 0
    for number, name in enumerate(PROFILES):
        texts = [json.dumps(o, ensure_ascii=False) for o in report["observations"]
                 if name in o["provenance"]["path"] and o["kind"] == "browser_visit"]  # fmt: skip
        spool.add(0, "dir", f"/{number}", _block(*texts))
        visits += len(texts)
    lines = ObservationLines(encoded, spool.segments())
    document = {**report, "observations": lines, "findings": []}
    write_report(tmp_path / "report.json", document)
    spool.remove()
    written = json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))
    assert len(written["observations"]) == len(lines) == made_one_by_one + visits > 900
    assert list(lines) == written["observations"]  # read back from report.json now
    html = render_html(document, timeline_limit=50)
    assert html.count('<tr id="obs-') == 50
    assert all(f'<tr id="obs-{e[0]}"' in html for e in encoded)  # made one by one: all shown
    assert f"{made_one_by_one + visits - 50:,} further observations" in html
    latest = max(o["time"] for o in written["observations"] if o["kind"] == "browser_visit")
    assert latest in html


def encode_observation_dict(observation: dict[str, Any]) -> Any:
    line = json.dumps(observation, ensure_ascii=False)
    provenance = observation["provenance"]
    return (
        observation["id"],
        observation["time"],
        observation["kind"],
        provenance["parser"],
        provenance["path"] or "",
        provenance["record"] or "",
        line,
    )
