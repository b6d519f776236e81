"""Hash-set inputs made in code: digests of innocuous bytes, VICS Media records, PhotoDNA shapes."""

from __future__ import annotations

import base64
import hashlib
from typing import Any

VICS_20_CONTEXT = "http://github.com/VICSDATAMODEL/ProjectVic/DataModels/2.0.xml/US/$metadata#Media"
VICS_13_METADATA = "http://github.com/ICMEC/ProjectVic/DataModels/1.3.xml#Cases"


def digests_of(content: bytes) -> dict[str, str]:
    """MD5, SHA-1 and SHA-256 of some innocuous bytes, as lower-case hex."""
    return {
        "md5": hashlib.md5(content).hexdigest(),
        "sha1": hashlib.sha1(content).hexdigest(),
        "sha256": hashlib.sha256(content).hexdigest(),
    }


def media_record(number: int, content: bytes, category: Any = 1, **extra: Any) -> dict[str, Any]:
    """A VICS Media record for `content` (upper-case hex, as VICS exporters write it)."""
    d = digests_of(content)
    record: dict[str, Any] = {
        "MediaID": number,
        "Category": category,
        "MD5": d["md5"].upper(),
        "SHA1": d["sha1"].upper(),
        "MediaSize": len(content),
    }
    record.update(extra)
    return record


def photodna_base64(seed: int) -> str:
    """A PhotoDNA-shaped value (144 bytes, base64); PhotoDNA is kept, never matched."""
    return base64.b64encode(bytes((seed + i) % 256 for i in range(144))).decode()
