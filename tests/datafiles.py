"""Where the shared real artefacts live; any test module can `from datafiles import ...`."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(os.environ.get("ORDERWATCH_SHARED_DATA", REPO.parent / "shared" / "data"))
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def shared_file(shared_data: Path, relative: str) -> Path:
    """One file of ../shared/data, or a skip naming it."""
    path = shared_data / relative
    if not path.is_file():
        pytest.skip(f"{relative} is absent from {shared_data}")
    return path
