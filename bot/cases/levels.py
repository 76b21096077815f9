"""校院两级: a college union's chat bound, where a new case starts, and 上报 / 下派 between
the levels (the rules are `bot.domain.levels`'s).

A move between levels changes no state: the case's card and thread move to the chat of the
level that holds it now, while the chat it left keeps its card (read-only, with a status line)
and keeps seeing the timeline (the case's watching chat). Both steps are case events in the
case's log, committed with the rows that tell the chats; the student is told nothing: for
them it stays one case.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from bot.cases.assignment import officer_name
from bot.casework import guard
from bot.casework.chats import college_binding, is_sensitive
from bot.casework.transitions import log
from bot.core.context import Services
from bot.delivery import notify
from bot.domain import levels
from bot.domain.chats import OFFICERS, SENSITIVE
from bot.domain.workflow import Actor, TransitionError, required_text
from storage.crud import cases as cases_crud
from storage.crud import outbox as outbox_crud
from storage.crud import pending as pending_crud
from storage.crud import users as users_crud
from storage.models import Case

WIDE_PURPOSES = (OFFICERS, SENSITIVE)


async def bind_college(
    *,
    session: AsyncSession,
    services: Services,
    college: str,
    chat_id: int,
    is_forum: bool,
    title: str | None,
) -> None:
    """`/bind college <code>`: this chat becomes the college union's (one chat per college, one
    college per chat). TransitionError("unknown_college" | "university_chat")."""
    if services.org.college(college) is None:
        raise TransitionError("unknown_college")
    bound = await users_crud.bindings_of_chat(session=session, chat_id=chat_id)
    if any(b.purpose in WIDE_PURPOSES for b in bound):
        # Every member of the university's chat would see the college's cases and the other
        # way round: a college union needs a chat of its own.
        raise TransitionError("university_chat")
    for binding in bound:
        other = levels.college_of_purpose(binding.purpose)
        if other is not None and other != college:
            await users_crud.unbind(session=session, purpose=binding.purpose)
    # Imported here: lost_chats builds on the card machinery this module is part of.
    from bot.cases import lost_chats

    await lost_chats.bind(
        session=session,
        services=services,
        purpose=levels.purpose_of(college),
        chat_id=chat_id,
        is_forum=is_forum,
        title=title,
    )


async def initial_level(*, session: AsyncSession, services: Services, case: Case) -> str:
    """Where a new case starts (`levels.initial_level`), its college's chat looked up."""
    binding = (
        await college_binding(session=session, college=case.college_code)
        if case.college_code
        else None
    )
    return levels.initial_level(
        kind=case.kind,
        sensitive=is_sensitive(services, case),
        college=case.college_code,
        has_chat=binding is not None,
    )


async def escalate(
    *, session: AsyncSession, services: Services, actor: Actor, case_id: int, reason: str
) -> Case:
    """上报: the college union hands the case to the university's rights department."""
    case = await _case(session=session, services=services, actor=actor, case_id=case_id)
    refusal = levels.escalate_refusal(level=case.level, state=case.state)
    if refusal is not None:
        raise TransitionError(refusal)
    reason = required_text(reason)
    await _move(
        session=session,
        services=services,
        case=case,
        actor=actor,
        level=levels.UNIVERSITY,
        event=levels.ESCALATE,
        text=reason,
    )
    return case


async def delegate_choices(
    *, session: AsyncSession, services: Services, actor: Actor, case_id: int
) -> Case:
    """The case whose college is offered for 下派, if it may be delegated to it."""
    case = await _case(session=session, services=services, actor=actor, case_id=case_id)
    refusal = levels.delegable_refusal(
        level=case.level,
        state=case.state,
        kind=case.kind,
        sensitive=is_sensitive(services, case),
        college=case.college_code,
        has_chat=await _has_chat(session, case.college_code),
    )
    if refusal is not None:
        raise TransitionError(refusal)
    return case


async def delegate(
    *, session: AsyncSession, services: Services, actor: Actor, case_id: int, college: str
) -> Case:
    """下派: the university gives the case to its college's union, which has a chat."""
    case = await _case(session=session, services=services, actor=actor, case_id=case_id)
    refusal = levels.delegate_refusal(
        level=case.level,
        state=case.state,
        kind=case.kind,
        sensitive=is_sensitive(services, case),
        college=case.college_code,
        has_chat=await _has_chat(session, case.college_code),
        chosen=college,
    )
    if refusal is not None:
        raise TransitionError(refusal)
    await _move(
        session=session,
        services=services,
        case=case,
        actor=actor,
        level=levels.COLLEGE,
        event=levels.DELEGATE,
        text=college,
    )
    return case


async def _has_chat(session: AsyncSession, college: str | None) -> bool:
    binding = await college_binding(session=session, college=college) if college else None
    return binding is not None and binding.lost_at is None


async def _case(*, session: AsyncSession, services: Services, actor: Actor, case_id: int) -> Case:
    case = await cases_crud.get_case(session=session, case_id=case_id, for_update=True)
    if case is None:
        raise TransitionError("not_found")
    await guard.officer(session=session, services=services, actor=actor, case=case)
    return case


async def _move(
    *,
    session: AsyncSession,
    services: Services,
    case: Case,
    actor: Actor,
    level: str,
    event: str,
    text: str,
) -> None:
    assert case.id is not None
    new_binding = (
        await college_binding(session=session, college=case.college_code or "")
        if level == levels.COLLEGE
        else await users_crud.get_binding(session=session, purpose=OFFICERS)
    )
    if new_binding is None:
        # Checked before anything changes: the caller's turn commits what it did not raise on.
        raise TransitionError(
            "college_no_chat" if level == levels.COLLEGE else "no_university_chat"
        )
    old_chat = case.chat_id or await guard.home_chat(session=session, services=services, case=case)
    case.level = level
    if old_chat is not None:
        # What the officers there were asked for can no longer be used.
        await pending_crud.end_for_case(session=session, case_id=case.id, chat_id=old_chat)
    live, watch = levels.cards_after_move(
        current=(case.chat_id, case.topic_id, case.card_message_id),
        watch=(case.watch_chat_id, case.watch_topic_id, case.watch_card_message_id),
        new=new_binding.chat_id,
    )
    case.chat_id, case.topic_id, case.card_message_id = live
    case.watch_chat_id, case.watch_topic_id, case.watch_card_message_id = watch
    case.card_title = None
    # Whoever answered for it at the other level does not here.
    case.assignee_id = None
    case.updated_at = services.now()
    session.add(case)
    await log(session=session, services=services, case=case, action=event, actor=actor, text=text)
    user = await users_crud.get_user(session=session, user_id=actor.user_id or 0)
    rows = [notify.card_refresh(case)]
    rows += notify.to_thread(
        services=services,
        case=case,
        template="group/note_level.html",
        body=text if event == levels.ESCALATE else "",
        event=event,
        college=services.org.college(case.college_code),
        officer=officer_name(user) if user is not None else "—",
    )
    await outbox_crud.enqueue(session=session, messages=rows)
