"""The one way any case — a grievance, a suggestion or a proposal — changes state.

The transition table (`bot.domain.workflow`) decides, with the actor's role, where the action
leads; the case records it with the times the figures are made of, and an event logs it, in the
caller's transaction. Each family then queues what its people are told
(`bot.cases.actions.apply_action`, `bot.proposals`), in the same transaction.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.casework import college_watch
from bot.casework.authors import stored_actor
from bot.casework.facts import facts
from bot.core.context import Services
from bot.domain.workflow import FINAL_STATES, FIRST_RESPONSE, Action, Actor, Role, State, resolve
from storage.crud import cases as cases_crud
from storage.models import Case, CaseEvent


@dataclass(frozen=True)
class Moved:
    source: State
    target: State
    event: CaseEvent


def target_of(
    case: Case, action: Action, actor: Actor, situation: Mapping[str, Any] | None = None
) -> State:
    """Where `action` would take `case`; `TransitionError` when the table does not allow it.
    `situation`: facts only the family knows (a proposal's co-signatures, its parts)."""
    return resolve(replace(facts(case), **(situation or {})), action, actor.role)


async def move(
    *,
    session: AsyncSession,
    services: Services,
    case: Case,
    action: Action,
    actor: Actor,
    text: str | None = None,
    public: bool = True,
    situation: Mapping[str, Any] | None = None,
) -> Moved:
    target = target_of(case, action, actor, situation)
    now = services.now()
    source = State(case.state)
    if action in FIRST_RESPONSE and case.first_response_at is None:
        case.first_response_at = now
    if action == Action.ANSWER:
        case.answered_at = now
    if target in FINAL_STATES:
        case.closed_at = now
    case.state = target
    case.last_actor_id = stored_actor(case, actor.user_id, actor.role == Role.STUDENT)
    case.updated_at = now
    session.add(case)
    assert case.id is not None
    event = await cases_crud.add_event(
        session=session,
        event=CaseEvent(
            case_id=case.id,
            action=action,
            from_state=source,
            to_state=target,
            actor_id=case.last_actor_id,
            actor_role=actor.role,
            text=text,
            public=public,
            created_at=now,
        ),
    )
    await college_watch.state_changed(
        session=session, services=services, case=case, source=source, target=target
    )
    return Moved(source, target, event)


async def log(
    *,
    session: AsyncSession,
    services: Services,
    case: Case,
    action: str,
    actor: Actor,
    text: str | None = None,
    public: bool = False,
) -> CaseEvent:
    """An event that moves nothing (a message, a question, a decline, a note of the system)."""
    assert case.id is not None
    return await cases_crud.add_event(
        session=session,
        event=CaseEvent(
            case_id=case.id,
            action=action,
            actor_id=stored_actor(case, actor.user_id, actor.role == Role.STUDENT),
            actor_role=actor.role,
            text=text,
            public=public,
            created_at=services.now(),
        ),
    )
