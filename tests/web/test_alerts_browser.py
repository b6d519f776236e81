"""End to end in a real browser (Debian's chromium through Playwright): a real `orderwatch serve`,
`orderwatch simulate-agent` enrolling and sending a day of traffic over HTTP, and an officer who
finds the alerts in their queue, reads the evidence and works one to a recorded breach."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from live_server import chromium_browser, serving

from orderwatch.domain.access import Actor, Role
from orderwatch.domain.caseload import ManagementLevel, OrderKind, RiskLevel
from orderwatch.domain.conditions import parse_condition
from orderwatch.domain.orderfile import DeclaredDevice, OrderRecord
from orderwatch.storage import Database, PersonInput, add_device, create_person, create_user
from orderwatch.storage import set_order as store_order

pytestmark = [pytest.mark.browser, pytest.mark.slow]

PASSWORD = "alerts-browser-password"
SYSTEM = Actor.command_line("alerts browser test")


def _seed(data_dir: Path) -> None:
    """One officer, and a person under an order with a declared laptop."""
    database = Database(f"sqlite:///{data_dir / 'orderwatch.sqlite3'}")
    database.upgrade()
    with database.session() as session:
        officer = create_user(
            session,
            SYSTEM,
            username="dc.alerts",
            role=Role.OFFICER,
            password=PASSWORD,
            full_name="DC Alerts",
        )
        person = create_person(
            session,
            SYSTEM,
            PersonInput(
                "BR-ALERT",
                "Sam Monitored",
                RiskLevel.HIGH,
                ManagementLevel.ACTIVE,
                officer.id,
                date(2024, 1, 1),
            ),
        )
        conditions = (
            {"type": "declare_devices", "within_days": 3},
            {"type": "prohibited_words", "words": ["example-banned-word"]},
            {"type": "no_contact_with_children"},
            {"type": "keep_monitoring"},
        )
        order = OrderRecord(
            OrderKind.SHPO,
            "Example Crown Court",
            date(2024, 1, 1),
            None,
            tuple(parse_condition(c) for c in conditions),
        )
        store_order(session, SYSTEM, person.id, order)
        laptop = DeclaredDevice(kind="laptop", make="Dell", model="Latitude", serial="BR-LAPTOP")
        add_device(session, SYSTEM, person.id, laptop)
    database.dispose()


@pytest.fixture(scope="module")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, dict[str, str]]]:
    data_dir = tmp_path_factory.mktemp("alerts-browser")
    _seed(data_dir)
    with serving(data_dir) as (base, env):
        yield base, env


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    yield from chromium_browser()


def test_simulated_traffic_reaches_the_queue_and_an_alert_is_worked_to_a_breach(
    live_server: tuple[str, dict[str, str]], browser: Any
) -> None:
    base, env = live_server
    simulated = subprocess.run(
        [sys.executable, "-m", "orderwatch.cli", "simulate-agent", "--person", "BR-ALERT",
         "--events", "300", "--seed", "7", "--server", base],
        env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert simulated.returncode == 0, simulated.stderr
    assert "sent 300 observations in 3 batches" in simulated.stdout
    assert "300 stored, 0 already stored, 0 batch(es) refused" in simulated.stdout

    page = browser.new_page()
    page.set_default_timeout(15_000)
    page.goto(base + "/caseload")
    page.fill("#f-username", "dc.alerts")
    page.fill("#f-password", PASSWORD)
    page.click("button:has-text('Log in')")
    page.wait_for_url(base + "/caseload")
    row = page.locator("table.caseload tbody tr", has_text="BR-ALERT")
    assert int(row.locator("td.num").inner_text()) >= 3  # its open alerts

    page.click("nav >> text=Alerts")
    page.wait_for_url(base + "/alerts")
    rows = page.locator("table.alerts tbody tr")
    assert rows.count() >= 3
    severities = [rows.nth(i).locator("td").first.inner_text() for i in range(rows.count())]
    ranks = {"critical": 3, "high": 2, "medium": 1, "low": 0}
    assert [ranks[s] for s in severities] == sorted((ranks[s] for s in severities), reverse=True)
    text = page.inner_text("table.alerts")
    assert "Monitoring tampered with: agent stopped" in text
    assert "Undeclared USB storage device: SanDisk Ultra Fit" in text
    assert "BR-ALERT" in text

    page.click("table.alerts >> text=Monitoring tampered with: agent stopped")
    page.wait_for_url("**/alerts/*")
    assert page.inner_text("h1") == "Monitoring tampered with: agent stopped"
    assert "Keep monitoring installed" in page.inner_text("section[aria-labelledby='h-why']")
    evidence = page.inner_text("table.evidence")
    assert "tamper" in evidence and "service stopped by user" in evidence
    assert page.locator("img").count() == 0

    page.click("button:has-text('Start review')")
    page.wait_for_url("**/alerts/*?done=state")
    assert page.inner_text(".alert-state") == "Under review"
    page.fill("#f-note", "Agent stopped on purpose; admitted at interview.")
    page.click("button:has-text('Record a breach')")
    page.wait_for_url("**/alerts/*?done=state")
    assert page.inner_text(".alert-state") == "Breach recorded"
    outcome = page.inner_text("p.outcome")
    assert "breach of “Keep monitoring installed”, recorded by dc.alerts" in outcome
    assert "admitted at interview" in outcome
    history = page.inner_text("table.events")
    assert "New" in history and "Under review" in history and "Breach recorded" in history

    page.click("nav >> text=Alerts")
    page.wait_for_url(base + "/alerts")
    assert "Monitoring tampered with" not in page.inner_text("table.alerts")  # no longer open
    page.select_option("select[name='state']", "breach_recorded")
    page.click("button:has-text('Filter')")
    page.wait_for_url("**/alerts?state=breach_recorded*")
    assert "Monitoring tampered with: agent stopped" in page.inner_text("table.alerts")
    page.close()
