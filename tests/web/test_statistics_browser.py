"""A real browser (Debian's chromium through Playwright) against a real `orderwatch serve` over
a small demo unit: a supervisor opens "last six months vs the six before", reads the figures,
gets a bad period back as a form error, and exports the CSV."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from live_server import chromium_browser, serving

from orderwatch.demo import build_demo_unit
from orderwatch.demo.investigations import build_demo_investigations
from orderwatch.domain.access import Actor
from orderwatch.domain.investigations import load_offence_types
from orderwatch.domain.statistics import Preset, preset_comparison
from orderwatch.stats.dashboard import HEADLINE, build_dashboard
from orderwatch.storage import Database, get_user_by_username
from orderwatch.storage.investigations_stats import ScopeKind

pytestmark = pytest.mark.browser

PASSWORD = "browser-stats-password"


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, dict[str, float]]]:
    """`orderwatch serve` over a demo unit; also the supervisor's headline figures."""
    data_dir = tmp_path_factory.mktemp("stats-browser")
    database = Database(f"sqlite:///{data_dir / 'orderwatch.sqlite3'}")
    database.upgrade()
    build_demo_unit(database, persons=80, officers=4, password=PASSWORD)
    build_demo_investigations(database, per_officer=12, seed=5)
    system = Actor.command_line("browser test")
    with database.session() as session:
        supervisor = get_user_by_username(session, system, "sup.north").actor
    expected = build_dashboard(
        database,
        supervisor,
        ScopeKind.TEAM,
        preset_comparison(Preset.SIX_MONTHS, date.today()),
        load_offence_types(),
    )
    figures = {f.key: f.current for f in expected.headline}
    database.dispose()
    with serving(data_dir) as (base, _):
        yield base, figures


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    yield from chromium_browser()


def test_a_supervisor_reads_and_exports_six_months_against_the_six_before(
    served: tuple[str, dict[str, float]], browser: Any, tmp_path: Path
) -> None:
    base, expected = served
    context = browser.new_context(accept_downloads=True, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(20_000)
    page.goto(base + "/statistics")
    page.fill("#f-username", "sup.north")
    page.fill("#f-password", PASSWORD)
    page.click("button:has-text('Log in')")
    page.wait_for_url("**/statistics")
    assert page.input_value("#f-preset") == "six_months"
    assert "compared with" in page.inner_text("#period")
    for key in HEADLINE:
        shown = page.inner_text(f".headline [data-figure='{key}'] .n")
        assert float(shown) == expected[key], key
    assert page.locator(".chart svg").count() == 5
    assert page.locator("table.breakdown tbody tr").count() == 1  # one officer per team of 4
    if os.environ.get("ORDERWATCH_SCREENSHOTS"):
        page.screenshot(path=os.environ["ORDERWATCH_SCREENSHOTS"], full_page=False)

    page.select_option("#f-preset", "custom")
    page.fill("#f-start", "2025-03-01")
    page.fill("#f-end", "2025-02-01")
    page.click("button:has-text('Show')")
    assert page.inner_text("#e-end").startswith("The period ends (2025-02-01) before it starts")
    assert page.input_value("#f-start") == "2025-03-01"

    page.select_option("#f-preset", "six_months")
    page.click("button:has-text('Show')")
    with page.expect_download() as download:
        page.click("text=Export CSV")
    saved = tmp_path / "export.csv"
    download.value.save_as(saved)
    text = saved.read_text()
    assert text.startswith("orderwatch unit statistics,")
    assert f"Enforcement,Team North,Arrests,{int(expected['arrests'])}," in text
    context.close()
