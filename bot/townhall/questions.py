"""Students' questions to a town hall: asked (named or anonymous), moderated by officers
(approve, reject with a reason, merge a duplicate), upvoted once per person.

An anonymous question keeps its asker sealed (`bot.core.sealing`), as a case keeps its author;
whatever reaches the asker about it is sealed too. No list shows who asked: the officers' chat
shows a named asker's name only on the moderation message.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.context import Services
from bot.core.markup import Keyboard, as_dict
from bot.core.sealing import SealError
from bot.delivery import notify
from bot.domain import townhall as rules
from bot.domain.chats import OFFICERS
from bot.domain.townhall import TownHallError
from bot.townhall import sessions
from bot.townhall.callbacks import TownHallCB
from storage.crud import outbox as outbox_crud
from storage.crud import townhall as crud
from storage.crud import users as users_crud
from storage.models import TownHall, TownHallQuestion, User


def is_asker(services: Services, question: TownHallQuestion, user_id: int) -> bool:
    if question.asker_id is not None:
        return question.asker_id == user_id
    return question.asker_tag is not None and question.asker_tag in services.sealer.tags(user_id)


def asker_id(services: Services, question: TownHallQuestion) -> int | None:
    """Opened only to reach the asker, in memory."""
    if question.asker_id is not None:
        return question.asker_id
    if not question.asker_sealed:
        return None
    try:
        return services.sealer.open(question.asker_sealed)
    except SealError:
        return None


async def get(*, session: AsyncSession, question_id: int) -> TownHallQuestion:
    question = await crud.get_question(session=session, question_id=question_id, for_update=True)
    if question is None:
        raise TownHallError("townhall_question_not_found")
    return question


async def to_asker(
    *,
    session: AsyncSession,
    services: Services,
    question: TownHallQuestion,
    template: str,
    **context: Any,
) -> None:
    """A message to the asker, its chat sealed when they asked anonymously."""
    uid = asker_id(services, question)
    user = await users_crud.get_user(session=session, user_id=uid) if uid else None
    if user is None:
        return
    if question.anonymous:
        outbox_crud.seal_chat(session, user.id, services.sealer)
    rows = notify.to_user(
        services=services, user=user, template=template, question=question, **context
    )
    await outbox_crud.enqueue(session=session, messages=rows)


async def ask(
    *, session: AsyncSession, services: Services, user: User, town_hall_id: int, text: str
) -> TownHallQuestion:
    town_hall = await sessions.get_open(session=session, town_hall_id=town_hall_id)
    rules.check_asking(
        services.now(),
        town_hall.opens_at,
        town_hall.closes_at,
        town_hall.colleges,
        user.college_code,
    )
    body, anonymous = rules.question_text(text)
    question = TownHallQuestion(
        town_hall_id=town_hall_id,
        text=body,
        anonymous=anonymous,
        college_code=user.college_code,
        created_at=services.now(),
    )
    if anonymous:
        question.asker_sealed = services.sealer.seal(user.id)
        question.asker_tag = services.sealer.tag(user.id)
    else:
        question.asker_id = user.id
    question = await crud.add_question(session=session, question=question)
    await _to_moderation(
        session=session, services=services, town_hall=town_hall, q=question, by=user
    )
    return question


async def _to_moderation(
    *, session: AsyncSession, services: Services, town_hall: TownHall, q: TownHallQuestion, by: User
) -> None:
    binding = await users_crud.get_binding(session=session, purpose=OFFICERS)
    if binding is None:
        return
    locale = services.group_locale
    _ = services.renderer.translator(locale)
    asker = " ".join(p for p in (by.first_name, by.last_name) if p) or str(by.id)
    text = services.renderer.render(
        locale, "townhall/moderation.html", question=q, town_hall=town_hall, asker=asker
    )
    kb = Keyboard()
    kb.button(
        text=_("✅ Approve #%(id)s") % {"id": q.id},
        callback_data=TownHallCB(action="approve", question_id=q.id or 0),
    )
    rows = notify.message_rows(
        chat_id=binding.chat_id,
        texts=[text],
        case_id=None,
        recipient=None,
        priority=notify.INTERACTIVE,
        keyboard=as_dict(kb),
    )
    await outbox_crud.enqueue(session=session, messages=rows)


def _undecided(question: TownHallQuestion) -> None:
    if question.status != rules.PENDING:
        raise TownHallError("townhall_decided")


async def approve(
    *, session: AsyncSession, services: Services, question_id: int
) -> TownHallQuestion:
    question = await get(session=session, question_id=question_id)
    town_hall = await sessions.get_open(session=session, town_hall_id=question.town_hall_id)
    _undecided(question)
    question.status = rules.APPROVED
    await session.flush()
    await to_asker(
        session=session,
        services=services,
        question=question,
        template="townhall/approved.html",
        town_hall=town_hall,
    )
    return question


async def reject(
    *, session: AsyncSession, services: Services, question_id: int, reason: str
) -> TownHallQuestion:
    reason = reason.strip()
    if not reason:
        raise TownHallError("townhall_reason_required")
    question = await get(session=session, question_id=question_id)
    town_hall = await sessions.get_open(session=session, town_hall_id=question.town_hall_id)
    _undecided(question)
    question.status, question.reason = rules.REJECTED, reason[: rules.FIELD_MAX]
    await session.flush()
    await to_asker(
        session=session,
        services=services,
        question=question,
        template="townhall/rejected.html",
        town_hall=town_hall,
    )
    return question


async def merge(
    *, session: AsyncSession, services: Services, question_id: int, target_id: int
) -> TownHallQuestion:
    """A duplicate goes into an approved question of the same session, with its votes (each
    person's once; the target's asker does not vote for their own)."""
    question = await get(session=session, question_id=question_id)
    target = await get(session=session, question_id=target_id)
    if (
        question.id == target.id
        or target.town_hall_id != question.town_hall_id
        or target.status != rules.APPROVED
    ):
        raise TownHallError("townhall_merge_itself")
    await sessions.get_open(session=session, town_hall_id=question.town_hall_id)
    if question.status not in (rules.PENDING, rules.APPROVED) or question.answer:
        raise TownHallError("townhall_decided")
    assert question.id is not None and target.id is not None
    voters = await crud.voter_ids(session=session, question_id=question.id)
    own = [uid for uid in voters if is_asker(services, target, uid)]
    # The duplicate's asker now wants the target answered: a vote of theirs, unless they asked it.
    uid = asker_id(services, question)
    if uid is not None and not is_asker(services, target, uid) and not question.anonymous:
        await crud.add_vote(session=session, question_id=target.id, user_id=uid)
    await crud.move_votes(session=session, source_id=question.id, target_id=target.id, skip=own)
    question.status, question.merged_into_id = rules.MERGED, target.id
    await session.flush()
    await to_asker(
        session=session,
        services=services,
        question=question,
        template="townhall/merged.html",
        target=target,
    )
    return target


async def vote(
    *, session: AsyncSession, services: Services, user: User, question_id: int
) -> TownHallQuestion:
    question = await get(session=session, question_id=question_id)
    town_hall = await sessions.get_open(session=session, town_hall_id=question.town_hall_id)
    if question.status != rules.APPROVED:
        raise TownHallError("townhall_not_approved")
    if is_asker(services, question, user.id):
        raise TownHallError("townhall_own_question")
    if town_hall.colleges and user.college_code not in town_hall.colleges:
        raise TownHallError("townhall_other_college")
    assert question.id is not None
    if not await crud.add_vote(session=session, question_id=question.id, user_id=user.id):
        raise TownHallError("townhall_voted")
    return question


async def student_list(
    *, session: AsyncSession, services: Services, user: User, locale: str, town_hall_id: int
) -> tuple[str, dict[str, Any] | None]:
    """The approved questions by votes, with 👍 on those the student may still upvote."""
    town_hall = await sessions.get(session=session, town_hall_id=town_hall_id)
    if town_hall.colleges and user.college_code not in town_hall.colleges:
        raise TownHallError("townhall_other_college")
    listed = await crud.ranked(session=session, town_hall_id=town_hall_id, statuses=rules.PUBLIC)
    voted = await crud.voted_among(
        session=session, user_id=user.id, question_ids=[q.id for q in listed]
    )
    text = services.renderer.render(
        locale, "townhall/questions.html", town_hall=town_hall, questions=listed
    )
    kb = Keyboard()
    shown = 0
    for q in listed:
        if q.id in voted or q.answer or town_hall.cancelled_at is not None:
            continue
        kb.button(text=f"👍 #{q.id}", callback_data=TownHallCB(action="vote", question_id=q.id))
        shown += 1
    kb.adjust(4)
    return text, as_dict(kb) if shown else None
