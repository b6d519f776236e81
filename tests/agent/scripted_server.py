"""A real HTTP server on loopback that answers agent requests from a script (status, JSON), or
hangs up, or stalls past the client's timeout: the faults an uploader must survive."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

HANG_UP = "hang up"


@dataclass
class Scripted:
    """Answers in order; when the script is empty every batch is stored (200)."""

    answers: list[Any] = field(default_factory=list)  # (status, body) | HANG_UP | ("stall", s)
    requests: list[dict[str, Any]] = field(default_factory=list)
    stored: dict[str, int] = field(default_factory=dict)  # observation id -> times stored
    lock: threading.Lock = field(default_factory=threading.Lock)

    batches: dict[str, tuple[int, dict[str, Any]]] = field(default_factory=dict)
    config: dict[str, Any] = field(default_factory=dict)  # GET /api/v1/agent/config answers this

    def store(self, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        """Like the real server: a replayed batch id gets its first answer, nothing stored."""
        with self.lock:
            replay = self.batches.get(body["batch_id"])
            if replay is not None:
                return replay
            ids = [o["id"] for o in body.get("observations", [])]
            fresh = 0
            for observation_id in ids:
                fresh += observation_id not in self.stored
                self.stored[observation_id] = self.stored.get(observation_id, 0) + 1
            answer = (200, {"stored": fresh, "duplicates": len(ids) - fresh})
            self.batches[body["batch_id"]] = answer
            return answer

    def next_answer(self) -> Any:
        with self.lock:
            return self.answers.pop(0) if self.answers else None


def _handler(script: Scripted) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            script.requests.append({"path": self.path, "auth": self.headers.get("Authorization")})
            self._answer(200, script.config)

        def _answer(self, status: int, data: Any) -> None:
            raw = json.dumps(data).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(raw)))
            self.end_headers()
            self.wfile.write(raw)

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = json.loads(self.rfile.read(length) or b"{}")
            script.requests.append(
                {"path": self.path, "auth": self.headers.get("Authorization"), "body": body}
            )
            answer = script.next_answer()
            if answer == HANG_UP:
                self.close_connection = True
                self.connection.shutdown(2)
                return
            if isinstance(answer, tuple) and answer[0] == "stall":
                time.sleep(answer[1])
                answer = None
            if answer is None:
                answer = script.store(body)
            status, data = answer
            self._answer(status, data)

    return Handler


@contextmanager
def scripted_server(script: Scripted) -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(script))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
