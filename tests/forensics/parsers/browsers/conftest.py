"""Fixtures for the browser parsers: a real Chromium profile made headless by Debian's chromium."""

from __future__ import annotations

import functools
import subprocess
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from browser_fixtures import CHROMIUM, CHROMIUM_USER_DATA, PAGES, copy_profile


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        return


@pytest.fixture(scope="session")
def chromium_profile(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Root of a tree holding a Chromium profile made by the real Debian chromium, headless.

    The profile's `Default` folder is ROOT/home/sam/.config/chromium/Default. The tree is shared
    by the session: tests that change files use `chromium_copy`.
    """
    if not CHROMIUM.is_file():
        pytest.skip("/usr/bin/chromium is absent (Debian package chromium)")
    base = tmp_path_factory.mktemp("chromium")
    site = base / "site"
    site.mkdir()
    for name, (title, target) in PAGES.items():
        refresh = f'<meta http-equiv="refresh" content="0;url=/{target}">' if target else ""
        site.joinpath(name).write_text(
            f"<html><head><title>{title}</title>{refresh}</head><body>{title}</body></html>"
        )
    user_data = base / "root" / CHROMIUM_USER_DATA
    user_data.mkdir(parents=True)
    handler = functools.partial(_QuietHandler, directory=str(site))
    with ThreadingHTTPServer(("127.0.0.1", 0), handler) as server:
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        command = [
            str(CHROMIUM),
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--user-data-dir={user_data}",
            "--virtual-time-budget=5000",
            "--dump-dom",
            f"http://127.0.0.1:{server.server_address[1]}/start.html",
        ]
        try:
            subprocess.run(command, capture_output=True, timeout=90, check=True)
        finally:
            server.shutdown()
            thread.join(timeout=10)
    if not (user_data / "Default" / "History").is_file():
        pytest.fail("chromium ran but wrote no Default/History")
    return base / "root"


@pytest.fixture
def chromium_copy(chromium_profile: Path, tmp_path: Path) -> Path:
    """A private copy of the session's Chromium tree (same layout), for tests that change it."""
    return copy_profile(chromium_profile, tmp_path / "root")
