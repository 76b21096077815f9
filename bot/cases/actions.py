"""Submitting cases and moving them through the transition table, one transaction each."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.cases import levels as level_moves
from bot.casework import authors, guard, keyboards
from bot.casework import deadlines as sla
from bot.casework.transitions import log, move, target_of
from bot.concerns import publication
from bot.core import exports
from bot.core.config import Department
from bot.core.context import Services
from bot.delivery import notify
from bot.departments import answers, forwarding
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
from storage.crud import representatives as representatives_crud
from storage.models import Case, CaseEvent, OutboxMessage, User

# A classmate's name as a representative types it for 代提交: as long as a roster's name.
CLASSMATE_NAME_MAX = 40
# The timeline's step that says a representative submitted the case (由代表代为提交).
ON_BEHALF = "on_behalf"


@dataclass
class Draft:
    kind: str
    category: str
    text: str
    anonymous: bool
    attachments: list[dict[str, Any]] = field(default_factory=list)
    # A case received offline (`bot.domain.intake`): registered by an officer, for no student
    # (until one opens its invite link), in the college the officer chose, on the day received.
    source: str = "telegram"
    received_on: date | None = None
    college: str | None = None
    # 代提交: a representative submits for a classmate, named (`classmate_name`) or anonymous.
    on_behalf: bool = False
    classmate_name: str | None = None
    # Shared concerns: the student asks for a public version (the officers word it first).
    public: bool = False


def classmate_name(text: str) -> str | None:
    """The name as stored, or None when it is empty or too long."""
    name = exports.single_line(text)
    return name if 0 < len(name) <= CLASSMATE_NAME_MAX else None


def check_text(text: str) -> str | None:
    """None if the text is acceptable, else a reason code."""
    length = len(text.strip())
    if length < TEXT_MIN:
        return "too_short"
    if length > TEXT_MAX:
        return "too_long"
    return None


async def submit_case(
    *,
    session: AsyncSession,
    services: Services,
    submitter: User | None,
    draft: Draft,
    registrar: Actor | None = None,
) -> Case:
    """A student's case (`submitter`), or one an officer (`registrar`) registers for a student
    who is not (yet) known: the same number series, card, deadlines and routing."""
    now = services.now()
    kind = Kind(draft.kind)
    category = services.org.category(draft.category)
    if category is None:
        raise TransitionError("unknown_category")
    if check_text(draft.text) is not None:
        raise TransitionError("bad_text")
    college, classmate = await _on_behalf(session, submitter, draft)
    dues = sla.initial(services, category.code, sla.received_at(services, draft.received_on) or now)
    number = await cases_crud.next_number(
        session=session, prefix=NUMBER_PREFIX[kind], year=now.astimezone(services.renderer.tz).year
    )
    case = Case(
        number=number,
        kind=kind,
        category_code=category.code,
        college_code=college,
        text=draft.text.strip(),
        anonymous=draft.anonymous,
        on_behalf=draft.on_behalf,
        classmate_name=classmate,
        state=State.SUBMITTED,
        source=draft.source,
        received_on=draft.received_on,
        created_at=now,
        updated_at=now,
        first_response_due_at=dues.first_response,
        answer_due_at=dues.answer,
    )
    # 校院两级: a college whose union has a chat handles its students' cases first.
    case.level = await level_moves.initial_level(session=session, services=services, case=case)
    if submitter is not None:
        authors.set_author(case, submitter.id, services.sealer)
    case = await cases_crud.add_case(session=session, case=case)
    assert case.id is not None
    if submitter is not None:
        authors.conceal(session, case, submitter.id, services.sealer)
        actor_id = authors.stored_actor(case, submitter.id, student=True)
        role = Role.STUDENT
    else:
        assert registrar is not None, "a case without a student is registered by an officer"
        actor_id, role = registrar.user_id, registrar.role
    event = await cases_crud.add_event(
        session=session,
        event=CaseEvent(
            case_id=case.id,
            action="submit",
            to_state=State.SUBMITTED,
            actor_id=actor_id,
            actor_role=role,
            public=True,
            created_at=now,
        ),
    )
    if draft.attachments:
        await cases_crud.add_attachments(
            session=session, case_id=case.id, items=draft.attachments, event_id=event.id
        )
    if draft.public and submitter is not None:
        await publication.request(session=session, services=services, case=case)
    if draft.on_behalf and submitter is not None:
        # Its own step of the timeline: the student's and the officers' both say so. Who, only
        # where the card names the representative (a named classmate's case).
        await log(
            session=session,
            services=services,
            case=case,
            action=ON_BEHALF,
            actor=Actor(None if case.anonymous else submitter.id, Role.REPRESENTATIVE),
            public=True,
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


async def _on_behalf(
    session: AsyncSession, submitter: User | None, draft: Draft
) -> tuple[str | None, str | None]:
    """The case's college and classmate's name: a representative's 代提交 is of their roster
    college, and only a representative (of the newest session) may make one; a case received
    offline is of the college the officer chose."""
    if submitter is None:
        return draft.college, None
    if not draft.on_behalf:
        return submitter.college_code, None
    entry = await representatives_crud.current_entry(session=session, user_id=submitter.id)
    if entry is None:
        raise TransitionError("not_college_representative")
    if draft.anonymous:
        return entry.college_code, None
    name = classmate_name(draft.classmate_name or "")
    if name is None:
        raise TransitionError("bad_classmate_name")
    return entry.college_code, name


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
    recorded_for: Department | None = None,
) -> Case:
    """Check the move against the table and the actor, then store, log and notify together.
    `recorded_for`: the answer is a department's, recorded by the officer on its behalf."""
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
    if action == Action.FORWARD:
        if department is None or services.org.department(department) is None:
            raise TransitionError("unknown_department")
        await forwarding.check_forward(session=session, case=case, department=department)
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
    handed: list[OutboxMessage] = []
    if action == Action.FORWARD and department is not None:
        handed = await forwarding.hand_over(
            session=session, services=services, case=case, department=department
        )
    if action in RATING_OF:
        case.rating = RATING_OF[action]
        if moved.target == State.REOPENED:
            case.reopen_count += 1
    if target is not None:
        case.merged_into_id = target.id
    # Deadlines follow from the events: 待补充 stops the clocks, 转办 and 复核 start new ones.
    await sla.refresh(session=session, services=services, case=case)
    rows = await _notifications(
        session=session,
        services=services,
        case=case,
        action=action,
        text=text,
        target=target,
        recorded_for=recorded_for,
        department=department,
    )
    rows += handed
    if target is not None:
        await _carry_followers(session=session, services=services, case=case, target=target)
        await publication.carry_supports(session=session, case=case, target=target)
        rows += await publication.after_change(session=session, services=services, case=target)
    rows += await publication.after_change(session=session, services=services, case=case)
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
    recorded_for: Department | None = None,
    department: str | None = None,
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
            services=services,
            case=case,
            template=THREAD_TEMPLATES[action],
            body=text or "",
            recorded_for=recorded_for,
        )
    if action in RATING_OF:
        rows += notify.to_thread(
            services=services, case=case, template="group/note_rated.html", body=""
        )
        if case.state == State.REOPENED:  # the departments that answered answer again
            rows += await answers.reopen_parts(session=session, services=services, case=case)
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
        # 转办 names the department it went to, 协办 or not; else the one that leads.
        department=services.org.department(department or case.department_code),
        target=target,
        recorded_for=recorded_for,
    )
    return rows
