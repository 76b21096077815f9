"""During or after the session: an officer records each answer and which leader gave it (the
asker and everyone who upvoted are told), or turns an unanswered question into a case, its
votes carried over as the case's followers, its asker its author (sealed when anonymous).
A cancelled session takes no answer; its unanswered questions may still become cases."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from bot.cases.actions import Draft, submit_case
from bot.core.context import Services
from bot.delivery import notify
from bot.domain import townhall as rules
from bot.domain.townhall import TownHallError
from bot.domain.workflow import Kind
from bot.townhall import questions, sessions
from storage.crud import cases as cases_crud
from storage.crud import outbox as outbox_crud
from storage.crud import townhall as crud
from storage.crud import users as users_crud
from storage.models import Case, TownHallQuestion

# Where a question becomes a case: it came with no category, the officers recategorise it.
CASE_CATEGORY = "other"
ANSWER_MAX = 3000


def parse_answer(text: str) -> tuple[str, str]:
    """`Leader | answer text`."""
    leader, bar, answer = text.partition("|")
    leader, answer = leader.strip(), answer.strip()
    if not bar or not leader or not answer or len(leader) > rules.FIELD_MAX:
        raise TownHallError("townhall_answer_usage")
    return leader, answer[:ANSWER_MAX]


async def record_answer(
    *, session: AsyncSession, services: Services, question_id: int, text: str
) -> TownHallQuestion:
    leader, answer = parse_answer(text)
    question = await questions.get(session=session, question_id=question_id)
    town_hall = await sessions.get_open(session=session, town_hall_id=question.town_hall_id)
    if question.status != rules.APPROVED:
        raise TownHallError("townhall_not_approved")
    if question.answer:
        raise TownHallError("townhall_answered")
    question.answer, question.answered_by = answer, leader
    question.answered_at = services.now()
    await session.flush()
    await questions.to_asker(
        session=session,
        services=services,
        question=question,
        template="townhall/answered.html",
        town_hall=town_hall,
    )
    assert question.id is not None
    rows = []
    for uid in await crud.voter_ids(session=session, question_id=question.id):
        voter = await users_crud.get_user(session=session, user_id=uid)
        if voter is None or questions.is_asker(services, question, uid):
            continue
        rows += notify.to_user(
            services=services,
            user=voter,
            template="townhall/answered.html",
            priority=notify.NORMAL,
            question=question,
            town_hall=town_hall,
        )
    await outbox_crud.enqueue(session=session, messages=rows)
    return question


async def to_case(*, session: AsyncSession, services: Services, question_id: int) -> Case:
    question = await questions.get(session=session, question_id=question_id)
    if question.case_id is not None:
        raise TownHallError("townhall_has_case")
    if question.status != rules.APPROVED:
        raise TownHallError("townhall_not_approved")
    if question.answer:
        raise TownHallError("townhall_answered")
    uid = questions.asker_id(services, question)
    asker = await users_crud.get_user(session=session, user_id=uid) if uid else None
    if asker is None:
        raise TownHallError("townhall_no_asker")
    draft = Draft(
        kind=Kind.GRIEVANCE,
        category=CASE_CATEGORY,
        text=question.text,
        anonymous=question.anonymous,
    )
    case = await submit_case(session=session, services=services, submitter=asker, draft=draft)
    assert case.id is not None and question.id is not None
    voters = await crud.voter_ids(session=session, question_id=question.id)
    # Their votes carry over as the case's followers: they hear of its steps as they would of
    # the answer. The asker is its author, not a follower (which would name an anonymous one).
    carried = [v for v in voters if not questions.is_asker(services, question, v)]
    await cases_crud.add_followers(session=session, case_id=case.id, user_ids=carried)
    question.case_id = case.id
    await session.flush()
    return case
