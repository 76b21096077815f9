"""The daily deadline reminder: one message in the officers' chat, one to each liaison.

On working days only, once per day (claimed like the digest, so a restart or a second instance
does not repeat it), from the configured time on: a bot started at 11:00 still reminds that
day. When nothing is overdue or due today, nothing is sent.
"""

from __future__ import annotations

import logging
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.casework.chats import college_binding
from bot.casework.deadlines import calendar_of
from bot.core.context import Services
from bot.delivery import notify
from bot.domain import levels
from bot.domain.chats import OFFICERS, SENSITIVE
from bot.domain.text import N_
from storage.crud import deadlines as deadlines_crud
from storage.crud import outbox as outbox_crud
from storage.crud import runs as runs_crud
from storage.crud import users as users_crud
from storage.crud.deadlines import DueCase
from storage.models import OutboxMessage

log = logging.getLogger(__name__)

JOB = "reminders"
LIMIT = 40
OFFICERS_TEMPLATE = "reminders/officers.html"
LIAISON_TEMPLATE = "reminders/liaison.html"


def due_now(services: Services, now: datetime) -> date | None:
    """The day whose reminder is due at `now`, if any: a working day, past the reminder time."""
    local = now.astimezone(services.renderer.tz)
    if not calendar_of(services).is_working_day(local.date()):
        return None
    if local.time() < services.settings.reminder_time:
        return None
    return local.date()


async def send_reminders(
    *,
    session_factory: async_sessionmaker[AsyncSession],
    services: Services,
    now: datetime,
) -> int | None:
    """Messages queued (0 when nothing is due); None when no reminder was due or it was done."""
    day = due_now(services, now)
    if day is None:
        return None
    async with session_factory() as session:
        if await runs_crud.is_claimed(session=session, job=JOB, period=day.isoformat()):
            return None
    tz = services.renderer.tz
    scheduled = datetime.combine(day, services.settings.reminder_time, tz)
    end_of_day = calendar_of(services).day_start(day + timedelta(days=1))
    try:
        async with session_factory.begin() as session:
            run = await runs_crud.claim(
                session=session,
                job=JOB,
                period=day.isoformat(),
                scheduled_for=scheduled,
                claimed_at=now,
                late=now - scheduled > timedelta(minutes=10),
            )
            rows = await officer_rows(session=session, services=services, now=now, until=end_of_day)
            rows += await liaison_rows(
                session=session, services=services, now=now, until=end_of_day
            )
            run.sent = len(rows)
            await outbox_crud.enqueue(session=session, messages=rows)
    except IntegrityError:
        return None
    if rows:
        log.info("deadline reminders for %s: %s messages", day, len(rows))
    return len(rows)


def _items(services: Services, locale: str, cases: list[DueCase], now: datetime) -> list[Any]:
    renderer, org = services.renderer, services.org
    _ = renderer.translator(locale)
    items = []
    for case in cases:
        if case.owing and case.state in deadlines_crud.HELD_BY_DEPARTMENT:
            names = [renderer.name_of(org.department(code), locale) for code in case.owing]
            holder = (", " if locale == "en" else "、").join(names)
        elif case.department_code and case.state in deadlines_crud.HELD_BY_DEPARTMENT:
            holder = renderer.name_of(org.department(case.department_code), locale)
        elif case.state == "submitted":
            holder = _("not yet accepted")
        else:
            holder = case.actor_name or _("Rights department")
        category = org.category(case.category_code)
        items.append(
            {
                "number": case.number,
                "category": renderer.name_of(category, locale) if category else case.category_code,
                "age_days": max(0, (now - case.created_at) // timedelta(days=1)),
                "holder": holder,
                "assignee_id": case.assignee_id,
                "assignee": case.assignee_name
                or (f"#{case.assignee_id}" if case.assignee_id else ""),
                "due": case.due_at,
                "overdue": case.due_at < now,
                "late": _late(renderer, locale, now - case.due_at),
            }
        )
    return items


def _late(renderer: Any, locale: str, delta: timedelta) -> str:
    if delta < timedelta(days=1):
        hours = max(1, int(delta.total_seconds() // 3600))
        return str(renderer.gettext(locale, N_("%(n)s h"), n=hours))
    return str(renderer.gettext(locale, N_("%(n)s d"), n=delta.days))


async def officer_rows(
    *, session: AsyncSession, services: Services, now: datetime, until: datetime
) -> list[OutboxMessage]:
    """One batched message per officers' chat: sensitive categories go to their own chat, a
    case a college union holds to that union's chat (校院两级)."""
    cases, total = await deadlines_crud.due_for_officers(session=session, before=until, limit=500)
    if not cases:
        return []
    officers = await users_crud.get_binding(session=session, purpose=OFFICERS)
    sensitive = await users_crud.get_binding(session=session, purpose=SENSITIVE)
    if officers is None:
        log.warning("deadline reminder: no officers' chat is bound")
        return []
    chats: dict[int, list[DueCase]] = {}
    for case in cases:
        category = services.org.category(case.category_code)
        target = (
            sensitive if sensitive is not None and category and category.sensitive else officers
        )
        if target is officers and case.level == levels.COLLEGE and case.college_code:
            union = await college_binding(session=session, college=case.college_code)
            target = union if union is not None else officers
        chats.setdefault(target.chat_id, []).append(case)
    locale = services.group_locale
    rows: list[OutboxMessage] = []
    for chat_id, chat_cases in chats.items():
        more = len(chat_cases) - LIMIT + (total - len(cases) if chat_id == officers.chat_id else 0)
        text = _render(services, locale, OFFICERS_TEMPLATE, chat_cases[:LIMIT], now, more)
        rows += notify.message_rows(
            chat_id=chat_id, texts=[text], case_id=None, recipient=None, priority=notify.NORMAL
        )
    return rows


async def liaison_rows(
    *, session: AsyncSession, services: Services, now: datetime, until: datetime
) -> list[OutboxMessage]:
    """Each liaison hears, in private, of the cases their department holds past or at its due."""
    rows: list[OutboxMessage] = []
    for user, department in await deadlines_crud.liaisons(session=session):
        cases, total = await deadlines_crud.due_for_department(
            session=session, department=department, before=until, limit=LIMIT
        )
        if not cases:
            continue
        locale = notify.user_locale(user)
        text = _render(
            services,
            locale,
            LIAISON_TEMPLATE,
            cases,
            now,
            total - len(cases),
            department=services.renderer.name_of(services.org.department(department), locale),
        )
        rows += notify.message_rows(
            chat_id=user.id, texts=[text], case_id=None, recipient=user.id, priority=notify.NORMAL
        )
    return rows


def _render(
    services: Services,
    locale: str,
    template: str,
    cases: list[DueCase],
    now: datetime,
    more: int,
    **context: Any,
) -> str:
    items = _items(services, locale, cases, now)
    return services.renderer.render(
        locale,
        template,
        day=now.astimezone(services.renderer.tz).date().isoformat(),
        overdue=[item for item in items if item["overdue"]],
        today=[item for item in items if not item["overdue"]],
        more=max(0, more),
        **context,
    )
