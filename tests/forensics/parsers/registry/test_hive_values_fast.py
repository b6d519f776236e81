"""The fast value reader of hive_reader against regipy's NKRecord.iter_values, key by key.

values() and value_types() decode the common value types straight from the hive bytes and leave
every other key to regipy; each key read fast must give exactly what regipy gives (names, value
types, Python types, values, order), and the keys it cannot read must go to regipy whole.
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from hive_fixtures import HiveBuilder, reg_hex, reg_sz, reg_utf16
from regipy.registry import NKRecord, RegistryHive, VKRecord

from orderwatch.forensics.parsers.interface import LocalArtefact, ParserMediator
from orderwatch.forensics.parsers.manager import registry
from orderwatch.forensics.parsers.registry import hive_reader
from orderwatch.forensics.parsers.registry.hive_reader import value_types, values

BENCH_SOFTWARE = Path("/tmp/orderwatch-bench-parsers/artefacts/Windows/System32/config/SOFTWARE")


def _utf16(*strings: str) -> bytes:
    return "".join(s + "\0" for s in strings).encode("utf-16-le", errors="surrogatepass")


# Keys the fast path reads: every type it decodes, awkward lengths and names.
FAST_KEYS: dict[str, dict[str, str]] = {
    r"Values\Types": {
        "@": reg_sz("the default"),
        "sz": reg_sz("plain text"),
        "expand": reg_utf16(2, r"%SystemRoot%\system32"),
        "binary": reg_hex(None, bytes(range(40))),
        "none": reg_hex(0, b"\x01\x02\x03\x04\x05\x06\x07"),
        "dword": "dword:12345678",
        "dword_be": reg_hex(5, b"\x12\x34\x56\x78\x9a\xbc"),  # in a cell: decoded as text
        "qword": reg_hex(0xB, struct.pack("<Q", 0x0123456789ABCDEF)),
        "multi": reg_hex(7, _utf16("one", "two") + b"\0\0"),
    },
    r"Values\Strings": {
        "nul_only": reg_hex(1, b"\0\0"),
        "nothing": reg_hex(1, b""),
        "odd_inline": reg_hex(1, b"a\0b"),
        "odd_cell": reg_hex(1, b"abcdefg"),
        "utf8_not_utf16": reg_hex(1, "é!".encode()),
        "unterminated": reg_hex(1, "abc".encode("utf-16-le")),
        "junk_after_nul": reg_hex(1, _utf16("VeraCrypt", "junk")),
        "nuls": reg_hex(2, _utf16("x", "", "")),
        "astral": reg_utf16(1, "grinning \U0001f600"),
        "long": reg_utf16(1, "w" * 3000),
    },
    r"Values\Numbers": {
        "dword_1_byte": reg_hex(4, b"\x07"),
        "dword_cell": reg_hex(4, struct.pack("<II", 5, 6)),
        "qword_inline": reg_hex(0xB, b"\x01\x02\x03\x04"),
        "qword_cell": reg_hex(0xB, struct.pack("<QI", 2**64 - 1, 9)),
        "dword_be_cell": reg_hex(5, b"\xff\xfe\xfd\xfc\xfb\xfa\xf9\xf8"),
    },
    r"Values\Binary": {
        "empty": reg_hex(None, b""),
        "one": reg_hex(None, b"\x80"),
        "four": reg_hex(None, b"\xde\xad\xbe\xef"),
        "five": reg_hex(None, b"\xde\xad\xbe\xef\x01"),
        "large": reg_hex(None, bytes(range(256)) * 60),  # 15,360 bytes: one cell still
        "none_empty": reg_hex(0, b""),
    },
    r"Values\Multi": {
        "inline": reg_hex(7, _utf16("a")),
        "empty_strings": reg_hex(7, _utf16("", "a", "", "b") + b"\0\0"),
        "unterminated_tail": reg_hex(7, _utf16("a") + "tail".encode("utf-16-le")),
        "odd_byte": reg_hex(7, _utf16("a", "b") + b"\0\0z"),
        "just_nul": reg_hex(7, b"\0\0"),
        "nothing": reg_hex(7, b""),
        "astral": reg_hex(7, _utf16("\U0001f600", "ü")),
    },
    r"Values\Names": {
        "Näme": reg_sz("latin-1 name"),
        "名前": reg_sz("CJK name"),
        "emoji \U0001f600": reg_sz("astral name"),
        "plain": reg_sz("ASCII name"),
    },
    r"Values\Many": {f"value {i:03d}": f"dword:{i:08x}" for i in range(300)},
    r"Values\Empty": {},
}

# Keys left to regipy, one reason each.
REGIPY_KEYS: dict[str, dict[str, str]] = {
    r"Values\BigBinary": {"blob": reg_hex(None, bytes(range(256)) * 80)},  # 20 KB
    r"Values\BigText": {"text": reg_utf16(1, "x" * 9000)},  # 18 KB
    r"Values\BigMulti": {"multi": reg_hex(7, _utf16(*["y" * 100] * 90))},
    r"Values\DwordBigEndianInline": {"be": reg_hex(5, b"\x12\x34\x56\x78")},
    r"Values\ResourceList": {"res": reg_hex(8, b"\x01\x00\x00\x00" * 3)},
    r"Values\Filetime": {"time": reg_hex(0x10, struct.pack("<Q", 0x01CBF028A02D1BE0))},
    r"Values\Rid": {"@": reg_hex(0x3E9, b"")},
    r"Values\Devprop": {"prop": reg_hex(0xFFFF0012, _utf16("device"))},
    r"Values\Skipped": {"odd": reg_hex(0x200000, b"\x01\x02\x03\x04\x05")},
    r"Values\UndecodableText": {"text": reg_hex(1, b"\xff\xfe\xfd")},
    r"Values\SurrogateMulti": {
        "multi": reg_hex(7, _utf16("ok") + b"\x00\xd8\x41\x00\0\0" + _utf16("after"))
    },
    r"Values\ShortQword": {"q": reg_hex(0xB, b"\x01\x02\x03\x04\x05\x06")},  # regipy raises
    # One ordinary value before an unusual one: the whole key still goes to regipy.
    r"Values\Mixed": {"fine": reg_sz("fine"), "time": reg_hex(0x10, b"\0" * 8)},
}


def _walk(hive: RegistryHive) -> Iterator[tuple[str, NKRecord]]:
    """Every key of the hive with its path, parents first."""
    stack: list[tuple[str, NKRecord]] = [("", hive.root)]
    while stack:
        path, key = stack.pop()
        yield path, key
        for sub in key.iter_subkeys() or ():
            if isinstance(sub, NKRecord):
                stack.append((f"{path}\\{sub.name}", sub))


def _regipy_values(key: NKRecord) -> list[tuple[str, str, type, Any]] | str:
    """regipy's values (name, type name, Python type, value), or the error it raises."""
    try:
        return [
            (v.name, str(v.value_type), type(v.value), v.value)
            for v in key.iter_values(as_json=False, trim_values=False)
        ]
    except Exception as error:  # regipy raises construct errors of many kinds
        return repr(error)


