"""Hidden-material detectors run on each file's inventory: containers, renamed files, attributes.

They only observe; `domain.rules` decides what an observation means for an order.
"""

from __future__ import annotations

import re
import tarfile
import zipfile
from dataclasses import dataclass
from datetime import datetime
from typing import Any, BinaryIO

from orderwatch.domain.observations import (
    EncryptedContainerObservation,
    FileObservation,
    Observation,
    Provenance,
    SignatureMismatchObservation,
    stable_id,
)
from orderwatch.forensics.filetypes import FileType, extension_contradicts, extension_of

CONTAINER_MIN_SIZE = 1024 * 1024  # a container smaller than this holds little and is rarely one
CONTAINER_MIN_ENTROPY = 7.99  # random data measures ~7.997 on the sampled counts
SECTOR = 512
VOLUME_TYPES = frozenset({"luks", "bitlocker"})  # encrypted volumes with a signature of their own
USER_CONTENT = frozenset(
    {"image", "video", "audio", "archive", "document", "encrypted", "disk_image"}
)
# Folders where hidden files are the operating system's or an application's, not the user's.
_SYSTEM_FOLDERS = (
    "/windows/",
    "/program files",
    "/programdata/",
    "/system volume information/",
    "/$recycle.bin/",
    "/appdata/",
    "/library/",
    "/.cache/",
    "/.local/share/",
    "/.config/",
    "/.mozilla/",
    "/.thumbnails/",
    "/private/var/",
    "/system/",
)
MAX_ARCHIVE_MEMBERS = 1000

DETECTOR = "hidden_material"


@dataclass(frozen=True, slots=True)
class FileFacts:
    """What the detectors need to know about one file."""

    source: str
    path: str
    size: int
    inode: object
    detected: FileType | None
    entropy: float | None
    hidden: bool
    system: bool
    deleted: bool
    mtime: datetime | None


def _provenance(facts: FileFacts, record: str) -> Provenance:
    return Provenance(source=facts.source, parser=DETECTOR, path=facts.path, record=record)


def _id(facts: FileFacts, what: str) -> str:
    return stable_id(facts.source, DETECTOR, what, facts.path, facts.inode)


def encrypted_container(facts: FileFacts) -> EncryptedContainerObservation | None:
    """A volume with an encryption signature, or a large, sector-aligned, unidentifiable file
    whose bytes look random (VeraCrypt/TrueCrypt containers have no signature at all)."""
    entropy = facts.entropy
    if facts.detected is not None and facts.detected.name in VOLUME_TYPES:
        record = f"signature={facts.detected.name}"
    elif (
        facts.detected is None
        and facts.size >= CONTAINER_MIN_SIZE
        and facts.size % SECTOR == 0
        and entropy is not None
        and entropy >= CONTAINER_MIN_ENTROPY
    ):
        record = f"entropy={entropy:.4f}; no known signature; size a multiple of {SECTOR}"
    else:
        return None
    return EncryptedContainerObservation(
        id=_id(facts, "encrypted_container"),
        time=facts.mtime,
        provenance=_provenance(facts, record),
        path=facts.path,
        size=facts.size,
        entropy=entropy if entropy is not None else 0.0,
    )


def signature_mismatch(facts: FileFacts) -> SignatureMismatchObservation | None:
    """Content whose signature contradicts the file's extension (a JPEG named .dll)."""
    extension = extension_of(facts.path)
    if not extension_contradicts(extension, facts.detected):
        return None
    assert facts.detected is not None
    return SignatureMismatchObservation(
        id=_id(facts, "signature_mismatch"),
        time=facts.mtime,
        provenance=_provenance(facts, f"content={facts.detected.name}; extension=.{extension}"),
        path=facts.path,
        extension=extension,
        detected_type=facts.detected.name,
    )


def hidden_user_content(facts: FileFacts) -> FileObservation | None:
    """User content (pictures, videos, archives, documents...) carrying hidden/system attributes
    outside the folders where the system and applications keep their own hidden files."""
    if not (facts.hidden or facts.system) or facts.detected is None:
        return None
    if facts.detected.category not in USER_CONTENT:
        return None
    lowered = "/" + facts.path.lower().lstrip("/")
    if any(folder in lowered for folder in _SYSTEM_FOLDERS) or "/$" in lowered:
        return None  # "/$" : NTFS metadata files ($MFT, $UpCase, $Extend/...) and $Recycle.Bin
    flags = ",".join(
        name for name, on in (("hidden", facts.hidden), ("system", facts.system)) if on
    )
    return FileObservation(
        id=_id(facts, "hidden_attribute"),
        time=facts.mtime,
        provenance=_provenance(facts, f"attributes={flags}; content={facts.detected.name}"),
        path=facts.path,
        size=facts.size,
        deleted=facts.deleted,
    )


_LOCKED_VOLUME = re.compile(r"^[\w ]+-encrypted volume")  # forensics.sources wording


def encrypted_volume(
    source: str, where: str, stage: str, message: str
) -> EncryptedContainerObservation | None:
    """An encrypted volume the source could not open without its key (reported by the walk as a
    volume error) as an observation: the volume itself is the container."""
    found = _LOCKED_VOLUME.match(message) if stage == "volume" else None
    if found is None:
        return None
    return EncryptedContainerObservation(
        id=stable_id(source, DETECTOR, "encrypted_volume", where),
        time=None,
        provenance=Provenance(source=source, parser=DETECTOR, path=where, record=message),
        path=where,
        size=0,  # not known without opening the volume
        entropy=0.0,
    )


def detect_hidden_material(facts: FileFacts) -> list[Observation]:
    """Every hidden-material observation for one file."""
    found: list[Observation | None] = [
        encrypted_container(facts),
        signature_mismatch(facts),
        hidden_user_content(facts),
    ]
    return [o for o in found if o is not None]


def list_archive(stream: BinaryIO, type_name: str) -> dict[str, Any] | None:
    """Member names of a ZIP or uncompressed TAR, read from its directory without extracting.

    Returns {format, members, count, encrypted, truncated}; None for other types. Raises on a
    damaged archive (the caller records the error).
    """
    names: list[str] = []
    encrypted = 0
    count = 0
    if type_name == "zip":
        with zipfile.ZipFile(stream) as archive:
            for info in archive.infolist():
                count += 1
                encrypted += info.flag_bits & 0x1
                if len(names) < MAX_ARCHIVE_MEMBERS:
                    names.append(info.filename)
        fmt = "zip"
    elif type_name == "tar":
        with tarfile.open(fileobj=stream, mode="r:") as archive:
            for member in archive:
                count += 1
                if len(names) < MAX_ARCHIVE_MEMBERS:
                    names.append(member.name)
        fmt = "tar"
    else:
        return None
    return {
        "format": fmt,
        "members": names,
        "count": count,
        "encrypted": encrypted,
        "truncated": count > len(names),
    }


def is_archive_type(detected: FileType | None) -> bool:
    return detected is not None and detected.name in ("zip", "tar")
