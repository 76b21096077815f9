"""本院诉求: a student representative lists the cases of their own college and follows them.

What a representative sees of a case is a summary — number, category, state, age, due time,
the first line of its text — and never who wrote it, anonymous or named: the product gives
representatives the cases of their college, not their classmates' identities. Sensitive
categories are not shown to representatives at all. The college is always the presser's
own, from the newest congress session's roster, checked again at every press.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.cases.queue import due_of
from bot.casework import authors
from bot.casework.college_watch import listed
from bot.core.callbacks import CollegeCB
from bot.core.config import College
from bot.core.context import Services
from bot.core.markup import Keyboard, as_dict
from bot.core.paging import clamped_page
from bot.domain.workflow import OPEN_STATES, STUDENT_KINDS, TransitionError
from storage.crud import cases as cases_crud
from storage.crud import representatives as crud
from storage.models import Case, Representative, User

PAGE_SIZE = 5


@dataclass(frozen=True)
class CollegePage:
    text: str
    markup: dict[str, Any] | None


async def representative(*, session: AsyncSession, user: User) -> Representative:
    """The user's roster entry now; refused for anyone else."""
    entry = await crud.current_entry(session=session, user_id=user.id)
    if entry is None:
        raise TransitionError("not_college_representative")
    return entry


def college_asked(services: Services, entry: Representative, asked: str) -> College:
    """The college a `/college …` asks for: only the representative's own."""
    own = services.org.college(entry.college_code)
    if own is None:  # the organisation file dropped the college since the roster was imported
        raise TransitionError("not_college_representative")
    wanted = asked.strip().casefold()
    if wanted and wanted not in {
        own.code.casefold(),
        own.name_zh.casefold(),
        own.name_en.casefold(),
    }:
        raise TransitionError("representative_other_college")
    return own


async def college_page(
    *,
    session: AsyncSession,
    services: Services,
    user: User,
    locale: str,
    page: int,
    asked: str = "",
) -> CollegePage:
    entry = await representative(session=session, user=user)
    college = college_asked(services, entry, asked)
    hidden = [c.code for c in services.org.categories if c.sensitive]

    async def fetch(page: int) -> tuple[list[Case], int]:
        return await crud.college_cases(
            session=session,
            college=college.code,
            kinds=list(STUDENT_KINDS),
            hidden_categories=hidden,
            limit=PAGE_SIZE,
            offset=page * PAGE_SIZE,
        )

    shown = await clamped_page(fetch, page, PAGE_SIZE)
    cases, total, page, pages = shown.items, shown.total, shown.page, shown.pages
    followed = await crud.followed_among(
        session=session, user_id=user.id, case_ids=[c.id for c in cases if c.id is not None]
    )
    now = services.now()
    items = []
    for case in cases:
        due = due_of(case) if case.state in OPEN_STATES else None
        items.append(
            {
                "case": case,
                "category": services.org.category(case.category_code),
                "age_days": (now - case.created_at).days,
                "due": due,
                "overdue": due is not None and due < now,
                "followed": case.id in followed,
                "own": authors.is_author(case, user.id, services.sealer),
            }
        )
    text = services.renderer.render(
        locale,
        "representative/college.html",
        college=college,
        items=items,
        total=total,
        page=page + 1,
        pages=pages,
    )
    return CollegePage(text, _buttons(services, locale, items, page, pages))


def _buttons(
    services: Services, locale: str, items: list[dict[str, Any]], page: int, pages: int
) -> dict[str, Any] | None:
    _ = services.renderer.translator(locale)
    kb = Keyboard()
    widths = []
    for item in items:
        if item["own"]:
            continue  # its author hears of it anyway
        case = item["case"]
        if item["followed"]:
            label, action = _("★ Following %(number)s"), "unfollow"
        else:
            label, action = _("☆ Follow %(number)s"), "follow"
        kb.button(
            text=label % {"number": case.number},
            callback_data=CollegeCB(action=action, case_id=case.id or 0, page=page),
        )
        widths.append(1)
    if pages > 1:
        if page > 0:
            kb.button(text="◀", callback_data=CollegeCB(action="page", page=page - 1))
        kb.button(text=f"{page + 1}/{pages}", callback_data=CollegeCB(action="page", page=page))
        if page + 1 < pages:
            kb.button(text="▶", callback_data=CollegeCB(action="page", page=page + 1))
        widths.append(3)
    if not widths:
        return None
    kb.adjust(*widths)
    return as_dict(kb)


async def set_following(
    *,
    session: AsyncSession,
    services: Services,
    user: User,
    case_id: int,
    following: bool,
) -> Case:
    """关注 / 取消关注 a case of the representative's own college that they may see."""
    entry = await representative(session=session, user=user)
    case = await cases_crud.get_case(session=session, case_id=case_id)
    if case is None or not listed(services, case):
        raise TransitionError("not_found")
    if case.college_code != entry.college_code:
        raise TransitionError("representative_other_college")
    if authors.is_author(case, user.id, services.sealer):
        # A follow row would tie them to it: of an anonymous case, that is its author's name.
        raise TransitionError("own_case")
    assert case.id is not None
    if following:
        await crud.follow(session=session, case_id=case.id, user_id=user.id)
    else:
        await crud.unfollow(session=session, case_id=case.id, user_id=user.id)
    return case
