"""Synthetic agent traffic for demos, tests and benchmarks (`orderwatch simulate-agent`).

A seeded day in the life of a monitored device: browsing and searches (a few to VPN, adult or
prohibited sites), chat messages (a few with the order's prohibited words or grooming phrases,
some disguised), heartbeats, an undeclared USB stick and one tamper event. Sent in batches over
HTTP to a server, or straight into an IngestionService in this process.
"""

from __future__ import annotations

import json
import random
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from orderwatch.domain.errors import OrderwatchError
from orderwatch.domain.observations import format_time
from orderwatch.monitor.batch_schema import BatchRejected
from orderwatch.monitor.ingest import AgentAuthError, IngestionService

SITES = (
    "https://www.bbc.co.uk/news/uk",
    "https://www.gov.uk/jobsearch",
    "https://en.wikipedia.org/wiki/Canal",
    "https://www.amazon.co.uk/s?k=kettle",
    "https://www.metoffice.gov.uk/weather/forecast",
    "https://www.nhs.uk/conditions/back-pain/",
    "https://www.rightmove.co.uk/property-to-rent.html",
    "https://www.youtube.com/watch?v=dQw4w9WgXcQ",
    "https://www.tesco.com/groceries/",
    "https://www.premierleague.com/tables",
)
FLAGGED_SITES = (
    "https://www.torproject.org/download/",
    "https://nordvpn.com/pricing/",
    "https://mega.nz/folder/x1y2",
    "https://adult-site.example/videos",
    "https://example-chat-site.test/rooms",
)
SEARCHES = (
    "weather tomorrow",
    "bus times to town centre",
    "cheap kettle",
    "job centre opening hours",
    "football results",
    "how to fix a leaking tap",
    "pizza near me",
)
CHAT = (
    "hi how are you doing",
    "see you at the job centre tomorrow",
    "did you watch the match last night",
    "can you send me the bus times",
    "thanks for the lift earlier",
    "what time is the appointment",
    "i'll ring you after work",
    "running late, be there in ten",
)
GROOMING = (
    "how old are you",
    "are you home alone",
    "dont tell your parents about this",
    "h0w 0ld r u",
    "this is our little secret ok",
)
APPS = ("WhatsApp", "Messenger", "Signal", "SMS")
SOFTWARE = (("LibreOffice", None), ("VLC media player", None), ("Tor Browser", "anonymity"))


@dataclass(frozen=True)
class TrafficProfile:
    """What the order makes interesting for this person (words to slip in, for realism)."""

    prohibited_words: tuple[str, ...] = ("example-banned-word",)
    share_flagged: float = 0.04  # of visits, chats and searches
    special_chance: float = 1.0  # of each one-off event (USB stick, tamper, new software)
    heartbeat_minutes: float = 30.0  # the agent's heartbeat interval


