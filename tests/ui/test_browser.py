"""End to end in a real browser (Debian Chromium driven by Playwright), marked ``browser``.

The shopper searches → cards within the asked price range → 👎 → the feedback row is in
SQLite; a staff member logs into the console (another browser context, its own cookies) and
sees the analytics move. Screenshots go to ``test-artifacts/``.
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.ui.conftest import STAFF_PASSWORD, Server

pytestmark = pytest.mark.browser
CHROMIUM = os.environ.get("AISLE_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture
def web(store_agent) -> Iterator[Server]:
    server = Server(store_agent)
    server.add_staff("ann")
    yield server
    server.close()


@pytest.fixture
def browser():
    if not Path(CHROMIUM).exists() or shutil.which(CHROMIUM) is None:
        pytest.skip(f"!!! BROWSER TEST SKIPPED: no Chromium at {CHROMIUM} (apt-get install chromium, or set AISLE_CHROMIUM) !!!")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("!!! BROWSER TEST SKIPPED: python playwright is not installed (pip install -e '.[test]') !!!")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield b
        b.close()


def _page(browser, url: str):
    pg = browser.new_context(viewport={"width": 1300, "height": 950}).new_page()
    pg.set_default_timeout(60_000)
    pg.goto(url, wait_until="domcontentloaded")
    return pg


@pytest.fixture
def page(browser, web: Server):
    pg = _page(browser, web.url)
    pg.wait_for_selector("#aisle-input textarea")
    return pg


def _console(browser, web: Server, password: str = STAFF_PASSWORD):
    pg = _page(browser, f"{web.url}/staff/")
    assert pg.url.endswith("/staff/login")  # the console sends a stranger to its login page
    pg.fill("#username", "ann")
    pg.fill("#password", password)
    pg.click("#login")
    return pg


def kpi(page, name: str) -> str:
    return page.locator(f'#aisle-kpis [data-kpi="{name}"] b').inner_text()


def send(page, text: str, double: bool = False) -> None:
    page.locator("#aisle-input textarea").fill(text)
    if double:
        page.locator("#aisle-send").dblclick()
    else:
        page.locator("#aisle-send").click()


def test_search_rate_and_see_it_in_the_staff_console(browser, page, web: Server) -> None:
    db = web.agent.db
    ARTIFACTS.mkdir(exist_ok=True)
    staff = _console(browser, web)
    staff.locator('#aisle-kpis [data-kpi="conversations"]').wait_for()
    assert staff.locator("#aisle-staff-user").inner_text() == "ann"
    before_conv = int(kpi(staff, "conversations"))
    before_down = int(kpi(staff, "thumbs up / down").split("/")[1])

    send(page, "red women's sandals under 500")
    page.wait_for_selector("#aisle-cards .aisle-card")
    cards = page.locator("#aisle-cards .aisle-card")
    prices = [float(cards.nth(i).get_attribute("data-price")) for i in range(cards.count())]
    assert prices and all(p <= 500 for p in prices)
    page.screenshot(path=str(ARTIFACTS / "browser-chat.png"), full_page=True)
    assert "Analytics" not in page.content() and "Handoff queue" not in page.content()  # the shopper sees no staff tab

    feedback_before = db.query("SELECT COUNT(*) AS n FROM feedback WHERE rating = -1")[0]["n"]
    page.locator("#aisle-chatbot button[aria-label='Dislike']").last.click()
    deadline = time.time() + 20
    while time.time() < deadline and db.query("SELECT COUNT(*) AS n FROM feedback WHERE rating = -1")[0]["n"] == feedback_before:
        time.sleep(0.2)
    assert db.query("SELECT COUNT(*) AS n FROM feedback WHERE rating = -1")[0]["n"] == feedback_before + 1

    staff.locator("#aisle-refresh").click()
    deadline = time.time() + 20
    while time.time() < deadline and int(kpi(staff, "thumbs up / down").split("/")[1]) == before_down:
        time.sleep(0.2)
    assert int(kpi(staff, "thumbs up / down").split("/")[1]) == before_down + 1
    assert int(kpi(staff, "conversations")) >= before_conv + 1
    staff.screenshot(path=str(ARTIFACTS / "browser-console.png"), full_page=True)
    staff.click("#aisle-logout")
    staff.wait_for_url("**/staff/login")


def test_a_wrong_password_keeps_the_console_closed(browser, web: Server) -> None:
    staff = _console(browser, web, password="not the password")
    staff.wait_for_selector("#login-error")
    assert "/staff/login" in staff.url and staff.locator("#aisle-kpis").count() == 0


def test_double_click_send_stores_one_turn(page, web: Server) -> None:
    text = "steel water bottle under 800"
    count = lambda: web.agent.db.query("SELECT COUNT(*) AS n FROM turns WHERE user_text = ?", (text,))[0]["n"]
    before = count()
    send(page, text, double=True)
    page.wait_for_selector("#aisle-cards .aisle-card")
    time.sleep(1.5)
    assert count() == before + 1


def test_reload_keeps_and_new_conversation_replaces_the_session(page, web: Server) -> None:
    send(page, "coffee mug")
    page.wait_for_selector("#aisle-cards .aisle-card")
    cookie = next(c["value"] for c in page.context.cookies() if c["name"] == "aisle_shopper")
    page.reload()
    page.wait_for_selector("#aisle-chatbot >> text=coffee mug")  # the conversation is restored from the server
    page.click("#aisle-new")
    page.wait_for_selector("#aisle-input textarea")
    fresh = next(c["value"] for c in page.context.cookies() if c["name"] == "aisle_shopper")
    assert fresh != cookie
