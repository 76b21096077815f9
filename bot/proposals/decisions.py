"""The proposal committee's decisions and hand-over: 立案, 不予立案, 合并, 转为意见建议, 交办.

立案, 不予立案 and 合并 (and the proposer's rating) are the shared actions of
`bot.cases.actions.apply_action`, which asks `after_action` here what a proposal's people are
told; 转为意见建议 and 交办 exist for proposals only and are done here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.casework import deadlines as sla
from bot.casework import guard
from bot.casework.transitions import move
from bot.core.context import Services
from bot.delivery import notify
from bot.departments.answers import reopen_parts
from bot.departments.parts import to_liaisons
from bot.domain.workflow import (
    NUMBER_PREFIX,
    RATING_OF,
    Action,
    Kind,
    State,
    TransitionError,
    required_text,
)
from bot.proposals.core import Loaded, channel_rows, load
from storage.crud import cases as cases_crud
from storage.crud import departments as departments_crud
from storage.crud import outbox as outbox_crud
from storage.crud import proposals as crud
from storage.models import Case, CaseEvent, OutboxMessage, ProposalAssignment

if TYPE_CHECKING:
    from bot.domain.workflow import Actor


async def after_action(
    *,
    session: AsyncSession,
    services: Services,
    case: Case,
    action: Any,
    text: str | None,
    target: Case | None,
) -> list[OutboxMessage]:
    """What follows a shared action on a proposal (its state already changed)."""
    assert case.id is not None
    proposal = await crud.get_proposal(session=session, case_id=case.id)
    assert proposal is not None
    rows: list[OutboxMessage] = [notify.card_refresh(case)]
    if action == Action.ACCEPT:
        proposal.accepted_at = services.now()
        session.add(proposal)
        rows += await notify.to_audience(
            session=session, services=services, case=case, template="proposal/registered.html"
        )
    elif action == Action.REJECT:
        rows += notify.to_thread(
            services=services, case=case, template="group/note_rejected.html", body=text or ""
        )
        rows += await notify.to_audience(
            session=session,
            services=services,
            case=case,
            template="proposal/not_registered.html",
            body=text or "",
        )
    elif action == Action.MERGE and target is not None:
        assert target.id is not None
        await crud.copy_cosigns(
            session=session, source=case.id, target=target.id, skip=target.submitter_id
        )
        rows += await notify.to_audience(
            session=session,
            services=services,
            case=case,
            template="proposal/merged.html",
            target=target,
        )
        merged_into = await crud.get_proposal(session=session, case_id=target.id)
        if merged_into is not None:
            rows += channel_rows(services=services, proposal=merged_into)
    elif action in RATING_OF:
        rows += notify.to_thread(
            services=services, case=case, template="group/note_rated.html", body=""
        )
        if case.state == State.REOPENED:
            rows += await reopen_parts(session=session, services=services, case=case)
        rows += await notify.to_audience(
            session=session,
            services=services,
            case=case,
            template="proposal/rated.html",
            include_submitter=False,
        )
    rows += channel_rows(services=services, proposal=proposal)
    return rows


async def _for_officer(
    *, session: AsyncSession, services: Services, case_id: int, actor: Actor
) -> Loaded:
    """The proposal, locked, when the actor may decide on it from where they are."""
    loaded = await load(session=session, case_id=case_id)
    await guard.officer(session=session, services=services, actor=actor, case=loaded.case)
    return loaded


async def convert(
    *, session: AsyncSession, services: Services, case_id: int, actor: Actor, text: str
) -> Case:
    """转为意见建议: the proposal ends; a suggestion with its text, files, proposer and
    followers takes its place in the rights department's queue."""
    loaded = await _for_officer(session=session, services=services, case_id=case_id, actor=actor)
    case, proposal = loaded.case, loaded.proposal
    text = required_text(text)
    await move(
        session=session,
        services=services,
        case=case,
        action=Action.CONVERT,
        actor=actor,
        text=text,
    )
    now = services.now()
    case.first_response_at = case.first_response_at or now
    await sla.refresh(session=session, services=services, case=case)
    number = await cases_crud.next_number(
        session=session,
        prefix=NUMBER_PREFIX[Kind.SUGGESTION],
        year=now.astimezone(services.renderer.tz).year,
    )
    body = "\n\n".join(
        part for part in (proposal.title, proposal.problem, proposal.reasons, proposal.measures)
    )
    suggestion = await cases_crud.add_case(
        session=session,
        case=Case(
            number=number,
            kind=Kind.SUGGESTION,
            category_code=case.category_code,
            college_code=case.college_code,
            text=body[:3000],
            state=State.SUBMITTED,
            source="proposal",
            submitter_id=case.submitter_id,
            created_at=now,
            updated_at=now,
        ),
    )
    assert suggestion.id is not None and case.id is not None
    proposal.converted_to_id = suggestion.id
    session.add(proposal)
    await cases_crud.add_event(
        session=session,
        event=CaseEvent(
            case_id=suggestion.id,
            action="converted_from",
            to_state=State.SUBMITTED,
            actor_id=actor.user_id,
            actor_role=actor.role,
            text=case.number,
            created_at=now,
        ),
    )
    # Its clocks start now, from that event, as a submitted case's do.
    await sla.refresh(session=session, services=services, case=suggestion)
    followers = await cases_crud.follower_ids(session=session, case_id=case.id)
    await cases_crud.add_followers(
        session=session,
        case_id=suggestion.id,
        user_ids=[uid for uid in followers if uid != case.submitter_id],
    )
    files = await cases_crud.attachments_of(session=session, case_id=case.id)
    items: list[dict[str, str | None]] = [
        {
            "kind": a.kind,
            "file_id": a.file_id,
            "file_unique_id": a.file_unique_id,
            "file_name": a.file_name,
        }
        for a in files
    ]
    if items:
        await cases_crud.add_attachments(session=session, case_id=suggestion.id, items=items)
    rows = [notify.card_refresh(case), *notify.card_with_files(suggestion, items)]
    rows += await notify.to_audience(
        session=session,
        services=services,
        case=case,
        template="proposal/converted.html",
        body=text,
        suggestion=suggestion,
    )
    await outbox_crud.enqueue(session=session, messages=rows)
    return suggestion


