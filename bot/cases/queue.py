"""`/queue [mine|unassigned|overdue] [category:… college:…]` in an officers' chat: the open
cases of that chat, oldest first, ten a page, with buttons to switch the list and turn pages."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.cases import finder
from bot.cases.assignment import officer_name
from bot.casework.chats import college_of_chat
from bot.core.callbacks import QueueCB
from bot.core.context import Services
from bot.core.markup import Keyboard, as_dict
from bot.core.paging import clamped_page
from bot.domain import levels
from bot.domain.search import parse
from bot.domain.text import N_
from bot.domain.workflow import OPEN_STATES
from storage.crud import cases as cases_crud
from storage.crud import users as users_crud
from storage.crud.cases import QueueFilter
from storage.models import Case

PAGE_SIZE = 10
ALL, MINE, UNASSIGNED, OVERDUE = "a", "m", "u", "o"
# The words `/queue` takes for each list, in either language; the buttons' labels.
VIEW_WORDS = {
    "mine": MINE,
    "我的": MINE,
    "unassigned": UNASSIGNED,
    "未分配": UNASSIGNED,
    "overdue": OVERDUE,
    "超时": OVERDUE,
    "all": ALL,
    "全部": ALL,
}
VIEW_LABEL = {
    ALL: N_("All"),
    MINE: N_("Mine"),
    UNASSIGNED: N_("Unassigned"),
    OVERDUE: N_("Overdue"),
}


class CannotQueue(Exception):
    """The request names a list or a filter there is none of (`value`)."""

    def __init__(self, value: str) -> None:
        super().__init__(value)
        self.value = value


LEVEL_CODE = {levels.COLLEGE: "c", levels.UNIVERSITY: "u"}
LEVEL_OF_CODE = {code: level for level, code in LEVEL_CODE.items()}
LEVEL_KEYS = ("level", "级别", "层级")


@dataclass(frozen=True)
class QueueRequest:
    view: str = ALL
    category: str = ""
    college: str = ""
    page: int = 0
    level: str = ""


@dataclass(frozen=True)
class Listed:
    text: str
    markup: dict[str, Any]


def due_of(case: Case) -> datetime | None:
    return case.first_response_due_at if case.first_response_at is None else case.answer_due_at


def read_request(services: Services, text: str) -> QueueRequest:
    """What `/queue …` asks for; raises `CannotQueue` for a word or filter it cannot use.
    A filter names one category or college, by code or name; `level:college|university` the
    level (a filter of `/queue` only)."""
    level, rest = "", []
    for token in text.replace("：", ":").split():
        key, colon, value = token.partition(":")
        if colon and key.casefold() in LEVEL_KEYS:
            level = levels.level_filter(value) or ""
            if not level:
                raise CannotQueue(token)
            continue
        rest.append(token)
    request = parse(" ".join(rest))
    view = ALL
    for word in request.terms:
        if word.casefold() not in VIEW_WORDS:
            raise CannotQueue(word)
        view = VIEW_WORDS[word.casefold()]
    if request.unknown:
        raise CannotQueue(request.unknown[0])
    codes: dict[str, str] = {}
    for key, value in request.filters.items():
        found = finder.codes_named(services, key, value) if key != "state" else []
        if len(found) != 1:
            raise CannotQueue(value)
        codes[key] = found[0]
    return QueueRequest(view, codes.get("category", ""), codes.get("college", ""), level=level)


def from_button(services: Services, data: QueueCB) -> QueueRequest:
    """A page button's request; `CannotQueue` when it names what no longer exists."""
    view, level = data.view[:1], data.view[1:]
    if view not in VIEW_LABEL:
        raise CannotQueue(data.view)
    org = services.org
    if data.category and org.category(data.category) is None:
        raise CannotQueue(data.category)
    if data.college and org.college(data.college) is None:
        raise CannotQueue(data.college)
    if level and level not in LEVEL_OF_CODE:
        raise CannotQueue(data.view)
    return QueueRequest(
        view, data.category, data.college, max(0, data.page), LEVEL_OF_CODE.get(level, "")
    )


