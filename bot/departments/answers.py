"""Departments' answers to a case forwarded (转办) or a proposal assigned (交办) to them: drafted
by a liaison, reviewed by the officers (unless the organisation says not), sent to everyone who
follows the case; questions between liaisons and officers.

Each department's part moves on its own (assigned → review → published, or back for revision);
the case is answered when its last open part is published.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.casework import deadlines as sla
from bot.casework import keyboards as case_keyboards
from bot.casework.transitions import log
from bot.core.context import Services
from bot.delivery import notify
from bot.departments import keyboards
from bot.departments.parts import (
    Held,
    department_name,
    for_liaison,
    for_officer,
    move_part,
    proposal_of,
    receipt,
    review_required,
    thread,
    to_liaisons,
)
from bot.domain.publication import answer_shown
from bot.domain.workflow import (
    TEXT_MAX,
    TEXT_MIN,
    Action,
    Actor,
    Part,
    Role,
    State,
    TransitionError,
    required_text,
)
from storage.crud import cases as cases_crud
from storage.crud import concerns as concerns_crud
from storage.crud import departments as crud
from storage.crud import outbox as outbox_crud
from storage.models import Case, OutboxMessage, ProposalAssignment, User

# Who publishes an answer the organisation lets skip the review.
NO_REVIEW = Actor(None, Role.SYSTEM)


async def draft_answer(
    *,
    session: AsyncSession,
    services: Services,
    assignment_id: int,
    user: User,
    chat_id: int | None,
    text: str,
    attachments: list[dict[str, Any]] | None = None,
) -> ProposalAssignment:
    """A liaison's answer for their department: to the officers for review, or straight to
    the student where the department or the category skips the review."""
    held = await for_liaison(
        session=session, assignment_id=assignment_id, user=user, chat_id=chat_id
    )
    part, case = held.part, held.case
    text = text.strip()
    if not TEXT_MIN <= len(text) <= TEXT_MAX:
        raise TransitionError("bad_text")
    moved = await move_part(
        session=session,
        services=services,
        held=held,
        action=Action.DRAFT_ANSWER,
        actor=Actor(user.id, Role.LIAISON),
        text=part.department_code,
        public=False,
    )
    assert case.id is not None and part.id is not None
    if attachments:
        await cases_crud.add_attachments(
            session=session, case_id=case.id, items=attachments, event_id=moved.event.id
        )
    part.status = Part.REVIEW
    part.answer = text
    part.answer_event_id = moved.event.id
    part.liaison_id = user.id
    part.drafted_at = services.now()
    part.review_comment = None
    session.add(part)
    department = department_name(services, part.department_code)
    proposal = await proposal_of(session, case)
    reviewed = review_required(services, case, part.department_code)
    # Said before the officers publish it: an answer to a public case is public too.
    shown = await concerns_crud.get(session=session, case_id=case.id)
    public = answer_shown(shown.status if shown else None, case.state)
    rows = [notify.card_refresh(case)]
    rows += thread(
        services,
        case,
        "departments/note_review.html",
        body=text,
        keyboard=keyboards.review(services.renderer, services.group_locale, part.id)
        if reviewed
        else None,
        department=department,
        liaison=user,
        part=part,
        reviewed=reviewed,
        public=public,
    )
    rows += notify.attachments_to_thread(
        case=case, items=attachments or [], caption=f"<b>{case.number}</b> · {department}"
    )
    if reviewed:
        rows += receipt(
            services,
            user,
            case,
            "departments/liaison_submitted.html",
            department=services.org.department(part.department_code),
            proposal=proposal,
        )
    await outbox_crud.enqueue(session=session, messages=rows)
    if not reviewed:
        held.part = part
        await _publish(session=session, services=services, held=held, actor=NO_REVIEW)
    return part


async def return_answer(
    *, session: AsyncSession, services: Services, assignment_id: int, actor: Actor, comment: str
) -> ProposalAssignment:
    """Sent back to the department with the officers' comment; they answer again."""
    held = await for_officer(
        session=session, services=services, assignment_id=assignment_id, actor=actor
    )
    part, case = held.part, held.case
    comment = required_text(comment)
    await move_part(
        session=session,
        services=services,
        held=held,
        action=Action.RETURN_ANSWER,
        actor=actor,
        text=comment,
        public=False,
    )
    part.status = Part.RETURNED
    part.review_comment = comment
    session.add(part)
    rows = [notify.card_refresh(case)]
    rows += await to_liaisons(session, services, case, part, "departments/liaison_returned.html")
    await outbox_crud.enqueue(session=session, messages=rows)
    return part


async def approve_answer(
    *, session: AsyncSession, services: Services, assignment_id: int, actor: Actor
) -> Case:
    """Published: everyone following the case reads it; the last open part makes it answered."""
    held = await for_officer(
        session=session, services=services, assignment_id=assignment_id, actor=actor
    )
    return await _publish(session=session, services=services, held=held, actor=actor)