def synthetic_observations(
    rng: random.Random,
    events: int,
    start: datetime,
    end: datetime,
    *,
    prefix: str,
    profile: TrafficProfile | None = None,
) -> list[dict[str, Any]]:
    """`events` observations in the agent's wire format, time-ordered between start and end:
    heartbeats at the profile's interval (at most half of them), the rest random activity."""
    profile = profile or TrafficProfile()
    span = max((end - start).total_seconds(), 1.0)
    beats = min(int(span // (profile.heartbeat_minutes * 60)), events // 2)
    timed = [
        (start + timedelta(seconds=(k + 0.5) * span / beats), "heartbeat") for k in range(beats)
    ]
    others = events - beats
    specials = {}
    if others >= 20:
        specials = {others // 3: "usb", (2 * others) // 3: "tamper", others // 2: "software"}
        specials = {n: k for n, k in specials.items() if rng.random() < profile.special_chance}
    for n in range(others):
        timed.append(
            (start + timedelta(seconds=rng.random() * span), specials.get(n) or _pick(rng))
        )
    timed.sort(key=lambda pair: pair[0])
    out = []
    for n, (when, kind) in enumerate(timed):
        item = _observation(rng, kind, profile)
        item["id"] = f"{prefix}-{n:06d}"
        item["time"] = format_time(when)
        out.append(item)
    return out


_KINDS = (("browser_visit", 42), ("text", 34), ("search_term", 16), ("app", 8))


def _pick(rng: random.Random) -> str:
    return rng.choices([k for k, _ in _KINDS], weights=[w for _, w in _KINDS])[0]


def _observation(rng: random.Random, kind: str, profile: TrafficProfile) -> dict[str, Any]:
    flagged = rng.random() < profile.share_flagged
    if kind == "browser_visit":
        url = rng.choice(FLAGGED_SITES if flagged else SITES)
        return {"kind": kind, "browser": "Chrome", "profile": "Default", "url": url,
                "title": url.split("/")[2], "provenance": {"parser": "chrome_history"}}  # fmt: skip
    if kind == "search_term":
        term = rng.choice(SEARCHES)
        if flagged:
            term = rng.choice((*GROOMING[:2], f"{rng.choice(profile.prohibited_words)} videos"))
        return {"kind": kind, "engine": "Google", "term": term}
    if kind == "text":
        text = rng.choice(CHAT)
        if flagged:
            extra = rng.choice((rng.choice(GROOMING), rng.choice(profile.prohibited_words)))
            text = f"{text} {extra}"
        return {"kind": kind, "app": rng.choice(APPS), "text": text}
    if kind == "heartbeat":
        return {"kind": kind, "agent_version": "0.1.0"}
    if kind == "usb":
        serial = f"SIM{rng.randrange(16**8):08X}"
        return {"kind": "usb_device", "vendor": "SanDisk", "product": "Ultra Fit", "serial": serial}
    if kind == "tamper":
        return {"kind": "tamper", "event": "agent_stopped", "detail": "service stopped by user"}
    if kind == "software":
        name, category = rng.choice(SOFTWARE)
        return {"kind": "installed_software", "name": name, "category": category}
    return {"kind": "app_event", "app": rng.choice(APPS), "event": "opened"}


def batches(
    observations: Sequence[dict[str, Any]], size: int, prefix: str
) -> Iterator[dict[str, Any]]:
    """The observations cut into batches with stable ids (so a rerun replays, never duplicates)."""
    for number, start in enumerate(range(0, len(observations), size)):
        yield {
            "batch_id": f"{prefix}-b{number:05d}",
            "observations": list(observations[start : start + size]),
        }


class Sender(Protocol):
    def __call__(self, batch: dict[str, Any]) -> tuple[int, dict[str, Any]]: ...


@dataclass(frozen=True)
class SimulationReport:
    batches: int
    sent: int
    stored: int
    duplicates: int
    refused: int  # batches the server refused (4xx/5xx)
    seconds: float


def send_all(
    send: Sender,
    observations: Sequence[dict[str, Any]],
    *,
    batch_size: int = 100,
    prefix: str | None = None,
    clock: Callable[[], float] = time.perf_counter,
) -> SimulationReport:
    """Send every batch through `send`; refused batches are counted, not retried."""
    started = clock()
    prefix = prefix or uuid.uuid4().hex[:12]
    counts = {"batches": 0, "sent": 0, "stored": 0, "duplicates": 0, "refused": 0}
    for batch in batches(observations, batch_size, prefix):
        status, body = send(batch)
        counts["batches"] += 1
        counts["sent"] += len(batch["observations"])
        if status == 200:
            counts["stored"] += int(body.get("stored", 0))
            counts["duplicates"] += int(body.get("duplicates", 0))
        else:
            counts["refused"] += 1
    return SimulationReport(seconds=clock() - started, **counts)


def encode(batch: dict[str, Any]) -> bytes:
    return json.dumps(batch, separators=(",", ":")).encode()


class HttpAgent:
    """Talks to a server's agent API the way a real agent does (enrol, then bearer batches)."""

    def __init__(self, server: str, *, timeout: float = 30.0) -> None:
        import httpx

        self.server = server.rstrip("/")
        self.credential: str | None = None
        self.device_id: int | None = None
        self._client = httpx.Client(base_url=self.server, timeout=timeout)

    def enrol(self, code: str, hostname: str = "simulated-agent") -> dict[str, Any]:
        """Exchange a one-time code for a credential; OrderwatchError when refused."""
        import httpx

        body = {"code": code, "hostname": hostname, "agent_version": "simulate-agent"}
        try:
            response = self._client.post("/api/v1/agent/enrol", json=body)
        except httpx.TransportError as error:
            raise OrderwatchError(f"cannot reach {self.server}: {error}") from None
        if response.status_code != 201:
            raise OrderwatchError(f"enrolment refused ({response.status_code}): {response.text}")
        answer: dict[str, Any] = response.json()
        self.credential, self.device_id = answer["credential"], answer["device_id"]
        return answer

    def __call__(self, batch: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        headers = {
            "Authorization": f"Bearer {self.credential}",
            "Content-Type": "application/json",
        }
        response = self._client.post(
            "/api/v1/agent/batches", content=encode(batch), headers=headers
        )
        return response.status_code, response.json()

    def close(self) -> None:
        self._client.close()


class InProcessAgent:
    """Sends batches straight into an IngestionService (no HTTP), as the demo seeding does."""

    def __init__(self, service: IngestionService, credential: str) -> None:
        self.service = service
        self.credential = credential

    def __call__(self, batch: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        try:
            result = self.service.ingest(self.credential, encode(batch))
        except AgentAuthError as error:
            return error.status, {"detail": str(error)}
        except BatchRejected as error:
            return error.status, {"detail": [p.to_dict() for p in error.problems]}
        return 200, result.body
