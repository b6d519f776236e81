"""The .owhs index: round trips, vectorised lookups, merging, atomic writes and damaged files."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from hashset_inputs import digests_of, media_record

from orderwatch.forensics.hashsets import HashSetFormatError, build_hashset, load_hashsets
from orderwatch.forensics.hashsets.exact import WINDOW, DigestTable, sort_and_merge, table_arrays
from orderwatch.forensics.hashsets.owhs import read_index, verify_index


def _write_list(path: Path, digests: np.ndarray) -> Path:
    path.write_text("".join(bytes(row).hex() + "\n" for row in digests))
    return path


def test_round_trip_for_every_algorithm(tmp_path: Path) -> None:
    rng = np.random.default_rng(7)
    sets = {
        name: rng.integers(0, 256, (300, size), np.uint8)
        for name, size in (("md5", 16), ("sha1", 20), ("sha256", 32))
    }
    inputs = [_write_list(tmp_path / f"{name}.txt", rows) for name, rows in sets.items()]
    report = build_hashset(inputs, tmp_path / "all.owhs")
    assert report.counts == {"sha256": 300, "sha1": 300, "md5": 300}

    collection = load_hashsets([tmp_path / "all.owhs"])
    assert collection.total_hashes == 900
    for name, rows in sets.items():
        for row in rows[::37]:
            given = {"md5": None, "sha1": None, "sha256": None, name: bytes(row)}
            [match] = collection.match(given["md5"], given["sha1"], given["sha256"])
            assert match.method == name and match.hashset == "all" and match.distance == 0
        flipped = rows[0].copy()
        flipped[-1] ^= 1  # same prefix, different last byte: must not match
        given = {"md5": None, "sha1": None, "sha256": None, name: bytes(flipped)}
        assert collection.match(given["md5"], given["sha1"], given["sha256"]) == []


def test_match_many_agrees_with_a_plain_set(tmp_path: Path) -> None:
    rng = np.random.default_rng(11)
    known = rng.integers(0, 256, (5000, 16), np.uint8)
    # Crowd one bucket beyond the lookup window, and give two digests the same 8-byte prefix.
    crowd = np.repeat(known[:1], 3 * WINDOW, axis=0)
    crowd[:, 8:] = rng.integers(0, 256, (3 * WINDOW, 8), np.uint8)
    crowd[:, 4:8] = rng.integers(0, 256, (3 * WINDOW, 4), np.uint8)
    twin = known[1].copy()
    twin[15] ^= 0xFF
    known = np.concatenate([known, crowd, twin[None, :]])
    build_hashset([_write_list(tmp_path / "k.txt", known)], tmp_path / "k.owhs")
    collection = load_hashsets([tmp_path / "k.owhs"])

    queries = np.concatenate([known, rng.integers(0, 256, (5000, 16), np.uint8)])
    rng.shuffle(queries)
    md5s = [bytes(row) for row in queries]
    results = collection.match_many(md5s, [None] * len(md5s), [b""] * len(md5s))
    truth = {bytes(row) for row in known}
    assert [bool(r) for r in results] == [q in truth for q in md5s]
    assert sum(map(len, results)) == len(truth)
    # One file at a time takes a plain-Python path; it must give the same answers.
    assert [collection.match(q, None, None) for q in md5s] == results


def test_long_bucket_and_shared_prefix_lookups_directly() -> None:
    digests = np.zeros((40, 16), np.uint8)
    digests[:, 15] = np.arange(40)  # forty digests sharing one 8-byte prefix (one bucket)
    merged, meta, stats = sort_and_merge(digests, np.zeros(40, np.uint16))
    table = DigestTable("md5", table_arrays("md5", merged, meta))
    rows, entries = table.lookup(digests[[0, 9, 39]])
    assert sorted(zip(rows.tolist(), entries.tolist(), strict=True)) == [(0, 0), (1, 9), (2, 39)]
    assert stats.unique == 40 and stats.duplicates == 0


def test_duplicates_merge_and_conflicts_are_counted(tmp_path: Path) -> None:
    d = digests_of(b"shared picture")
    first = tmp_path / "first.csv"
    first.write_text(f"md5,category\n{digests_of(b'only first')['md5']},B\n{d['md5']},A\n")
    second = tmp_path / "second.csv"
    second.write_text(f"md5,category\n{d['md5']},B\n{d['md5']},\n")
    report = build_hashset([first, second], tmp_path / "merged.owhs")

    assert report.counts == {"md5": 2}
    assert report.duplicates == {"md5": 2}
    assert report.conflicts == 1
    collection = load_hashsets([tmp_path / "merged.owhs"])
    [match] = collection.match(bytes.fromhex(d["md5"]), None, None)
    assert match.category == "A"  # the digest's first record, though B was the first label read
    [other] = collection.match(digests_of(b"only first")["md5"], None, None)
    assert other.category == "B"


def test_a_listed_file_is_never_known_good(write_nsrl: Callable[..., Path], tmp_path: Path) -> None:
    nsrl = write_nsrl([b"common icon", b"system file"])
    bad = tmp_path / "bad.txt"
    bad.write_text(digests_of(b"common icon")["md5"] + "\n")
    build_hashset([nsrl, bad], tmp_path / "mixed.owhs")
    collection = load_hashsets([tmp_path / "mixed.owhs"])

    icon = digests_of(b"common icon")
    assert not collection.is_known_good(bytes.fromhex(icon["md5"]), None)
    # SHA-1 comes from NSRL alone, so that digest stays known good.
    assert collection.is_known_good(None, bytes.fromhex(icon["sha1"]))
    system = digests_of(b"system file")
    assert collection.is_known_good(bytes.fromhex(system["md5"]), None)


def test_several_sets_raw_and_indexed_match_together(
    write_vics: Callable[..., Path], tmp_path: Path
) -> None:
    vics = write_vics([media_record(1, b"circle", 1), media_record(2, b"square", 2)])
    plain = tmp_path / "extra.txt"
    plain.write_text(digests_of(b"circle")["sha1"] + "\n")
    build_hashset([vics], tmp_path / "vics.owhs", name="project-vic")
    collection = load_hashsets([tmp_path / "vics.owhs", plain])

    assert collection.names == ["project-vic", "extra"]
    d = digests_of(b"circle")
    matches = collection.match(d["md5"], d["sha1"], d["sha256"])  # hex text is accepted too
    assert [(m.hashset, m.method) for m in matches] == [("project-vic", "sha1"), ("extra", "sha1")]
    as_ascii = collection.match(d["md5"].encode(), None, None)  # hex as bytes works as well
    assert [(m.hashset, m.method) for m in as_ascii] == [("project-vic", "md5")]
    assert collection.sizes() == frozenset({6})
    assert collection.size_array().tolist() == [6]


def test_interrupted_write_keeps_the_previous_index(tmp_path: Path) -> None:
    source = tmp_path / "v1.txt"
    source.write_text(digests_of(b"version one")["md5"] + "\n")
    output = tmp_path / "set.owhs"
    build_hashset([source], output)
    before = output.read_bytes()

    source.write_text(digests_of(b"version two")["md5"] + "\n")

    def interrupt(stage: str, done: int, total: int) -> None:
        if stage == "writing":
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        build_hashset([source], output, progress=interrupt)
    assert output.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["set.owhs", "v1.txt"]


@pytest.fixture
def index_file(tmp_path: Path) -> Path:
    rows = np.random.default_rng(3).integers(0, 256, (1000, 16), np.uint8)
    build_hashset([_write_list(tmp_path / "r.txt", rows)], tmp_path / "r.owhs")
    return tmp_path / "r.owhs"


def test_truncated_index_is_refused(index_file: Path) -> None:
    data = index_file.read_bytes()
    index_file.write_bytes(data[: len(data) // 2])
    with pytest.raises(HashSetFormatError, match=r"r\.owhs: truncated: \d+ bytes of \d+"):
        load_hashsets([index_file])


def test_bad_magic_is_refused(index_file: Path) -> None:
    data = bytearray(index_file.read_bytes())
    data[0:4] = b"XXXX"
    index_file.write_bytes(bytes(data))
    with pytest.raises(HashSetFormatError, match="bad magic number"):
        read_index(index_file)


def test_empty_index_file_is_refused(tmp_path: Path) -> None:
    (tmp_path / "zero.owhs").write_bytes(b"")
    with pytest.raises(HashSetFormatError, match="bad magic number"):
        read_index(tmp_path / "zero.owhs")


def test_damaged_header_and_sections_are_detected(index_file: Path) -> None:
    data = bytearray(index_file.read_bytes())
    header, _ = read_index(index_file)
    offset = header["sections"]["md5.tail"]["offset"]
    data[offset] ^= 0xFF
    index_file.write_bytes(bytes(data))
    assert verify_index(index_file) == ["md5.tail"]

    data[100] ^= 0xFF  # inside the JSON header
    index_file.write_bytes(bytes(data))
    with pytest.raises(HashSetFormatError, match="header checksum mismatch"):
        read_index(index_file)


def test_index_arrays_are_read_only_views(index_file: Path) -> None:
    collection = load_hashsets([index_file])
    table = collection.sets[0].tables["md5"]
    assert not table.prefix.flags.writeable
    assert os.path.getsize(index_file) > table.prefix.nbytes
