"""What an agent sends: a batch of observations, validated strictly before anything is stored.

Each DESIGN.md kind has a pydantic model mirroring the domain dataclass's fields; unknown kinds or
fields, wrong types and timestamps in the future are rejected with the place of the problem
("observations[3].time"), so a bad batch is refused whole and nothing of it is kept.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError
from pydantic_core import from_json

from orderwatch.domain.observations import OBSERVATION_TYPES, SOFTWARE_CATEGORIES, as_utc

# How far ahead of the server's clock an agent's clock may run before its times are refused.
MAX_CLOCK_SKEW = timedelta(minutes=10)

Id = Annotated[str, Field(min_length=1, max_length=100)]
Short = Annotated[str, Field(max_length=500)]
Long = Annotated[str, Field(max_length=8192)]
Body = Annotated[str, Field(max_length=65536)]
Hex32 = Annotated[str, Field(pattern=r"^[0-9a-fA-F]{32}$")]
Hex40 = Annotated[str, Field(pattern=r"^[0-9a-fA-F]{40}$")]
Hex64 = Annotated[str, Field(pattern=r"^[0-9a-fA-F]{64}$")]
Count = Annotated[int, Field(ge=0)]


class ProvenanceIn(BaseModel):
    """Where on the device the agent found it; the source is always the enrolled device."""

    model_config = ConfigDict(strict=True, extra="forbid")
    # Observation.to_dict() names a source; it is accepted and ignored: the server records the
    # enrolled device as the source, whatever the agent says.
    source: Short | None = None
    parser: Short = "agent"
    path: Long | None = None
    record: Short | None = None
    original_time: Short | None = None


class _ObservationIn(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid")
    kind: str  # each kind narrows it to its Literal (the union's discriminator)
    id: Id
    time: datetime | None = None
    provenance: ProvenanceIn | None = None


class FileIn(_ObservationIn):
    kind: Literal["file"]
    path: Long
    size: Count | None = None
    deleted: bool = False


class HashMatchIn(_ObservationIn):
    kind: Literal["hash_match"]
    path: Long
    hashset: Short
    category: Short | None = None
    method: Literal["md5", "sha1", "sha256", "pdq"] = "md5"
    distance: Count = 0


class BrowserVisitIn(_ObservationIn):
    kind: Literal["browser_visit"]
    browser: Short
    profile: Short | None = None
    url: Long
    title: Long | None = None
    recovered: bool = False


class SearchTermIn(_ObservationIn):
    kind: Literal["search_term"]
    engine: Short
    term: Long
    url: Long | None = None


class DownloadIn(_ObservationIn):
    kind: Literal["download"]
    url: Long
    target_path: Long | None = None


class UsbDeviceIn(_ObservationIn):
    kind: Literal["usb_device"]
    vendor: Short | None = None
    product: Short | None = None
    serial: Short | None = None
    first_seen: datetime | None = None
    last_seen: datetime | None = None
    revision: Short | None = None
    friendly_name: Short | None = None
    vid: Short | None = None
    pid: Short | None = None


class AccountIn(_ObservationIn):
    kind: Literal["account"]
    service: Short
    identifier: Short
    source_path: Long | None = None


class InstalledSoftwareIn(_ObservationIn):
    kind: Literal["installed_software"]
    name: Short
    category: Literal[SOFTWARE_CATEGORIES] | None = None  # type: ignore[valid-type]
    path: Long | None = None


class EncryptedContainerIn(_ObservationIn):
    kind: Literal["encrypted_container"]
    path: Long
    size: Count
    entropy: Annotated[float, Field(ge=0, le=8)]


class SignatureMismatchIn(_ObservationIn):
    kind: Literal["signature_mismatch"]
    path: Long
    extension: Short
    detected_type: Short


class HistoryDeletionIn(_ObservationIn):
    kind: Literal["history_deletion"]
    browser: Short
    indicator: Short
    detail: Long


class TextIn(_ObservationIn):
    kind: Literal["text"]
    app: Short
    text: Body


class ImageIn(_ObservationIn):
    """An image seen on the device: hashes and scores only, never its content."""

    kind: Literal["image"]
    path: Long
    md5: Hex32 | None = None
    sha1: Hex40 | None = None
    pdq: Hex64 | None = None
    scores: Annotated[dict[Short, float], Field(max_length=32)] = Field(default_factory=dict)


class AppEventIn(_ObservationIn):
    kind: Literal["app_event"]
    app: Short
    event: Short
    detail: Long | None = None


class HeartbeatIn(_ObservationIn):
    kind: Literal["heartbeat"]
    agent_version: Short | None = None


class TamperIn(_ObservationIn):
    kind: Literal["tamper"]
    event: Short
    detail: Long | None = None


ObservationIn = Annotated[
    FileIn
    | HashMatchIn
    | BrowserVisitIn
    | SearchTermIn
    | DownloadIn
    | UsbDeviceIn
    | AccountIn
    | InstalledSoftwareIn
    | EncryptedContainerIn
    | SignatureMismatchIn
    | HistoryDeletionIn
    | TextIn
    | ImageIn
    | AppEventIn
    | HeartbeatIn
    | TamperIn,
    Field(discriminator="kind"),
]

MODELS: dict[str, type[_ObservationIn]] = {
    m.model_fields["kind"].annotation.__args__[0]: m  # type: ignore[union-attr]
    for m in (
        FileIn,
        HashMatchIn,
        BrowserVisitIn,
        SearchTermIn,
        DownloadIn,
        UsbDeviceIn,
        AccountIn,
        InstalledSoftwareIn,
        EncryptedContainerIn,
        SignatureMismatchIn,
        HistoryDeletionIn,
        TextIn,
        ImageIn,
        AppEventIn,
        HeartbeatIn,
        TamperIn,
    )
}
assert set(MODELS) == set(OBSERVATION_TYPES), "every observation kind needs a batch model"


class BatchIn(BaseModel):
    """POST /api/v1/agent/batches: the agent's batch id makes a retry safe."""

    model_config = ConfigDict(strict=True, extra="forbid")
    batch_id: Id
    device_id: int | None = None  # optional; when given it must be the credential's device
    observations: list[ObservationIn]


