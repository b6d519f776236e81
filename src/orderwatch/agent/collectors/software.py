"""Installed software changes, recognised with the same catalogue and parser as triage.

Each scan hands the places programs are installed (the dpkg status file, `.desktop` launchers,
/opt, the home folder's top levels) to the triage `software_paths` parser, which reports the
catalogued programs it recognises. A program not there at the previous scan becomes an
`installed_software` observation; one that disappeared becomes an `app_event` ("uninstalled").
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from orderwatch.agent.collectors.base import CollectContext, Collector, CollectorReport
from orderwatch.agent.config import AgentConfig
from orderwatch.domain.observations import (
    AppEventObservation,
    InstalledSoftwareObservation,
    Observation,
    format_time,
)
from orderwatch.forensics.parsers import registry
from orderwatch.forensics.parsers.interface import LocalArtefact, ParserMediator

NAME = "agent_software"
INSTALLED_KEY = "software.installed"  # state: program name -> {"since", "category", "path"}
MAX_FILES = 20_000  # paths handed to the parser per scan
_WALK_DEPTH = 3


def default_roots(home: Path) -> list[tuple[Path, int]]:
    """Where programs are found on Linux (package list, launchers, /opt, the home folder), each
    with how many folder levels below it are looked at."""
    return [
        (Path("/var/lib/dpkg/status"), 0),
        (Path("/usr/share/applications"), 1),
        (Path("/usr/local/share/applications"), 1),
        (Path("/var/lib/flatpak/exports/share/applications"), 1),
        (Path("/var/lib/snapd/desktop/applications"), 1),
        (Path("/opt"), 2),
        (home / ".local/share", 2),
        (home / ".config", 1),
        (home / "Desktop", 2),
        (home / "Downloads", 1),
        (home / "Applications", 2),
        (home, 1),
    ]


class SoftwareCollector(Collector):
    """Catalogued programs installed or removed since the previous scan."""

    NAME = "software"

    def interval(self, config: AgentConfig) -> float:
        return config.software_scan_minutes * 60

    def collect(self, context: CollectContext) -> CollectorReport:
        report = CollectorReport()
        config = context.config
        roots = default_roots(config.home_dir)
        if config.software_roots is not None:
            roots = [(root, _WALK_DEPTH) for root in config.software_roots]
        parser = registry.get("software_paths")
        found: dict[str, InstalledSoftwareObservation] = {}

        def take(observation: Observation) -> None:
            if isinstance(observation, InstalledSoftwareObservation):
                found.setdefault(observation.name, observation)

        mediator = ParserMediator(context.source, on_observation=take)
        for path in _candidates(roots):
            report.examined += 1
            artefact = LocalArtefact(path, Path(path.anchor or "/"))
            if not parser.matches(artefact.path):
                continue
            try:
                parser.parse(artefact, mediator)
            except (OSError, ValueError) as error:
                report.errors.append(f"{path}: {type(error).__name__}: {error}")
        report.errors += [f"{e.path}: {e.message}" for e in mediator.errors]
        now = context.clock()
        with context.spool.transaction() as writer:
            before = json.loads(writer.get_state(INSTALLED_KEY) or "{}")
            after = {}
            for name, seen in found.items():
                entry = before.get(name) or {"since": format_time(now)}
                after[name] = {**entry, "category": seen.category, "path": seen.path}
                if name in before or not context.plan.wants("installed_software"):
                    continue
                seen.id = context.observation_id(NAME, name, entry["since"])
                seen.time = now
                writer.add(seen)
            for name, entry in before.items():
                if name in after or not context.plan.wants("app_event"):
                    continue
                writer.add(
                    AppEventObservation(
                        id=context.observation_id(NAME, name, "uninstalled", format_time(now)),
                        time=now,
                        provenance=context.provenance(NAME, entry.get("path")),
                        app=name,
                        event="uninstalled",
                        detail=f"no longer found (installed since {entry.get('since')})",
                    )
                )
            writer.set_state(INSTALLED_KEY, json.dumps(after, sort_keys=True))
        report.spooled = writer.added
        report.note = f"{len(found)} catalogued program(s) present"
        return report


def _candidates(roots: list[tuple[Path, int]]) -> list[Path]:
    """Files under the roots (as deep as each says, no symlinks followed), at most MAX_FILES."""
    out: list[Path] = []
    seen: set[str] = set()
    for root, depth in roots:
        if root.is_file():
            out.append(root)
            continue
        _walk(root, depth, out, seen)
        if len(out) >= MAX_FILES:
            break
    return out[:MAX_FILES]


def _walk(folder: Path, depth: int, out: list[Path], seen: set[str]) -> None:
    key = str(folder)
    if key in seen or len(out) >= MAX_FILES:
        return
    seen.add(key)
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return
    for entry in entries:
        try:
            if entry.is_symlink():
                continue
            if entry.is_file():
                out.append(Path(entry.path))
            elif entry.is_dir() and depth > 0 and not entry.name.startswith("."):
                _walk(Path(entry.path), depth - 1, out, seen)
        except OSError:
            continue
