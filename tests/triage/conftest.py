"""Evidence built by code for the triage tests: a folder of synthetic files and a raw ext2 image."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from triage_evidence import DELETED_CONTENT, folder_contents

from orderwatch.cli import main


@pytest.fixture(scope="session")
def evidence_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder standing for a mounted device (built once; tests never write into it)."""
    root = tmp_path_factory.mktemp("evidence") / "device"
    for path, content in folder_contents().items():
        target = root / path.lstrip("/")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content)
    return root


@pytest.fixture(scope="session")
def ext2_image(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A raw ext2 image (mke2fs -d) holding two files, one of them deleted with debugfs."""
    if not (shutil.which("mke2fs") and shutil.which("debugfs")):
        pytest.skip("mke2fs/debugfs (e2fsprogs) not installed")
    base = tmp_path_factory.mktemp("ext2")
    content = base / "content"
    (content / "dir").mkdir(parents=True)
    (content / "keep.txt").write_bytes(b"keep me\n")
    (content / "dir" / "gone.bin").write_bytes(DELETED_CONTENT)
    image = base / "disk.raw"
    subprocess.run(
        ["mke2fs", "-q", "-F", "-t", "ext2", "-b", "1024", "-d", str(content), str(image), "2048"],
        check=True,
        capture_output=True,
    )
    subprocess.run(
        ["debugfs", "-w", "-R", "rm /dir/gone.bin", str(image)], check=True, capture_output=True
    )
    return image


@pytest.fixture
def triage_run(tmp_path: Path) -> Callable[..., tuple[int, Path]]:
    """Run `orderwatch triage` through the CLI; returns (exit code, output folder)."""
    counter = iter(range(1000))

    def run(*arguments: str | os.PathLike[str], workers: int = 1) -> tuple[int, Path]:
        out = tmp_path / f"out{next(counter)}"
        argv = ["triage", *(str(a) for a in arguments), "--out", str(out)]
        argv += ["--workers", str(workers)]
        return main(argv), out

    return run
