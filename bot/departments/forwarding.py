"""转办 of an ordinary case: the department's liaisons get it in private with its deadline, and
answer it as they answer a proposal's part; or they decline it (不属于本部门) and it goes back to
the officers. The first department holding a case leads it (主办, the case's `department_code`);
one forwarded while another still holds it assists (协办).
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from bot.casework import deadlines as sla
from bot.core.context import Services
from bot.delivery import notify
from bot.departments import letters
from bot.departments.parts import (
    department_name,
    for_liaison,
    move_part,
    receipt,
    review_required,
    thread,
    to_liaisons,
)
from bot.domain.workflow import (
    PART_OPEN,
    Action,
    Actor,
    Part,
    Role,
    State,
    TransitionError,
    required_text,
)
from storage.crud import cases as cases_crud
from storage.crud import departments as crud
from storage.crud import outbox as outbox_crud
from storage.models import Case, OutboxMessage, ProposalAssignment, User


async def check_forward(*, session: AsyncSession, case: Case, department: str) -> None:
    """Refused before anything moves: the department already holds the case."""
    assert case.id is not None
    for part in await crud.assignments_of(session=session, case_id=case.id):
        if part.department_code == department and part.status in PART_OPEN:
            raise TransitionError("already_with_department")


async def hand_over(
    *, session: AsyncSession, services: Services, case: Case, department: str
) -> list[OutboxMessage]:
    """After the 转办 is recorded: the department's part of the case (new, or its earlier one
    again), the case's lead department, and what the liaisons and the thread are told."""
    assert case.id is not None
    parts = await crud.assignments_of(session=session, case_id=case.id)
    others = [p for p in parts if p.status in PART_OPEN and p.department_code != department]
    lead = not others
    case.department_code = department if lead else _lead_of(case, others)
    session.add(case)
    liaisons = await crud.liaisons_of(session=session, department=department)
    if not liaisons:
        return await without_liaison(
            session=session, services=services, case=case, department=department
        )
    now = services.now()
    days = sla.policy_for(services.org, case.category_code).department_days
    due = sla.calendar_of(services).add_working_days(now, days)
    part = next((p for p in parts if p.department_code == department), None)
    if part is None:
        part = ProposalAssignment(case_id=case.id, department_code=department, created_at=now)
        [part] = await crud.add_assignments(session=session, rows=[part])
    else:  # declined or answered before: the department has it again, on a new round
        part.round += 1
    part.status = Part.ASSIGNED
    part.due_at = due
    part.review_comment = None
    session.add(part)
    answers = {p.answer_event_id for p in parts if p.answer_event_id is not None}
    files = [
        a
        for a in await cases_crud.attachments_of(session=session, case_id=case.id)
        if a.event_id not in answers
    ]
    college = services.org.college(case.college_code) if case.college_code else None
    rows = await to_liaisons(
        session,
        services,
        case,
        part,
        "departments/liaison_assigned.html",
        lead=lead,
        review=review_required(services, case, department),
        category=services.org.category(case.category_code),
        college=college,
        files=len(files),
    )
    for liaison in liaisons:
        rows += [_file_row(liaison, case, a.kind, a.file_id) for a in files]
    rows += thread(
        services,
        case,
        "departments/note_forwarded.html",
        body="",
        keyboard=None,
        department=department_name(services, department),
        lead=lead,
    )
    return rows


async def without_liaison(
    *, session: AsyncSession, services: Services, case: Case, department: str
) -> list[OutboxMessage]:
    """转办 to a department nobody answers for on Telegram: the case is marked as with it (its
    `department_code` and clock, set by the caller, as before parts existed), no part is made,
    and the officers get its forwarding letter (转办单) in the case's thread, to send by e-mail or
    print, and record its answer with /record.

    The one place a department without a liaison is handled, inside the 转办's transaction
    (`session`), after the move is recorded; what it returns is queued with the 转办's other
    messages.
    """
    known = services.org.department(department)
    if known is None:
        return []
    await sla.refresh(session=session, services=services, case=case)  # the letter's due date
    return await letters.letter_rows(
        session=session, services=services, case=case, department=known
    )


def _lead_of(case: Case, others: list[ProposalAssignment]) -> str:
    """The department that leads: the one that did, if it still holds the case."""
    holding = [p.department_code for p in others]
    return case.department_code if case.department_code in holding else holding[0]


def _file_row(liaison: User, case: Case, kind: str, file_id: str) -> OutboxMessage:
    method = "sendPhoto" if kind == "photo" else "sendDocument"
    return OutboxMessage(
        kind="send",
        method=method,
        chat_id=liaison.id,
        recipient_user_id=liaison.id,
        # Unlinked, as the liaison's other messages: a reply to it is not the case's.
        case_id=None,
        payload={"chat_id": liaison.id, kind: file_id, "caption": case.number},
        priority=notify.NORMAL,
    )


async def decline(
    *,
    session: AsyncSession,
    services: Services,
    assignment_id: int,
    user: User,
    chat_id: int | None,
    reason: str,
) -> Case:
    """不属于本部门: the department's part ends with the liaison's reason; when no other
    department holds the case it goes back to the officers to forward elsewhere."""
    held = await for_liaison(
        session=session, assignment_id=assignment_id, user=user, chat_id=chat_id
    )
    part, case = held.part, held.case
    reason = required_text(reason)
    department = department_name(services, part.department_code)
    moved = await move_part(
        session=session,
        services=services,
        held=held,
        action=Action.DECLINE,
        actor=Actor(user.id, Role.LIAISON),
        text=f"{department}：{reason}",
        public=False,
    )
    assert case.id is not None
    part.status = Part.DECLINED
    part.review_comment = reason
    session.add(part)
    remaining = [
        p
        for p in await crud.assignments_of(session=session, case_id=case.id)
        if p.status in PART_OPEN and p.id != part.id
    ]
    if case.department_code == part.department_code or not remaining:
        case.department_code = remaining[0].department_code if remaining else None
    await sla.refresh(session=session, services=services, case=case)
    rows = [notify.card_refresh(case)]
    rows += thread(
        services,
        case,
        "departments/note_declined.html",
        body=reason,
        keyboard=None,
        department=department,
        liaison=user,
        back=not remaining or moved.target == State.ACCEPTED,
    )
    rows += receipt(services, user, case, "departments/liaison_declined.html")
    await outbox_crud.enqueue(session=session, messages=rows)
    return case