async def assign(
    *,
    session: AsyncSession,
    services: Services,
    case_id: int,
    actor: Actor,
    departments: list[str],
    days: int,
) -> list[ProposalAssignment]:
    """交办: each responsible department gets its part with an answer deadline, and its
    liaisons the proposal in private."""
    loaded = await _for_officer(session=session, services=services, case_id=case_id, actor=actor)
    case, proposal = loaded.case, loaded.proposal
    if not departments:
        raise TransitionError("no_departments")
    if any(services.org.department(code) is None for code in departments):
        raise TransitionError("unknown_department")
    names = [services.org.department(code) for code in departments]
    await move(
        session=session,
        services=services,
        case=case,
        action=Action.ASSIGN,
        actor=actor,
        # Shown as it is in the proposer's timeline: names, in the organisation's language.
        text="、".join(d.name_zh for d in names if d is not None),
    )
    now = services.now()
    due = sla.calendar_of(services).add_working_days(now, days)
    parts = await departments_crud.add_assignments(
        session=session,
        rows=[
            ProposalAssignment(case_id=case_id, department_code=code, due_at=due, created_at=now)
            for code in departments
        ],
    )
    # What shows a case's one department (the card's deadline line) shows the first; each
    # department's own clock is its part's due time, which reminders and deadlines read.
    case.department_code = departments[0]
    await sla.refresh(session=session, services=services, case=case)
    rows = [notify.card_refresh(case)]
    rows += await notify.to_audience(
        session=session,
        services=services,
        case=case,
        template="proposal/assigned.html",
        departments=names,
        due=due,
    )
    unstaffed = []
    for part in parts:
        told = await to_liaisons(session, services, case, part, "departments/liaison_assigned.html")
        if not told:
            unstaffed.append(services.org.department(part.department_code))
        rows += told
    if unstaffed:
        rows += notify.to_thread(
            services=services,
            case=case,
            template="departments/note_no_liaison.html",
            departments=unstaffed,
        )
    rows += channel_rows(services=services, proposal=proposal)
    await outbox_crud.enqueue(session=session, messages=rows)
    return parts
