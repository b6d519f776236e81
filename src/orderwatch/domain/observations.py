"""Observation kinds shared by triage and the live agent (DESIGN.md).

Every observation has an `id`, a `kind`, a `time` (UTC, or None when unknown) and a `provenance`
saying where it came from. Parsers only build these; meaning is given by `domain.rules`.
"""

from __future__ import annotations

import dataclasses
import hashlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, ClassVar


@dataclass(frozen=True, slots=True)
class Provenance:
    """Where an observation came from, precisely enough for a third party to find it again."""

    source: str  # evidence source (image path, folder) or agent device id
    parser: str  # parser or collector NAME
    path: str | None = None  # path within the source (or path spec)
    record: str | None = None  # row id, offset, key path ...
    original_time: str | None = None  # the timestamp exactly as stored

    def to_dict(self) -> dict[str, Any]:
        # Spelt out: dataclasses.asdict deep-copies every string (a triage writes 100,000s).
        return {
            "source": self.source,
            "parser": self.parser,
            "path": self.path,
            "record": self.record,
            "original_time": self.original_time,
        }

    # Triage workers pickle every observation to the parent. The state dataclasses give frozen
    # slotted classes looks the fields up on each call: half the pickling time of a history.
    def __getstate__(self) -> tuple[str | None, ...]:
        return (self.source, self.parser, self.path, self.record, self.original_time)

    def __setstate__(self, state: tuple[str | None, ...]) -> None:
        for name, value in zip(_PROVENANCE_FIELDS, state, strict=True):
            object.__setattr__(self, name, value)


_PROVENANCE_FIELDS = ("source", "parser", "path", "record", "original_time")


@dataclass(kw_only=True, slots=True)
class Observation:
    """Base of every kind; subclasses add their own fields."""

    KIND: ClassVar[str] = ""
    id: str
    time: datetime | None = None
    provenance: Provenance

    @property
    def kind(self) -> str:
        return self.KIND

    def to_dict(self) -> dict[str, Any]:
        """The JSON form used in report.json and agent batches."""
        out: dict[str, Any] = {"id": self.id, "kind": self.KIND, "time": format_time(self.time)}
        for name in _own_fields(type(self)):
            value = getattr(self, name)
            out[name] = format_time(value) if isinstance(value, datetime) else value
        out["provenance"] = self.provenance.to_dict()
        return out


_OWN_FIELDS: dict[type, tuple[str, ...]] = {}


def _own_fields(cls: type) -> tuple[str, ...]:
    """A kind's fields beyond id, time and provenance, in order (looked up once per class)."""
    names = _OWN_FIELDS.get(cls)
    if names is None:
        common = ("id", "time", "provenance")
        names = tuple(f.name for f in dataclasses.fields(cls) if f.name not in common)
        _OWN_FIELDS[cls] = names
    return names


@dataclass(kw_only=True, slots=True)
class FileObservation(Observation):
    KIND: ClassVar[str] = "file"
    path: str
    size: int | None = None
    deleted: bool = False


@dataclass(kw_only=True, slots=True)
class HashMatchObservation(Observation):
    KIND: ClassVar[str] = "hash_match"
    path: str
    hashset: str
    category: str | None = None
    method: str = "md5"  # md5 | sha1 | sha256 | pdq
    distance: int = 0


@dataclass(kw_only=True, slots=True)
class BrowserVisitObservation(Observation):
    KIND: ClassVar[str] = "browser_visit"
    browser: str
    profile: str | None = None
    url: str
    title: str | None = None
    recovered: bool = False


@dataclass(kw_only=True, slots=True)
class SearchTermObservation(Observation):
    KIND: ClassVar[str] = "search_term"
    engine: str
    term: str
    url: str | None = None


@dataclass(kw_only=True, slots=True)
class DownloadObservation(Observation):
    KIND: ClassVar[str] = "download"
    url: str
    target_path: str | None = None


@dataclass(kw_only=True, slots=True)
class UsbDeviceObservation(Observation):
    KIND: ClassVar[str] = "usb_device"
    vendor: str | None = None
    product: str | None = None
    serial: str | None = None
    first_seen: datetime | None = None
    last_seen: datetime | None = None
    revision: str | None = None
    friendly_name: str | None = None
    vid: str | None = None  # USB vendor id, hex, when known
    pid: str | None = None  # USB product id, hex, when known


@dataclass(kw_only=True, slots=True)
class AccountObservation(Observation):
    KIND: ClassVar[str] = "account"
    service: str
    identifier: str
    source_path: str | None = None


@dataclass(kw_only=True, slots=True)
class InstalledSoftwareObservation(Observation):
    KIND: ClassVar[str] = "installed_software"
    name: str
    category: str | None = None  # encryption, wiping, anonymity, vpn, p2p, cloud_storage, ...
    path: str | None = None