class EnrolIn(BaseModel):
    """POST /api/v1/agent/enrol: the one-time code the officer gave, and who is asking."""

    model_config = ConfigDict(strict=True, extra="forbid")
    code: Annotated[str, Field(min_length=1, max_length=64)]
    hostname: Annotated[str, Field(min_length=1, max_length=255)]
    agent_version: Annotated[str, Field(min_length=1, max_length=64)]


_BATCH = TypeAdapter(BatchIn)
_TIME_FIELDS = ("time", "first_seen", "last_seen")


@dataclass(frozen=True)
class FieldProblem:
    """One thing wrong with a request, and where (a dotted path such as observations[2].time)."""

    field: str
    message: str

    def to_dict(self) -> dict[str, str]:
        return {"field": self.field, "message": self.message}


class BatchRejected(Exception):
    """The batch is refused whole: an HTTP status (413, 422) and every problem found."""

    def __init__(self, status: int, problems: list[FieldProblem]) -> None:
        self.status = status
        self.problems = problems
        super().__init__("; ".join(f"{p.field}: {p.message}" for p in problems))


@dataclass(frozen=True)
class ValidBatch:
    """A batch that passed validation: its id, the device it names, and its observations."""

    batch_id: str
    device_id: int | None
    observations: Sequence[_ObservationIn]
    raw_observations: list[dict[str, Any]]  # the same, as sent (what is stored)

    @property
    def client_ids(self) -> list[str]:
        return [o.id for o in self.observations]


