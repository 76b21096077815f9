"""Writing a proposal: the draft, field by field, its files, and withdrawing it.

A draft is a case in state "draft" from its title on, so nothing typed is lost between steps;
it reaches the proposal committee (a card in the officers' chat) only once enough
representatives of its session have co-signed it before the window closes
(`bot.proposals.cosign`).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.casework.transitions import move
from bot.core.context import Services
from bot.delivery import notify
from bot.domain.workflow import (
    MAX_ATTACHMENTS,
    NUMBER_PREFIX,
    Action,
    Actor,
    Kind,
    Role,
    State,
    TransitionError,
)
from bot.proposals.core import (
    Loaded,
    case_text,
    check_part,
    check_title,
    load,
    window_open,
)
from storage.crud import cases as cases_crud
from storage.crud import outbox as outbox_crud
from storage.crud import proposals as crud
from storage.models import Case, CongressSession, Proposal, Representative, User

TEXT_FIELDS = ("title", "problem", "reasons", "measures")


async def standing(
    *, session: AsyncSession, services: Services, user_id: int
) -> tuple[Representative, CongressSession] | None:
    """The user's roster entry that matters now: in a session open for proposals, else the
    newest one they are on (None: not a representative at all)."""
    entries = await crud.memberships(session=session, user_id=user_id)
    now = services.now()
    for representative, congress in entries:
        if window_open(congress, now):
            return representative, congress
    return entries[0] if entries else None


async def _proposer(session: AsyncSession, services: Services, user: User) -> Representative:
    found = await standing(session=session, services=services, user_id=user.id)
    if found is None:
        raise TransitionError("not_representative")
    representative, congress = found
    if not window_open(congress, services.now()):
        raise TransitionError("window_closed")
    return representative


async def start_draft(*, session: AsyncSession, services: Services, user: User, title: str) -> Case:
    """A new draft from its title, in the session whose window is open to the user."""
    if check_title(title):
        raise TransitionError("bad_text")
    representative = await _proposer(session, services, user)
    now = services.now()
    number = await cases_crud.next_number(
        session=session,
        prefix=NUMBER_PREFIX[Kind.PROPOSAL],
        year=now.astimezone(services.renderer.tz).year,
    )
    proposal = Proposal(case_id=0, session_id=representative.session_id, title=title.strip())
    case = await cases_crud.add_case(
        session=session,
        case=Case(
            number=number,
            kind=Kind.PROPOSAL,
            category_code="",
            college_code=representative.college_code,
            text=case_text(proposal),
            state=State.DRAFT,
            submitter_id=user.id,
            created_at=now,
            updated_at=now,
        ),
    )
    assert case.id is not None
    proposal.case_id = case.id
    await crud.add_proposal(session=session, proposal=proposal)
    return case


async def own_draft(session: AsyncSession, case_id: int, user: User) -> Loaded:
    loaded = await load(session=session, case_id=case_id)
    if loaded.case.submitter_id != user.id:
        raise TransitionError("forbidden")
    if loaded.case.state != State.DRAFT:
        raise TransitionError("invalid")
    return loaded


async def save_field(
    *,
    session: AsyncSession,
    services: Services,
    case_id: int,
    user: User,
    field: str,
    value: str | None,
) -> Loaded:
    """One answer of the dialogue, stored at once; refused (changing nothing) when invalid."""
    loaded = await own_draft(session, case_id, user)
    proposal, case = loaded.proposal, loaded.case
    if field in TEXT_FIELDS:
        text = (value or "").strip()
        if (check_title if field == "title" else check_part)(text):
            raise TransitionError("bad_text")
        setattr(proposal, field, text)
        case.text = case_text(proposal)
    elif field == "category":
        if services.org.category(value) is None:
            raise TransitionError("unknown_category")
        case.category_code = str(value)
    elif field == "department":
        if value is not None and services.org.department(value) is None:
            raise TransitionError("unknown_department")
        proposal.suggested_department = value
    else:
        raise ValueError(f"no proposal field {field!r}")
    case.updated_at = services.now()
    session.add_all([proposal, case])
    await session.flush()
    return loaded


async def answer_text(
    *,
    session: AsyncSession,
    services: Services,
    user: User,
    case_id: int | None,
    field: str,
    text: str,
) -> int:
    """A text step's answer: the title that starts a draft (no draft yet), else one field of
    the draft; the draft's id."""
    if case_id is None:
        case = await start_draft(session=session, services=services, user=user, title=text)
        assert case.id is not None
        return case.id
    await save_field(
        session=session, services=services, case_id=case_id, user=user, field=field, value=text
    )
    return case_id


async def add_attachment(
    *, session: AsyncSession, case_id: int, user: User, item: dict[str, Any]
) -> int:
    """Stores a file of the draft; how many it has now. Refused past the limit."""
    await own_draft(session, case_id, user)
    existing = await cases_crud.attachments_of(session=session, case_id=case_id)
    if len(existing) >= MAX_ATTACHMENTS:
        raise TransitionError("too_many_files")
    await cases_crud.add_attachments(session=session, case_id=case_id, items=[item])
    return len(existing) + 1


def missing_fields(loaded: Loaded) -> list[str]:
    """The dialogue's steps still unanswered, in order (the department is optional)."""
    proposal = loaded.proposal
    missing = [name for name in TEXT_FIELDS if not getattr(proposal, name)]
    if not loaded.case.category_code:
        missing.append("category")
    return missing


async def withdraw(*, session: AsyncSession, services: Services, case_id: int, user: User) -> Case:
    loaded = await load(session=session, case_id=case_id)
    case = loaded.case
    if case.submitter_id != user.id:
        raise TransitionError("forbidden")
    await move(
        session=session,
        services=services,
        case=case,
        action=Action.WITHDRAW,
        actor=Actor(user.id, Role.STUDENT),
    )
    rows = await notify.to_audience(
        session=session, services=services, case=case, template="proposal/withdrawn.html"
    )
    await outbox_crud.enqueue(session=session, messages=rows)
    return case
