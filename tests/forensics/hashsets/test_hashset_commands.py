"""`orderwatch hashset build|info|lookup` through the real command line."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from hashset_inputs import digests_of, media_record

from orderwatch.cli import main


def test_build_info_and_lookup(
    write_vics: Callable[..., Path],
    write_nsrl: Callable[..., Path],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    vics = write_vics([media_record(1, b"dots", 1), media_record(2, b"dots", 1)])
    nsrl = write_nsrl([b"library"])
    output = tmp_path / "unit.owhs"
    assert (
        main(["hashset", "build", str(vics), str(nsrl), "-o", str(output), "--name", "unit"]) == 0
    )
    built = capsys.readouterr().out
    assert f"built {output} (set 'unit')" in built
    assert "md5                 2 unique  (1 duplicates merged)" in built
    assert "category VICS 1 child abuse material: 2 records" in built
    assert "known good (NSRL): 1 records" in built

    assert main(["hashset", "info", str(output), "--verify"]) == 0
    info = capsys.readouterr().out
    assert "hash set 'unit'" in info
    assert f"from {vics.resolve()} (vics 2.0, 2 records" in info
    assert "verified: all" in info

    dots, library, other = digests_of(b"dots"), digests_of(b"library"), digests_of(b"other")
    code = main(["hashset", "lookup", str(output), dots["sha1"], library["sha256"], other["md5"]])
    lines = capsys.readouterr().out.splitlines()
    assert code == 0
    assert lines == [
        f"{dots['sha1']}\tmatch\tset=unit\tcategory=VICS 1 child abuse material\tmethod=sha1"
        "\tdistance=0\tknown_good=False",
        f"{library['sha256']}\tmatch\tset=unit\tcategory=-\tmethod=sha256\tdistance=0"
        "\tknown_good=True",
        f"{other['md5']}\tno match",
    ]


def test_lookup_rejects_what_is_not_a_hash(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "l.txt"
    source.write_text(digests_of(b"x")["md5"] + "\n")
    assert main(["hashset", "lookup", str(source), "abc"]) == 1
    assert "abc\tnot an MD5, SHA-1 or SHA-256" in capsys.readouterr().err


def test_malformed_input_is_one_line_with_line_numbers(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "typo.txt"
    source.write_text(digests_of(b"a")["md5"] + "\nnot a hash\n" + digests_of(b"b")["sha1"] + "\n")
    output = tmp_path / "typo.owhs"
    assert main(["hashset", "build", str(source), "-o", str(output)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [
        f"orderwatch: error: {source}: line 2: 'not' is not an MD5, SHA-1 or SHA-256 "
        "(32, 40 or 64 hex digits)"
    ]
    assert not output.exists()

    assert main(["hashset", "build", str(source), "-o", str(output), "--skip-bad"]) == 0
    out = capsys.readouterr().out
    assert "skipped 1 malformed line(s) or record(s):" in out
    assert f"{source}: line 2: 'not' is not" in out
    assert main(["hashset", "info", str(output)]) == 0
    assert "built with --skip-bad: 1 malformed inputs skipped" in capsys.readouterr().out


def test_info_on_a_damaged_index(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "junk.owhs").write_bytes(b"this is not an index at all, just text" * 3)
    assert main(["hashset", "info", str(tmp_path / "junk.owhs")]) == 2
    assert "bad magic number" in capsys.readouterr().err
