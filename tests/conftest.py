"""Fixtures shared by every test module."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from orderwatch.settings import reset_settings

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(os.environ.get("ORDERWATCH_SHARED_DATA", REPO.parent / "shared" / "data"))
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """../shared/data: real artefacts from peer projects' test suites (see its MANIFEST.md)."""
    if not (SHARED_DATA / "MANIFEST.md").is_file():
        pytest.skip(f"shared test data not found at {SHARED_DATA}")
    return SHARED_DATA


def shared_file(shared_data: Path, relative: str) -> Path:
    """One file of ../shared/data, or a skip naming it."""
    path = shared_data / relative
    if not path.is_file():
        pytest.skip(f"{relative} is absent from {shared_data}")
    return path


@pytest.fixture(autouse=True)
def _isolated_settings(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Iterator[None]:
    """Every test gets its own data dir and fresh settings; nothing touches ~/.local/share."""
    monkeypatch.setenv("ORDERWATCH_DATA_DIR", str(tmp_path_factory.mktemp("data")))
    monkeypatch.delenv("ORDERWATCH_DATABASE_URL", raising=False)
    monkeypatch.delenv("ORDERWATCH_CONFIG", raising=False)
    reset_settings()
    yield
    reset_settings()
