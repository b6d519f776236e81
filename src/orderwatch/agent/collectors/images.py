"""New images in the user's folders and browser caches: hashes, PDQ and optional scores only.

The image itself never leaves the device and is never stored by the agent: it is read, hashed
(MD5, SHA-1, PDQ, and a classifier's scores when one is configured) and forgotten. Cache entries
are unwrapped first (Chromium's simple cache, Firefox's cache2) so that the hashes are those of
the image as served, comparable with hash sets. Each file is looked at again only when its size
or modification time changes.
"""

from __future__ import annotations

import hashlib
import importlib
import os
import sqlite3
import struct
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

from orderwatch.agent.collectors.base import CollectContext, Collector, CollectorReport
from orderwatch.agent.collectors.browser_locations import PROFILE_ROOTS
from orderwatch.agent.collectors.browser_snapshot import live_path
from orderwatch.agent.config import AgentConfig
from orderwatch.domain.observations import ImageObservation
from orderwatch.forensics.filetypes import detect_type
from orderwatch.forensics.hashing import ImageDecodeError, pdq_hash

NAME = "agent_images"
CHUNK = 200  # images hashed per spool transaction
_HEAD = 4096
_SIMPLE_MAGIC = struct.pack("<Q", 0xFCFB6D1BA7725C30)  # Chromium simple-cache entry
_SIMPLE_EOF = struct.pack("<Q", 0xF4FA6F45970D41D8)
_NO_PDQ = ("heif",)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS image_files (path TEXT PRIMARY KEY, size INTEGER NOT NULL,
    mtime_ns INTEGER NOT NULL) WITHOUT ROWID;
"""


class ImageClassifier(Protocol):
    """An optional scorer (e.g. an adult-content model): label -> score in 0..1."""

    def scores(self, content: bytes) -> dict[str, float]: ...


def load_classifier(spec: str) -> ImageClassifier:
    """`package.module:factory` -> factory() (ImportError/AttributeError when it is not there)."""
    module_name, _, attribute = spec.partition(":")
    factory = getattr(importlib.import_module(module_name), attribute or "classifier")
    classifier: ImageClassifier = factory()
    return classifier


@dataclass(frozen=True)
class _Found:
    path: Path
    size: int
    mtime_ns: int
    cache: bool


class ImagesCollector(Collector):
    """`image` observations for new or changed pictures."""

    NAME = "images"

    def __init__(self, classifier: ImageClassifier | None = None) -> None:
        self.classifier = classifier

    def setup(self, connection: sqlite3.Connection) -> None:
        connection.executescript(_SCHEMA)

    def interval(self, config: AgentConfig) -> float:
        return config.image_scan_minutes * 60

    def collect(self, context: CollectContext) -> CollectorReport:
        report = CollectorReport()
        config = context.config
        connection = context.spool.connection
        known = {
            path: (size, mtime)
            for path, size, mtime in connection.execute(
                "SELECT path, size, mtime_ns FROM image_files"
            )
        }
        present: set[str] = set()
        todo: list[_Found] = []
        for found in _walk_all(config):
            key = str(found.path)
            present.add(key)
            if (
                known.get(key) != (found.size, found.mtime_ns)
                and found.size <= config.image_max_bytes
            ):
                todo.append(found)
        waiting = max(0, len(todo) - config.images_per_scan)
        todo = todo[: config.images_per_scan]
        report.examined = len(present)
        for start in range(0, len(todo), CHUNK):
            with context.spool.transaction() as writer:
                for found in todo[start : start + CHUNK]:
                    observation = self._look(context, found, report)
                    if observation is not None:
                        writer.add(observation)
                writer.connection.executemany(
                    "INSERT OR REPLACE INTO image_files (path, size, mtime_ns) VALUES (?, ?, ?)",
                    [(str(f.path), f.size, f.mtime_ns) for f in todo[start : start + CHUNK]],
                )
            report.spooled += writer.added
        vanished = [(k,) for k in known if k not in present]
        if vanished:
            with context.spool.transaction() as writer:
                writer.connection.executemany("DELETE FROM image_files WHERE path = ?", vanished)
        if waiting:
            report.note = f"{waiting} file(s) left for the next scan"
        return report

    def _look(
        self, context: CollectContext, found: _Found, report: CollectorReport
    ) -> ImageObservation | None:
        """Read one file; an image gives an observation (its content is then dropped)."""
        try:
            with open(found.path, "rb") as handle:
                data = handle.read(context.config.image_max_bytes + 1)
        except OSError as error:
            report.errors.append(f"{found.path}: {error.strerror or error}")
            return None
        start, end, where = _body(data, found.cache)
        kind = detect_type(data[start : start + _HEAD])
        if kind is None or kind.category != "image":
            return None
        content = data[start:end]
        pdq = None
        if kind.name not in _NO_PDQ:
            try:
                pdq = pdq_hash(content)[0].hex()
            except ImageDecodeError as error:
                report.errors.append(f"{found.path}: {error}")
        scores: dict[str, float] = {}
        if self.classifier is not None and pdq is not None:
            try:
                scores = {str(k): float(v) for k, v in self.classifier.scores(content).items()}
            except Exception as error:  # a third-party model must not stop the scan
                report.errors.append(f"{found.path}: classifier: {type(error).__name__}: {error}")
        md5 = hashlib.md5(content).hexdigest()
        modified = datetime.fromtimestamp(found.mtime_ns / 1e9, UTC)
        return ImageObservation(
            id=context.observation_id(NAME, str(found.path), md5),
            time=min(modified, context.clock()),
            provenance=context.provenance(NAME, live_path(found.path), where, found.mtime_ns),
            path=live_path(found.path),
            md5=md5,
            sha1=hashlib.sha1(content).hexdigest(),
            pdq=pdq,
            scores=dict(list(scores.items())[:32]),
        )


def _body(data: bytes, cache: bool) -> tuple[int, int, str]:
    """Where the served content lies in a cache entry (start, end, description)."""
    if data.startswith(_SIMPLE_MAGIC) and len(data) >= 24:
        (key_length,) = struct.unpack_from("<I", data, 12)
        start = 24 + key_length
        end = data.find(_SIMPLE_EOF, start)
        end = len(data) if end < 0 else end
        return start, end, f"Chromium cache entry, body bytes {start}-{end}"
    if cache and len(data) >= 4:
        (meta,) = struct.unpack(">I", data[-4:])
        if 0 < meta <= len(data) - 4:
            return 0, meta, f"Firefox cache2 entry, body bytes 0-{meta}"
    return 0, len(data), "file"


def image_folders(config: AgentConfig) -> list[Path]:
    """The user's folders looked at (Pictures, Downloads, Desktop, Documents by default)."""
    if config.image_folders is not None:
        return list(config.image_folders)
    home = config.home_dir
    return [home / "Pictures", home / "Downloads", home / "Desktop", home / "Documents"]


