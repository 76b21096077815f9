"""What a board page was asked for: its filters, search words and page, already checked against
what the list offers (a value it does not know is dropped, never passed on)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from bot.core.config import Category, Department
from bot.core.paging import Page
from bot.domain.search import parse
from storage.models import CaseEvent


@dataclass(frozen=True)
class BoardQuery:
    state: str | None = None
    category: str | None = None
    department: str | None = None
    # As typed, for the search box; `terms` is what is searched for.
    text: str = ""
    terms: tuple[str, ...] = ()
    page: int = 0

    @classmethod
    def from_params(
        cls,
        params: Any,
        *,
        states: tuple[str, ...],
        categories: list[Category],
        departments: list[Department],
    ) -> BoardQuery:
        """`params`: the request's query (a mapping of strings)."""

        def one_of(name: str, allowed: set[str]) -> str | None:
            value = str(params.get(name, "")).strip()
            return value if value in allowed else None

        text = " ".join(str(params.get("q", "")).split())[:100]
        page = str(params.get("page", ""))
        return cls(
            state=one_of("state", set(states)),
            category=one_of("category", {c.code for c in categories}),
            department=one_of("department", {d.code for d in departments}),
            text=text,
            terms=parse(text).terms if text else (),
            page=max(0, min(int(page), 10_000) - 1) if page.isdigit() else 0,
        )

    def params(self, **changes: Any) -> dict[str, str]:
        """The query string of this query with `changes` (None removes one), for links."""
        values: dict[str, Any] = {
            "state": self.state,
            "category": self.category,
            "department": self.department,
            "q": self.text or None,
            "page": self.page + 1 if self.page else None,
        }
        values.update(changes)
        return {key: str(value) for key, value in values.items() if value not in (None, "")}


@dataclass(frozen=True)
class TimelineStep:
    at: datetime
    label: str
    state: str | None


def public_steps(
    events: Iterable[CaseEvent],
    *,
    states: tuple[str, ...],
    public_event: Mapping[str, str],
    state_label: Callable[[str], str],
) -> list[TimelineStep]:
    """A case's public events as steps, by what happened and when only: an event's text and
    actor can name a person (an officer, the student's own words), so neither is shown. An event
    without a public wording shows the state it led to, when it changed it."""
    steps = []
    for event in events:
        state = event.to_state if event.to_state in states else None
        label = public_event.get(event.action)
        if label is None and state is not None and event.from_state != state:
            label = state_label(state)
        if label is not None:
            steps.append(TimelineStep(at=event.created_at, label=label, state=state))
    return steps


@dataclass(frozen=True)
class Listing:
    """One page of a list: `items` as its template shows them."""

    items: list[Any]
    total: int
    page: int
    pages: int
    filters: dict[str, list[Any]] = field(default_factory=dict)

    @classmethod
    def of(cls, shown: Page[Any], filters: dict[str, list[Any]] | None = None) -> Listing:
        """The page `clamped_page` fetched, with the filters its list offers."""
        return cls(shown.items, shown.total, shown.page, shown.pages, filters or {})
