"""Submitting cases and moving them through the transition table, one transaction each."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.cases import levels as level_moves
from bot.casework import authors, guard, keyboards
from bot.casework import deadlines as sla
from bot.casework.transitions import log, move, target_of
from bot.core.context import Services
from bot.delivery import notify
from bot.domain.workflow import (
    NUMBER_PREFIX,
    OFFICERS,
    OPEN_STATES,
    RATING_OF,
    TEXT_MAX,
    TEXT_MIN,
    TEXT_REQUIRED,
    Action,
    Actor,
    Kind,
    Role,
    State,
    TransitionError,
)
from storage.crud import cases as cases_crud
from storage.crud import outbox as outbox_crud
from storage.models import Case, CaseEvent, OutboxMessage, User


@dataclass
class Draft:
    kind: str
    category: str
    text: str
    anonymous: bool
    attachments: list[dict[str, Any]] = field(default_factory=list)


def check_text(text: str) -> str | None:
    """None if the text is acceptable, else a reason code."""
    length = len(text.strip())
    if length < TEXT_MIN:
        return "too_short"
    if length > TEXT_MAX:
        return "too_long"
    return None


async def submit_case(
    *, session: AsyncSession, services: Services, submitter: User, draft: Draft
) -> Case:
    now = services.now()
    kind = Kind(draft.kind)
    category = services.org.category(draft.category)
    if category is None:
        raise TransitionError("unknown_category")
    if check_text(draft.text) is not None:
        raise TransitionError("bad_text")
    dues = sla.initial(services, category.code, now)
    number = await cases_crud.next_number(
        session=session, prefix=NUMBER_PREFIX[kind], year=now.astimezone(services.renderer.tz).year
    )
    case = Case(
        number=number,
        kind=kind,
        category_code=category.code,
        college_code=submitter.college_code,
        text=draft.text.strip(),
        anonymous=draft.anonymous,
        state=State.SUBMITTED,
        created_at=now,
        updated_at=now,
        first_response_due_at=dues.first_response,
        answer_due_at=dues.answer,
    )
    # 校院两级: a college whose union has a chat handles its students' cases first.
    case.level = await level_moves.initial_level(session=session, services=services, case=case)
    authors.set_author(case, submitter.id, services.sealer)
    case = await cases_crud.add_case(session=session, case=case)
    assert case.id is not None
    authors.conceal(session, case, submitter.id, services.sealer)
    event = await cases_crud.add_event(
        session=session,
        event=CaseEvent(
            case_id=case.id,
            action="submit",
            to_state=State.SUBMITTED,
            actor_id=authors.stored_actor(case, submitter.id, student=True),
            actor_role=Role.STUDENT,
            public=True,
            created_at=now,
        ),
    )
    if draft.attachments:
        await cases_crud.add_attachments(
            session=session, case_id=case.id, items=draft.attachments, event_id=event.id
        )
    rows = notify.card_with_files(case, draft.attachments)
    rows += await notify.to_audience(
        session=session,
        services=services,
        case=case,
        template="student/submitted.html",
        priority=notify.INTERACTIVE,
        keyboard=lambda loc: keyboards.case_actions_for_student(services.renderer, loc, case),
    )
    await outbox_crud.enqueue(session=session, messages=rows)
    return case


async def apply_action(
    *,
    session: AsyncSession,
    services: Services,
    case_id: int,
    action: Action,
    actor: Actor,
    text: str | None = None,
    department: str | None = None,
    target_number: str | None = None,
) -> Case:
    """Check the move against the table and the actor, then store, log and notify together."""
    case = await cases_crud.get_case(session=session, case_id=case_id, for_update=True)
    if case is None:
        raise TransitionError("not_found")
    if actor.role == Role.STUDENT and not authors.acts_as_author(
        session, case, actor.user_id or 0, services.sealer
    ):
        raise TransitionError("forbidden")
    if actor.role in OFFICERS:
        await guard.officer(session=session, services=services, actor=actor, case=case)
    target_of(case, action, actor)  # refused before anything else is looked at
    text = (text or "").strip() or None
    if action in TEXT_REQUIRED and not text:
        raise TransitionError("text_required")
    if action == Action.FORWARD and services.org.department(department) is None:
        raise TransitionError("unknown_department")
    target: Case | None = None
    if action == Action.MERGE:
        target = await _merge_target(session=session, case=case, number=target_number or "")
        # Merging carries followers over: into a case of another chat it would show them there.
        if await guard.home_chat(
            session=session, services=services, case=target
        ) != await guard.home_chat(session=session, services=services, case=case):
            raise TransitionError("merge_target_other_chat")

    event_text = text if action != Action.FORWARD else department
    if action == Action.MERGE and target is not None:
        event_text = target.number
    moved = await move(
        session=session, services=services, case=case, action=action, actor=actor, text=event_text
    )
    # What the action itself records, once the table has judged the case as it was.
    if action == Action.REQUEST_INFO:
        case.resume_state = moved.source
    if action == Action.PROVIDE_INFO:
        case.resume_state = None
    if action == Action.FORWARD:
        case.department_code = department
    if action in RATING_OF:
        case.rating = RATING_OF[action]
        if moved.target == State.REOPENED:
            case.reopen_count += 1
    if target is not None:
        case.merged_into_id = target.id
    # Deadlines follow from the events: 待补充 stops the clocks, 转办 and 复核 start new ones.
    await sla.refresh(session=session, services=services, case=case)
    rows = await _notifications(
        session=session, services=services, case=case, action=action, text=text, target=target
    )
    if target is not None:
        await _carry_followers(session=session, services=services, case=case, target=target)
    await outbox_crud.enqueue(session=session, messages=rows)
    return case


async def _merge_target(*, session: AsyncSession, case: Case, number: str) -> Case:
    target = await cases_crud.get_case_by_number(session=session, number=number)
    if target is None:
        raise TransitionError("merge_target_missing")
    if target.id == case.id:
        raise TransitionError("merge_into_self")
    if (case.kind == Kind.PROPOSAL) != (target.kind == Kind.PROPOSAL):
        raise TransitionError("merge_kind_mismatch")
    if target.state not in OPEN_STATES and target.state != State.ANSWERED:
        raise TransitionError("merge_target_closed")
    return target


async def _carry_followers(
    *, session: AsyncSession, services: Services, case: Case, target: Case
) -> None:
    assert case.id is not None and target.id is not None
    carried = await cases_crud.follower_ids(session=session, case_id=case.id)
    # The author of an anonymous case is not: a follower is stored by id, and would name who
    # wrote it. They were told which case theirs went into.
    if case.submitter_id is not None:
        carried.append(case.submitter_id)
    carried = [uid for uid in carried if not authors.is_author(target, uid, services.sealer)]
    await cases_crud.add_followers(session=session, case_id=target.id, user_ids=carried)
    await log(
        session=session,
        services=services,
        case=target,
        action="merged_in",
        actor=Actor(None, Role.SYSTEM),
        text=case.number,
    )
    await outbox_crud.enqueue(session=session, messages=[notify.card_refresh(target)])


STUDENT_TEMPLATES = {
    Action.ACCEPT: "student/accepted.html",
    Action.REQUEST_INFO: "student/needs_info.html",
    Action.FORWARD: "student/forwarded.html",
    Action.REJECT: "student/rejected.html",
    Action.ANSWER: "student/answered.html",
    Action.MERGE: "student/merged.html",
}
# What the student answers with: a rating for the answer, the information asked for.
STUDENT_KEYBOARDS = {Action.ANSWER: keyboards.rating, Action.REQUEST_INFO: keyboards.provide_info}
THREAD_TEMPLATES = {
    Action.REQUEST_INFO: "group/note_request_info.html",
    Action.REJECT: "group/note_rejected.html",
    Action.ANSWER: "group/note_answered.html",
    Action.PROVIDE_INFO: "group/note_info.html",
}


async def _notifications(
    *,
    session: AsyncSession,
    services: Services,
    case: Case,
    action: Action,
    text: str | None,
    target: Case | None,
) -> list[OutboxMessage]:
    if case.kind == Kind.PROPOSAL:  # proposer, co-signers, followers, the public channel
        # Imported here: the proposal services build on this module.
        from bot.proposals import decisions as proposal_decisions

        return await proposal_decisions.after_action(
            session=session, services=services, case=case, action=action, text=text, target=target
        )
    rows: list[OutboxMessage] = [notify.card_refresh(case)]
    if action in THREAD_TEMPLATES:
        rows += notify.to_thread(
            services=services, case=case, template=THREAD_TEMPLATES[action], body=text or ""
        )
    if action in RATING_OF:
        rows += notify.to_thread(
            services=services, case=case, template="group/note_rated.html", body=""
        )
    template = STUDENT_TEMPLATES.get(action)
    if template is None:
        return rows
    buttons = STUDENT_KEYBOARDS.get(action)

    def keyboard(loc: str) -> dict[str, Any] | None:
        return buttons(services.renderer, loc, case) if buttons is not None else None

    rows += await notify.to_audience(
        session=session,
        services=services,
        case=case,
        template=template,
        keyboard=keyboard,
        # A question is put to the one who can answer it; followers hear the outcome.
        submitter_only=action == Action.REQUEST_INFO,
        # Officers must learn when their question, reason or answer did not arrive.
        report_failure=action in TEXT_REQUIRED,
        body=text or "",
        department=services.org.department(case.department_code),
        target=target,
    )
    return rows
