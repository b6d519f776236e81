"""Hidden-material detectors: encrypted containers, renamed files, hidden user files, archives."""

from __future__ import annotations

import io
import tarfile
import zipfile
from datetime import UTC, datetime

import pytest

from orderwatch.forensics.filetypes import detect_type
from orderwatch.triage.hidden import (
    FileFacts,
    detect_hidden_material,
    encrypted_container,
    encrypted_volume,
    hidden_user_content,
    list_archive,
    signature_mismatch,
)

MIB = 1024 * 1024
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF"


def facts(
    path: str = "/Users/sam/vault",
    size: int = 4 * MIB,
    head: bytes = b"",
    entropy: float | None = 7.9995,
    hidden: bool = False,
    system: bool = False,
) -> FileFacts:
    return FileFacts(
        source="/evidence/laptop.E01",
        path=path,
        size=size,
        inode=42,
        detected=detect_type(head) if head else None,
        entropy=entropy,
        hidden=hidden,
        system=system,
        deleted=False,
        mtime=datetime(2024, 3, 1, 12, 0, tzinfo=UTC),
    )


def test_random_sector_aligned_file_is_an_encrypted_container() -> None:
    found = encrypted_container(facts())
    assert found is not None
    assert (found.path, found.size, found.entropy) == ("/Users/sam/vault", 4 * MIB, 7.9995)
    assert found.provenance.source == "/evidence/laptop.E01"
    assert "no known signature" in (found.provenance.record or "")
    assert found.time == datetime(2024, 3, 1, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    "variant",
    [
        {"size": 4 * MIB + 1},  # not a whole number of sectors
        {"size": 512 * 1024},  # below the size floor
        {"entropy": 7.5},  # compressible
        {"entropy": None},  # not measured (quick run)
        {"head": b"PK\x03\x04"},  # a known signature (a ZIP is random-looking too)
    ],
)
def test_what_is_not_an_encrypted_container(variant: dict[str, object]) -> None:
    assert encrypted_container(facts(**variant)) is None  # type: ignore[arg-type]


def test_luks_volume_is_a_container_by_signature() -> None:
    found = encrypted_container(facts(head=b"LUKS\xba\xbe\x00\x01", entropy=None))
    assert found is not None and found.provenance.record == "signature=luks"


def test_renamed_picture_is_a_signature_mismatch() -> None:
    found = signature_mismatch(facts(path="/Windows/Temp/kernel32.dll", head=JPEG))
    assert found is not None
    assert (found.extension, found.detected_type) == ("dll", "jpeg")
    assert signature_mismatch(facts(path="/Users/sam/a.jpg", head=JPEG)) is None


def test_hidden_attribute_on_user_content_outside_system_folders() -> None:
    found = hidden_user_content(facts(path="/Users/sam/Desktop/x.jpg", head=JPEG, hidden=True))
    assert found is not None and found.provenance.record == "attributes=hidden; content=jpeg"
    both = hidden_user_content(facts(path="/x.jpg", head=JPEG, hidden=True, system=True))
    assert both is not None and "hidden,system" in (both.provenance.record or "")
    assert hidden_user_content(facts(path="/Users/sam/x.jpg", head=JPEG)) is None
    cache = "/Users/sam/AppData/Local/Thumbs/x.jpg"
    assert hidden_user_content(facts(path=cache, head=JPEG, hidden=True)) is None
    metadata = facts(path="/$Extend/$RmMetadata/x.jpg", head=JPEG, hidden=True, system=True)
    assert hidden_user_content(metadata) is None  # NTFS metadata files are hidden+system
    config = facts(path="/home/sam/.bashrc", head=b"export A=1\n", hidden=True)
    assert hidden_user_content(config) is None  # text is not user content here


def test_detectors_together_give_distinct_ids() -> None:
    both = facts(path="/Users/sam/holiday.dll", head=JPEG, hidden=True)
    found = detect_hidden_material(both)
    assert sorted(o.kind for o in found) == ["file", "signature_mismatch"]
    assert len({o.id for o in found}) == 2


def test_zip_members_are_listed_with_encrypted_ones_counted() -> None:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("pics/one.png", b"x")
        archive.writestr("notes.txt", b"y")
    data = bytearray(out.getvalue())
    # Mark the second entry encrypted in the central directory, as a password-protected ZIP does.
    central = data.rfind(b"PK\x01\x02")
    data[central + 8] |= 0x1
    listing = list_archive(io.BytesIO(bytes(data)), "zip")
    assert listing == {
        "format": "zip",
        "members": ["pics/one.png", "notes.txt"],
        "count": 2,
        "encrypted": 1,
        "truncated": False,
    }


def test_tar_members_are_listed() -> None:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w") as archive:
        for name in ("a/b.jpg", "c.txt"):
            info = tarfile.TarInfo(name)
            info.size = 3
            archive.addfile(info, io.BytesIO(b"abc"))
    out.seek(0)
    listing = list_archive(out, "tar")
    assert listing is not None and listing["members"] == ["a/b.jpg", "c.txt"]


def test_a_damaged_zip_raises_for_the_caller_to_record() -> None:
    with pytest.raises(zipfile.BadZipFile):
        list_archive(io.BytesIO(b"PK\x03\x04" + bytes(100)), "zip")


def test_a_locked_encrypted_volume_from_the_walk_is_an_encrypted_container() -> None:
    message = "BitLocker-encrypted volume; not walked without its key"
    found = encrypted_volume("/evidence/disk.E01", "/p2", "volume", message)
    assert found is not None and found.kind == "encrypted_container"
    assert (found.path, found.provenance.record) == ("/p2", message)
    assert encrypted_volume("/e", "/p1", "volume", "no supported file system found") is None
    assert encrypted_volume("/e", "/p1", "walk", message) is None
