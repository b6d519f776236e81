"""Content signatures and when an extension contradicts the content."""

from __future__ import annotations

import io
import tarfile
import zipfile

import pytest

from orderwatch.forensics.filetypes import detect_type, extension_contradicts, extension_of


def _zip() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("a.txt", "hello")
    return out.getvalue()


def _tar() -> bytes:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w") as archive:
        info = tarfile.TarInfo("a.txt")
        info.size = 5
        archive.addfile(info, io.BytesIO(b"hello"))
    return out.getvalue()


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        (b"\xff\xd8\xff\xe0\x00\x10JFIF", "jpeg"),
        (b"\x89PNG\r\n\x1a\n\x00\x00", "png"),
        (b"GIF89a\x01\x00", "gif"),
        (b"RIFF\x00\x00\x00\x00WEBPVP8 ", "webp"),
        (b"RIFF\x00\x00\x00\x00AVI LIST", "avi"),
        (b"\x00\x00\x00\x18ftypheic\x00", "heif"),
        (b"\x00\x00\x00\x18ftypisom\x00", "mp4"),
        (b"%PDF-1.4\n", "pdf"),
        (b"7z\xbc\xaf'\x1c\x00\x04", "7z"),
        (b"SQLite format 3\x00" + bytes(84), "sqlite"),
        (b"regf" + bytes(60), "registry_hive"),
        (b"MZ\x90\x00\x03", "pe"),
        (b"LUKS\xba\xbe\x00\x01", "luks"),
        (b"\xeb\x58\x90-FVE-FS-", "bitlocker"),
        (b"EVF\x09\x0d\x0a\xff\x00\x01", "ewf"),
        (b"<!DOCTYPE html><html>", "html"),
        (b"plain words\nand lines\n", "text"),
        ("caf\u00e9 na\u00efve".encode(), "text"),
    ],
)
def test_signatures(head: bytes, expected: str) -> None:
    detected = detect_type(head)
    assert detected is not None and detected.name == expected


def test_archives_by_content() -> None:
    assert getattr(detect_type(_zip()), "name", None) == "zip"
    assert getattr(detect_type(_tar()), "name", None) == "tar"


UPCASE_TABLE = b"".join(i.to_bytes(2, "little") for i in range(256))  # NTFS $UpCase starts so


@pytest.mark.parametrize(
    "head", [b"", bytes(100), b"\x00\x01\x02binary\x00", b"\x13\x37" * 50, UPCASE_TABLE]
)
def test_unknown_content(head: bytes) -> None:
    assert detect_type(head) is None


@pytest.mark.parametrize(
    ("name", "head", "contradicts"),
    [
        ("holiday.jpg", b"\xff\xd8\xff\xe0", False),  # its own extension
        ("HOLIDAY.JPEG", b"\xff\xd8\xff\xe0", False),  # case does not matter
        ("report.docx", b"PK\x03\x04", False),  # OOXML is a ZIP
        ("holiday.jpg", b"PK\x03\x04", True),  # an archive named as a picture
        ("system32.dll", b"\xff\xd8\xff\xe0", True),  # a picture named as a library
        ("cache.dat", b"\xff\xd8\xff\xe0", True),  # a picture named .dat
        ("blob.xyz", b"\x89PNG\r\n\x1a\n", True),  # media under an unknown extension
        ("f_000123", b"\xff\xd8\xff\xe0", False),  # browser caches use no extension
        ("download.tmp", b"\xff\xd8\xff\xe0", False),  # neutral extensions
        ("notes.xyz", b"%PDF-1.4", False),  # a document under an unknown extension
        ("settings.dat", b"key=value\n", False),  # text .dat files are common
        ("movie.mp4", b"just some text\n", True),  # text named as a video
        ("random.bin", b"\x13\x37" * 50, False),  # unknown content never contradicts
    ],
)
def test_extension_contradicts(name: str, head: bytes, contradicts: bool) -> None:
    assert extension_contradicts(extension_of(name), detect_type(head)) is contradicts


def test_extension_of() -> None:
    assert extension_of("/a/b/Photo.JPG") == "jpg"
    assert extension_of("/a/b/.bashrc") == ""
    assert extension_of("/a/b/archive.tar.gz") == "gz"
    assert extension_of("/a/b/noext") == ""
