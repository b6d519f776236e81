"""Observations sent encoded by the workers give the same report.json, de-duplication, order and
HTML as the observation objects did; workers keep objects only for the rules' kinds."""

from __future__ import annotations

import json
from dataclasses import fields
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from orderwatch.domain.observations import (
    OBSERVATION_TYPES,
    BrowserVisitObservation,
    FileObservation,
    HashMatchObservation,
    Observation,
    Provenance,
    SearchTermObservation,
)
from orderwatch.triage.encoded import (
    ObservationLines,
    encode_observation,
    sorted_encoded,
    unique_encoded,
)
from orderwatch.triage.html import render_html
from orderwatch.triage.records import FileResult
from orderwatch.triage.report import sorted_observations, unique_observations, write_report
from orderwatch.triage.worker import WorkerOptions, _encode


def _observations() -> list[Observation]:
    def provenance(parser: str, path: str, record: str) -> Provenance:
        return Provenance("src", parser, path, record, "13350000000000000")

    when = datetime(2024, 1, 16, 9, 30, tzinfo=UTC)
    return [
        BrowserVisitObservation(
            id="v2",
            time=when,
            provenance=provenance("chrome_history", "/b/History", "visits.id=2"),
            browser="chrome",
            url='https://caf\u00e9.test/?q="x"\n',
            title="caf\u00e9",
        ),
        SearchTermObservation(
            id="s1",
            time=when,
            provenance=provenance("chrome_history", "/b/History", "visits.id=2"),
            engine="Google",
            term="caf\u00e9 garden",
        ),
        HashMatchObservation(
            id="m1",
            provenance=provenance("hash_set", "/pics/a.png", "md5"),
            path="/pics/a.png",
            hashset="set.json",
        ),
        FileObservation(
            id="f1",
            time=datetime(2023, 5, 1, tzinfo=UTC),
            provenance=provenance("hidden_material", "/x/.hidden", "inode 4"),
            path="/x/.hidden",
        ),
        # The same id seen through a later path: the first path's copy is kept.
        BrowserVisitObservation(
            id="v2",
            time=when,
            provenance=provenance("chrome_history", "/a/History", "visits.id=2"),
            browser="chrome",
            url="https://other.test/",
        ),
    ]


def _report(observations: Any, findings: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "tool": {"name": "orderwatch", "version": "0"},
        "sources": [],
        "summary": {
            "files": 1,
            "deleted_files": 0,
            "bytes_hashed": 10,
            "seconds": 1.0,
            "hash_matches": 1,
            "errors": 0,
            "files_hashed": 1,
            "observations": len(observations),
            "findings": len(findings),
            "quick": False,
            "match_categories": {},
        },
        "findings": findings,
        "observations": observations,
        "errors": [],
    }


def test_same_observations_order_and_dedup_as_the_objects() -> None:
    objects = sorted_observations(unique_observations(_observations()))
    encoded = sorted_encoded(unique_encoded(encode_observation(o) for o in _observations()))
    lines = ObservationLines(encoded)
    assert list(lines) == [o.to_dict() for o in objects]
    assert [o["id"] for o in lines] == ["f1", "v2", "s1", "m1"]  # by time, kind; undated last
    assert lines[1]["url"] == "https://other.test/"  # the /a/ copy of v2
    assert lines[1:3] == [objects[1].to_dict(), objects[2].to_dict()]
    assert len(lines) == 4


def test_report_json_from_lines_equals_report_from_dicts(tmp_path: Path) -> None:
    objects = sorted_observations(unique_observations(_observations()))
    lines = ObservationLines(sorted_encoded(unique_encoded(map(encode_observation, objects))))
    findings = [{"condition": "retain_history", "observations": ["v2"]}]
    write_report(tmp_path / "lines.json", _report(lines, findings))
    write_report(tmp_path / "dicts.json", _report([o.to_dict() for o in objects], findings))
    text = (tmp_path / "lines.json").read_text(encoding="utf-8")
    assert text == (tmp_path / "dicts.json").read_text(encoding="utf-8")
    assert json.loads(text)["observations"][1]["title"] is None
    assert "caf\u00e9" in text


def test_html_from_lines_equals_html_from_dicts() -> None:
    objects = sorted_observations(unique_observations(_observations()))
    lines = ObservationLines(sorted_encoded(map(encode_observation, objects)))
    findings = [
        {"condition": "prohibited_words", "severity": "high", "title": "t", "observations": ["s1"]}
    ]
    dicts = [o.to_dict() for o in objects]
    for limit in (5000, 2):  # all rows, and the cut timeline (cited, matches, hidden first)
        from_lines = render_html(_report(lines, findings), timeline_limit=limit)
        assert from_lines == render_html(_report(dicts, findings), timeline_limit=limit)
    assert "garden" in from_lines and "/x/.hidden" in from_lines


def test_worker_keeps_objects_only_for_the_rules_kinds() -> None:
    result = FileResult(0, {}, observations=_observations()[:3])
    _encode(WorkerOptions(rule_kinds=frozenset({"search_term"})), result)
    assert [o.id for o in result.observations] == ["s1"]
    assert [e[0] for e in result.encoded] == ["v2", "s1", "m1"]
    assert json.loads(result.encoded[0][-1]) == _observations()[0].to_dict()
    everything = FileResult(0, {}, observations=_observations()[:3])
    _encode(WorkerOptions(), everything)  # no kinds named: every object kept
    assert [o.id for o in everything.observations] == ["v2", "s1", "m1"]


def _odd_value(annotation: str, name: str) -> Any:
    """A value of a field's type that is hard to write as JSON."""
    if "datetime" in annotation:
        return datetime(2024, 2, 29, 23, 59, 59, 123456, tzinfo=timezone(timedelta(hours=-5)))
    if "bool" in annotation:
        return True
    if "int" in annotation:
        return -7
    if "float" in annotation and "dict" not in annotation:
        return 0.1 + 0.2
    if "dict" in annotation:
        return {"nudity": 0.25, 'é"': 1e-12}
    return f'{name} 100% "%s" \\ caf\u00e9 \u2603 \x01\n\t'


def test_every_kind_is_written_as_json_writes_its_dict() -> None:
    for kind, cls in OBSERVATION_TYPES.items():
        values = {
            f.name: _odd_value(str(f.type), f.name)
            for f in fields(cls)
            if f.name not in ("id", "time", "provenance")
        }
        for blank in (False, True):  # every optional field empty, too
            kwargs = {n: None if blank and _optional(cls, n) else v for n, v in values.items()}
            observation = cls(
                id=f'{kind}-"1"',
                time=None if blank else datetime(2024, 1, 1, tzinfo=UTC),
                provenance=Provenance("s\u00e9", "p", None if blank else "/a %d", "r", None),
                **kwargs,
            )
            line = encode_observation(observation)[-1]
            assert line == json.dumps(observation.to_dict(), ensure_ascii=False), kind
            assert json.loads(line)["kind"] == kind


def _optional(cls: type[Observation], name: str) -> bool:
    (found,) = [f for f in fields(cls) if f.name == name]
    return "None" in str(found.type)
