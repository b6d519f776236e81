"""The .owhs file: a small JSON header and 64-byte-aligned raw arrays, memory-mapped on open.

Layout: 64-byte preamble (magic, format version, header length, file length, SHA-256 of the
header), the UTF-8 JSON header, then each array at the offset the header gives. Opening reads
only the preamble and header; arrays are views of one read-only mmap. Written atomically.
"""

from __future__ import annotations

import hashlib
import json
import mmap
import os
import struct
from pathlib import Path
from typing import Any

import numpy as np

from orderwatch.domain.errors import Problem
from orderwatch.forensics.hashsets.model import HashSetFormatError, ProgressCallback

MAGIC = b"OWHS\r\n\x1a\n"
FORMAT_VERSION = 1
_PREAMBLE = struct.Struct("<8sIIQ32s8x")  # 64 bytes
ALIGN = 64
WRITE_BLOCK = 64 << 20


def _raw_bytes(array: np.ndarray) -> memoryview:
    """A flat byte view of a contiguous array (no copy)."""
    return np.ascontiguousarray(array).reshape(-1).view(np.uint8).data


def _aligned(offset: int) -> int:
    return (offset + ALIGN - 1) // ALIGN * ALIGN


def write_index(
    path: Path,
    header: dict[str, Any],
    arrays: dict[str, np.ndarray],
    progress: ProgressCallback | None = None,
) -> None:
    """Write header and arrays to `path` atomically: a temporary file renamed over the target."""
    sections: dict[str, dict[str, Any]] = {}
    for name, array in arrays.items():
        data = np.ascontiguousarray(array)
        arrays[name] = data
        digest = hashlib.sha256(_raw_bytes(data)).hexdigest() if data.size else ""
        sections[name] = {"dtype": data.dtype.str, "shape": list(data.shape), "sha256": digest}
    # Offsets depend on the header's length, which depends on the offsets: grow a guess until the
    # header fits, then pad it with spaces (valid JSON whitespace) to the guessed length.
    guess = 1024
    while True:
        offset = _aligned(_PREAMBLE.size + guess)
        for name, array in arrays.items():
            sections[name]["offset"] = offset
            offset = _aligned(offset + array.nbytes)
        encoded = json.dumps({**header, "sections": sections}, sort_keys=True).encode()
        if len(encoded) <= guess:
            header_bytes = encoded.ljust(guess)
            break
        guess = len(encoded) + 256
    total = offset
    preamble = _PREAMBLE.pack(
        MAGIC, FORMAT_VERSION, len(header_bytes), total, hashlib.sha256(header_bytes).digest()
    )
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with temporary.open("wb") as handle:
            handle.write(preamble)
            handle.write(header_bytes)
            written = 0
            for name, array in arrays.items():
                handle.seek(sections[name]["offset"])
                view = _raw_bytes(array)
                for start in range(0, len(view), WRITE_BLOCK):
                    handle.write(view[start : start + WRITE_BLOCK])
                    written += min(WRITE_BLOCK, len(view) - start)
                    if progress:
                        progress("writing", written, total)
            handle.truncate(total)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    _fsync_directory(path.parent)


def _fsync_directory(directory: Path) -> None:
    try:
        descriptor = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)


def _fail(path: Path, reason: str) -> HashSetFormatError:
    return HashSetFormatError(str(path), [Problem(0, reason)])


def read_index(path: Path) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """The header and read-only array views of an .owhs file; clear errors when it is damaged."""
    try:
        with path.open("rb") as handle:
            head = handle.read(_PREAMBLE.size)
            size = os.fstat(handle.fileno()).st_size
            if len(head) < _PREAMBLE.size or not head.startswith(MAGIC):
                raise _fail(path, "not an orderwatch hash-set index (bad magic number)")
            _magic, version, header_length, total, header_digest = _PREAMBLE.unpack(head)
            if version != FORMAT_VERSION:
                raise _fail(path, f"index format version {version}; this orderwatch reads 1")
            if size < total:
                raise _fail(path, f"truncated: {size} bytes of {total}; rebuild the index")
            header_bytes = handle.read(header_length)
            if hashlib.sha256(header_bytes).digest() != header_digest:
                raise _fail(path, "header checksum mismatch: the index is corrupt")
            header = json.loads(header_bytes)
            mapped = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) if size else None
    except OSError as error:
        raise _fail(path, f"cannot read: {error.strerror}") from None
    arrays: dict[str, np.ndarray] = {}
    for name, section in header["sections"].items():
        dtype = np.dtype(section["dtype"])
        shape = tuple(section["shape"])
        count = int(np.prod(shape)) if shape else 1
        if count == 0 or mapped is None:
            arrays[name] = np.empty(shape, dtype)
            continue
        if section["offset"] + count * dtype.itemsize > size:
            raise _fail(path, f"section {name} lies beyond the end of the file")
        flat = np.frombuffer(mapped, dtype, count=count, offset=section["offset"])
        arrays[name] = flat.reshape(shape)
    return header, arrays


def verify_index(path: Path) -> list[str]:
    """Re-hash every array against the digests in the header; returns the sections that differ."""
    header, arrays = read_index(path)
    damaged = []
    for name, section in header["sections"].items():
        data = arrays[name]
        digest = hashlib.sha256(_raw_bytes(data)).hexdigest() if data.size else ""
        if digest != section["sha256"]:
            damaged.append(name)
    return damaged
