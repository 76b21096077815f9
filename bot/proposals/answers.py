"""Departments' answers to a registered proposal: drafted by a liaison, reviewed by the
officers, published to everyone who follows it; questions between liaisons and officers.

Each responsible department's part moves on its own (assigned → review → published, or back
for revision); the proposal is answered when its last part is published.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.casework import deadlines as sla
from bot.casework import guard, keyboards
from bot.casework.transitions import Moved, log, move
from bot.core.context import Services
from bot.delivery import notify
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
from bot.proposals import keyboards as proposal_keyboards
from bot.proposals.core import Loaded, channel_rows, load
from storage.crud import cases as cases_crud
from storage.crud import outbox as outbox_crud
from storage.crud import proposals as crud
from storage.models import Case, OutboxMessage, ProposalAssignment, User


@dataclass
class _Held:
    """A department's part, read under its proposal's lock, with the proposal."""

    part: ProposalAssignment
    loaded: Loaded
    open_parts: int  # the proposal's parts not yet published

    @property
    def case(self) -> Case:
        return self.loaded.case


async def _part(session: AsyncSession, assignment_id: int) -> _Held:
    part = await crud.get_assignment(session=session, assignment_id=assignment_id)
    if part is None:
        raise TransitionError("not_found")
    loaded = await load(session=session, case_id=part.case_id)
    # Read again under the case's lock, so two officers pressing at once see one outcome.
    part = await crud.get_assignment(session=session, assignment_id=assignment_id, for_update=True)
    assert part is not None
    parts = await crud.assignments_of(session=session, case_id=part.case_id)
    return _Held(part, loaded, open_parts=sum(p.status != Part.PUBLISHED for p in parts))


async def _part_for_liaison(
    *, session: AsyncSession, assignment_id: int, user: User, chat_id: int | None
) -> _Held:
    """`_part`, for a liaison of its department writing in private."""
    held = await _part(session, assignment_id)
    await guard.liaison(
        session=session, user_id=user.id, chat_id=chat_id, department=held.part.department_code
    )
    return held


async def _part_for_officer(
    *, session: AsyncSession, services: Services, assignment_id: int, actor: Actor
) -> _Held:
    """`_part`, for an officer of the chat the proposal's card is in."""
    held = await _part(session, assignment_id)
    await guard.officer(session=session, services=services, actor=actor, case=held.case)
    return held


async def _move_part(
    *,
    session: AsyncSession,
    services: Services,
    held: _Held,
    action: Action,
    actor: Actor,
    text: str,
    public: bool = True,
) -> Moved:
    """A move on the proposal, judged by the part it is made on as well as by the case."""
    return await move(
        session=session,
        services=services,
        case=held.case,
        action=action,
        actor=actor,
        text=text,
        public=public,
        situation={"part": Part(held.part.status), "open_parts": held.open_parts},
    )