def _compare_hive(path: Path) -> dict[str, bool]:
    """Compare the fast path with regipy on every key holding values; key path -> read fast."""
    read_fast = {}
    for key_path, key in _walk(RegistryHive(str(path))):
        if not key.values_count:
            continue
        fast = hive_reader._decoded_values(key)
        read_fast[key_path] = fast is not None
        if fast is None:
            continue
        expected = _regipy_values(key)
        got = [(n, hive_reader._TYPE_NAMES[k], type(v), v) for n, k, v in fast]
        assert got == expected, key_path
    return read_fast


def _both_ways(read: Callable[[NKRecord], Any], key: NKRecord) -> tuple[Any, Any]:
    """What `read` (values or value_types) gives through regipy and with the fast path."""
    results, before = [], hive_reader.FAST_VALUES
    for fast in (False, True):
        hive_reader.FAST_VALUES = fast
        try:
            results.append(read(key))
        except Exception as error:  # the same error both ways
            results.append(repr(error))
        finally:
            hive_reader.FAST_VALUES = before
    return results[0], results[1]


@pytest.fixture
def built_hive(tmp_path: Path, build_hive: HiveBuilder) -> Path:
    return build_hive(tmp_path / "SOFTWARE", "SOFTWARE", FAST_KEYS | REGIPY_KEYS)


def test_built_hive_every_type_and_awkward_value(built_hive: Path) -> None:
    read_fast = _compare_hive(built_hive)
    fast_keys = {f"\\{k}" for k, v in FAST_KEYS.items() if v}
    assert {k for k, fast in read_fast.items() if fast} == fast_keys
    assert {k for k, fast in read_fast.items() if not fast} == {f"\\{k}" for k in REGIPY_KEYS}
    for key_path, key in _walk(RegistryHive(str(built_hive))):
        for read in (values, value_types):
            through_regipy, fast = _both_ways(read, key)
            assert fast == through_regipy, (key_path, read.__name__)
            assert [type(v) for v in fast] == [type(v) for v in through_regipy]


def test_built_hive_values_read_as_expected(built_hive: Path) -> None:
    hive = RegistryHive(str(built_hive))
    assert values(hive.get_key(r"\Values\Types")) == {
        "(default)": "the default",
        "sz": "plain text",
        "expand": r"%SystemRoot%\system32",
        "binary": bytes(range(40)),
        "none": b"\x01\x02\x03\x04\x05\x06\x07",
        "dword": 0x12345678,
        "dword_be": "\u3412\u7856\ubc9a",
        "qword": 0x0123456789ABCDEF,
        "multi": ["one", "two"],
    }
    assert value_types(hive.get_key(r"\Values\Types"))["dword_be"] == "REG_DWORD_BIG_ENDIAN"
    assert values(hive.get_key(r"\Values\Multi"))["empty_strings"] == ["a", "b"]
    assert values(hive.get_key(r"\Values\Strings"))["utf8_not_utf16"] == "é!"
    assert value_types(hive.get_key(r"\Values\Rid")) == {"(default)": "1001"}
    assert values(hive.get_key(r"\Values\Empty")) == {}