def cache_folders(config: AgentConfig) -> list[Path]:
    """Browser caches: ~/.cache/<browser>/<profile>/Cache and caches inside profile folders."""
    if not config.image_caches:
        return []
    home = config.home_dir
    roots = [home / ".cache" / name for name in _CACHE_BROWSERS]
    roots += [home / r for r in PROFILE_ROOTS] + list(config.browser_roots)
    found = []
    for root in roots:
        for profile in _children(root):
            for below in ("Cache/Cache_Data", "Cache", "cache2/entries"):
                folder = profile / below
                if folder.is_dir():
                    found.append(folder)
                    break
    return found


_CACHE_BROWSERS = (
    "google-chrome",
    "chromium",
    "microsoft-edge",
    "BraveSoftware/Brave-Browser",
    "vivaldi",
    "mozilla/firefox",
)


def _children(root: Path) -> list[Path]:
    try:
        return [root, *(c for c in root.iterdir() if c.is_dir() and not c.is_symlink())]
    except OSError:
        return []


def _walk_all(config: AgentConfig) -> Iterator[_Found]:
    seen: set[str] = set()
    for folder in image_folders(config):
        yield from _walk(folder, False, seen, 12)
    for folder in cache_folders(config):
        yield from _walk(folder, True, seen, 1)


def _walk(folder: Path, cache: bool, seen: set[str], depth: int) -> Iterator[_Found]:
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return
    for entry in entries:
        try:
            if entry.is_symlink() or entry.path in seen:
                continue
            if entry.is_file():
                info = entry.stat()
                seen.add(entry.path)
                yield _Found(Path(entry.path), info.st_size, info.st_mtime_ns, cache)
            elif entry.is_dir() and depth > 0 and not entry.name.startswith("."):
                yield from _walk(Path(entry.path), cache, seen, depth - 1)
        except OSError:
            continue
