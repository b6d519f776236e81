"""Agent footprint: CPU seconds and peak RSS of a real `orderwatch agent run` process.

Generates once (cached in /tmp) a home folder with a Chromium profile whose History holds 100,000
visits and 10,000 small synthetic pictures (Pillow gradients and shapes). Then, with a loopback
sink standing in for the server (so only the agent is measured):
1. scan: `agent run --once` over that home: every visit and picture read, spooled and uploaded;
2. idle: `agent run` with its default intervals over the same (now known) home for --idle-seconds,
   measured after its first cycle;
3. change: ten visits added while it idles, compared with the triage plugin re-reading the whole
   History (what an agent without increments would pay on every change).
"""

from __future__ import annotations

import argparse
import io
import json
import os
import random
import resource
import shutil
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(os.environ.get("ORDERWATCH_BENCH_DIR", "/tmp/orderwatch-bench-agent"))
CONDITIONS = [
    {"type": t}
    for t in ("declare_devices", "retain_history", "no_indecent_images", "prohibited_words")
]
_CHROME_SCHEMA = """
CREATE TABLE meta (key LONGVARCHAR NOT NULL UNIQUE PRIMARY KEY, value LONGVARCHAR);
CREATE TABLE urls (id INTEGER PRIMARY KEY AUTOINCREMENT, url LONGVARCHAR, title LONGVARCHAR,
    visit_count INTEGER DEFAULT 0 NOT NULL, typed_count INTEGER DEFAULT 0 NOT NULL,
    last_visit_time INTEGER NOT NULL, hidden INTEGER DEFAULT 0 NOT NULL);
CREATE INDEX urls_url_index ON urls (url);
CREATE TABLE visits (id INTEGER PRIMARY KEY AUTOINCREMENT, url INTEGER NOT NULL,
    visit_time INTEGER NOT NULL, from_visit INTEGER, transition INTEGER DEFAULT 0 NOT NULL,
    segment_id INTEGER, visit_duration INTEGER DEFAULT 0 NOT NULL);
CREATE INDEX visits_url_index ON visits (url);
CREATE INDEX visits_time_index ON visits (visit_time);
CREATE TABLE keyword_search_terms (keyword_id INTEGER NOT NULL, url_id INTEGER NOT NULL,
    term LONGVARCHAR NOT NULL, normalized_term LONGVARCHAR NOT NULL);
"""
_WEBKIT_EPOCH = datetime(1601, 1, 1, tzinfo=UTC)


def _webkit(moment: datetime) -> int:
    return int((moment - _WEBKIT_EPOCH) / timedelta(microseconds=1))


def build_home(rows: int, images: int) -> Path:
    """The cached home folder (rebuilt when the sizes change)."""
    base = ROOT / f"home-{rows}-{images}"
    marker = base / ".built"
    pristine = base / "History.pristine"
    history = base / ".config/chromium/Default/History"
    if marker.is_file():
        shutil.copyfile(pristine, history)  # undo the visits a previous run added
        return base
    print(f"generating {rows:,} visits and {images:,} pictures in {base} ...", flush=True)
    profile = base / ".config/chromium/Default"
    profile.mkdir(parents=True, exist_ok=True)
    history.unlink(missing_ok=True)
    connection = sqlite3.connect(history)
    connection.executescript(_CHROME_SCHEMA)
    start = datetime.now(UTC) - timedelta(days=60)
    step = timedelta(days=59) / rows
    rng = random.Random(20261122)
    with connection:
        connection.executemany(
            "INSERT INTO urls (id, url, title, visit_count, last_visit_time) "
            "VALUES (?, ?, ?, 1, ?)",
            (
                (
                    n,
                    f"https://site{rng.randrange(5000)}.example.org/page/{n}?ref={n % 97}",
                    f"Page {n} about topic {rng.randrange(300)}",
                    _webkit(start + n * step),
                )
                for n in range(1, rows + 1)
            ),
        )
        connection.executemany(
            "INSERT INTO visits (id, url, visit_time, transition) VALUES (?, ?, ?, 805306368)",
            ((n, n, _webkit(start + n * step)) for n in range(1, rows + 1)),
        )
    connection.close()
    _pictures(base / "Pictures", images)
    shutil.copyfile(history, pristine)
    marker.write_text(json.dumps({"rows": rows, "images": images}))
    return base


