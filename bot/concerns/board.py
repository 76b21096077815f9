"""/board: the published grievances and suggestions, newest or most supported, by category or
searched in their public wording. The registered proposals keep their own list (/proposals),
which the board points to."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.publication import CLOSED_TO_SUPPORT
from storage.crud import concerns as crud
from storage.models import Case, CasePublication

PAGE = 5


@dataclass(frozen=True)
class BoardItem:
    case: Case
    publication: CasePublication
    supports: int


@dataclass(frozen=True)
class BoardPage:
    items: list[BoardItem]
    total: int
    page: int
    order: str
    category: str
    words: str

    @property
    def has_next(self) -> bool:
        return (self.page + 1) * PAGE < self.total


async def board_page(
    *,
    session: AsyncSession,
    page: int = 0,
    order: str = "n",
    category: str = "",
    words: str = "",
) -> BoardPage:
    order = order if order in ("n", "t") else "n"
    rows, total = await crud.published(
        session=session,
        order="top" if order == "t" else "new",
        category=category or None,
        words=words or None,
        hidden_states=tuple(CLOSED_TO_SUPPORT),
        limit=PAGE,
        offset=max(page, 0) * PAGE,
    )
    items = [BoardItem(case, publication, n) for case, publication, n in rows]
    return BoardPage(items, total, max(page, 0), order, category, words)
