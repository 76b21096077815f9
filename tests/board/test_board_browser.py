"""The public board in a real browser: Debian's chromium, headless, driven by Playwright (never
a downloaded browser). The page loads, a filter and a search narrow the list, a proposal
opens, the public concerns are filtered and one opened, a town hall's questions are ranked,
nothing personal is in any page's DOM, and the main page looks like something (a
screenshot, kept for the README when BOARD_SCREENSHOT names where)."""

from __future__ import annotations

import os
import shutil
import struct
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import Page, async_playwright

from tests.support import board_lists_helpers as lists
from tests.support.board_helpers import (
    ANSWER,
    LIBRARY_TITLE,
    PERSONAL,
    seed_board,
    serving_board,
)
from tests.support.officer_helpers import OfficerHarness

CHROMIUM = Path("/usr/bin/chromium")
# What works on a CI container: no sandbox (root), no GPU, nothing fetched in the background.
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PHONE = {"width": 390, "height": 844}

pytestmark = [
    pytest.mark.harness(board_enabled=True),
    # The pages' queries are tested on both databases without a browser; one is enough here.
    pytest.mark.parametrize("database_url", ["sqlite"], indirect=True),
]


@pytest.fixture
def chromium() -> Path:
    if not CHROMIUM.exists():
        if os.environ.get("CI") == "true":
            pytest.fail("CI=true but /usr/bin/chromium is missing: .ci/run installs it")
        pytest.skip("no /usr/bin/chromium: `apt-get install -y chromium` to run the browser test")
    return CHROMIUM


@pytest.fixture
async def browser_page(chromium: Path, tmp_path: Path) -> AsyncIterator[Page]:
    async with async_playwright() as playwright:
        # A fresh profile each time: nothing cached from another run.
        context = await playwright.chromium.launch_persistent_context(
            str(tmp_path / "profile"),
            executable_path=str(chromium),
            headless=True,
            args=FLAGS,
            viewport=PHONE,
            locale="zh-CN",
        )
        context.set_default_timeout(20_000)
        try:
            yield context.pages[0] if context.pages else await context.new_page()
        finally:
            await context.close()


def assert_impersonal(html: str) -> None:
    for secret in PERSONAL:
        assert secret not in html, secret


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR", "not a PNG"
    width, height = struct.unpack(">II", data[16:24])
    return int(width), int(height)


async def numbers(page: Page) -> list[str]:
    cards = page.locator("li.card")
    return [
        str(await cards.nth(i).get_attribute("data-number")) for i in range(await cards.count())
    ]


async def test_the_board_in_a_browser(
    harness: OfficerHarness, browser_page: Page, tmp_path: Path
) -> None:
    seeded = await seed_board(harness)
    page = browser_page
    async with serving_board(harness) as base:
        response = await page.goto(f"{base}/board")
        assert response is not None and response.status == 200
        assert "学生之声公示栏" in await page.title()
        assert sorted(await numbers(page)) == sorted([seeded.library, seeded.canteen])
        assert_impersonal(await page.content())

        shot = tmp_path / "board.png"
        await page.screenshot(path=str(shot), full_page=True)
        data = shot.read_bytes()
        width, height = png_size(data)
        assert width >= PHONE["width"] and height >= 400 and len(data) > 10_000
        if target := os.environ.get("BOARD_SCREENSHOT"):
            shutil.copyfile(shot, target)

        # A filter, chosen as a reader does, and submitted with the form's button.
        await page.select_option("select[name=category]", "logistics")
        await page.click("form.filters button")
        await page.wait_for_url("**category=logistics**")
        assert await numbers(page) == [seeded.canteen]
        assert_impersonal(await page.content())

        # A search, the filter set back to every category.
        await page.select_option("select[name=category]", "")
        await page.fill("input[name=q]", "考试周开放")
        await page.click("form.filters button")
        await page.wait_for_url("**q=**")
        assert await numbers(page) == [seeded.library]

        # The proposal itself, then the same in English through the language link.
        await page.click("li.card a")
        await page.wait_for_url(f"**/board/proposals/{seeded.library}")
        html = await page.content()
        assert LIBRARY_TITLE in html and ANSWER in html
        assert_impersonal(html)
        await page.click("a.lang")
        await page.wait_for_url("**lang=en**")
        html = await page.content()
        assert "Timeline" in html and LIBRARY_TITLE in html
        assert_impersonal(html)


async def test_the_concerns_and_a_town_hall_in_a_browser(
    harness: OfficerHarness, browser_page: Page
) -> None:
    seeded = await lists.seed_lists(harness)
    page = browser_page

    async def impersonal() -> None:
        html = await page.content()
        for secret in lists.PERSONAL:
            assert secret not in html, secret

    async with serving_board(harness) as base:
        await page.goto(f"{base}/board")
        # From the main page to the concerns through the navigation.
        await page.click("nav a[href$='/board/concerns']")
        await page.wait_for_url("**/board/concerns")
        assert await numbers(page) == [seeded.rice, seeded.vending]
        await impersonal()

        await page.select_option("select[name=category]", "dormitory")
        await page.click("form.filters button")
        await page.wait_for_url("**category=dormitory**")
        assert await numbers(page) == [seeded.vending]
        await impersonal()

        await page.click("li.card a")
        await page.wait_for_url(f"**/board/concerns/{seeded.vending}")
        html = await page.content()
        assert lists.VENDING_PUBLIC in html and lists.CONCERN_ANSWER in html
        await impersonal()

        await page.click("nav a[href$='/board/townhalls']")
        await page.wait_for_url("**/board/townhalls")
        assert await numbers(page) == [str(seeded.town_hall)]
        await page.click("li.card a")
        await page.wait_for_url(f"**/board/townhalls/{seeded.town_hall}")
        questions = await page.locator("li.question .question-text").all_inner_texts()
        assert questions == list(lists.QUESTIONS)
        assert lists.LEADER in await page.content()
        await impersonal()
