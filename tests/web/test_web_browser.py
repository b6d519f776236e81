"""A real browser (Debian's chromium through Playwright) against a real `orderwatch serve`:
log in, create a person with an order, and see them on the caseload."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from live_server import chromium_browser, serving

from orderwatch.domain.access import Actor, Role
from orderwatch.storage import Database, create_user

PASSWORD = "browser-test-password"

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`orderwatch serve` on a free port over a fresh SQLite data dir with one officer."""
    data_dir = tmp_path_factory.mktemp("browser-data")
    database = Database(f"sqlite:///{data_dir / 'orderwatch.sqlite3'}")
    database.upgrade()
    with database.session() as session:
        create_user(
            session,
            Actor.command_line("browser test"),
            username="dc.browser",
            role=Role.OFFICER,
            password=PASSWORD,
            full_name="DC Browser",
        )
    database.dispose()
    with serving(data_dir) as (base, _):
        yield base


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    yield from chromium_browser()


def test_log_in_create_a_person_with_an_order_and_see_them_on_the_caseload(
    browser: Any, live_server: str
) -> None:
    page = browser.new_page()
    page.set_default_timeout(15_000)
    page.goto(live_server + "/caseload")
    assert page.url.startswith(live_server + "/login")
    page.fill("#f-username", "dc.browser")
    page.fill("#f-password", PASSWORD)
    page.click("button:has-text('Log in')")
    page.wait_for_url(live_server + "/caseload")
    assert page.inner_text("h1") == "My caseload"
    assert "Nobody here." in page.inner_text("table.caseload")

    page.click("text=Add a person")
    page.fill("#f-reference", "BR-0001")
    page.fill("#f-date_of_birth", "1979-04-02")
    page.select_option("#f-risk_level", "high")
    page.click("button:has-text('Save')")  # the name is missing: the form comes back
    assert page.inner_text("#e-full_name") == "Name is required."
    assert page.input_value("#f-reference") == "BR-0001"
    assert page.input_value("#f-risk_level") == "high"
    page.fill("#f-full_name", "Sam Browserperson")
    page.click("button:has-text('Save')")
    page.wait_for_url("**/persons/*?done=person-created")
    assert "Person added." in page.inner_text(".flash")

    page.click("text=Add an order")
    page.select_option("#f-kind", "SHPO")
    page.fill("#f-court", "Example Crown Court")
    page.fill("#f-made", "2023-05-10")
    page.check("input[name='cond.declare_devices']")
    page.fill("#f-declare_devices\\.within_days", "3")
    page.check("input[name='cond.prohibited_words']")
    page.fill("#f-prohibited_words\\.words", "example-banned-word")
    page.click("button:has-text('Save the order')")
    page.wait_for_url("**/persons/*?done=order-saved")
    order = page.inner_text("#h-order + dl, section[aria-labelledby='h-order']")
    assert "Declare all devices" in order and "example-banned-word" in order

    page.click("nav >> text=My caseload")
    page.wait_for_url(live_server + "/caseload")
    row = page.locator("table.caseload tbody tr", has_text="BR-0001")
    assert row.count() == 1
    text = row.inner_text()
    assert "Sam Browserperson" in text and "high" in text and "SHPO" in text
    page.close()
