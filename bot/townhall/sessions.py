"""Town hall sessions: an officer creates one, the students who opted in of its colleges are
told (through the outbox), students list what is planned (a cancelled session shown as
such) and opt in or out. Editing and cancelling one: `bot.townhall.changes`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.context import Services
from bot.delivery import notify
from bot.domain import townhall as rules
from bot.domain.chats import OFFICERS
from bot.domain.townhall import TownHallError
from bot.domain.workflow import Actor
from storage.crud import outbox as outbox_crud
from storage.crud import townhall as crud
from storage.crud import users as users_crud
from storage.models import TownHall, User


@dataclass(frozen=True)
class Created:
    town_hall: TownHall
    announced: int


def college_names(services: Services, town_hall: TownHall, locale: str) -> list[str]:
    return [services.renderer.name_of(services.org.college(c), locale) for c in town_hall.colleges]


def render_session(
    services: Services, locale: str, town_hall: TownHall, *, for_students: bool
) -> str:
    return services.renderer.render(
        locale,
        "townhall/session.html",
        town_hall=town_hall,
        colleges=college_names(services, town_hall, locale),
        for_students=for_students,
    )


async def create(
    *, session: AsyncSession, services: Services, actor: Actor, form_text: str
) -> Created:
    """The session, and its announcement queued for the students who opted in."""
    known = {college.code for college in services.org.colleges}
    form = rules.parse_form(form_text, services.renderer.tz, known)
    if form.closes_at <= services.now():
        raise TownHallError("townhall_closed")
    town_hall = await crud.add_town_hall(
        session=session,
        town_hall=TownHall(
            title=form.title,
            held_at=form.held_at,
            place=form.place,
            attendees=form.attendees,
            opens_at=form.opens_at,
            closes_at=form.closes_at,
            colleges=form.colleges,
            created_by=actor.user_id,
            created_at=services.now(),
        ),
    )
    students = await crud.opted_in(session=session, colleges=form.colleges)
    await announce(session=session, services=services, town_hall=town_hall, students=students)
    return Created(town_hall, len(students))


async def announce(
    *, session: AsyncSession, services: Services, town_hall: TownHall, students: list[User]
) -> None:
    """The session's announcement, queued for these students."""
    rows = []
    for student in students:
        locale = notify.user_locale(student)
        rows += notify.to_user(
            services=services,
            user=student,
            template="townhall/announcement.html",
            priority=notify.BULK,
            town_hall=town_hall,
            colleges=college_names(services, town_hall, locale),
            for_students=True,
        )
    await outbox_crud.enqueue(session=session, messages=rows)


async def is_union_chat(*, session: AsyncSession, chat_id: int) -> bool:
    """The university union's officers' chat: town halls are the union's, not a college
    union's (whose chats are officers' chats too) nor the sensitive cases' chat's."""
    binding = await users_crud.get_binding(session=session, purpose=OFFICERS)
    return binding is not None and binding.chat_id == chat_id


async def get(*, session: AsyncSession, town_hall_id: int, lock: str | None = None) -> TownHall:
    town_hall = await crud.get_town_hall(session=session, town_hall_id=town_hall_id, lock=lock)
    if town_hall is None:
        raise TownHallError("townhall_not_found")
    return town_hall


def not_cancelled(town_hall: TownHall) -> None:
    if town_hall.cancelled_at is not None:
        raise TownHallError("townhall_cancelled")


async def get_open(*, session: AsyncSession, town_hall_id: int) -> TownHall:
    """A session not cancelled, held so while the caller's transaction acts on it."""
    town_hall = await get(session=session, town_hall_id=town_hall_id, lock="share")
    not_cancelled(town_hall)
    return town_hall


async def set_opt_in(*, session: AsyncSession, user: User, wanted: bool) -> None:
    await crud.set_opt_in(session=session, user_id=user.id, wanted=wanted)


async def student_home(
    *, session: AsyncSession, services: Services, user: User, locale: str
) -> str:
    """The sessions still to come that are for the student's college, and their opt-in."""
    planned = await crud.town_halls_after(session=session, moment=services.now())
    mine = [t for t in planned if not t.colleges or user.college_code in t.colleges]
    colleges_of: dict[Any, list[str]] = {t.id: college_names(services, t, locale) for t in mine}
    return services.renderer.render(
        locale,
        "townhall/student_home.html",
        town_halls=mine,
        colleges_of=colleges_of,
        opted_in=await crud.is_opted_in(session=session, user_id=user.id),
        for_students=True,
    )
