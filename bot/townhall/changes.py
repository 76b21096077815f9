"""An officer edits a session before it is held (one field at a time) or cancels it with a
reason. When its time or place changes, or it is cancelled, the students who take part are
told, each once, through the outbox: whoever asked a question of it (an anonymous asker's
message sealed), whoever upvoted one, and the students of its colleges who opted in to hear
of sessions. A cancelled session stays listed, as cancelled; it takes no more questions,
votes, moderation or answers (`sessions.get_open`), but an approved, unanswered question of it
can still become a case — the session that would have answered it will not take place."""

from __future__ import annotations

from copy import copy
from dataclasses import dataclass, fields
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.context import Services
from bot.delivery import notify
from bot.domain import townhall as rules
from bot.domain.townhall import TownHallError, TownHallForm
from bot.townhall import questions, sessions
from storage.crud import outbox as outbox_crud
from storage.crud import townhall as crud
from storage.crud import users as users_crud
from storage.models import TownHall, User


@dataclass(frozen=True)
class Changed:
    town_hall: TownHall
    field: str  # the field edited (`rules.EDIT_FIELDS`'s values), or "cancelled"
    told: int


# A session's row holds its form's fields under the same names.
FORM_FIELDS = tuple(f.name for f in fields(TownHallForm))


def _form(town_hall: TownHall) -> TownHallForm:
    return TownHallForm(**{name: copy(getattr(town_hall, name)) for name in FORM_FIELDS})


async def _changeable(*, session: AsyncSession, services: Services, town_hall_id: int) -> TownHall:
    """Not cancelled, not yet held; locked until the change is committed."""
    town_hall = await sessions.get(session=session, town_hall_id=town_hall_id, lock="update")
    sessions.not_cancelled(town_hall)
    if town_hall.held_at <= services.now():
        raise TownHallError("townhall_held")
    return town_hall


async def edit(
    *, session: AsyncSession, services: Services, town_hall_id: int, text: str
) -> Changed:
    """`FIELD new value` (`rules.edit_form`): all checked before anything is changed."""
    town_hall = await _changeable(session=session, services=services, town_hall_id=town_hall_id)
    known = {college.code for college in services.org.colleges}
    form, field = rules.edit_form(_form(town_hall), text, services.renderer.tz, known)
    if form.held_at <= services.now():
        raise TownHallError("townhall_past")
    before = {"held_at": town_hall.held_at, "place": town_hall.place}
    before_colleges = list(town_hall.colleges)
    for name in FORM_FIELDS:
        setattr(town_hall, name, copy(getattr(form, name)))
    await session.flush()
    told = 0
    if field in rules.NOTIFIED_FIELDS and getattr(town_hall, field) != before[field]:
        told = await tell_participants(
            session=session,
            services=services,
            town_hall=town_hall,
            template="townhall/changed.html",
            field=field,
            before_held_at=before["held_at"],
            before_place=before["place"],
        )
    elif field == "colleges" and before_colleges:
        told = await _announce_to_new_colleges(
            session=session, services=services, town_hall=town_hall, before=before_colleges
        )
    return Changed(town_hall, field, told)


async def _announce_to_new_colleges(
    *, session: AsyncSession, services: Services, town_hall: TownHall, before: list[str]
) -> int:
    """A session opened to more colleges is announced to the opted-in students of those
    alone: the others heard of it when it was created."""
    already = {s.id for s in await crud.opted_in(session=session, colleges=before)}
    newcomers = [
        s
        for s in await crud.opted_in(session=session, colleges=town_hall.colleges)
        if s.id not in already
    ]
    await sessions.announce(
        session=session, services=services, town_hall=town_hall, students=newcomers
    )
    return len(newcomers)


async def cancel(
    *, session: AsyncSession, services: Services, town_hall_id: int, reason: str
) -> Changed:
    reason = reason.strip()
    if not reason:
        raise TownHallError("townhall_cancel_usage")
    town_hall = await _changeable(session=session, services=services, town_hall_id=town_hall_id)
    town_hall.cancelled_at = services.now()
    town_hall.cancel_reason = reason[: rules.FIELD_MAX]
    await session.flush()
    told = await tell_participants(
        session=session, services=services, town_hall=town_hall, template="townhall/cancelled.html"
    )
    return Changed(town_hall, "cancelled", told)


def _reachable(user: User) -> bool:
    return user.unreachable_at is None and user.consent_at is not None


async def tell_participants(
    *,
    session: AsyncSession,
    services: Services,
    town_hall: TownHall,
    template: str,
    **context: Any,
) -> int:
    """One message to each asker, upvoter and opted-in student of the session's colleges;
    how many were told."""
    assert town_hall.id is not None
    sealed: set[int] = set()
    wanted: list[int] = []
    for question in await crud.questions_of(session=session, town_hall_id=town_hall.id):
        uid = questions.asker_id(services, question)
        if uid is None:
            continue
        wanted.append(uid)
        if question.anonymous:
            sealed.add(uid)
    wanted += await crud.session_voter_ids(session=session, town_hall_id=town_hall.id)
    users: dict[int, User] = {}
    for uid in dict.fromkeys(wanted):
        user = await users_crud.get_user(session=session, user_id=uid)
        if user is not None and _reachable(user):
            users[uid] = user
    for student in await crud.opted_in(session=session, colleges=town_hall.colleges):
        users.setdefault(student.id, student)
    for uid in sealed & users.keys():
        outbox_crud.seal_chat(session, uid, services.sealer)
    colleges_by_locale: dict[str, list[str]] = {}
    rows = []
    for user in users.values():
        locale = notify.user_locale(user)
        if locale not in colleges_by_locale:
            colleges_by_locale[locale] = sessions.college_names(services, town_hall, locale)
        rows += notify.to_user(
            services=services,
            user=user,
            template=template,
            priority=notify.NORMAL,
            town_hall=town_hall,
            colleges=colleges_by_locale[locale],
            for_students=True,
            **context,
        )
    await outbox_crud.enqueue(session=session, messages=rows)
    return len(users)