def validate_batch(
    body: bytes, *, max_observations: int, max_bytes: int, now: datetime
) -> ValidBatch:
    """Parse and check a batch body; BatchRejected (413 too big, 422 invalid) otherwise."""
    if len(body) > max_bytes:
        raise BatchRejected(
            413, [FieldProblem("body", f"{len(body):,} bytes; at most {max_bytes:,} per batch")]
        )
    _check_count(body, max_observations)
    try:
        batch = _BATCH.validate_json(body)
    except ValidationError as error:
        raise BatchRejected(422, _problems(error)) from None
    if len(batch.observations) > max_observations:
        raise BatchRejected(413, [_too_many(len(batch.observations), max_observations)])
    problems = _future_times(batch.observations, now)
    if problems:
        raise BatchRejected(422, problems)
    raw = from_json(body)["observations"]
    return ValidBatch(batch.batch_id, batch.device_id, batch.observations, raw)


def validate_enrolment(body: bytes) -> EnrolIn:
    """Parse an enrolment request; BatchRejected(422) naming the field otherwise."""
    try:
        return EnrolIn.model_validate_json(body)
    except ValidationError as error:
        raise BatchRejected(422, _problems(error)) from None


def _too_many(count: int, limit: int) -> FieldProblem:
    return FieldProblem("observations", f"{count:,} observations; at most {limit:,} per batch")


def _check_count(body: bytes, limit: int) -> None:
    """Refuse an oversized batch before building thousands of models (a cheap upper bound:
    every observation carries a "kind" key)."""
    if body.count(b'"kind"') <= limit:
        return
    try:
        data = json.loads(body)
    except ValueError:
        return  # validate_json reports the syntax error
    items = data.get("observations") if isinstance(data, dict) else None
    if isinstance(items, list) and len(items) > limit:
        raise BatchRejected(413, [_too_many(len(items), limit)])


def _future_times(observations: Sequence[_ObservationIn], now: datetime) -> list[FieldProblem]:
    """Problems for times in the future; every time is turned into aware UTC on the way (once
    here, so that storing and checking them later costs nothing)."""
    latest = now + MAX_CLOCK_SKEW
    problems = []
    for index, item in enumerate(observations):
        names = _TIME_FIELDS if item.kind == "usb_device" else _TIME_FIELDS[:1]
        values = item.__dict__
        for name in names:
            value = values[name]
            if value is None:
                continue
            value = values[name] = as_utc(value)
            if value > latest:
                problems.append(
                    FieldProblem(
                        f"observations[{index}].{name}",
                        f"{value:%Y-%m-%dT%H:%M:%SZ} is in the future "
                        f"(server time {now:%Y-%m-%dT%H:%M:%SZ})",
                    )
                )
    return problems


def _problems(error: ValidationError) -> list[FieldProblem]:
    problems = []
    for item in error.errors(include_url=False)[:50]:
        field = _path(item.get("loc", ()))
        kind = item.get("type", "")
        message = str(item.get("msg", "invalid"))
        if kind == "json_invalid":
            field, message = "body", f"not valid JSON: {item.get('ctx', {}).get('error', message)}"
        elif kind in ("union_tag_invalid", "union_tag_not_found"):
            field = f"{field}.kind" if field else "kind"
            given = _given_kind(item.get("input"))
            known = ", ".join(sorted(MODELS))
            message = f"unknown observation kind {given!r}; known kinds: {known}"
            if kind == "union_tag_not_found":
                message = f"every observation needs a 'kind'; known kinds: {known}"
        elif kind == "extra_forbidden":
            message = "unknown field"
        problems.append(FieldProblem(field or "body", message))
    return problems


def _given_kind(value: Any) -> Any:
    return value.get("kind") if isinstance(value, dict) else value


def _path(loc: tuple[Any, ...] | list[Any]) -> str:
    """('observations', 3, 'text', 'app') -> observations[3].app (the union tag dropped)."""
    out = ""
    previous_index = False
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
            previous_index = True
            continue
        if previous_index and part in MODELS:
            previous_index = False
            continue  # the discriminated union's tag, not a field
        out += f".{part}" if out else str(part)
        previous_index = False
    return out
