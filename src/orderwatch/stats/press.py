"""A one-page PDF of the headline figures for a press office or a funding report (WeasyPrint).

It holds counts only: no person's, child's or officer's name, and no case detail.
"""

from __future__ import annotations

from pathlib import Path

import jinja2

from orderwatch.domain.statistics import describe_change
from orderwatch.stats.charts import comparison_bars
from orderwatch.stats.dashboard import Dashboard

TEMPLATES = Path(__file__).resolve().parent / "templates"
MAX_CONDITIONS = 6


def _number(value: float) -> str:
    return f"{value:,.0f}" if value == int(value) else f"{value:,.1f}"


def press_html(dashboard: Dashboard, *, unit_name: str = "Public protection unit") -> str:
    """The page as HTML (also what the PDF is made from)."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True, trim_blocks=True
    )
    env.filters["number"] = _number
    env.filters["day"] = lambda d: d.strftime("%d %B %Y").lstrip("0")
    chart = comparison_bars(
        dashboard.headline, title="This period against the previous", width=620, row=26
    )
    context = {
        "d": dashboard,
        "unit_name": unit_name,
        "chart": chart,
        "conditions": dashboard.breaches_by_condition[:MAX_CONDITIONS],
        "more_conditions": max(0, len(dashboard.breaches_by_condition) - MAX_CONDITIONS),
        "describe": describe_change,
    }
    return env.get_template("press.html").render(context)


def press_pdf(dashboard: Dashboard, *, unit_name: str = "Public protection unit") -> bytes:
    """The one-page PDF (A4 portrait)."""
    from weasyprint import HTML

    pdf: bytes = HTML(string=press_html(dashboard, unit_name=unit_name)).write_pdf()
    return pdf
