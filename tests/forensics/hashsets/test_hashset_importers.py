"""Each importer on fixtures built in code, including malformed records and their numbers."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from pathlib import Path

import pytest
from hashset_inputs import digests_of, media_record, photodna_base64

from orderwatch.forensics.hashsets import HashSetFormatError, build_hashset, load_hashsets
from orderwatch.forensics.hashsets.importers import detect_format, plain
from orderwatch.forensics.hashsets.owhs import read_index


def _exact(collection, content: bytes, *, only: str | None = None):  # type: ignore[no-untyped-def]
    d = {k: bytes.fromhex(v) for k, v in digests_of(content).items()}
    if only:
        d = {k: (v if k == only else None) for k, v in d.items()}
    return collection.match(d["md5"], d["sha1"], d["sha256"])


# --- VICS JSON ---------------------------------------------------------------------------------


def test_vics_20_keeps_categories_sizes_and_alternative_hashes(
    write_vics: Callable[..., Path], tmp_path: Path
) -> None:
    pdq_hex = "f" * 8 + "0" * 56
    media = [
        media_record(1, b"red square", 1),
        media_record(2, b"blue circle", 2, SHA256=digests_of(b"blue circle")["sha256"]),
        media_record(
            3,
            b"green triangle",
            5,
            AlternativeHashes=[
                {"HashName": "PDQ", "HashValue": pdq_hex},
                {"HashName": "PhotoDNA", "HashValue": photodna_base64(3)},
            ],
        ),
    ]
    source = write_vics(media)
    report = build_hashset([source], tmp_path / "vics.owhs", name="vics-test")

    assert report.inputs[0]["format"] == "vics"
    assert report.inputs[0]["version"] == "2.0"
    assert report.counts == {"sha256": 1, "sha1": 3, "md5": 3, "pdq": 1, "photodna": 1}
    assert report.categories == {
        "VICS 1 child abuse material": 1,
        "VICS 2 exploitative / age difficult": 1,
        "VICS 5 non-pertinent": 1,
    }
    collection = load_hashsets([tmp_path / "vics.owhs"])
    assert collection.sizes() == frozenset({len(b"red square"), len(b"blue circle"), 14})
    [match] = _exact(collection, b"blue circle")
    assert (match.hashset, match.method, match.category) == (
        "vics-test",
        "sha256",
        "VICS 2 exploitative / age difficult",
    )
    [by_md5] = _exact(collection, b"red square", only="md5")
    assert by_md5.method == "md5" and by_md5.category == "VICS 1 child abuse material"
    [near] = collection.match_pdq(bytes.fromhex(pdq_hex))
    assert near.method == "pdq" and near.distance == 0 and near.category == "VICS 5 non-pertinent"
    assert collection.sets[0].photodna_count == 1


def test_vics_13_nests_media_in_cases_and_accepts_sizes_as_text(
    write_vics: Callable[..., Path], tmp_path: Path
) -> None:
    media = [media_record(7, b"yellow star", "3"), media_record(8, b"grey line", 0)]
    media[0]["MediaSize"] = "11"
    source = write_vics(media, version="1.3")
    report = build_hashset([source], tmp_path / "old.owhs")

    assert report.inputs[0]["version"] == "1.3"
    assert report.inputs[0]["media"] == 2
    collection = load_hashsets([tmp_path / "old.owhs"])
    assert collection.names == ["old"]
    [match] = _exact(collection, b"yellow star")
    assert match.category == "VICS 3 CGI / animation"
    assert collection.sizes() == frozenset({11, 9})


def test_vics_malformed_records_are_named_by_number(
    write_vics: Callable[..., Path], tmp_path: Path
) -> None:
    good = media_record(1, b"one")
    bad_md5 = media_record(2, b"two")
    bad_md5["MD5"] = "XYZ"
    media = [good, bad_md5, "not an object", {"MediaID": 4, "Category": 1}]
    source = write_vics(media)

    with pytest.raises(HashSetFormatError) as raised:
        build_hashset([source], tmp_path / "bad.owhs")
    message = str(raised.value)
    assert message.startswith(str(source))
    assert "record 2: MediaID 2: MD5 'XYZ' is not a valid md5 hash" in message
    assert "record 3: a Media record is not a JSON object" in message
    assert "record 4: MediaID 4: no MD5, SHA1, SHA256, PDQ or PhotoDNA hash" in message
    assert not (tmp_path / "bad.owhs").exists()

    report = build_hashset([source], tmp_path / "bad.owhs", skip_bad=True)
    assert report.problem_count == 3
    assert [p.line for _, p in report.problems] == [2, 3, 4]
    # Record 2's valid SHA-1 is kept: only the malformed field is dropped.
    assert report.counts == {"sha1": 2, "md5": 1}


def test_vics_that_is_not_json_names_the_line(tmp_path: Path) -> None:
    source = tmp_path / "broken.json"
    source.write_text('{"@odata.context": "x",\n "value": [\n {"MD5": }\n]}')
    with pytest.raises(HashSetFormatError, match=r"broken.json: line 3: not valid JSON"):
        load_hashsets([source])


def test_json_without_odata_context_is_refused(tmp_path: Path) -> None:
    source = tmp_path / "other.json"
    source.write_text(json.dumps({"value": [{"MD5": "0" * 32}]}))
    with pytest.raises(HashSetFormatError, match="not VICS JSON"):
        load_hashsets([source])


# --- CAID-style CSV ----------------------------------------------------------------------------


def test_csv_with_uk_categories_and_sizes(tmp_path: Path) -> None:
    rows = [(b"apple", "A"), (b"pear", "Cat B"), (b"plum", "category c"), (b"fig", "")]
    lines = ["ID,MD5,SHA1,Category,File Size"]
    for number, (content, grade) in enumerate(rows, start=1):
        d = digests_of(content)
        lines.append(f"{number},{d['md5']},{d['sha1'].upper()},{grade},{len(content)}")
    source = tmp_path / "caid.csv"
    source.write_text("\n".join(lines) + "\n")

    report = build_hashset([source], tmp_path / "caid.owhs")
    assert report.inputs[0]["format"] == "csv"
    assert report.categories == {"A": 1, "B": 1, "C": 1}
    collection = load_hashsets([tmp_path / "caid.owhs"])
    assert [m.category for m in _exact(collection, b"pear")] == ["B"]
    assert [m.category for m in _exact(collection, b"fig")] == [None]
    assert collection.sizes() == frozenset({5, 4, 3})


def test_csv_semicolons_and_a_generic_hash_column(tmp_path: Path) -> None:
    d1, d2 = digests_of(b"kiwi"), digests_of(b"lime")
    source = tmp_path / "generic.csv"
    source.write_text(f"Hash;Grade\n{d1['sha256']};A\n{d2['md5']};B\n")
    collection = load_hashsets([source])
    assert [(m.method, m.category) for m in _exact(collection, b"kiwi")] == [("sha256", "A")]
    assert [(m.method, m.category) for m in _exact(collection, b"lime")] == [("md5", "B")]


def test_csv_malformed_rows_are_named_by_line(tmp_path: Path) -> None:
    d = digests_of(b"melon")
    source = tmp_path / "rows.csv"
    source.write_text(f"md5,category\n{d['md5']},A\n\n{d['md5'][:-1]}g,A\nonly-one-column\n,B\n")
    with pytest.raises(HashSetFormatError) as raised:
        build_hashset([source], tmp_path / "rows.owhs")
    message = str(raised.value)
    assert "line 4: column 'md5':" in message and "is not 32 hexadecimal digits" in message
    assert "line 5: expected 2 columns, found 1" in message
    assert "line 6: no hash in this row" in message


def test_csv_without_a_hash_column_is_refused(tmp_path: Path) -> None:
    source = tmp_path / "names.csv"
    source.write_text("name,category\nx,A\n")
    with pytest.raises(HashSetFormatError, match=r"line 1: header names none of md5"):
        load_hashsets([source])


# --- plain lists -------------------------------------------------------------------------------


def test_plain_list_of_mixed_algorithms_with_comments_and_crlf(tmp_path: Path) -> None:
    a, b, c, e = (digests_of(x) for x in (b"alpha", b"beta", b"gamma", b"epsilon"))
    text = (
        "# known files\r\n"
        f"{a['md5']}\r\n"
        "\r\n"
        f"{b['sha1'].upper()}\r\n"
        f"{c['sha256']}  gamma.jpg\r\n"
        f"   {e['md5']}   # indented, with a comment\r\n"
    )
    source = tmp_path / "list.txt"
    source.write_bytes(text.encode())
    assert detect_format(source) == "plain"
    collection = load_hashsets([source])
    assert [m.method for m in _exact(collection, b"alpha")] == ["md5"]
    assert [m.method for m in _exact(collection, b"beta")] == ["sha1"]
    assert [m.method for m in _exact(collection, b"gamma")] == ["sha256"]
    assert [m.method for m in _exact(collection, b"epsilon")] == ["md5"]
    assert _exact(collection, b"delta") == []
    assert collection.sizes() == frozenset()


def test_plain_list_line_numbers_survive_block_boundaries(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(plain, "CHUNK_BYTES", 100)  # many blocks, lines split across them
    lines = [hashlib.md5(str(i).encode()).hexdigest() for i in range(60)]
    lines[41] = "not-a-hash"
    lines[52] = lines[52][:31]
    source = tmp_path / "long.txt"
    source.write_text("\n".join(lines))  # no final newline

    with pytest.raises(HashSetFormatError) as raised:
        build_hashset([source], tmp_path / "long.owhs")
    assert [p.line for p in raised.value.problems] == [42, 53]
    report = build_hashset([source], tmp_path / "long.owhs", skip_bad=True)
    assert report.counts == {"md5": 58}
    collection = load_hashsets([tmp_path / "long.owhs"])
    last = bytes.fromhex(lines[59])
    assert [m.method for m in collection.match(last, None, None)] == ["md5"]


def test_empty_input_is_an_error(tmp_path: Path) -> None:
    source = tmp_path / "empty.txt"
    source.write_text("# nothing here\n")
    with pytest.raises(HashSetFormatError, match=r"empty\.txt: contains no hashes"):
        build_hashset([source], tmp_path / "empty.owhs")


# --- NSRL RDS v3 -------------------------------------------------------------------------------


def test_nsrl_marks_known_good_and_leaves_the_database_unchanged(
    write_nsrl: Callable[..., Path], tmp_path: Path
) -> None:
    source = write_nsrl([b"kernel32", b"notepad", b"notepad"])
    before = hashlib.sha256(source.read_bytes()).hexdigest()
    report = build_hashset([source], tmp_path / "nsrl.owhs")

    assert hashlib.sha256(source.read_bytes()).hexdigest() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["nsrl.owhs", "rds.db"]
    assert report.inputs[0]["format"] == "nsrl"
    assert report.counts == {"sha256": 2, "sha1": 2, "md5": 2}
    assert report.duplicates == {"sha256": 1, "sha1": 1, "md5": 1}
    assert report.known_good_records == 3
    collection = load_hashsets([tmp_path / "nsrl.owhs"])
    d = digests_of(b"notepad")
    assert collection.is_known_good(bytes.fromhex(d["md5"]), None)
    assert collection.is_known_good(None, bytes.fromhex(d["sha1"]))
    assert not collection.is_known_good(hashlib.md5(b"other").digest(), None)
    [match] = _exact(collection, b"kernel32")
    assert match.known_good and match.category is None
    assert collection.sizes() == frozenset()


def test_nsrl_bad_rows_are_named_by_record(write_nsrl: Callable[..., Path], tmp_path: Path) -> None:
    source = write_nsrl([b"a", b"b"], extra_rows=[("ZZ", None, None, "", "x", 1, 1)])
    with pytest.raises(HashSetFormatError, match=r"record 3: sha256 'ZZ' is not a valid hash"):
        build_hashset([source], tmp_path / "n.owhs")


def test_sqlite_without_a_file_table_is_refused(tmp_path: Path) -> None:
    import sqlite3

    source = tmp_path / "other.db"
    with sqlite3.connect(source) as connection:
        connection.execute("CREATE TABLE history (url TEXT)")
    connection.close()
    with pytest.raises(HashSetFormatError, match=r"no FILE table.*tables: history"):
        load_hashsets([source])


def test_index_header_records_input_provenance(tmp_path: Path) -> None:
    source = tmp_path / "p.txt"
    source.write_text(hashlib.md5(b"x").hexdigest() + "\n")
    build_hashset([source], tmp_path / "p.owhs", name="provenance")
    header, _ = read_index(tmp_path / "p.owhs")
    assert header["name"] == "provenance"
    assert header["inputs"][0]["sha256"] == hashlib.sha256(source.read_bytes()).hexdigest()
    assert header["inputs"][0]["path"] == str(source.resolve())
    assert header["tool"]["name"] == "orderwatch"
