"""Builders of hash-set inputs (VICS JSON, CSV, plain lists, NSRL SQLite) made in code."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hashset_inputs import VICS_13_METADATA, VICS_20_CONTEXT, digests_of


@pytest.fixture
def write_vics(tmp_path: Path) -> Callable[..., Path]:
    """Write a VICS JSON file: 2.0 lists Media under `value`; 1.3 nests them in a case."""

    def write(media: list[Any], version: str = "2.0", name: str = "vics.json") -> Path:
        if version == "2.0":
            document: dict[str, Any] = {"@odata.context": VICS_20_CONTEXT, "value": media}
        else:
            case = {"CaseNumber": "TEST-1", "Media": media, "SourceApplicationName": "tests"}
            document = {"odata.metadata": VICS_13_METADATA, "value": [case]}
        path = tmp_path / name
        path.write_text(json.dumps(document, indent=1))
        return path

    return write


@pytest.fixture
def write_nsrl(tmp_path: Path) -> Callable[..., Path]:
    """Write a minimal NSRL RDS v3 database: the FILE table with upper-case hex hashes."""

    def write(
        contents: list[bytes], name: str = "rds.db", extra_rows: list[tuple[Any, ...]] | None = None
    ) -> Path:
        path = tmp_path / name
        connection = sqlite3.connect(path)
        connection.execute(
            "CREATE TABLE FILE (sha256 TEXT, sha1 TEXT, md5 TEXT, crc32 TEXT, "
            "file_name TEXT, file_size INTEGER, package_id INTEGER)"
        )
        rows = []
        for number, content in enumerate(contents):
            d = digests_of(content)
            rows.append(
                (
                    d["sha256"].upper(),
                    d["sha1"].upper(),
                    d["md5"].upper(),
                    "00000000",
                    f"file{number}.dll",
                    len(content),
                    1,
                )
            )
        connection.executemany(
            "INSERT INTO FILE VALUES (?, ?, ?, ?, ?, ?, ?)", [*rows, *(extra_rows or [])]
        )
        connection.commit()
        connection.close()
        return path

    return write
