"""report.html (and report.pdf): the triage report for a person, rendered from report.json.

No image is ever embedded or linked (officer welfare): files are shown by path, hashes and metadata.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape

from orderwatch.domain.conditions import CONDITION_LABELS, ConditionType
from orderwatch.triage.encoded import ObservationLines

_SEVERITY_ORDER = {"critical": 0, "high": 1, "medium": 2, "low": 3, "info": 4}
_STANDARD_KEYS = {"id", "kind", "time", "provenance"}
TIMELINE_LIMIT = 5000  # rows; a device's whole browsing history belongs in report.json


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
    """The observations the timeline shows, in report order: all of them up to `limit`; beyond,
    every one a finding cites and every match or hidden-material item, then the earliest others."""
    observations = report["observations"]
    if len(observations) <= limit:
        return list(observations)
    cited = {oid for finding in report["findings"] for oid in finding["observations"]}
    keys = _keys(observations)  # (id, parser) of each, in order
    keep = {oid for oid, parser in keys if oid in cited or parser in _ALWAYS_SHOWN}
    for oid, _ in keys:
        if len(keep) >= limit:
            break
        keep.add(oid)
    if isinstance(observations, ObservationLines):
        return observations.select(lambda e: e[0] in keep)
    return [o for o in observations if o["id"] in keep]


_ALWAYS_SHOWN = ("hash_set", "hidden_material")


def _keys(observations: Sequence[dict[str, Any]]) -> list[tuple[str, str]]:
    if isinstance(observations, ObservationLines):  # read without decoding each line
        return [(e[0], e[3]) for e in observations.encoded]
    return [(o["id"], o["provenance"]["parser"]) for o in observations]


def _selected(
    observations: Sequence[dict[str, Any]], kinds: tuple[str, ...], parser_kinds: dict[str, str]
) -> list[dict[str, Any]]:
    """Observations of `kinds`, and of the kinds in `parser_kinds` made by the parser named."""
    if isinstance(observations, ObservationLines):
        return observations.select(lambda e: e[2] in kinds or parser_kinds.get(e[2], "\0") == e[3])
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
        timeline=timeline,
        timeline_omitted=len(everything) - len(timeline),
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
