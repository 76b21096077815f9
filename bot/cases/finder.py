"""`/find <words> [state:… category:… college:… level:…]` in an officers' chat: the cases of
that chat whose text holds every word, newest first, ten a page."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.casework.chats import college_of_chat
from bot.core.callbacks import FindCB
from bot.core.context import Services
from bot.core.i18n import LOCALES
from bot.core.markup import Keyboard, as_dict
from bot.core.paging import clamped_page
from bot.domain import labels, levels
from bot.domain.chats import OFFICERS, SENSITIVE
from bot.domain.search import SearchRequest, parse
from bot.domain.workflow import UNSUBMITTED, State
from storage.crud import search as search_crud
from storage.crud import users as users_crud

PAGE_SIZE = 10
EXCERPT = 60
# A proposal still being written is its proposer's; every other state can be looked for.
SEARCHABLE: list[str] = sorted(set(State) - UNSUBMITTED)


class CannotSearch(Exception):
    """The request cannot be searched for: `reason` is "empty", "punctuation" or
    "unknown_filter" (then `value` is the filter not understood)."""

    def __init__(self, reason: str, value: str = "") -> None:
        super().__init__(reason)
        self.reason, self.value = reason, value


@dataclass(frozen=True)
class Found:
    text: str
    markup: dict[str, Any] | None


async def find_view(
    *, session: AsyncSession, services: Services, chat_id: int, query: str, page: int = 0
) -> Found:
    """One page of what `query` finds among the cases of the officers' chat `chat_id`."""
    request = parse(query)
    if request.unknown:
        raise CannotSearch("unknown_filter", request.unknown[0])
    if request.only_punctuation:
        raise CannotSearch("punctuation")
    if request.empty:
        raise CannotSearch("empty")
    states, categories, colleges = _filters(services, request)
    level = _level(request)
    chat = await chat_scope(session=session, services=services, chat_id=chat_id)
    union = await college_of_chat(session=session, chat_id=chat_id)
    if union is not None:
        # A college union's chat finds its own college's cases, never a sensitive one.
        chat = ([c.code for c in services.org.categories if c.sensitive], True)
        colleges = [union] if colleges is None or union in colleges else []
    scope, exclude = narrow(chat, categories)

    async def load(page: int) -> tuple[list[Any], int]:
        return await search_crud.search_cases(
            session=session,
            terms=request.terms,
            states=states,
            categories=scope,
            exclude_categories=exclude,
            colleges=colleges,
            level=level,
            limit=PAGE_SIZE,
            offset=page * PAGE_SIZE,
        )

    shown = await clamped_page(load, page, PAGE_SIZE)
    cases, total, page, pages = shown.items, shown.total, shown.page, shown.pages
    org = services.org
    items = [
        {
            "case": case,
            "category": org.category(case.category_code),
            "excerpt": excerpt(case.text, request.terms),
        }
        for case in cases
    ]
    text = services.renderer.render(
        services.group_locale,
        "group/find_results.html",
        terms=request.terms,
        filters=request.filters,
        items=items,
        total=total,
        page=page + 1,
        pages=pages,
        first=page * PAGE_SIZE + 1,
    )
    return Found(text, _pager(page, pages))


def _pager(page: int, pages: int) -> dict[str, Any] | None:
    if pages <= 1:
        return None
    kb = Keyboard()
    if page > 0:
        kb.button(text="◀", callback_data=FindCB(page=page - 1))
    kb.button(text=f"{page + 1}/{pages}", callback_data=FindCB(page=page))
    if page + 1 < pages:
        kb.button(text="▶", callback_data=FindCB(page=page + 1))
    return as_dict(kb)


def _filters(
    services: Services, request: SearchRequest
) -> tuple[list[str], list[str] | None, list[str] | None]:
    """The states, categories and colleges the filters name; raises `CannotSearch` for a value
    that names none. A value is a code or a name in either language."""
    states: list[str] = SEARCHABLE
    categories = colleges = None
    renderer = services.renderer
    for key, value in request.filters.items():
        wanted = value.casefold()
        if key == "level":
            continue  # `_level`
        if key == "state":
            named = {
                s: {s, *(renderer.gettext(loc, labels.STATE[State(s)]) for loc in LOCALES)}
                for s in SEARCHABLE
            }
            states = [s for s, names in named.items() if wanted in _folded(names)]
            found: Sequence[str] = states
        else:
            found = codes_named(services, key, value)
            if key == "category":
                categories = list(found)
            else:
                colleges = list(found)
        if not found:
            raise CannotSearch("unknown_filter", value)
    return states, categories, colleges


def _level(request: SearchRequest) -> str | None:
    """The level (校院两级) a `level:` filter names, None without one; raises `CannotSearch`
    for a word that names none."""
    value = request.filters.get("level")
    if value is None:
        return None
    level = levels.level_filter(value)
    if level is None:
        raise CannotSearch("unknown_filter", value)
    return level


def codes_named(services: Services, key: str, value: str) -> list[str]:
    """The categories (`key` "category") or colleges ("college") a filter's value names: by
    code, or by name in either language."""
    wanted = value.casefold()
    org = services.org
    items = org.categories if key == "category" else org.colleges
    return [i.code for i in items if wanted in _folded({i.code, i.name_zh, i.name_en})]


def narrow(
    scope: tuple[list[str] | None, bool], categories: list[str] | None
) -> tuple[list[str] | None, bool]:
    """The chat's categories (as `chat_scope` gives them) narrowed to those a filter names."""
    chat_categories, exclude = scope
    if categories is None:
        return scope
    if chat_categories is None:
        return categories, False
    return [c for c in categories if (c in chat_categories) != exclude], False


def _folded(names: set[str]) -> set[str]:
    return {name.casefold() for name in names}


async def chat_scope(
    *, session: AsyncSession, services: Services, chat_id: int
) -> tuple[list[str] | None, bool]:
    """The categories whose cases belong to the chat, as (categories, exclude) — as
    `bot.casework.chats.binding_for` routes them: the sensitive categories to the sensitive
    chat when one is bound, everything else to the officers' chat."""
    sensitive_codes = [c.code for c in services.org.categories if c.sensitive]
    sensitive = await users_crud.get_binding(session=session, purpose=SENSITIVE)
    if sensitive is None or not sensitive_codes:
        return None, False
    officers = await users_crud.get_binding(session=session, purpose=OFFICERS)
    if officers is not None and officers.chat_id == sensitive.chat_id:
        return None, False
    return sensitive_codes, chat_id != sensitive.chat_id


def excerpt(text: str, terms: Sequence[str], width: int = EXCERPT) -> str:
    """A line of the text around the first word found (its start when none is)."""
    flat = " ".join(text.split())
    folded = flat.casefold()
    hits = [i for i in (folded.find(t.casefold()) for t in terms) if i >= 0]
    start = max(0, min(hits) - width // 3) if hits else 0
    piece = flat[start : start + width]
    return ("…" if start else "") + piece + ("…" if start + width < len(flat) else "")
