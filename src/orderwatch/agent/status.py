"""The agent's status file (`status.json` in its data dir, readable by anyone on the device) and
its wording for `orderwatch agent status`: what is collected, last upload, backlog."""

from __future__ import annotations

import json
import os
import sqlite3
from pathlib import Path
from typing import Any

from orderwatch.agent.config import SPOOL_FILE, STATUS_FILE


def write_status(data_dir: Path, status: dict[str, Any]) -> None:
    """Replace the status file atomically; it is world-readable (0644): the agent is overt."""
    path = data_dir / STATUS_FILE
    temporary = path.with_name(path.name + ".tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        json.dump(status, handle, indent=2, sort_keys=True)
        handle.write("\n")
    os.chmod(temporary, 0o644)
    os.replace(temporary, path)


def read_status(data_dir: Path) -> dict[str, Any] | None:
    try:
        data = json.loads((data_dir / STATUS_FILE).read_text("utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def live_backlog(data_dir: Path) -> dict[str, Any] | None:
    """The spool's backlog read now (read-only), or None when the spool cannot be opened."""
    path = data_dir / SPOOL_FILE
    if not path.is_file():
        return None
    try:
        connection = sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True, timeout=5)
        try:
            rows, size = connection.execute("SELECT rows, bytes FROM totals").fetchone()
            oldest = connection.execute("SELECT min(created) FROM spool").fetchone()[0]
            rejected = connection.execute("SELECT count(*) FROM rejected").fetchone()[0]
            last = connection.execute(
                "SELECT value FROM state WHERE key = 'last_upload'"
            ).fetchone()
        finally:
            connection.close()
    except sqlite3.Error:
        return None
    return {
        "observations": int(rows),
        "bytes": int(size),
        "oldest": oldest,
        "rejected": int(rejected),
        "last_upload": json.loads(last[0]) if last else None,
    }


def process_alive(pid: object) -> bool:
    if not isinstance(pid, int) or pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def describe_status(data_dir: Path) -> list[str]:
    """Lines for a person: is it running, for which device and server, what it collects, last
    upload and backlog."""
    status = read_status(data_dir)
    if status is None:
        return [f"no agent status in {data_dir} (never run here; see `orderwatch agent run`)"]
    running = status.get("state") == "running" and process_alive(status.get("pid"))
    state = f"running (pid {status.get('pid')})" if running else "not running"
    if not running and status.get("stopped_at"):
        state += f", stopped {status['stopped_at']}"
    lines = [
        f"orderwatch-agent {status.get('version')}: {state}",
        f"monitored device {status.get('device_id')} enrolled with {status.get('server')}",
        f"order conditions: {', '.join(status.get('conditions') or []) or 'none'}",
        "collecting:",
        *(f"  {line}" for line in status.get("collecting") or []),
    ]
    backlog = live_backlog(data_dir) or status.get("backlog") or {}
    last = backlog.get("last_upload") or status.get("last_upload")
    if last:
        lines.append(
            f"last upload: {last.get('at')} ({last.get('observations')} observation(s), "
            f"batch {last.get('batch_id')})"
        )
    else:
        lines.append("last upload: never")
    lines.append(
        f"backlog: {backlog.get('observations', '?')} observation(s), "
        f"{backlog.get('bytes', 0) / 1e6:.1f} MB waiting"
        + (f" since {backlog['oldest']}" if backlog.get("oldest") else "")
        + (f"; {backlog['rejected']} refused by the server" if backlog.get("rejected") else "")
    )
    if status.get("upload_error"):
        lines.append(f"upload problem: {status['upload_error']}")
    for name, collector in sorted((status.get("collectors") or {}).items()):
        if collector.get("on") and collector.get("last_run"):
            lines.append(f"  {name}: {collector['last_run']}: {collector.get('result')}")
    lines.append(f"status file: {data_dir / STATUS_FILE} (updated {status.get('updated_at')})")
    return lines
