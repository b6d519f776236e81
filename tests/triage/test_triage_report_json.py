"""report.json is written indented, one observation a line, and reads back as the same document."""

from __future__ import annotations

import json
from pathlib import Path

from orderwatch.triage.report import write_report


def _report(observations: list[dict[str, object]]) -> dict[str, object]:
    return {
        "tool": {"name": "orderwatch", "version": "0"},
        "sources": [{"path": "/evidence/disk.E01"}],
        "summary": {"files": 2, "observations": len(observations)},
        "findings": [{"condition": "retain_history", "observations": ["a"]}],
        "observations": observations,
        "errors": [],
        "mode": "full",
    }


def test_same_document_back_with_one_observation_a_line(tmp_path: Path) -> None:
    observations = [
        {"id": "a", "kind": "browser_visit", "url": 'https://caf\u00e9.test/?q="x"\n', "n": 1},
        # Text that looks like the layout itself must not confuse the writer.
        {"id": "b", "kind": "text", "text": '"observations": [\n    {"id": "z"}\n  ]', "n": None},
    ]
    report = _report(observations)
    target = tmp_path / "report.json"
    write_report(target, report)
    text = target.read_text(encoding="utf-8")
    assert json.loads(text) == report
    assert list(json.loads(text)) == list(report)  # keys stay in contract order
    lines = text.splitlines()
    start = lines.index('  "observations": [')
    assert [json.loads(line.strip().rstrip(",")) for line in lines[start + 1 : start + 3]] == (
        observations
    )
    assert lines[start + 3] == "  ],"
    assert "caf\u00e9" in text  # UTF-8, not \\u escapes
    assert '  "summary": {\n    "files": 2,' in text  # the rest stays indented


def test_no_observations(tmp_path: Path) -> None:
    target = tmp_path / "report.json"
    write_report(target, _report([]))
    assert json.loads(target.read_text(encoding="utf-8"))["observations"] == []
    assert '  "observations": [],' in target.read_text(encoding="utf-8")