def _pictures(folder: Path, count: int) -> None:
    from PIL import Image, ImageDraw

    rng = random.Random(7)
    for n in range(count):
        size = rng.choice((48, 64, 96, 128))
        image = Image.new("RGB", (size, size), (rng.randrange(256), 80, rng.randrange(256)))
        draw = ImageDraw.Draw(image)
        for y in range(0, size, 4):
            draw.line([(0, y), (size, y)], fill=(y * 2 % 256, rng.randrange(256), 120))
        box = sorted(rng.sample(range(size), 2)), sorted(rng.sample(range(size), 2))
        draw.ellipse([box[0][0], box[1][0], box[0][1], box[1][1]], fill=(250, 250, 30))
        target = folder / f"album{n // 500:02d}" / f"img{n:05d}.{'png' if n % 2 else 'jpg'}"
        target.parent.mkdir(parents=True, exist_ok=True)
        out = io.BytesIO()
        image.save(out, "PNG" if n % 2 else "JPEG", quality=85)
        target.write_bytes(out.getvalue())


class _Sink(BaseHTTPRequestHandler):
    """Stores nothing: answers every batch as stored (the server is not what is measured)."""

    received = 0

    def log_message(self, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        self._reply({"device_id": 1, "conditions": CONDITIONS})

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)))
        count = len(body.get("observations", []))
        _Sink.received += count
        self._reply({"batch_id": body.get("batch_id"), "stored": count, "duplicates": 0})

    def _reply(self, data: dict[str, object]) -> None:
        raw = json.dumps(data).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)


def _agent_dir(home: Path, url: str) -> Path:
    from orderwatch.agent.config import Enrolment, save_enrolment

    data = ROOT / "agent-data"
    if data.exists():
        shutil.rmtree(data)
    enrolment = Enrolment(url, 1, CONDITIONS, "bench", "2026-01-01T00:00:00Z", "bench")
    save_enrolment(data, enrolment, "owd_bench")
    (data / "agent.toml").write_text(
        f'home = "{home}"\nsysfs_root = "{ROOT / "no-sysfs"}"\nsoftware_roots = []\n'
    )
    return data


def _command(data: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "orderwatch.agent", "run", *args, "--data-dir", str(data)]


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _status(data: Path) -> dict[str, object]:
    try:
        return dict(json.loads((data / "status.json").read_text()))
    except (OSError, ValueError):
        return {}


def scan(data: Path) -> dict[str, float]:
    started = time.perf_counter()
    child = subprocess.Popen(_command(data, "--once"), stderr=subprocess.DEVNULL)
    _, code, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(code)
    if child.returncode != 0:
        raise SystemExit(f"agent --once failed with {child.returncode}")
    collectors = _status(data).get("collectors", {})
    assert isinstance(collectors, dict)
    return {
        "wall": time.perf_counter() - started,
        "cpu": usage.ru_utime + usage.ru_stime,
        "rss": usage.ru_maxrss / 1024,
        **{f"cpu_{k}": float(v.get("cpu_seconds", 0)) for k, v in collectors.items()},
    }


