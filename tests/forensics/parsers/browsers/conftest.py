"""Fixtures for the browser parsers: a real Chromium profile made headless by Debian's chromium."""

from __future__ import annotations

from pathlib import Path

import pytest
from browser_fixtures import CHROMIUM, copy_profile, make_chromium_profile


@pytest.fixture(scope="session")
def chromium_profile(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Root of a tree holding a Chromium profile made by the real Debian chromium, headless.

    The profile's `Default` folder is ROOT/home/sam/.config/chromium/Default. The tree is shared
    by the session: tests that change files use `chromium_copy`.
    """
    if not CHROMIUM.is_file():
        pytest.skip("/usr/bin/chromium is absent (Debian package chromium)")
    try:
        return make_chromium_profile(tmp_path_factory.mktemp("chromium"))
    except RuntimeError as error:
        pytest.fail(str(error))


@pytest.fixture
def chromium_copy(chromium_profile: Path, tmp_path: Path) -> Path:
    """A private copy of the session's Chromium tree (same layout), for tests that change it."""
    return copy_profile(chromium_profile, tmp_path / "root")
