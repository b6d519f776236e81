"""EWF (E01) media read through the system's libewf (Debian's libewf2, built with zlib), by ctypes.

The libewf-python wheel inflates compressed chunks with libewf's own deflate code: about 25 MB/s
here, against about 100 MB/s for the same read through the system library, which uses zlib. Both
are libewf; this module is only the faster road to the same bytes, taken where the library is
installed (`scripts/install-system-deps` installs it) and can open the set, and left for pyewf
otherwise (no library, or a set this older libewf cannot read, such as Ex01).
"""

from __future__ import annotations

import ctypes
import ctypes.util
from typing import Any

_READ = 1  # LIBEWF_ACCESS_FLAG_READ
_library: Any = None
_loaded = False


def _lib() -> Any:
    """The system libewf with the signatures used here, or None when it is not installed."""
    global _library, _loaded
    if _loaded:
        return _library
    _loaded = True
    name = ctypes.util.find_library("ewf") or "libewf.so.2"
    try:
        lib = ctypes.CDLL(name)
        error_p = ctypes.POINTER(ctypes.c_void_p)
        lib.libewf_handle_initialize.argtypes = [ctypes.POINTER(ctypes.c_void_p), error_p]
        lib.libewf_handle_open.argtypes = [
            ctypes.c_void_p,
            ctypes.POINTER(ctypes.c_char_p),
            ctypes.c_int,
            ctypes.c_int,
            error_p,
        ]
        lib.libewf_handle_get_media_size.argtypes = [
            ctypes.c_void_p,
            ctypes.POINTER(ctypes.c_uint64),
            error_p,
        ]
        lib.libewf_handle_read_random.restype = ctypes.c_ssize_t
        lib.libewf_handle_read_random.argtypes = [
            ctypes.c_void_p,
            ctypes.c_void_p,
            ctypes.c_size_t,
            ctypes.c_int64,
            error_p,
        ]
        lib.libewf_handle_segment_files_corrupted.argtypes = [ctypes.c_void_p, error_p]
        lib.libewf_handle_get_number_of_checksum_errors.argtypes = [
            ctypes.c_void_p,
            ctypes.POINTER(ctypes.c_uint32),
            error_p,
        ]
        lib.libewf_handle_close.argtypes = [ctypes.c_void_p, error_p]
        lib.libewf_handle_free.argtypes = [ctypes.POINTER(ctypes.c_void_p), error_p]
        lib.libewf_error_sprint.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_size_t]
        lib.libewf_error_free.argtypes = [ctypes.POINTER(ctypes.c_void_p)]
    except (OSError, AttributeError):  # not installed, or a libewf without this API
        return None
    _library = lib
    return lib


def _message(lib: Any, error: ctypes.c_void_p) -> str:
    if not error.value:
        return "libewf failed without saying why"
    text = ctypes.create_string_buffer(1024)
    lib.libewf_error_sprint(error, text, len(text))
    lib.libewf_error_free(ctypes.byref(error))
    lines = text.value.decode("utf-8", "replace").strip().splitlines()
    return lines[-1] if lines else "libewf failed without saying why"


class SystemEwf:
    """One open E01 set: its media size and random reads. Not shared between processes."""

    def __init__(self, lib: Any, handle: ctypes.c_void_p, size: int) -> None:
        self._lib = lib
        self._handle: ctypes.c_void_p | None = handle
        self.size = size
        self._buffer = bytearray(1024 * 1024)
        self._errors_seen = 0

    @classmethod
    def open(cls, segments: list[str]) -> SystemEwf | None:
        """The set made of `segments` (in order), or None when the library is absent or cannot
        open it (the caller then reads through pyewf, which says why if it cannot either)."""
        lib = _lib()
        if lib is None or not segments:
            return None
        error = ctypes.c_void_p()
        handle = ctypes.c_void_p()
        if lib.libewf_handle_initialize(ctypes.byref(handle), ctypes.byref(error)) != 1:
            _message(lib, error)
            return None
        names = (ctypes.c_char_p * len(segments))(*(s.encode() for s in segments))
        size = ctypes.c_uint64()
        opened = lib.libewf_handle_open(handle, names, len(segments), _READ, ctypes.byref(error))
        # A set with a missing or damaged segment is left to pyewf, which names the damage
        # (this libewf would read what it lacks as zeros).
        if (
            opened == 1
            and lib.libewf_handle_segment_files_corrupted(handle, ctypes.byref(error)) == 0
            and lib.libewf_handle_get_media_size(handle, ctypes.byref(size), ctypes.byref(error))
            == 1
        ):
            return cls(lib, handle, int(size.value))
        _message(lib, error)
        if opened == 1:
            lib.libewf_handle_close(handle, None)
        lib.libewf_handle_free(ctypes.byref(handle), None)
        return None

    def read_at(self, offset: int, length: int) -> bytes:
        """Up to `length` bytes of media from `offset` (fewer at the end); OSError on damage."""
        if self._handle is None:
            raise OSError("read from a closed E01 set")
        length = max(0, min(length, self.size - offset))
        if length > len(self._buffer):
            self._buffer = bytearray(length)
        target = (ctypes.c_char * len(self._buffer)).from_buffer(self._buffer)
        error = ctypes.c_void_p()
        count = self._lib.libewf_handle_read_random(
            self._handle, target, length, offset, ctypes.byref(error)
        )
        if count < 0:
            raise OSError(f"E01 media unreadable at offset {offset}: {_message(self._lib, error)}")
        if self._checksum_errors() != self._errors_seen:  # a chunk failed its checksum
            self._errors_seen = self._checksum_errors()
            end = offset + max(count, 1) - 1
            raise OSError(f"E01 chunk checksum error in media bytes {offset}-{end}")
        return bytes(memoryview(self._buffer)[:count])  # one copy

    def _checksum_errors(self) -> int:
        errors = ctypes.c_uint32()
        self._lib.libewf_handle_get_number_of_checksum_errors(
            self._handle, ctypes.byref(errors), None
        )
        return int(errors.value)

    def close(self) -> None:
        if self._handle is not None:
            self._lib.libewf_handle_close(self._handle, None)
            self._lib.libewf_handle_free(ctypes.byref(self._handle), None)
            self._handle = None
