"""Triage progress: a rich bar (files, bytes, rate, ETA) on a terminal, silence otherwise.

The walk runs beside the work, so the totals grow (`discover`) until it ends.
"""

from __future__ import annotations

import sys
from typing import Protocol, TextIO


class Progress(Protocol):
    """What the triage engine reports as it goes."""

    def start(self, files: int, total_bytes: int) -> None: ...

    def discover(self, files: int, total_bytes: int) -> None:
        """The walk found this many more files and bytes (totals grow while it runs)."""
        ...

    def advance(self, files: int, done_bytes: int) -> None: ...

    def note(self, text: str) -> None: ...

    def stop(self) -> None: ...


class SilentProgress:
    """Reports nothing (not a terminal, tests, library use)."""

    def start(self, files: int, total_bytes: int) -> None:
        pass

    def discover(self, files: int, total_bytes: int) -> None:
        pass

    def advance(self, files: int, done_bytes: int) -> None:
        pass

    def note(self, text: str) -> None:
        pass

    def stop(self) -> None:
        pass


class RichProgress:
    """One bar on stderr: files done of all, bytes read of all, rate and time left."""

    def __init__(self, stream: TextIO | None = None) -> None:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            DownloadColumn,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
            TransferSpeedColumn,
        )
        from rich.progress import Progress as RichBar

        self._bar = RichBar(
            TextColumn("triage {task.fields[files_done]}/{task.fields[files]} files"),
            BarColumn(),
            DownloadColumn(),
            TransferSpeedColumn(),
            TimeElapsedColumn(),
            TextColumn("ETA"),
            TimeRemainingColumn(),
            console=Console(file=stream or sys.stderr),
        )
        self._task = self._bar.add_task("triage", start=False, files=0, files_done=0)
        self._done = 0
        self._files = 0
        self._bytes = 0

    def start(self, files: int, total_bytes: int) -> None:
        self._files, self._bytes = files, total_bytes
        self._bar.update(self._task, total=max(total_bytes, 1), files=files)
        self._bar.start_task(self._task)
        self._bar.start()

    def discover(self, files: int, total_bytes: int) -> None:
        self._files += files
        self._bytes += total_bytes
        self._bar.update(self._task, total=max(self._bytes, 1), files=self._files)

    def advance(self, files: int, done_bytes: int) -> None:
        self._done += files
        self._bar.update(self._task, advance=done_bytes, files_done=self._done)

    def note(self, text: str) -> None:
        """A line above the bar (a hash-set match as soon as it is found)."""
        self._bar.console.print(text, markup=False, highlight=False)

    def stop(self) -> None:
        self._bar.stop()


def progress_for(stream: TextIO = sys.stderr) -> Progress:
    """A rich bar when `stream` is a terminal, else silence."""
    return RichProgress(stream) if stream.isatty() else SilentProgress()
