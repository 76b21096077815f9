"""`clamped_page`: a page button pressed after the list shrank shows its last page."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from bot.core.paging import clamped_page


def _listing(
    total: int, size: int, asked: list[int]
) -> Callable[[int], Awaitable[tuple[list[int], int]]]:
    async def fetch(page: int) -> tuple[list[int], int]:
        asked.append(page)
        return list(range(total))[page * size : (page + 1) * size], total

    return fetch


async def test_a_page_within_the_list_is_fetched_once() -> None:
    asked: list[int] = []
    shown = await clamped_page(_listing(25, 10, asked), 1, 10)
    assert (shown.items, shown.total, shown.page, shown.pages) == (list(range(10, 20)), 25, 1, 3)
    assert asked == [1]


async def test_a_page_past_the_end_becomes_the_last_page() -> None:
    asked: list[int] = []
    shown = await clamped_page(_listing(12, 10, asked), 4, 10)
    assert (shown.items, shown.page, shown.pages) == ([10, 11], 1, 2)
    assert asked == [4, 1]


async def test_an_empty_list_has_one_empty_page() -> None:
    asked: list[int] = []
    shown = await clamped_page(_listing(0, 10, asked), 2, 10)
    assert (shown.items, shown.total, shown.page, shown.pages) == ([], 0, 0, 1)
