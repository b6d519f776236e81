"""report.html (and report.pdf): the triage report for a person, rendered from report.json.

No image is ever embedded or linked (officer welfare): files are shown by path, hashes and metadata.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup, escape

from orderwatch.domain.conditions import CONDITION_LABELS, ConditionType
from orderwatch.triage.encoded import ObservationLines

_SEVERITY_ORDER = {"critical": 0, "high": 1, "medium": 2, "low": 3, "info": 4}
_STANDARD_KEYS = {"id", "kind", "time", "provenance"}
TIMELINE_LIMIT = 2000  # rows; a device's whole browsing history belongs in report.json


def _environment() -> Environment:
    return Environment(
        loader=PackageLoader("orderwatch.triage", "templates"),
        autoescape=select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )


def describe(observation: dict[str, Any]) -> str:
    """A one-line wording of an observation for the timeline."""
    kind = observation["kind"]
    if kind == "hash_match":
        category = f" ({observation['category']})" if observation.get("category") else ""
        return (
            f"{observation['path']} matches hash set {observation['hashset']}{category} "
            f"by {observation['method']}, distance {observation['distance']}"
        )
    if kind == "encrypted_container":
        return (
            f"{observation['path']}: possible encrypted container, {observation['size']} bytes, "
            f"entropy {observation['entropy']}"
        )
    if kind == "signature_mismatch":
        return (
            f"{observation['path']}: content is {observation['detected_type']} "
            f"but the name ends .{observation['extension']}"
        )
    if kind == "file":
        return f"{observation['path']} ({observation.get('size')} bytes)"
    fields = [
        f"{key}={value}"
        for key, value in observation.items()
        if key not in _STANDARD_KEYS and value not in (None, "", [], {})
    ]
    return "; ".join(fields)


def timeline_html(rows: list[dict[str, Any]]) -> Markup:
    """The timeline's table rows, each with its provenance (what the template's loop wrote,
    made here: jinja's per-value lookups cost ~60 us a row)."""
    out = []
    for o in rows:
        oid = escape(o["id"])
        prov = o["provenance"]
        cells = [
            f'<tr id="obs-{oid}"><td>{escape(o["time"] or "unknown")}</td>'
            f"<td>{escape(o['kind'])}</td><td>{escape(describe(o))}</td>\n"
            f'<td class="prov">source <code>{escape(prov["source"])}</code><br>parser '
            f"{escape(prov['parser'])}"
        ]
        if prov.get("path"):
            cells.append(f"<br>path <code>{escape(prov['path'])}</code>")
        if prov.get("record"):
            cells.append(f"<br>record {escape(prov['record'])}")
        if prov.get("original_time"):
            cells.append(f"<br>stored time {escape(prov['original_time'])}")
        cells.append(f"<br>id {oid}</td></tr>\n")
        out.append("".join(cells))
    return Markup("".join(out))


def condition_label(condition: str) -> str:
    try:
        return CONDITION_LABELS[ConditionType(condition)]
    except ValueError:
        return condition


def group_findings(report: dict[str, Any]) -> list[dict[str, Any]]:
    """Findings grouped by condition: every condition of the order appears, breached or not."""
    order = report.get("order") or {}
    conditions: list[str] = list(order.get("conditions") or [])
    for finding in report["findings"]:
        if finding["condition"] not in conditions:
            conditions.append(finding["condition"])
    groups = []
    for condition in conditions:
        items = [f for f in report["findings"] if f["condition"] == condition]
        items.sort(key=lambda f: (_SEVERITY_ORDER.get(str(f.get("severity")), 9), f["title"]))
        groups.append({"condition": condition, "label": condition_label(condition), "items": items})
    return groups


def timeline_rows(report: dict[str, Any], limit: int) -> list[dict[str, Any]]:
    """The observations the timeline shows, in timeline order: all of them up to `limit`;
    beyond, every one a finding cites and every match or hidden-material item, then the others
    made one by one (those of kinds other than visits and search terms first, then the
    earliest, up to half the room left when there are lines written in bulk), then from each
    artefact's lines written in bulk (a history's visits) its last ones, as many as room is
    left for."""
    observations = report["observations"]
    bulk = observations.bulk if isinstance(observations, ObservationLines) else None
    if len(observations) <= limit:
        return _timeline_order(list(observations)) if bulk is not None else list(observations)
    cited = {oid for finding in report["findings"] for oid in finding["observations"]}
    keys = _keys(observations)  # (id, parser, kind) of each, in order
    keep = {oid for oid, parser, _ in keys if oid in cited or parser in _ALWAYS_SHOWN}
    few = [oid for oid, _, kind in keys if kind not in _MANY]  # devices, accounts, software ...
    for oid in few:
        if len(keep) >= limit:
            break
        keep.add(oid)
    halve = bulk is not None and bool(bulk.segments)  # half the room left for their latest
    room = len(keep) + (limit - len(keep)) // 2 if halve else limit
    for oid, _, _ in keys:
        if len(keep) >= room:
            break
        keep.add(oid)
    if not isinstance(observations, ObservationLines):
        return [o for o in observations if o["id"] in keep]
    rows = observations.select(lambda e: e[0] in keep)
    if bulk is not None and bulk.segments:
        missing = cited - {row["id"] for row in rows}  # (none so far: bulk kinds are not cited)
        if missing:
            rows += observations.bulk_with_ids(missing)
        room, count = max(0, limit - len(rows)), len(bulk.segments)
        for number, segment in enumerate(bulk.segments):
            share = room // count + (1 if number < room % count else 0)
            rows += [
                row
                for row in map(json.loads, bulk.tail(segment, share))
                if row["id"] not in missing
            ]
    return _timeline_order(rows)