def _department_name(services: Services, code: str) -> str:
    return services.renderer.name_of(services.org.department(code), services.group_locale)


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
    """A liaison's answer for their department, to the officers for review."""
    held = await _part_for_liaison(
        session=session, assignment_id=assignment_id, user=user, chat_id=chat_id
    )
    part, case = held.part, held.case
    text = text.strip()
    if not TEXT_MIN <= len(text) <= TEXT_MAX:
        raise TransitionError("bad_text")
    moved = await _move_part(
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
    department = _department_name(services, part.department_code)
    rows = [notify.card_refresh(case)]
    rows += _thread(
        services,
        case,
        "proposal/note_review.html",
        body=text,
        keyboard=proposal_keyboards.review(services.renderer, services.group_locale, part.id),
        department=department,
        liaison=user,
        part=part,
    )
    rows += notify.attachments_to_thread(
        case=case, items=attachments or [], caption=f"<b>{case.number}</b> · {department}"
    )
    rows += _receipt(
        services,
        user,
        case,
        "proposal/liaison_submitted.html",
        department=services.org.department(part.department_code),
    )
    await outbox_crud.enqueue(session=session, messages=rows)
    return part


async def return_answer(
    *, session: AsyncSession, services: Services, assignment_id: int, actor: Actor, comment: str
) -> ProposalAssignment:
    """Sent back to the department with the officers' comment; they answer again."""
    held = await _part_for_officer(
        session=session, services=services, assignment_id=assignment_id, actor=actor
    )
    part, case = held.part, held.case
    comment = required_text(comment)
    await _move_part(
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
    rows += await to_liaisons(session, services, case, part, "proposal/liaison_returned.html")
    await outbox_crud.enqueue(session=session, messages=rows)
    return part


async def approve_answer(
    *, session: AsyncSession, services: Services, assignment_id: int, actor: Actor
) -> Case:
    """Published: everyone following the proposal reads it; the last part makes it answered."""
    held = await _part_for_officer(
        session=session, services=services, assignment_id=assignment_id, actor=actor
    )
    part, case, proposal = held.part, held.case, held.loaded.proposal
    moved = await _move_part(
        session=session,
        services=services,
        held=held,
        action=Action.APPROVE_ANSWER,
        actor=actor,
        text=f"{_department_name(services, part.department_code)}：{part.answer}",
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
        return keyboards.rating(services.renderer, locale, case) if complete else None

    audience = await notify.to_audience(
        session=session,
        services=services,
        case=case,
        template="proposal/answer_published.html",
        keyboard=rating,
        body=part.answer or "",
        department=services.org.department(part.department_code),
        complete=complete,
    )
    rows = [notify.card_refresh(case), *audience]
    for chat_id in dict.fromkeys(row.chat_id for row in audience if row.chat_id is not None):
        rows += [_file_row(chat_id, case, a.kind, a.file_id) for a in files]
    rows += await to_liaisons(session, services, case, part, "proposal/liaison_published.html")
    rows += channel_rows(services=services, proposal=proposal)
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
    """不满意: every department answers once more, on a new deadline."""
    assert case.id is not None
    now = services.now()
    due = sla.calendar_of(services).add_working_days(now, services.org.deadlines.department_days)
    rows: list[OutboxMessage] = []
    for part in await crud.assignments_of(session=session, case_id=case.id):
        part.status = Part.ASSIGNED
        part.round += 1
        part.due_at = due
        part.review_comment = None
        session.add(part)
        rows += await to_liaisons(session, services, case, part, "proposal/liaison_reopened.html")
    # The rating's refresh ran before the parts had their new deadline.
    await sla.refresh(session=session, services=services, case=case)
    return rows


async def comment_to_liaisons(
    *, session: AsyncSession, services: Services, case: Case
) -> list[OutboxMessage]:
    """The proposer's comment on their rating, to the liaisons of every assigned department:
    the departments wrote what is rated, and after 不满意 it is what their 复核 must address."""
    assert case.id is not None
    rows: list[OutboxMessage] = []
    for part in await crud.assignments_of(session=session, case_id=case.id):
        rows += await to_liaisons(
            session,
            services,
            case,
            part,
            "proposal/liaison_comment.html",
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
    """A liaison's question, into the proposal's thread with a button to answer it."""
    held = await _part_for_liaison(
        session=session, assignment_id=assignment_id, user=user, chat_id=chat_id
    )
    part, case = held.part, held.case
    question = required_text(question)
    actor = Actor(user.id, Role.LIAISON)
    await log(
        session=session,
        services=services,
        case=case,
        action="liaison_question",
        actor=actor,
        text=question,
    )
    assert part.id is not None
    rows = _thread(
        services,
        case,
        "proposal/note_question.html",
        body=question,
        keyboard=proposal_keyboards.answer_liaison(
            services.renderer, services.group_locale, part.id
        ),
        department=_department_name(services, part.department_code),
        liaison=user,
    )
    rows += _receipt(services, user, case, "proposal/liaison_asked.html")
    await outbox_crud.enqueue(session=session, messages=rows)


async def reply_to_liaison(
    *, session: AsyncSession, services: Services, assignment_id: int, actor: Actor, text: str
) -> None:
    held = await _part_for_officer(
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
        session, services, held.case, held.part, "proposal/liaison_reply.html", body=text
    )
    await outbox_crud.enqueue(session=session, messages=rows)


async def to_liaisons(
    session: AsyncSession,
    services: Services,
    case: Case,
    part: ProposalAssignment,
    template: str,
    body: str = "",
) -> list[OutboxMessage]:
    """Each liaison of the part's department, with the buttons to answer or ask."""
    assert part.id is not None
    proposal = await crud.get_proposal(session=session, case_id=part.case_id)
    rows: list[OutboxMessage] = []
    for liaison in await crud.liaisons_of(session=session, department=part.department_code):
        locale = notify.user_locale(liaison)
        keyboard = None
        if part.status in (Part.ASSIGNED, Part.RETURNED):
            keyboard = proposal_keyboards.liaison(services.renderer, locale, part.id)
        rows += notify.to_user(
            services=services,
            user=liaison,
            template=template,
            case=case,
            keyboard=keyboard,
            priority=notify.NORMAL,
            link=False,
            body=body,
            proposal=proposal,
            part=part,
            department=services.org.department(part.department_code),
        )
    return rows


def _receipt(
    services: Services, liaison: User, case: Case, template: str, **context: Any
) -> list[OutboxMessage]:
    """What the liaison sees of what they sent: at once, and unlinked, so that a reply to it
    is not taken for information on the case."""
    return notify.to_user(
        services=services, user=liaison, template=template, case=case, link=False, **context
    )


def _thread(
    services: Services,
    case: Case,
    template: str,
    *,
    body: str,
    keyboard: dict[str, Any],
    **context: Any,
) -> list[OutboxMessage]:
    """A note in the proposal's thread carrying buttons (on its last part)."""
    rows = notify.to_thread(services=services, case=case, template=template, body=body, **context)
    rows[-1].payload = {**rows[-1].payload, "reply_markup": keyboard}
    return rows
