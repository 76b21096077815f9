"""Public concerns (我也遇到) on the web board: the published grievances and suggestions, by
their public wording alone.

The officers' public wording is all the public ever sees of a case: never the student's own
text, nor who they are, nor any event's text but a published answer. Built field by field into
plain records, as for proposals (`bot.board.proposals`), since a page can only show what it is
given. A case in a sensitive category is never shown, even if it was moved into one after it
was published; a merged, rejected or withdrawn one is no longer a concern to join (as in the
bot's own /board).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.board.proposals import hidden_categories, shown_categories
from bot.board.query import BoardQuery, Listing, TimelineStep, public_steps
from bot.core.config import Category, Department
from bot.core.context import Services
from bot.core.paging import clamped_page
from bot.domain import labels
from bot.domain.publication import CLOSED_TO_SUPPORT
from bot.domain.text import N_
from bot.domain.workflow import Action, Part, State
from storage.crud import board as crud
from storage.crud import cases as cases_crud
from storage.crud import departments as departments_crud
from storage.models import Case, CasePublication

PAGE_SIZE = 20
STATES: tuple[str, ...] = tuple(
    str(state)
    for state in State
    if state not in CLOSED_TO_SUPPORT and state not in (State.DRAFT, State.COSIGNING)
)
# The steps the public is told of, worded for a reader who is not the student; other events
# show the state they led to, when they changed it.
PUBLIC_EVENT = {
    "submit": N_("Submitted"),
    Action.ACCEPT: labels.STATE[State.ACCEPTED],
    Action.FORWARD: N_("Forwarded to the responsible department"),
    Action.ASSIGN: N_("Assigned to the responsible departments"),
    Action.APPROVE_ANSWER: N_("A department's answer was published"),
    "answer_recorded": labels.EVENT["answer_recorded"],
    Action.ANSWER: N_("Answered"),
}
MADE_PUBLIC = N_("Made public")
EARLIEST = datetime.min.replace(tzinfo=UTC)


@dataclass(frozen=True)
class ConcernSummary:
    number: str
    state: str
    state_label: str
    text: str
    category: Category | None
    departments: list[Department | None]
    supports: int
    published_at: datetime | None


@dataclass(frozen=True)
class PublicAnswer:
    # None: the rights department's own answer.
    department: Department | None
    text: str
    at: datetime | None


@dataclass(frozen=True)
class ConcernPage:
    summary: ConcernSummary
    answers: list[PublicAnswer]
    timeline: list[TimelineStep]


def state_label(state: str) -> str:
    return labels.STATE[State(state)]


async def departments_of(
    *, session: AsyncSession, services: Services, case: Case
) -> list[Department | None]:
    assert case.id is not None
    parts = await departments_crud.assignments_of(session=session, case_id=case.id)
    codes = [part.department_code for part in parts]
    if not codes and case.department_code:
        codes = [case.department_code]
    return [services.org.department(code) for code in codes]


async def summary(
    *, session: AsyncSession, services: Services, case: Case, public: CasePublication, supports: int
) -> ConcernSummary:
    return ConcernSummary(
        number=case.number,
        state=case.state,
        state_label=state_label(case.state),
        text=public.public_text or "",
        category=services.org.category(case.category_code),
        departments=await departments_of(session=session, services=services, case=case),
        supports=supports,
        published_at=public.published_at,
    )


async def concern_list(*, session: AsyncSession, services: Services, query: BoardQuery) -> Listing:
    """One page of the published concerns `query` asks for, the latest published first."""

    async def load(page: int) -> tuple[list[ConcernSummary], int]:
        rows, total = await crud.public_concerns(
            session=session,
            states=[query.state] if query.state else STATES,
            hidden_categories=hidden_categories(services),
            category=query.category,
            words=query.text.split(),
            limit=PAGE_SIZE,
            offset=page * PAGE_SIZE,
        )
        items = [
            await summary(
                session=session, services=services, case=case, public=public, supports=supports
            )
            for case, public, supports in rows
        ]
        return items, total

    shown = await clamped_page(load, query.page, PAGE_SIZE)
    return Listing.of(
        shown,
        {
            "state": [(state, state_label(state)) for state in STATES],
            "category": shown_categories(services),
        },
    )


async def concern_page(
    *, session: AsyncSession, services: Services, number: str
) -> ConcernPage | None:
    """The concern numbered `number`, or None when the public may not see it (unknown, not
    published, declined, closed to support, or in a sensitive category)."""
    found = await crud.public_concern(
        session=session,
        number=number,
        states=STATES,
        hidden_categories=hidden_categories(services),
    )
    if found is None:
        return None
    case, public = found
    assert case.id is not None
    supports = await crud.support_count(session=session, case_id=case.id)
    return ConcernPage(
        summary=await summary(
            session=session, services=services, case=case, public=public, supports=supports
        ),
        answers=await answers(session=session, services=services, case=case),
        timeline=await timeline(session=session, case=case, public=public),
    )


async def answers(*, session: AsyncSession, services: Services, case: Case) -> list[PublicAnswer]:
    """The published answers: the departments' once published, and the rights department's
    own (a public answer event); no other event's text is ever shown."""
    assert case.id is not None
    shown = [
        PublicAnswer(
            department=services.org.department(part.department_code),
            text=part.answer or "",
            at=part.published_at,
        )
        for part in await departments_crud.assignments_of(session=session, case_id=case.id)
        if part.status == Part.PUBLISHED and part.answer
    ]
    events = await cases_crud.events_of(session=session, case_id=case.id, public_only=True)
    shown += [
        PublicAnswer(department=None, text=event.text, at=event.created_at)
        for event in events
        if event.action == Action.ANSWER and event.text
    ]
    return sorted(shown, key=lambda answer: answer.at or EARLIEST)


async def timeline(
    *, session: AsyncSession, case: Case, public: CasePublication
) -> list[TimelineStep]:
    """Its public events (`public_steps`), and when it was made public."""
    assert case.id is not None
    events = await cases_crud.events_of(session=session, case_id=case.id, public_only=True)
    steps = public_steps(events, states=STATES, public_event=PUBLIC_EVENT, state_label=state_label)
    if public.published_at is not None:
        steps.append(TimelineStep(at=public.published_at, label=MADE_PUBLIC, state=None))
    return sorted(steps, key=lambda step: step.at)
