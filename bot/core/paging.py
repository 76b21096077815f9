"""Turning the pages of a list that may change between two presses of a page button."""

from __future__ import annotations

import math
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    total: int
    # Counted from 0; `pages` is at least 1, an empty list having one empty page.
    page: int
    pages: int


async def clamped_page(
    fetch: Callable[[int], Awaitable[tuple[list[T], int]]], page: int, size: int
) -> Page[T]:
    """Page `page` of what `fetch(page)` lists (its items and their total), `size` a page; past
    the end, because the list shrank since the page was drawn, its last page instead."""
    items, total = await fetch(page)
    pages = max(1, math.ceil(total / size))
    if page >= pages:
        page = pages - 1
        items, total = await fetch(page)
    return Page(items, total, page, pages)
