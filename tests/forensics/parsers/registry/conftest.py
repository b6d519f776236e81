"""Registry hive fixtures: real hives from ../shared/data, and hives built with hivexregedit."""

from __future__ import annotations

import lzma
import shutil
from pathlib import Path

import pytest
from hive_fixtures import HiveBuilder, merge_hive


@pytest.fixture
def build_hive() -> HiveBuilder:
    """Build a hive at `path` whose header names it `file_name`, holding `keys`."""
    if shutil.which("hivexregedit") is None:
        pytest.skip("hivexregedit is missing (Debian package libwin-hivex-perl)")

    return merge_hive


def _decompressed(shared_data: Path, relative: str, target: Path) -> Path:
    """A decompressed copy of one .xz file of ../shared/data (skip, naming it, when absent)."""
    source_path = shared_data / relative
    if not source_path.is_file():
        pytest.skip(f"{relative} is absent from {shared_data}")
    target.parent.mkdir(parents=True, exist_ok=True)
    with lzma.open(source_path) as source, open(target, "wb") as out:
        shutil.copyfileobj(source, out)
    return target


@pytest.fixture(scope="session")
def real_system_root(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder holding regipy's SYSTEM hive at Windows/System32/config/SYSTEM."""
    root = tmp_path_factory.mktemp("system-image")
    _decompressed(
        shared_data,
        "mkorman90_regipy/regipy_tests/data/SYSTEM.xz",
        root / "Windows" / "System32" / "config" / "SYSTEM",
    )
    return root


@pytest.fixture(scope="session")
def real_ntuser_root(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder holding regipy's NTUSER.DAT at Users/vibranium/NTUSER.DAT."""
    root = tmp_path_factory.mktemp("ntuser-image")
    _decompressed(
        shared_data,
        "mkorman90_regipy/regipy_tests/data/NTUSER.DAT.xz",
        root / "Users" / "vibranium" / "NTUSER.DAT",
    )
    return root