async def _publish(*, session: AsyncSession, services: Services, held: Held, actor: Actor) -> Case:
    part, case = held.part, held.case
    moved = await move_part(
        session=session,
        services=services,
        held=held,
        action=Action.APPROVE_ANSWER,
        actor=actor,
        text=f"{department_name(services, part.department_code)}：{part.answer}",
    )
    now = services.now()
    complete = moved.target == State.ANSWERED
    if complete:
        case.answered_at = now
        session.add(case)
    if case.first_response_at is None:
        case.first_response_at = now
    part.status = Part.PUBLISHED
    part.published_at = now
    session.add(part)
    await sla.refresh(session=session, services=services, case=case)
    assert case.id is not None
    files = [
        a
        for a in await cases_crud.attachments_of(session=session, case_id=case.id)
        if part.answer_event_id is not None and a.event_id == part.answer_event_id
    ]

    def rating(locale: str) -> dict[str, Any] | None:
        return case_keyboards.rating(services.renderer, locale, case) if complete else None

    audience = await notify.to_audience(
        session=session,
        services=services,
        case=case,
        template="departments/answer_published.html",
        keyboard=rating,
        body=part.answer or "",
        department=services.org.department(part.department_code),
        complete=complete,
    )
    rows = [notify.card_refresh(case), *audience]
    # Each reader's files beside their answer (the outbox seals an anonymous author's chat).
    for chat_id in dict.fromkeys(row.chat_id for row in audience if row.chat_id is not None):
        rows += [_file_row(chat_id, case, a.kind, a.file_id) for a in files]
    rows += await to_liaisons(session, services, case, part, "departments/liaison_published.html")
    proposal = await proposal_of(session, case)
    if proposal is not None:
        rows += notify.channel_rows(services=services, proposal=proposal)
    await outbox_crud.enqueue(session=session, messages=rows)
    return case


def _file_row(chat_id: int, case: Case, kind: str, file_id: str) -> OutboxMessage:
    method = "sendPhoto" if kind == "photo" else "sendDocument"
    return OutboxMessage(
        kind="send",
        method=method,
        chat_id=chat_id,
        case_id=case.id,
        recipient_user_id=chat_id,
        payload={"chat_id": chat_id, kind: file_id, "caption": case.number},
    )


async def reopen_parts(*, session: AsyncSession, services: Services, case: Case) -> list[Any]:
    """不满意: every department that answered answers once more, on a new deadline."""
    assert case.id is not None
    now = services.now()
    days = sla.policy_for(services.org, case.category_code).department_days
    due = sla.calendar_of(services).add_working_days(now, days)
    rows: list[OutboxMessage] = []
    for part in await crud.assignments_of(session=session, case_id=case.id):
        if part.status == Part.DECLINED:
            continue
        part.status = Part.ASSIGNED
        part.round += 1
        part.due_at = due
        part.review_comment = None
        session.add(part)
        rows += await to_liaisons(
            session, services, case, part, "departments/liaison_reopened.html"
        )
    # The rating's refresh ran before the parts had their new deadline.
    await sla.refresh(session=session, services=services, case=case)
    return rows


async def comment_to_liaisons(
    *, session: AsyncSession, services: Services, case: Case
) -> list[OutboxMessage]:
    """The author's comment on their rating, to the liaisons of every department that
    answered: they wrote what is rated, and after 不满意 it is what their 复核 must address."""
    assert case.id is not None
    rows: list[OutboxMessage] = []
    for part in await crud.assignments_of(session=session, case_id=case.id):
        if part.status == Part.DECLINED:
            continue
        rows += await to_liaisons(
            session,
            services,
            case,
            part,
            "departments/liaison_comment.html",
            body=case.rating_comment or "",
        )
    return rows


async def ask_officers(
    *,
    session: AsyncSession,
    services: Services,
    assignment_id: int,
    user: User,
    chat_id: int | None,
    question: str,
) -> None:
    """A liaison's question, into the case's thread with a button to answer it."""
    held = await for_liaison(
        session=session, assignment_id=assignment_id, user=user, chat_id=chat_id, holding=False
    )
    part, case = held.part, held.case
    question = required_text(question)
    await log(
        session=session,
        services=services,
        case=case,
        action="liaison_question",
        actor=Actor(user.id, Role.LIAISON),
        text=question,
    )
    assert part.id is not None
    rows = thread(
        services,
        case,
        "departments/note_question.html",
        body=question,
        keyboard=keyboards.answer_liaison(services.renderer, services.group_locale, part.id),
        department=department_name(services, part.department_code),
        liaison=user,
    )
    rows += receipt(
        services,
        user,
        case,
        "departments/liaison_asked.html",
        proposal=await proposal_of(session, case),
    )
    await outbox_crud.enqueue(session=session, messages=rows)


async def reply_to_liaison(
    *, session: AsyncSession, services: Services, assignment_id: int, actor: Actor, text: str
) -> None:
    held = await for_officer(
        session=session, services=services, assignment_id=assignment_id, actor=actor
    )
    text = required_text(text)
    await log(
        session=session,
        services=services,
        case=held.case,
        action="liaison_reply",
        actor=actor,
        text=text,
    )
    rows = await to_liaisons(
        session, services, held.case, held.part, "departments/liaison_reply.html", body=text
    )
    await outbox_crud.enqueue(session=session, messages=rows)