async def queue_view(
    *,
    session: AsyncSession,
    services: Services,
    chat_id: int,
    viewer_id: int,
    request: QueueRequest,
) -> Listed:
    """A page of the open cases of the officers' chat `chat_id` that `request` lists; "mine"
    is `viewer_id`'s (whoever asks, or presses)."""
    now = services.now()
    scope = await finder.chat_scope(session=session, services=services, chat_id=chat_id)
    colleges = [request.college] if request.college else None
    level = request.level or None
    union = await college_of_chat(session=session, chat_id=chat_id)
    if union is not None:
        # A college union's chat lists its college's cases, those it holds unless asked for
        # the escalated ones; never a sensitive category's.
        scope = ([c.code for c in services.org.categories if c.sensitive], True)
        colleges = [union] if request.college in ("", union) else []
        level = level or levels.COLLEGE
    categories, exclude = finder.narrow(scope, [request.category] if request.category else None)
    chat = QueueFilter(
        states=sorted(OPEN_STATES),
        categories=categories,
        exclude=exclude,
        colleges=colleges,
        level=level,
    )
    view = request.view
    wanted = replace(
        chat,
        assignee=viewer_id if view == MINE else None,
        unassigned=view == UNASSIGNED,
        overdue_at=now if view == OVERDUE else None,
    )

    async def fetch(page: int) -> tuple[list[Case], int]:
        return await cases_crud.open_cases(
            session=session, wanted=wanted, limit=PAGE_SIZE, offset=page * PAGE_SIZE
        )

    found = await clamped_page(fetch, request.page, PAGE_SIZE)
    cases, total, page, pages = found.items, found.total, found.page, found.pages
    names = await _assignees(session, cases)
    items = []
    for case in cases:
        due = due_of(case)
        items.append(
            {
                "case": case,
                "category": services.org.category(case.category_code),
                "overdue": due is not None and due < now,
                "age_days": (now - case.created_at).days,
                "due": due,
                "assignee": names.get(case.assignee_id or 0),
            }
        )
    overdue = await cases_crud.count_overdue(session=session, wanted=wanted, now=now)
    text = services.renderer.render(
        services.group_locale,
        "group/queue.html",
        cases=items,
        total=total,
        overdue_count=overdue,
        view=VIEW_LABEL[view] if view != ALL else None,
        category=services.org.category(request.category) if request.category else None,
        college=services.org.college(request.college) if request.college else None,
        level=request.level or None,
        page=page + 1,
        pages=pages,
        first=page * PAGE_SIZE + 1,
    )
    shown = replace(request, page=page)
    return Listed(text, _buttons(services, shown, pages))


async def _assignees(session: AsyncSession, cases: list[Case]) -> dict[int, str]:
    names: dict[int, str] = {}
    for officer_id in {c.assignee_id for c in cases if c.assignee_id is not None}:
        user = await users_crud.get_user(session=session, user_id=officer_id)
        names[officer_id] = officer_name(user) if user is not None else f"#{officer_id}"
    return names


def _buttons(services: Services, shown: QueueRequest, pages: int) -> dict[str, Any]:
    """The lists (the one shown marked), then ◀ page ▶ when there is more than one page;
    each keeps the category and college filters."""
    _ = services.renderer.translator(services.group_locale)
    kb = Keyboard()
    for view, label in VIEW_LABEL.items():
        mark = "• " if view == shown.view else ""
        kb.button(
            text=mark + _(label),
            callback_data=QueueCB(
                view=view + LEVEL_CODE.get(shown.level, ""),
                category=shown.category,
                college=shown.college,
            ),
        )
    widths = [len(VIEW_LABEL)]
    if pages > 1:
        page = shown.page

        def to(target: int) -> QueueCB:
            return QueueCB(
                view=shown.view + LEVEL_CODE.get(shown.level, ""),
                category=shown.category,
                college=shown.college,
                page=target,
            )

        if page > 0:
            kb.button(text="◀", callback_data=to(page - 1))
        kb.button(text=f"{page + 1}/{pages}", callback_data=to(page))
        if page + 1 < pages:
            kb.button(text="▶", callback_data=to(page + 1))
        widths.append(3)
    kb.adjust(*widths)
    return as_dict(kb)
