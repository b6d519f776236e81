"""The dashboard as CSV: one row per figure and line (unit, team or officer), numbers as
numbers, so a spreadsheet or a charity's return can take it as it is."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

from orderwatch.domain.statistics import Change
from orderwatch.stats.dashboard import BREAKDOWN, Dashboard

HEADER = ("section", "line", "figure", "this period", "previous period", "change", "per cent")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _text(value: str) -> str:
    """Text a spreadsheet will not run as a formula (CSV injection)."""
    return "'" + value if value.startswith(_FORMULA_START) else value


def _number(value: float) -> int | float:
    return int(value) if value == int(value) else round(value, 1)


def _row(section: str, line: str, figure: str, change: Change) -> list[object]:
    percent = change.percent
    return [
        _text(section),
        _text(line),
        _text(figure),
        _number(change.current),
        _number(change.previous),
        _number(change.delta),
        "" if percent is None else round(percent, 1),
    ]


def dashboard_rows(dashboard: Dashboard) -> Iterator[list[object]]:
    """The rows of the CSV after its header block."""
    scope = dashboard.scope.label
    for group in dashboard.groups:
        for figure in group.figures:
            yield _row(group.title, scope, figure.label, figure.change)
    for title, figures in (
        ("Breaches by condition", dashboard.breaches_by_condition),
        ("Offences by type", dashboard.offences_by_type),
        ("Alert outcomes", dashboard.alert_outcomes),
        ("Investigation outcomes", dashboard.investigation_outcomes),
        ("Charge results", dashboard.charge_results),
    ):
        for figure in figures:
            yield _row(title, scope, figure.label, figure.change)
    for title, rows in (("By team", dashboard.team_rows), ("By officer", dashboard.officer_rows)):
        for line in rows:
            for key, label in BREAKDOWN:
                yield _row(title, line.label, label, line.figures[key])


def dashboard_csv(dashboard: Dashboard) -> str:
    """The whole export: a header block naming the periods, then the figures."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    comparison = dashboard.comparison
    writer.writerow(["orderwatch unit statistics", _text(dashboard.scope.label)])
    writer.writerow(["this period", comparison.current.start, comparison.current.end])
    writer.writerow(["previous period", comparison.previous.start, comparison.previous.end])
    writer.writerow(["time zone", dashboard.zone])
    writer.writerow(["generated", dashboard.generated_at.isoformat(timespec="seconds")])
    writer.writerow([])
    writer.writerow(HEADER)
    writer.writerows(dashboard_rows(dashboard))
    return out.getvalue()
