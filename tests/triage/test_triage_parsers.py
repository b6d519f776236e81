"""Artefact parsers run inside the triage workers, on the files they claim."""

from __future__ import annotations

import shutil
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest
from triage_evidence import read_outputs

TriageRun = Callable[..., tuple[int, Path]]
CHROME_HISTORY = "log2timeline_plaso/test_data/chrome/History"  # MANIFEST.md section 1.1


def test_chrome_history_in_a_profile_gives_its_visits_and_downloads(
    shared_data: Path, triage_run: TriageRun, tmp_path: Path
) -> None:
    history = shared_data / CHROME_HISTORY
    if not history.is_file():
        pytest.skip(f"{CHROME_HISTORY} is absent from {shared_data}")
    device = tmp_path / "device"
    profile = device / "home" / "john" / ".config" / "google-chrome" / "Default"
    profile.mkdir(parents=True)
    shutil.copyfile(history, profile / "History")  # a private copy: the evidence stays untouched
    code, out = triage_run(device, workers=2)
    assert code == 0
    report, inventory = read_outputs(out)
    assert [e["path"] for e in inventory] == ["/home/john/.config/google-chrome/Default/History"]
    assert inventory[0]["type"] == "sqlite"
    kinds = Counter(o["kind"] for o in report["observations"])
    assert (
        kinds["browser_visit"] == 69 and kinds["download"] == 2
    )  # MANIFEST: visits 69, downloads 2
    downloads = {o["target_path"]: o for o in report["observations"] if o["kind"] == "download"}
    download = downloads["/home/john/Downloads/funcats_scr.exe"]
    assert download["url"] == "http://fatloss4idiotsx.com/download/funcats/funcats_scr.exe"
    assert download["provenance"]["parser"] == "chrome_history"
    assert download["provenance"]["path"] == "/home/john/.config/google-chrome/Default/History"
    assert report["errors"] == []
