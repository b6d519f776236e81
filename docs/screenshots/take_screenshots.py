"""Re-take docs/screenshots/*.png: the demo unit's pages in Debian's chromium.

    .venv/bin/python docs/screenshots/take_screenshots.py

Builds the demo unit in a temporary data dir, serves it with `orderwatch demo`, logs in as
officer01 and photographs "My caseload" and the alert queue, then sup.north and the statistics
dashboard, at 1280x800 (saved with a 128-colour palette).
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx2 as httpx
from PIL import Image
from playwright.sync_api import sync_playwright

HERE = Path(__file__).resolve().parent
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]


def _shrink(path: Path) -> None:
    """128-colour palette, no dithering: a third of the size, no visible change for a UI."""
    image = Image.open(path).convert("RGB")
    image.quantize(colors=128, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE).save(
        path, optimize=True
    )


def main() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with tempfile.TemporaryDirectory() as data_dir:
        env = {**os.environ, "ORDERWATCH_DATA_DIR": data_dir}
        env.pop("ORDERWATCH_DATABASE_URL", None)
        server = subprocess.Popen(
            [sys.executable, "-m", "orderwatch.cli", "demo", "--port", str(port)],
            env=env,
            stdout=subprocess.DEVNULL,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 120
            while True:
                try:
                    if httpx.get(base + "/healthz", timeout=1).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if server.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit("orderwatch demo did not start")
                time.sleep(0.5)
            logins = json.loads((Path(data_dir) / "demo" / "demo-logins.json").read_text())
            shots = {
                "officer01": [("/caseload", "caseload.png"), ("/alerts", "alerts.png")],
                "sup.north": [("/statistics", "statistics.png")],
            }
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
                for username, pages in shots.items():
                    login = next(x for x in logins if x["username"] == username)
                    page = browser.new_page(viewport={"width": 1280, "height": 800})
                    page.goto(base + "/login")
                    page.fill("#f-username", login["username"])
                    page.fill("#f-password", login["password"])
                    page.click("button:has-text('Log in')")
                    page.wait_for_load_state()
                    for path, name in pages:
                        page.goto(base + path)
                        page.screenshot(path=str(HERE / name))
                        _shrink(HERE / name)
                    page.close()
                browser.close()
        finally:
            server.terminate()
            server.wait(timeout=30)
    print(f"wrote screenshots in {HERE}")


if __name__ == "__main__":
    main()