def _timeline_order(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Dated first by time, then undated; kind, id (report.json's order for those made one by
    one)."""
    return sorted(rows, key=lambda o: (o["time"] is None, o["time"] or "", o["kind"], o["id"]))


def omitted_kinds(report: dict[str, Any], shown: list[dict[str, Any]]) -> list[tuple[str, int]]:
    """How many observations of each kind the timeline leaves out (most first)."""
    observations = report["observations"]
    if isinstance(observations, ObservationLines):
        counts = Counter(e[2] for e in observations.encoded) + observations.bulk_kinds()
    else:
        counts = Counter(o["kind"] for o in observations)
    counts.subtract(o["kind"] for o in shown)
    return sorted(((k, n) for k, n in counts.items() if n > 0), key=lambda kn: (-kn[1], kn[0]))


_ALWAYS_SHOWN = ("hash_set", "hidden_material")
_MANY = ("browser_visit", "search_term")  # a history has them by the thousand: shown last


def _keys(observations: Sequence[dict[str, Any]]) -> list[tuple[str, str, str]]:
    if isinstance(observations, ObservationLines):  # read without decoding each line
        return [(e[0], e[3], e[2]) for e in observations.encoded]
    return [(o["id"], o["provenance"]["parser"], o["kind"]) for o in observations]


def _selected(
    observations: Sequence[dict[str, Any]], kinds: tuple[str, ...], parser_kinds: dict[str, str]
) -> list[dict[str, Any]]:
    """Observations of `kinds`, and of the kinds in `parser_kinds` made by the parser named."""
    if isinstance(observations, ObservationLines):
        found = observations.select(lambda e: e[2] in kinds or parser_kinds.get(e[2], "\0") == e[3])
        if set(observations.bulk_kinds()) & {*kinds, *parser_kinds}:  # not so far: read them
            found += [
                o
                for o in map(json.loads, observations.bulk_texts())
                if o["kind"] in kinds
                or parser_kinds.get(o["kind"], "\0") == o["provenance"]["parser"]
            ]
        return found
    return [
        o
        for o in observations
        if o["kind"] in kinds or parser_kinds.get(o["kind"], "\0") == o["provenance"]["parser"]
    ]


def render_html(
    report: dict[str, Any],
    archives: list[dict[str, Any]] | None = None,
    timeline_limit: int = TIMELINE_LIMIT,
) -> str:
    """The whole HTML document (self-contained: inline CSS, no script, no outside resource)."""
    everything = report["observations"]
    cited = {oid for finding in report["findings"] for oid in finding["observations"]}
    if isinstance(everything, ObservationLines):  # only those the page names are decoded
        observations = {o["id"]: o for o in everything.select(lambda e: e[0] in cited)}
        if cited - observations.keys() and everything.bulk is not None:  # (not so far)
            observations.update((o["id"], o) for o in everything.bulk_with_ids(cited))
    else:
        observations = {o["id"]: o for o in everything}
    matches = _selected(everything, ("hash_match",), {})
    hidden = _selected(
        everything, ("encrypted_container", "signature_mismatch"), {"file": "hidden_material"}
    )
    match_categories = Counter(m.get("category") or "uncategorised" for m in matches)
    timeline = timeline_rows(report, limit=timeline_limit)
    template = _environment().get_template("report.html")
    return template.render(
        timeline_html=timeline_html(timeline),
        timeline_omitted=len(everything) - len(timeline),
        omitted_kinds=omitted_kinds(report, timeline) if len(everything) > len(timeline) else [],
        report=report,
        summary=report["summary"],
        provenance=report.get("provenance", {}),
        groups=group_findings(report),
        observations=observations,
        matches=matches,
        match_categories=sorted(match_categories.items()),
        hidden=hidden,
        archives=archives or [],
        describe=describe,
    )


def write_pdf(html: str, target: Path) -> None:
    """The same report as PDF (WeasyPrint; no network access: the HTML has no outside resource)."""
    from weasyprint import HTML

    HTML(string=html, url_fetcher=_refuse_fetch).write_pdf(str(target))


def _refuse_fetch(url: str, *args: Any, **kwargs: Any) -> dict[str, Any]:
    """The report needs nothing from outside; a fetch would mean a bug or injected markup."""
    raise ValueError(f"report.pdf refuses to fetch {url!r}")
