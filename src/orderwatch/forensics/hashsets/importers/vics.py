"""Project VIC VICS JSON (1.x with `odata.metadata`, 2.0 with `@odata.context`): Media records."""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from orderwatch.domain.errors import Problem
from orderwatch.forensics.hashsets.categories import category_label
from orderwatch.forensics.hashsets.digests import is_hex
from orderwatch.forensics.hashsets.model import (
    EXACT_ALGORITHMS,
    PDQ_BYTES,
    PHOTODNA_BYTES,
    HashSetFormatError,
    ProgressCallback,
    RecordProblem,
)
from orderwatch.forensics.hashsets.sink import RecordSink

SIZE_FIELDS = ("mediasize", "size", "filesize")
# AlternativeHashes HashName (normalised) -> algorithm.
ALTERNATIVE_NAMES = {
    "pdq": "pdq",
    "pdqhash": "pdq",
    "photodna": "photodna",
    "md5": "md5",
    "sha1": "sha1",
    "sha256": "sha256",
}


def read_vics(
    path: Path, sink: RecordSink, progress: ProgressCallback | None = None
) -> dict[str, object]:
    """Read every Media record; a bad field is a problem naming the record (1-based) and MediaID."""
    raw = path.read_bytes()
    try:
        document = json.loads(raw)
    except json.JSONDecodeError as error:
        problem = Problem(error.lineno, f"not valid JSON: {error.msg} (column {error.colno})")
        raise HashSetFormatError(str(path), [problem]) from None
    except UnicodeDecodeError as error:
        raise HashSetFormatError(str(path), [Problem(0, f"not UTF-8 text: {error}")]) from None
    version = _version(document)
    if version is None or not isinstance(document.get("value"), list):
        reason = "no 'odata.metadata' or '@odata.context' key and 'value' list: not VICS JSON"
        raise HashSetFormatError(str(path), [Problem(0, reason)])
    count = 0
    for count, media in enumerate(_media(document["value"]), start=1):
        _read_media(media, count, sink)
    if progress:
        progress(f"reading {path.name}", len(raw), len(raw))
    return {"version": version, "media": count}


def _version(document: Any) -> str | None:
    if not isinstance(document, dict):
        return None
    context = document.get("@odata.context") or document.get("odata.metadata")
    if not isinstance(context, str):
        return None
    found = re.search(r"DataModels/(\d+(?:\.\d+)*)", context)
    return found.group(1) if found else ("2.0" if "@odata.context" in document else "1.x")


def _media(value: list[Any]) -> Iterator[Any]:
    """Media records: 2.0 lists them directly; 1.x (and some 2.0 exporters) nest them in cases."""
    for item in value:
        nested = item.get("Media") if isinstance(item, dict) else None
        if isinstance(nested, list):
            yield from nested
        else:
            yield item


def _read_media(media: Any, number: int, sink: RecordSink) -> None:
    if not isinstance(media, dict):
        sink.problem(RecordProblem(number, "a Media record is not a JSON object"))
        return
    fields = {str(key).lower(): value for key, value in media.items()}
    where = f"MediaID {fields['mediaid']}: " if "mediaid" in fields else ""
    category = category_label(fields.get("category"))
    meta = sink.meta_for(category)
    found = 0
    hashes: list[tuple[str, str, Any]] = [
        (alg, alg.upper(), fields.get(alg)) for alg in EXACT_ALGORITHMS
    ]
    alternatives = fields.get("alternativehashes") or []
    if not isinstance(alternatives, list):
        sink.problem(RecordProblem(number, f"{where}AlternativeHashes is not a list"))
        alternatives = []
    for entry in alternatives:
        if not isinstance(entry, dict):
            continue
        name = str(entry.get("HashName", "")).lower()
        algorithm = ALTERNATIVE_NAMES.get(re.sub(r"[^a-z0-9]", "", name))
        if algorithm:
            hashes.append(
                (algorithm, f"AlternativeHashes {entry.get('HashName')}", entry.get("HashValue"))
            )
    for algorithm, label, value in hashes:
        if value is None or value == "":
            continue
        digest = _digest(algorithm, value)
        if digest is None:
            shown = str(value)[:70]
            sink.problem(
                RecordProblem(number, f"{where}{label} {shown!r} is not a valid {algorithm} hash")
            )
            continue
        sink.add(algorithm, digest, meta)
        found += 1
    _read_size(fields, number, where, sink)
    if found:
        sink.record(category)
    else:
        sink.problem(RecordProblem(number, f"{where}no MD5, SHA1, SHA256, PDQ or PhotoDNA hash"))


def _digest(algorithm: str, value: Any) -> bytes | None:
    if not isinstance(value, str):
        return None
    text = value.strip()
    if algorithm == "photodna":
        return decode_photodna(text)
    size = PDQ_BYTES if algorithm == "pdq" else EXACT_ALGORITHMS[algorithm]
    return bytes.fromhex(text) if is_hex(text, size) else None


def _read_size(fields: dict[str, Any], number: int, where: str, sink: RecordSink) -> None:
    for name in SIZE_FIELDS:
        value = fields.get(name)
        if value is None or value == "":
            continue
        if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
            sink.add_size(value)
        elif isinstance(value, str) and value.strip().isdigit():
            sink.add_size(int(value.strip()))
        else:
            sink.problem(RecordProblem(number, f"{where}{name} {value!r} is not a size in bytes"))
        return


def decode_photodna(text: str) -> bytes | None:
    """PhotoDNA's 144 bytes from base64, hex or comma-separated numbers; None if none fits."""
    text = text.strip()
    if len(text) == 2 * PHOTODNA_BYTES and is_hex(text, PHOTODNA_BYTES):
        return bytes.fromhex(text)
    if "," in text:
        try:
            numbers = [int(part) for part in text.split(",")]
            raw = bytes(numbers)
        except ValueError:
            return None
        return raw if len(raw) == PHOTODNA_BYTES else None
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return None
    return raw if len(raw) == PHOTODNA_BYTES else None
