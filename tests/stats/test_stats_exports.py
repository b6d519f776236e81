"""The exports: CSV rows hold the same figures; the one-page PDF renders and its text (read back
with pdftotext) holds the headline figures and no names."""

from __future__ import annotations

import csv
import io
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from stats_fixture import COMPARISON, StatsUnit

from orderwatch.domain.investigations import load_offence_types
from orderwatch.stats.charts import comparison_bars, trend_columns
from orderwatch.stats.dashboard import Dashboard, build_dashboard
from orderwatch.stats.export import HEADER, dashboard_csv
from orderwatch.stats.press import press_pdf
from orderwatch.storage.investigations_stats import ScopeKind


def _unit_dashboard(unit: StatsUnit) -> Dashboard:
    return build_dashboard(
        unit.database, unit.actors["sup.a"], ScopeKind.UNIT, COMPARISON, load_offence_types()
    )


def test_csv_holds_every_figure_as_numbers(stats_unit: StatsUnit) -> None:
    text = dashboard_csv(_unit_dashboard(stats_unit))
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == ["orderwatch unit statistics", "Whole unit"]
    assert rows[1] == ["this period", "2025-01-01", "2025-03-31"]
    assert rows[2] == ["previous period", "2024-10-03", "2024-12-31"]
    header = rows.index(list(HEADER))
    table = {(r[0], r[1], r[2]): r[3:] for r in rows[header + 1 :]}
    assert table[("Enforcement", "Whole unit", "Arrests")] == ["3", "2", "1", "50.0"]
    assert table[("Enforcement", "Whole unit", "Breaches detected")] == ["3", "0", "3", ""]
    assert table[("Enforcement", "Whole unit", "Children safeguarded")] == ["5", "4", "1", "25.0"]
    assert table[("Breaches by condition", "Whole unit", "No contact with children")][:2] == [
        "2",
        "0",
    ]
    assert table[("By team", "Team B", "Arrests")] == ["1", "0", "1", ""]
    assert table[("By officer", "Officer A Two", "Overdue at period end")][:2] == ["1", "1"]
    assert not any(r[1] == "Officer B One" for r in rows[header + 1 :])  # another team's officer


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="pdftotext (poppler-utils) missing")
def test_the_press_pdf_is_one_page_holding_the_figures(
    stats_unit: StatsUnit, tmp_path: Path
) -> None:
    pdf = tmp_path / "press.pdf"
    pdf.write_bytes(press_pdf(_unit_dashboard(stats_unit)))
    assert pdf.read_bytes().startswith(b"%PDF")
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True)
    assert re.search(r"^Pages:\s+1$", info.stdout, re.MULTILINE), info.stdout
    text = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    lines = [" ".join(line.split()) for line in text.splitlines()]
    assert "Public protection unit: results" in text
    assert (
        "1 January 2025 to 31 March 2025, compared with 3 October 2024 to 31 December 2024" in text
    )
    # headline tiles: the number, then its label, then the change
    joined = "\n".join(lines)
    for number, label in (
        ("3", "Breaches detected"),
        ("3", "Arrests"),
        ("5", "Children safeguarded"),
    ):
        assert f"{number}\n" in joined and label in joined
    assert "+50% (2 before)" in joined  # arrests 3 against 2
    assert "+25% (4 before)" in joined  # children 5 against 4
    assert any(line.startswith("No contact with children 2 0 new (none before)") for line in lines)
    assert any(
        line.startswith("Median days from seizure to examination 40 10 +300%") for line in lines
    )
    for name in ("Officer A One", "Person ofc", "Referred Suspect"):
        assert name not in text


def test_charts_are_self_contained_svg() -> None:
    from orderwatch.domain.statistics import Change, chart_buckets
    from orderwatch.stats.dashboard import Figure

    bars = comparison_bars([Figure("arrests", "Arrests <&>", Change(3, 2))], title="t")
    assert bars.startswith("<svg") and "Arrests &lt;&amp;&gt;" in bars
    assert "style=" not in bars and "<script" not in bars and "http://www.w3.org/2000/svg" in bars
    buckets = chart_buckets(COMPARISON)
    columns = trend_columns("Arrests", buckets, [1, 0, 1, 1, 0, 1])
    assert columns.count("<rect") == 6 and "Oct 2024: 1" in columns
