"""Where browsers keep their profiles, and which history databases the triage plugins read.

Every profile of every Chromium-family browser (Chrome, Chromium, Edge, Brave, Vivaldi, Opera),
Firefox-family browser and Safari is found under the user's home; the file names come from the
plugins' own FILE_NAMES, so a plugin added to the registry is picked up here too.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from orderwatch.forensics.parsers import registry
from orderwatch.forensics.parsers.sqlite_plugins.browser_database import BrowserDatabasePlugin

# Folders (relative to the home folder) that hold profile folders, for Linux, Windows and macOS.
PROFILE_ROOTS: tuple[str, ...] = (
    ".config/google-chrome",
    ".config/google-chrome-beta",
    ".config/google-chrome-unstable",
    ".config/chromium",
    ".config/microsoft-edge",
    ".config/microsoft-edge-beta",
    ".config/microsoft-edge-dev",
    ".config/BraveSoftware/Brave-Browser",
    ".config/vivaldi",
    ".config/opera",
    "snap/chromium/common/chromium",
    ".var/app/com.google.Chrome/config/google-chrome",
    ".var/app/org.chromium.Chromium/config/chromium",
    ".mozilla/firefox",
    "snap/firefox/common/.mozilla/firefox",
    ".var/app/org.mozilla.firefox/.mozilla/firefox",
    ".librewolf",
    "AppData/Local/Google/Chrome/User Data",
    "AppData/Local/Chromium/User Data",
    "AppData/Local/Microsoft/Edge/User Data",
    "AppData/Local/BraveSoftware/Brave-Browser/User Data",
    "AppData/Roaming/Mozilla/Firefox/Profiles",
    "Library/Application Support/Google/Chrome",
    "Library/Application Support/Chromium",
    "Library/Application Support/Microsoft Edge",
    "Library/Application Support/Firefox/Profiles",
    "Library/Safari",
)


@dataclass(frozen=True)
class HistoryDatabase:
    """One profile's history database and the plugin class that reads it."""

    path: Path
    plugin: type[BrowserDatabasePlugin]


def history_plugins() -> list[type[BrowserDatabasePlugin]]:
    """Registered browser plugins that read visits (Chromium History, Firefox places.sqlite)."""
    found = []
    for name in registry.names():
        parser = registry.get(name)
        if isinstance(parser, BrowserDatabasePlugin) and parser.VISITS is not None:
            found.append(type(parser))
    return found


def find_history_databases(home: Path, extra_roots: Iterable[Path] = ()) -> list[HistoryDatabase]:
    """Every history database in the known profile folders of `home` and in `extra_roots`
    (a root itself, or one or two folder levels below it)."""
    plugins = history_plugins()
    wanted = {n.lower(): p for p in plugins for n in p.FILE_NAMES}
    roots = [home / r for r in PROFILE_ROOTS] + [Path(r) for r in extra_roots]
    found: dict[Path, HistoryDatabase] = {}
    for root in roots:
        for folder in _folders(root, depth=2):
            try:
                entries = list(folder.iterdir())
            except OSError:
                continue
            for entry in entries:
                plugin = wanted.get(entry.name.lower())
                if plugin is not None and entry.is_file() and not entry.is_symlink():
                    found.setdefault(entry, HistoryDatabase(entry, plugin))
    return sorted(found.values(), key=lambda d: str(d.path))


def _folders(root: Path, depth: int) -> list[Path]:
    if not root.is_dir():
        return []
    out = [root]
    if depth == 0:
        return out
    try:
        children = [c for c in root.iterdir() if c.is_dir() and not c.is_symlink()]
    except OSError:
        return out
    for child in children:
        out += _folders(child, depth - 1)
    return out
