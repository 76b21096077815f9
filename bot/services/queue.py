"""The officers' view of open work."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.context import Services
from bot.workflow import OPEN_STATES
from storage.crud import cases as cases_crud
from storage.models import Case

QUEUE_LIMIT = 40


def due_of(case: Case) -> datetime | None:
    return case.first_response_due_at if case.first_response_at is None else case.answer_due_at


async def queue_view(*, session: AsyncSession, services: Services) -> str:
    now = services.now()
    cases, total = await cases_crud.open_cases(
        session=session, states=sorted(OPEN_STATES), limit=QUEUE_LIMIT
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
            }
        )
    overdue = await cases_crud.count_overdue(session=session, states=sorted(OPEN_STATES), now=now)
    return services.renderer.render(
        services.group_locale,
        "group/queue.html",
        cases=items,
        total=total,
        overdue_count=overdue,
    )
