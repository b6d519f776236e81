"""Helpers for the browser-parser tests (imported by the tests and by conftest.py)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

import orderwatch.forensics.parsers  # noqa: F401  (registers every parser)
from orderwatch.domain.observations import Observation
from orderwatch.forensics.parsers.interface import LocalArtefact, ParserMediator
from orderwatch.forensics.parsers.manager import registry

CHROMIUM = Path("/usr/bin/chromium")
# Where the profile sits under the fixture root, so the path names the browser and profile.
CHROMIUM_USER_DATA = Path("home/sam/.config/chromium")
# The files of the profile the tests use (a copy takes only these).
PROFILE_FILES = ("History", "Preferences", "Login Data", "Web Data")
# Local pages chained by meta refresh, so one headless run visits all of them.
PAGES = {
    "start.html": ("Start page", "news.html"),
    "news.html": ("Local news", "search.html?q=local+term"),
    "search.html": ("Local search", "final.html"),
    "final.html": ("Final page", None),
}


def run_parsers(file_path: Path, root: Path, source: str = "fixture") -> ParserMediator:
    """Every registered parser that wants `file_path`, run as triage runs them."""
    mediator = ParserMediator(source=source)
    registry.parse(LocalArtefact(file_path, root), mediator)
    return mediator


def of_kind(mediator: ParserMediator, kind: str) -> list[Observation]:
    return [o for o in mediator.observations if o.kind == kind]


def shared_artefact(shared_data: Path, relative: str) -> Path:
    """One file of ../shared/data, or a skip naming it (as tests/conftest.py's shared_file)."""
    path = shared_data / relative
    if not path.is_file():
        pytest.skip(f"{relative} is absent from {shared_data}")
    return path


def default_profile(root: Path) -> Path:
    return root / CHROMIUM_USER_DATA / "Default"


def copy_profile(source_root: Path, target_root: Path) -> Path:
    """Copy the used files of the Chromium tree at `source_root` to `target_root`."""
    source = source_root / CHROMIUM_USER_DATA
    target = target_root / CHROMIUM_USER_DATA
    (target / "Default").mkdir(parents=True)
    shutil.copy2(source / "Local State", target / "Local State")
    for name in PROFILE_FILES:
        if (source / "Default" / name).is_file():
            shutil.copy2(source / "Default" / name, target / "Default" / name)
    return target_root
