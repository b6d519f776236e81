"""Building registry hives for tests: an empty hive, then .reg text merged by hivexregedit.

hivex cannot create a hive from nothing, so `empty_hive` writes the smallest valid hive (a base
block, one hbin holding the root key and its security cell); `build_hive` (conftest.py) merges a
.reg text into it with Debian's `hivexregedit --merge` (package libwin-hivex-perl).
"""

from __future__ import annotations

import struct
import subprocess
from collections.abc import Callable
from pathlib import Path

HiveBuilder = Callable[[Path, str, dict[str, dict[str, str]]], Path]


def merge_hive(path: Path, file_name: str, keys: dict[str, dict[str, str]]) -> Path:
    """Build a hive at `path` whose header names it `file_name`, holding `keys` (needs Debian's
    hivexregedit; the `build_hive` fixture skips when it is missing)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    empty_hive(path, file_name)
    reg = path.with_name(path.name + ".reg")
    reg.write_text(reg_text(keys), encoding="utf-8")
    subprocess.run(
        ["hivexregedit", "--merge", "--encoding", "UTF-16LE", str(path), str(reg)],
        check=True,
        capture_output=True,
        timeout=60,
    )
    reg.unlink()
    return path


def _cell(body: bytes) -> bytes:
    size = (len(body) + 4 + 7) & ~7
    return struct.pack("<i", -size) + body + b"\0" * (size - 4 - len(body))


def empty_hive(path: Path, file_name: str) -> None:
    """The smallest hive hivex accepts: root key `ROOT` with an empty security descriptor."""
    root_offset = 0x20
    name = b"ROOT"

    def root_key(security_offset: int) -> bytes:
        fields = (0xFFFFFFFF, 0, 0, 0xFFFFFFFF, 0xFFFFFFFF, 0, 0xFFFFFFFF, security_offset)
        fields += (0xFFFFFFFF, 0, 0, 0, 0, 0)
        return (
            b"nk"
            + struct.pack("<HQI", 0x2C, 0, 0)
            + struct.pack("<14I", *fields)
            + struct.pack("<HH", len(name), 0)
            + name
        )

    security_offset = root_offset + len(_cell(root_key(0)))
    descriptor = struct.pack("<BBHIIII", 1, 0, 0x8000, 0, 0, 0, 0)
    security = b"sk" + struct.pack(
        "<HIIII", 0, security_offset, security_offset, 1, len(descriptor)
    )
    cells = _cell(root_key(security_offset)) + _cell(security + descriptor)
    free = 4096 - 0x20 - len(cells)
    hbin = b"hbin" + struct.pack("<III", 0, 4096, 0) + b"\0" * 16 + cells
    hbin += struct.pack("<i", free) + b"\0" * (free - 4)
    header = bytearray(4096)
    struct.pack_into("<4sIIQIIIIIII", header, 0, b"regf", 1, 1, 0, 1, 3, 0, 1, root_offset, 4096, 1)
    encoded = file_name.encode("utf-16-le")[:64]
    header[0x30 : 0x30 + len(encoded)] = encoded
    checksum = 0
    for (word,) in struct.iter_unpack("<I", bytes(header[:508])):
        checksum ^= word
    struct.pack_into("<I", header, 508, checksum)
    path.write_bytes(bytes(header) + hbin)


def reg_text(keys: dict[str, dict[str, str]]) -> str:
    """A regedit file for `keys` (path -> value name -> .reg literal), parents listed first."""
    wanted: dict[str, dict[str, str]] = {}
    for path, values in keys.items():
        parts = path.strip("\\").split("\\")
        for depth in range(1, len(parts)):
            wanted.setdefault("\\".join(parts[:depth]), {})
        wanted.setdefault("\\".join(parts), {}).update(values)
    lines = ["Windows Registry Editor Version 5.00", ""]
    for path in sorted(wanted, key=lambda p: p.count("\\")):
        lines.append(f"[\\{path}]")
        for name, literal in wanted[path].items():
            shown = "@" if name == "@" else reg_sz(name)
            lines.append(f"{shown}={literal}")
        lines.append("")
    return "\n".join(lines)


def reg_sz(value: str) -> str:
    """A REG_SZ literal (backslashes and quotes escaped)."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def reg_hex(kind: int | None, data: bytes) -> str:
    """`hex:` (REG_BINARY) or `hex(kind):` for any other value type, data as bytes."""
    prefix = "hex" if kind is None else f"hex({kind:x})"
    return f"{prefix}:{','.join(f'{b:02x}' for b in data)}"


def reg_utf16(kind: int, value: str) -> str:
    """A value stored as UTF-16LE text with a NUL (REG_EXPAND_SZ is kind 2)."""
    return reg_hex(kind, (value + "\0").encode("utf-16-le"))
