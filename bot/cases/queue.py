"""The officers' view of open work."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.context import Services
from bot.domain.chats import OFFICERS, SENSITIVE
from bot.domain.workflow import OPEN_STATES
from storage.crud import cases as cases_crud
from storage.crud import users as users_crud
from storage.models import Case

QUEUE_LIMIT = 40


def due_of(case: Case) -> datetime | None:
    return case.first_response_due_at if case.first_response_at is None else case.answer_due_at


async def _scope(
    session: AsyncSession, services: Services, chat_id: int | None
) -> tuple[list[str] | None, bool]:
    """The categories a chat's queue covers, as (categories, exclude).

    Sensitive cases are kept out of the main chat for a reason: its queue does not list them
    when they have a chat of their own, and that chat's queue lists only them.
    """
    sensitive_codes = [c.code for c in services.org.categories if c.sensitive]
    sensitive = await users_crud.get_binding(session=session, purpose=SENSITIVE)
    officers = await users_crud.get_binding(session=session, purpose=OFFICERS)
    if chat_id is None or sensitive is None or not sensitive_codes:
        return None, False
    if officers is not None and officers.chat_id == sensitive.chat_id:
        return None, False
    return sensitive_codes, chat_id != sensitive.chat_id


async def queue_view(
    *, session: AsyncSession, services: Services, chat_id: int | None = None
) -> str:
    """Open cases, oldest first, of the chat asking (`chat_id`), or of all chats."""
    now = services.now()
    categories, exclude = await _scope(session, services, chat_id)
    cases, total = await cases_crud.open_cases(
        session=session,
        states=sorted(OPEN_STATES),
        limit=QUEUE_LIMIT,
        categories=categories,
        exclude=exclude,
    )
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
            }
        )
    overdue = await cases_crud.count_overdue(
        session=session,
        states=sorted(OPEN_STATES),
        now=now,
        categories=categories,
        exclude=exclude,
    )
    return services.renderer.render(
        services.group_locale,
        "group/queue.html",
        cases=items,
        total=total,
        overdue_count=overdue,
    )
