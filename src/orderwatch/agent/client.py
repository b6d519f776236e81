"""The agent's side of the monitoring API: enrol, read the current conditions, post a batch.

Plain HTTP(S) through httpx; the transport is a constructor seam (tests pass a real one bound to
a loopback server). The credential is sent only as `Authorization: Bearer` and never logged.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import httpx

from orderwatch.domain.errors import OrderwatchError

API = "/api/v1/agent"


class ServerRefusedError(OrderwatchError):
    """The server answered with an error the agent cannot retry its way out of."""

    def __init__(self, status: int, message: str) -> None:
        self.status = status
        super().__init__(message)


@dataclass(frozen=True)
class Answer:
    """A server answer: its status and JSON (an empty dict when the body was not JSON)."""

    status: int
    data: dict[str, Any]
    replayed: bool = False

    def detail(self) -> str:
        """The server's explanation, one line."""
        detail = self.data.get("detail")
        if isinstance(detail, list):
            parts = [
                f"{d.get('field')}: {d.get('message')}" if isinstance(d, dict) else str(d)
                for d in detail
            ]
            return "; ".join(parts)
        return str(detail) if detail else f"HTTP {self.status}"


class ServerClient:
    """One connection pool to the monitoring server."""

    def __init__(
        self,
        server: str,
        *,
        credential: str | None = None,
        timeout: float = 30.0,
        transport: httpx.BaseTransport | None = None,
        user_agent: str = "orderwatch-agent",
    ) -> None:
        self.server = normalise_server(server)
        headers = {"User-Agent": user_agent}
        if credential:
            headers["Authorization"] = f"Bearer {credential}"
        self._http = httpx.Client(
            base_url=self.server, headers=headers, timeout=timeout, transport=transport
        )

    def close(self) -> None:
        self._http.close()

    def enrol(self, code: str, hostname: str, agent_version: str) -> dict[str, Any]:
        """Exchange a one-time code for a credential; ServerRefusedError when refused."""
        body = {"code": code, "hostname": hostname, "agent_version": agent_version}
        try:
            answer = self._send("POST", f"{API}/enrol", json.dumps(body).encode())
        except httpx.HTTPError as error:
            raise OrderwatchError(f"cannot reach {self.server}: {error}") from None
        if answer.status not in (200, 201):
            raise ServerRefusedError(answer.status, f"enrolment refused: {answer.detail()}")
        return answer.data

    def configuration(self) -> Answer:
        """GET the device's current conditions (httpx.HTTPError when unreachable)."""
        return self._send("GET", f"{API}/config")

    def post_batch(self, body: bytes) -> Answer:
        """POST one batch body (httpx.HTTPError when unreachable or timed out)."""
        return self._send("POST", f"{API}/batches", body)

    def _send(self, method: str, path: str, body: bytes | None = None) -> Answer:
        headers = {"Content-Type": "application/json"} if body is not None else None
        response = self._http.request(method, path, content=body, headers=headers)
        try:
            data = response.json()
        except ValueError:
            data = {"detail": response.text[:500]}
        if not isinstance(data, dict):
            data = {"detail": data}
        replayed = response.headers.get("Idempotent-Replay", "").lower() == "true"
        return Answer(response.status_code, data, replayed)


def normalise_server(server: str) -> str:
    """`https://host:port` without a trailing slash; a URL without a scheme is refused."""
    text = server.strip().rstrip("/")
    if not text.startswith(("http://", "https://")):
        raise OrderwatchError(f"server {server!r}: give its URL, e.g. https://monitor.example")
    return text