def _damaged(built_hive: Path, value_name: str, change: Callable[[bytearray, int], None]) -> Path:
    """A copy of the built hive with the VK cell of `value_name` changed by `change(data, at)`."""
    data = bytearray(built_hive.read_bytes())
    name = value_name.encode("ascii")
    at = data.index(b"vk" + struct.pack("<H", len(name)))
    while data[at + 20 : at + 20 + len(name)] != name:
        at = data.index(b"vk" + struct.pack("<H", len(name)), at + 1)
    change(data, at)
    damaged = built_hive.with_name("damaged")
    damaged.write_bytes(bytes(data))
    return damaged


@pytest.mark.parametrize(
    "value_name, change",
    [
        ("expand", lambda data, at: data.__setitem__(slice(at, at + 2), b"xx")),  # signature
        ("binary", lambda data, at: struct.pack_into("<I", data, at + 8, 0x7FFFFFF0)),
        ("binary", lambda data, at: struct.pack_into("<I", data, at + 4, 0x3FD9)),  # size
        ("multi", lambda data, at: struct.pack_into("<I", data, at + 8, 0xFFFFFF00)),
        ("qword", lambda data, at: struct.pack_into("<I", data, at + 4, 7)),  # regipy raises
    ],
)
def test_damaged_values_go_to_regipy(
    built_hive: Path, value_name: str, change: Callable[[bytearray, int], None]
) -> None:
    hive = RegistryHive(str(_damaged(built_hive, value_name, change)))
    key = hive.get_key(r"\Values\Types")
    assert hive_reader._decoded_values(key) is None
    for read in (values, value_types):
        through_regipy, fast = _both_ways(read, key)
        assert fast == through_regipy


def test_a_value_list_out_of_the_hive_goes_to_regipy(built_hive: Path) -> None:
    key = RegistryHive(str(built_hive)).get_key(r"\Values\Types")
    key.header.values_list_offset = built_hive.stat().st_size  # what a damaged NK would hold
    assert hive_reader._decoded_values(key) is None
    through_regipy, fast = _both_ways(values, key)
    assert fast == through_regipy and "RegistryParsingException" in fast


def _short_inline_reads(monkeypatch: pytest.MonkeyPatch) -> None:
    """regipy reads an inline value's data from its data offset for data_size bytes, the high
    bit set (2 GB): the rest of the hive, copied for each inline value (85 s CPU over the 11 MB
    SYSTEM). Only the types the fast path leaves to regipy (REG_DWORD_BIG_ENDIAN, unknown ones)
    use those bytes, so a reference that reads none gives the same value for every key compared."""
    read_value = NKRecord.read_value

    def short(vk: Any, stream: Any) -> VKRecord:
        if vk.data_size < 0x80000000:
            return read_value(vk, stream)
        return VKRecord(value_type=vk.data_type, value_type_str=str(vk.data_type), value=b"")

    monkeypatch.setattr(NKRecord, "read_value", staticmethod(short))


def test_real_system_hive(real_system_root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _short_inline_reads(monkeypatch)
    read_fast = _compare_hive(real_system_root / "Windows" / "System32" / "config" / "SYSTEM")
    assert sum(read_fast.values()) == 20640 and len(read_fast) == 20783


def test_real_ntuser_hive(real_ntuser_root: Path) -> None:
    read_fast = _compare_hive(real_ntuser_root / "Users" / "vibranium" / "NTUSER.DAT")
    assert sum(read_fast.values()) == 1205 and len(read_fast) == 1206


def test_bench_software_hive() -> None:
    if not BENCH_SOFTWARE.is_file():
        pytest.skip(f"bench hive absent: {BENCH_SOFTWARE} (built by the parser benchmarks)")
    read_fast = _compare_hive(BENCH_SOFTWARE)
    assert read_fast and all(read_fast.values())


@pytest.mark.parametrize("root_fixture", ["real_system_root", "real_ntuser_root"])
def test_the_parsers_say_the_same_either_way(
    root_fixture: str, request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> None:
    root: Path = request.getfixturevalue(root_fixture)
    outputs = []
    for fast in (False, True):
        monkeypatch.setattr(hive_reader, "FAST_VALUES", fast)
        said = []
        for path in sorted(p for p in root.rglob("*") if p.is_file()):
            artefact = LocalArtefact(path, root)
            for parser in registry.parsers_for(artefact.path):
                mediator = ParserMediator(source=str(root))
                parser.parse(artefact, mediator)
                said.append(
                    (parser.NAME, [o.to_dict() for o in mediator.observations], mediator.errors)
                )
        outputs.append(said)
    assert outputs[0] == outputs[1] and any(observations for _, observations, _ in outputs[1])
