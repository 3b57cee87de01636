"""End to end in a real browser (Debian Chromium driven by Playwright), marked ``browser``.

Search → cards within the asked price range → 👎 → the feedback row is in SQLite → the
analytics tab's counts moved. Screenshots go to ``test-artifacts/``.
"""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import pytest

from tests.ui.conftest import Server

pytestmark = pytest.mark.browser
CHROMIUM = os.environ.get("AISLE_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"]


@pytest.fixture
def page(server: Server):
    if not Path(CHROMIUM).exists() or shutil.which(CHROMIUM) is None:
        pytest.skip(f"!!! BROWSER TEST SKIPPED: no Chromium at {CHROMIUM} (apt-get install chromium, or set AISLE_CHROMIUM) !!!")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("!!! BROWSER TEST SKIPPED: python playwright is not installed (pip install -e '.[test]') !!!")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        pg = browser.new_page(viewport={"width": 1300, "height": 950})
        pg.set_default_timeout(60_000)
        pg.goto(server.url, wait_until="domcontentloaded")
        pg.wait_for_selector("#aisle-input textarea")
        yield pg
        browser.close()


def kpi(page, name: str) -> str:
    return page.locator(f'#aisle-kpis [data-kpi="{name}"] b').inner_text()


def send(page, text: str, double: bool = False) -> None:
    page.locator("#aisle-input textarea").fill(text)
    if double:
        page.locator("#aisle-send").dblclick()
    else:
        page.locator("#aisle-send").click()


def test_search_rate_and_see_it_in_analytics(page, server: Server) -> None:
    db = server.agent.db
    ARTIFACTS.mkdir(exist_ok=True)
    page.get_by_role("tab", name="Analytics").click()
    page.locator('#aisle-kpis [data-kpi="conversations"]').wait_for()
    before_conv = int(kpi(page, "conversations"))
    before_down = int(kpi(page, "thumbs up / down").split("/")[1])

    page.get_by_role("tab", name="Chat").click()
    send(page, "red women's sandals under 500")
    page.wait_for_selector("#aisle-cards .aisle-card")
    cards = page.locator("#aisle-cards .aisle-card")
    prices = [float(cards.nth(i).get_attribute("data-price")) for i in range(cards.count())]
    assert prices and all(p <= 500 for p in prices)
    page.screenshot(path=str(ARTIFACTS / "browser-chat.png"), full_page=True)

    feedback_before = db.query("SELECT COUNT(*) AS n FROM feedback WHERE rating = -1")[0]["n"]
    page.locator("#aisle-chatbot button[aria-label='Dislike']").last.click()
    deadline = time.time() + 20
    while time.time() < deadline and db.query("SELECT COUNT(*) AS n FROM feedback WHERE rating = -1")[0]["n"] == feedback_before:
        time.sleep(0.2)
    assert db.query("SELECT COUNT(*) AS n FROM feedback WHERE rating = -1")[0]["n"] == feedback_before + 1

    page.get_by_role("tab", name="Analytics").click()
    page.locator("#aisle-refresh").click()
    deadline = time.time() + 20
    while time.time() < deadline and int(kpi(page, "thumbs up / down").split("/")[1]) == before_down:
        time.sleep(0.2)
    assert int(kpi(page, "thumbs up / down").split("/")[1]) == before_down + 1
    assert int(kpi(page, "conversations")) >= before_conv + 1
    page.screenshot(path=str(ARTIFACTS / "browser-analytics.png"), full_page=True)


def test_double_click_send_stores_one_turn(page, server: Server) -> None:
    text = "steel water bottle under 800"
    count = lambda: server.agent.db.query("SELECT COUNT(*) AS n FROM turns WHERE user_text = ?", (text,))[0]["n"]
    before = count()
    send(page, text, double=True)
    page.wait_for_selector("#aisle-cards .aisle-card")
    time.sleep(1.5)
    assert count() == before + 1