def idle_and_change(data: Path, home: Path, seconds: float) -> dict[str, float]:
    child = subprocess.Popen(_command(data), stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120
        while not _ran(data, child.pid):
            if time.monotonic() > deadline or child.poll() is not None:
                raise SystemExit("the idle agent did not finish its first cycle")
            time.sleep(0.5)
        time.sleep(1)
        start_cpu, start = _cpu_seconds(child.pid), time.perf_counter()
        time.sleep(seconds)
        idle_cpu = _cpu_seconds(child.pid) - start_cpu
        idle_wall = time.perf_counter() - start
        idle_rss = _peak_rss_mb(child.pid)
        _add_visits(home / ".config/chromium/Default/History", 10)
        before, changed = _cpu_seconds(child.pid), time.perf_counter()
        browser = wait_for_browser(data, "10 new observation(s)", 200)
        change_cpu = _cpu_seconds(child.pid) - before
        change_wall = time.perf_counter() - changed
        return {
            "idle_cpu": idle_cpu,
            "idle_wall": idle_wall,
            "idle_rss": idle_rss,
            "change_cpu": change_cpu,
            "change_wall": change_wall,
            "change_scan_cpu": float(browser.get("cpu_seconds", 0)),
            "total_rss": _peak_rss_mb(child.pid),
        }
    finally:
        child.send_signal(signal.SIGTERM)
        child.wait(timeout=60)


def wait_for_browser(data: Path, result: str, timeout: float) -> dict[str, object]:
    """The browser collector's status once its last result says `result` (the next cycle)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        collectors = _status(data).get("collectors") or {}
        browser = collectors.get("browser_history", {}) if isinstance(collectors, dict) else {}
        if result in str(browser.get("result", "")):
            return dict(browser)
        time.sleep(0.5)
    raise SystemExit(f"the idle agent never reported {result!r}")


def _ran(data: Path, pid: int) -> bool:
    """The process `pid` has finished its first cycle (its status names every collector run)."""
    status = _status(data)
    collectors = status.get("collectors") or {}
    return (
        status.get("pid") == pid
        and isinstance(collectors, dict)
        and bool(collectors.get("images", {}).get("last_run"))
    )


def _add_visits(history: Path, count: int) -> None:
    connection = sqlite3.connect(history)
    now = _webkit(datetime.now(UTC))
    with connection:
        for n in range(count):
            url_id = connection.execute(
                "INSERT INTO urls (url, title, visit_count, last_visit_time) VALUES (?, ?, 1, ?)",
                (f"https://new{n}.example.org/", f"New page {n}", now + n),
            ).lastrowid
            connection.execute(
                "INSERT INTO visits (url, visit_time, transition) VALUES (?, ?, 0)",
                (url_id, now + n),
            )
    connection.close()


def full_parse(history: Path) -> float:
    """CPU seconds of the triage plugin reading the whole History once, in this process."""
    from orderwatch.forensics.parsers.interface import LocalArtefact, ParserMediator
    from orderwatch.forensics.parsers.sqlite_plugins.chrome_history import ChromeHistoryPlugin

    count = 0

    def take(_: object) -> None:
        nonlocal count
        count += 1

    started = resource.getrusage(resource.RUSAGE_SELF)
    ChromeHistoryPlugin().parse(LocalArtefact(history, Path("/")), ParserMediator("b", take))
    ended = resource.getrusage(resource.RUSAGE_SELF)
    return (ended.ru_utime - started.ru_utime) + (ended.ru_stime - started.ru_stime)


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="bench_agent")
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--images", type=int, default=10_000)
    parser.add_argument("--idle-seconds", type=float, default=60.0)
    args = parser.parse_args(argv)
    home = build_home(args.rows, args.images)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Sink)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        data = _agent_dir(home, f"http://127.0.0.1:{server.server_address[1]}")
        first = scan(data)
        received = _Sink.received
        later = idle_and_change(data, home, args.idle_seconds)
    finally:
        server.shutdown()
        server.server_close()
    reference = full_parse(home / ".config/chromium/Default/History")
    print(
        f"\nagent footprint ({args.rows:,} visits, {args.images:,} pictures; load average "
        f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)"
    )
    print("| phase | wall s | CPU s | peak RSS MB |")
    print("|---|---|---|---|")
    print(
        f"| first scan + upload (`--once`, {received:,} observations sent) | "
        f"{first['wall']:.1f} | {first['cpu']:.1f} | {first['rss']:.0f} |"
    )
    for name in ("browser_history", "images", "software", "removable_storage", "tamper"):
        if f"cpu_{name}" in first:
            print(f"| &nbsp; of which collector `{name}` | | {first[f'cpu_{name}']:.2f} | |")
    share = 100 * later["idle_cpu"] / later["idle_wall"]
    print(
        f"| idle, {later['idle_wall']:.0f} s after the first cycle | {later['idle_wall']:.0f} | "
        f"{later['idle_cpu']:.2f} ({share:.2f}% of one core) | {later['idle_rss']:.0f} |"
    )
    print(
        f"| 10 visits added: until sent ({later['change_wall']:.0f} s; browser collector alone)"
        f" | | {later['change_cpu']:.2f} ({later['change_scan_cpu']:.2f}) | "
        f"{later['total_rss']:.0f} |"
    )
    print(f"| reference: triage plugin re-reading the whole History | | {reference:.2f} | |")
