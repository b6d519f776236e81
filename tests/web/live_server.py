"""A real `orderwatch serve` on a free loopback port, and Debian's chromium through Playwright:
the harness every area's browser tests share."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx2 as httpx
import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def serving(data_dir: Path, *, start_seconds: float = 30) -> Iterator[tuple[str, dict[str, str]]]:
    """`orderwatch serve` over `data_dir` (SQLite) until the block ends: (base URL, its env)."""
    env = {**os.environ, "ORDERWATCH_DATA_DIR": str(data_dir)}
    env.pop("ORDERWATCH_DATABASE_URL", None)
    port = free_port()
    log_path = data_dir / "serve.log"
    with log_path.open("w") as log:
        server = subprocess.Popen(
            [sys.executable, "-m", "orderwatch.cli", "serve", "--port", str(port)],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + start_seconds
            while True:
                try:
                    if httpx.get(base + "/healthz", timeout=1).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if server.poll() is not None or time.monotonic() > deadline:
                    log.flush()
                    raise RuntimeError("orderwatch serve did not start: " + log_path.read_text())
                time.sleep(0.2)
            yield base, env
        finally:
            server.terminate()
            server.wait(timeout=20)


def chromium_browser() -> Iterator[Any]:
    """Debian's chromium launched by Playwright (a fixture body): skip when it is missing,
    fail instead under CI=true, where the browser tests must run."""
    if not CHROMIUM.exists():
        reason = f"{CHROMIUM} is missing (apt-get install chromium; `make test` does it)"
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(reason + "; CI=true: the browser test must run")
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()