@dataclass(kw_only=True, slots=True)
class EncryptedContainerObservation(Observation):
    KIND: ClassVar[str] = "encrypted_container"
    path: str
    size: int
    entropy: float


@dataclass(kw_only=True, slots=True)
class SignatureMismatchObservation(Observation):
    KIND: ClassVar[str] = "signature_mismatch"
    path: str
    extension: str
    detected_type: str


@dataclass(kw_only=True, slots=True)
class HistoryDeletionObservation(Observation):
    KIND: ClassVar[str] = "history_deletion"
    browser: str
    indicator: str
    detail: str


@dataclass(kw_only=True, slots=True)
class TextObservation(Observation):
    KIND: ClassVar[str] = "text"
    app: str
    text: str


@dataclass(kw_only=True, slots=True)
class ImageObservation(Observation):
    KIND: ClassVar[str] = "image"
    path: str
    md5: str | None = None
    sha1: str | None = None
    pdq: str | None = None
    scores: dict[str, float] = field(default_factory=dict)


@dataclass(kw_only=True, slots=True)
class AppEventObservation(Observation):
    KIND: ClassVar[str] = "app_event"
    app: str
    event: str
    detail: str | None = None


@dataclass(kw_only=True, slots=True)
class HeartbeatObservation(Observation):
    KIND: ClassVar[str] = "heartbeat"
    agent_version: str | None = None


@dataclass(kw_only=True, slots=True)
class TamperObservation(Observation):
    KIND: ClassVar[str] = "tamper"
    event: str  # agent_stopped | clock_moved_back | files_changed | spool_overflow | ...
    detail: str | None = None


OBSERVATION_TYPES: dict[str, type[Observation]] = {
    cls.KIND: cls
    for cls in (
        FileObservation,
        HashMatchObservation,
        BrowserVisitObservation,
        SearchTermObservation,
        DownloadObservation,
        UsbDeviceObservation,
        AccountObservation,
        InstalledSoftwareObservation,
        EncryptedContainerObservation,
        SignatureMismatchObservation,
        HistoryDeletionObservation,
        TextObservation,
        ImageObservation,
        AppEventObservation,
        HeartbeatObservation,
        TamperObservation,
    )
}

AGENT_ONLY_KINDS = frozenset({"app_event", "heartbeat", "tamper"})

SOFTWARE_CATEGORIES = (
    "encryption",
    "wiping",
    "anonymity",
    "vpn",
    "p2p",
    "cloud_storage",
    "chat",
    "remote_access",
)


def as_utc(value: datetime) -> datetime:
    """Aware UTC; a time without a zone is taken as UTC (the wire format and the artefacts say
    UTC)."""
    if value.tzinfo is UTC:
        return value
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def format_time(value: datetime | None) -> str | None:
    """UTC ISO 8601 with a Z, or None. Naive datetimes are taken as UTC."""
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def parse_time(value: str | None) -> datetime | None:
    """Inverse of format_time; raises ValueError on text that is not ISO 8601."""
    if value is None or value == "":
        return None
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def observation_from_dict(data: dict[str, Any]) -> Observation:
    """Rebuild an observation from its JSON form; raises ValueError/TypeError on bad input."""
    kind = data.get("kind")
    cls = OBSERVATION_TYPES.get(str(kind))
    if cls is None:
        raise ValueError(f"unknown observation kind {kind!r}")
    kwargs: dict[str, Any] = {}
    time_fields = {"time", "first_seen", "last_seen"}
    for f in dataclasses.fields(cls):
        if f.name not in data:
            continue
        value = data[f.name]
        if f.name == "provenance":
            value = Provenance(**value)
        elif f.name in time_fields:
            value = parse_time(value)
        kwargs[f.name] = value
    return cls(**kwargs)


def stable_id(*parts: object) -> str:
    """A reproducible observation id from what identifies it (source, parser, record ...)."""
    digest = hashlib.sha1("\x1f".join(map(str, parts)).encode("utf-8", "surrogatepass"))
    return digest.hexdigest()[:20]


class StableIds:
    """`stable_id` for many records of one artefact: the shared leading parts (source, parser,
    path) are hashed once and the hash state copied per record; the ids are the same."""

    __slots__ = ("_head", "_parts")

    def __init__(self, *parts: object) -> None:
        self._parts = parts
        self._head = hashlib.sha1(("\x1f".join(map(str, parts)) + "\x1f").encode(*_ENCODING))

    def __call__(self, *record: object) -> str:
        if not record:
            return stable_id(*self._parts)
        digest = self._head.copy()
        digest.update("\x1f".join(map(str, record)).encode(*_ENCODING))
        return digest.hexdigest()[:20]


_ENCODING = ("utf-8", "surrogatepass")
