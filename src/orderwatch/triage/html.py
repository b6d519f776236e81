"""report.html (and report.pdf): the triage report for a person, rendered from report.json.

No image is ever embedded or linked (officer welfare): files are shown by path, hashes and metadata.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from operator import itemgetter
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
    # `value` is tested against _EMPTY only when falsy (0 and False are shown; None, "", [], {}
    # are not): most values are non-empty text, and the tuple's four comparisons cost more.
    fields = [
        f"{key}={value}"
        for key, value in observation.items()
        if key not in _STANDARD_KEYS and (value or value not in _EMPTY)
    ]
    return "; ".join(fields)


_EMPTY: tuple[Any, ...] = (None, "", [], {})


def timeline_html(rows: list[dict[str, Any]]) -> Markup:
    """The timeline's table rows, each with its provenance (what the template's loop wrote,
    made here: jinja's per-value lookups cost ~60 us a row). Every value is escaped as
    markupsafe.escape does it, but all at once (`_escaped_all`): a Markup object per value
    cost more than the row's text."""
    values: list[Any] = []  # nine a row; provenance's optional three "" when not shown
    for o in rows:
        prov = o["provenance"]
        values += (
            o["id"],
            o["time"] or "unknown",
            o["kind"],
            describe(o),
            prov["source"],
            prov["parser"],
            prov.get("path") or "",
            prov.get("record") or "",
            prov.get("original_time") or "",
        )
    escaped = iter(_escaped_all(values))
    return Markup(
        "".join(
            [
                f'<tr id="obs-{oid}"><td>{time}</td><td>{kind}</td><td>{description}</td>\n'
                f'<td class="prov">source <code>{source}</code><br>parser {parser}'
                f"{f'<br>path <code>{path}</code>' if path else ''}"
                f"{f'<br>record {record}' if record else ''}"
                f"{f'<br>stored time {stored}' if stored else ''}"
                f"<br>id {oid}</td></tr>\n"
                for oid, time, kind, description, source, parser, path, record, stored in zip(
                    *[escaped] * 9, strict=True
                )
            ]
        )
    )


def _escaped_all(values: list[Any]) -> list[str]:
    """[str(markupsafe.escape(v)) for v in values], made with one str.replace per entity on
    the values joined by NUL, then split there (when all are exact str and none holds a NUL;
    else one by one): markupsafe's five entities, in its order."""
    if set(map(type, values)) <= {str}:
        joined = "\0".join(values)
        if joined.count("\0") == len(values) - 1:
            return _replace_entities(joined).split("\0")
    return [_replace_entities(v) if v.__class__ is str else str(escape(v)) for v in values]


def _replace_entities(text: str) -> str:
    return (
        text.replace("&", "&amp;")
        .replace(">", "&gt;")
        .replace("<", "&lt;")
        .replace("'", "&#39;")
        .replace('"', "&#34;")
    )


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
    lines = observations if isinstance(observations, ObservationLines) else None
    bulk = lines.bulk if lines is not None else None
    if len(observations) <= limit:
        if lines is None:
            return list(observations)
        rows = _decoded([e[-1] for e in lines.encoded] + list(lines.bulk_texts()))
        return _timeline_order(rows) if bulk is not None else rows
    cited = {oid for finding in report["findings"] for oid in finding["observations"]}
    keys = _keys(observations)  # (id, _, kind, parser, ...) of each, in order
    keep = {k[0] for k in keys if k[0] in cited or k[3] in _ALWAYS_SHOWN}
    few = [k[0] for k in keys if k[2] not in _MANY]  # devices, accounts, software ...
    for oid in few:
        if len(keep) >= limit:
            break
        keep.add(oid)
    halve = bulk is not None and bool(bulk.segments)  # half the room left for their latest
    room = len(keep) + (limit - len(keep)) // 2 if halve else limit
    for k in keys:
        if len(keep) >= room:
            break
        keep.add(k[0])
    if lines is None:
        return [o for o in observations if o["id"] in keep]
    rows = _decoded([e[-1] for e in lines.encoded if e[0] in keep])
    if bulk is not None and bulk.segments:
        missing = cited - {row["id"] for row in rows}  # (none so far: bulk kinds are not cited)
        if missing:
            rows += lines.bulk_with_ids(missing)
        room, count = max(0, limit - len(rows)), len(bulk.segments)
        texts: list[str] = []
        for number, segment in enumerate(bulk.segments):
            share = room // count + (1 if number < room % count else 0)
            texts += bulk.tail(segment, share)
        rows += [row for row in _decoded(texts) if row["id"] not in missing]
    return _timeline_order(rows)


def _decoded(lines: list[str]) -> list[dict[str, Any]]:
    """[json.loads(line) for line in lines], decoded as one JSON list: one call to json's C
    scanner instead of one a line (its keys made once): ~40% less time a line."""
    decoded: list[dict[str, Any]] = json.loads("[" + ",".join(lines) + "]")
    return decoded


def _timeline_order(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Dated first by time, then undated; kind, id (report.json's order for those made one by
    one)."""
    return sorted(rows, key=lambda o: (o["time"] is None, o["time"] or "", o["kind"], o["id"]))


def omitted_kinds(report: dict[str, Any], shown: list[dict[str, Any]]) -> list[tuple[str, int]]:
    """How many observations of each kind the timeline leaves out (most first)."""
    observations = report["observations"]
    if isinstance(observations, ObservationLines):
        counts = Counter(map(itemgetter(2), observations.encoded)) + observations.bulk_kinds()
    else:
        counts = Counter(o["kind"] for o in observations)
    counts.subtract(o["kind"] for o in shown)
    return sorted(((k, n) for k, n in counts.items() if n > 0), key=lambda kn: (-kn[1], kn[0]))


_ALWAYS_SHOWN = ("hash_set", "hidden_material")
_MANY = ("browser_visit", "search_term")  # a history has them by the thousand: shown last


def _keys(observations: Sequence[dict[str, Any]]) -> Sequence[tuple[Any, ...]]:
    """(id, time, kind, parser, ...) of each: the encoded tuples themselves when there are."""
    if isinstance(observations, ObservationLines):  # read without decoding each line
        return observations.encoded
    return [(o["id"], o["time"], o["kind"], o["provenance"]["parser"]) for o in observations]


def _selected(
    observations: Sequence[dict[str, Any]], kinds: tuple[str, ...], parser_kinds: dict[str, str]
) -> list[dict[str, Any]]:
    """Observations of `kinds`, and of the kinds in `parser_kinds` made by the parser named."""
    if isinstance(observations, ObservationLines):
        named = {*kinds, *parser_kinds}  # one set lookup for most (visits: neither)
        found = _decoded(
            [
                e[-1]
                for e in observations.encoded
                if e[2] in named and (e[2] in kinds or parser_kinds.get(e[2]) == e[3])
            ]
        )
        if set(observations.bulk_kinds()) & named:  # not so far: read them
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
        observations = {
            o["id"]: o for o in _decoded([e[-1] for e in everything.encoded if e[0] in cited])
        }
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
