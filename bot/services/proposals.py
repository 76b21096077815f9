"""Writing a proposal, collecting co-signatures, and the window's close.

A draft is a case in state "draft" from its title on, so nothing typed is lost between steps;
it reaches the proposal committee (a card in the officers' chat) only once enough
representatives of its session have co-signed it before the window closes.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot import sla
from bot.services import notify
from bot.services.cases import MAX_ATTACHMENTS, Actor
from bot.services.context import Services
from bot.services.proposal_core import (
    Loaded,
    audience_rows,
    case_text,
    check_part,
    check_title,
    cosign_payload,
    load,
    log,
    move,
    rows_for,
    start_link,
    window_open,
)
from bot.workflow import NUMBER_PREFIX, Action, Kind, Role, State, TransitionError
from storage.crud import cases as cases_crud
from storage.crud import outbox as outbox_crud
from storage.crud import proposals as crud
from storage.models import Case, CongressSession, OutboxMessage, Proposal, Representative, User

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


async def _own_draft(session: AsyncSession, case_id: int, user: User) -> Loaded:
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
    loaded = await _own_draft(session, case_id, user)
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


async def add_attachment(
    *, session: AsyncSession, case_id: int, user: User, item: dict[str, Any]
) -> int:
    """Stores a file of the draft; how many it has now. Refused past the limit."""
    await _own_draft(session, case_id, user)
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


async def _agreed(session: AsyncSession, case_id: int) -> int:
    return sum(row.agreed for row in await crud.cosigns_of(session=session, case_id=case_id))


async def send_for_cosign(
    *,
    session: AsyncSession,
    services: Services,
    case_id: int,
    user: User,
    bot_username: str | None,
) -> Case:
    """发起附议: the draft goes out for co-signatures (or straight in when none are needed)."""
    loaded = await _own_draft(session, case_id, user)
    if missing_fields(loaded):
        raise TransitionError("incomplete")
    representative = await crud.representative_of(
        session=session, user_id=user.id, session_id=loaded.congress.id or 0
    )
    if representative is None:
        raise TransitionError("not_representative")
    if not window_open(loaded.congress, services.now()):
        raise TransitionError("window_closed")
    case = loaded.case
    missing = loaded.congress.cosigners_required - await _agreed(session, case_id)
    moved = await move(
        session=session,
        services=services,
        case=case,
        action=Action.SEND_FOR_COSIGN,
        actor=Actor(user.id, Role.STUDENT),
        cosigns_missing=missing,
    )
    if moved.target == State.SUBMITTED:
        await _submitted(session, services, loaded)
        return case
    rows = rows_for(
        services=services,
        user=user,
        template="proposal/cosign_open.html",
        case=case,
        priority=notify.INTERACTIVE,
        congress=loaded.congress,
        share_link=start_link(bot_username, cosign_payload(case_id)),
        needed=missing,
    )
    await outbox_crud.enqueue(session=session, messages=rows)
    return case


async def cosigner_check(
    *, session: AsyncSession, services: Services, case_id: int, user: User, for_update: bool
) -> tuple[Loaded, Representative]:
    """Whether the user may answer the proposal's co-signing request now (else why not)."""
    loaded = await load(session=session, case_id=case_id, for_update=for_update)
    case, congress = loaded.case, loaded.congress
    if case.state != State.COSIGNING:
        raise TransitionError("not_cosigning")
    if case.submitter_id == user.id:
        raise TransitionError("own_proposal")
    representative = await crud.representative_of(
        session=session, user_id=user.id, session_id=congress.id or 0
    )
    if representative is None:
        raise TransitionError("not_representative")
    if not window_open(congress, services.now()):
        raise TransitionError("window_closed")
    if any(
        row.user_id == user.id for row in await crud.cosigns_of(session=session, case_id=case_id)
    ):
        raise TransitionError("already_decided")
    return loaded, representative


async def answer_cosign(
    *, session: AsyncSession, services: Services, case_id: int, user: User, agreed: bool
) -> Loaded:
    """A representative co-signs (附议) or declines; the proposer hears of either."""
    loaded, representative = await cosigner_check(
        session=session, services=services, case_id=case_id, user=user, for_update=True
    )
    case, congress = loaded.case, loaded.congress
    missing = congress.cosigners_required - await _agreed(session, case_id)
    if not await crud.add_cosign(session=session, case_id=case_id, user_id=user.id, agreed=agreed):
        raise TransitionError("already_decided")
    actor = Actor(user.id, Role.REPRESENTATIVE)
    proposer = await _proposer_user(session, case)
    rows: list[OutboxMessage] = []
    if not agreed:
        await log(session=session, services=services, case=case, action="decline", actor=actor)
    else:
        moved = await move(
            session=session,
            services=services,
            case=case,
            action=Action.COSIGN,
            actor=actor,
            text=representative.name,
            cosigns_missing=missing,
        )
        assert case.id is not None
        # Co-signers hear of the proposal from now on, as its followers.
        await cases_crud.add_followers(session=session, case_id=case.id, user_ids=[user.id])
        if moved.target == State.SUBMITTED:
            await _submitted(session, services, loaded)
    rows += rows_for(
        services=services,
        user=user,
        template="proposal/cosign_recorded.html",
        case=case,
        priority=notify.INTERACTIVE,
        agreed=agreed,
    )
    if case.state == State.COSIGNING:  # once submitted, the proposer hears that instead
        rows += _to_proposer(services, proposer, case, representative, agreed, missing)
    await outbox_crud.enqueue(session=session, messages=rows)
    return loaded


def _to_proposer(
    services: Services,
    proposer: User | None,
    case: Case,
    representative: Representative,
    agreed: bool,
    missing: int,
) -> list[OutboxMessage]:
    if proposer is None:
        return []
    return rows_for(
        services=services,
        user=proposer,
        template="proposal/cosign_news.html",
        case=case,
        name=representative.name,
        agreed=agreed,
        still_needed=max(missing - 1, 0) if agreed else missing,
    )


async def _proposer_user(session: AsyncSession, case: Case) -> User | None:
    if case.submitter_id is None:
        return None
    return await session.get(User, case.submitter_id)


async def _submitted(session: AsyncSession, services: Services, loaded: Loaded) -> None:
    """Enough co-signatures: the committee receives it (its clocks start now)."""
    case = loaded.case
    now = services.now()
    dues = sla.initial(services, case.category_code, now)
    case.created_at = now
    case.first_response_due_at, case.answer_due_at = dues.first_response, dues.answer
    session.add(case)
    assert case.id is not None
    await log(
        session=session,
        services=services,
        case=case,
        action="submit",
        actor=Actor(case.submitter_id, Role.STUDENT),
        public=True,
    )
    attachments = await cases_crud.attachments_of(session=session, case_id=case.id)
    rows = [notify.card_refresh(case)]
    rows += notify.attachments_to_thread(
        case=case,
        items=[{"kind": a.kind, "file_id": a.file_id} for a in attachments],
        caption=f"<b>{case.number}</b>",
    )
    rows += await audience_rows(
        session=session,
        services=services,
        case=case,
        template="proposal/submitted.html",
        congress=loaded.congress,
    )
    await outbox_crud.enqueue(session=session, messages=rows)


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
    rows = await audience_rows(
        session=session, services=services, case=case, template="proposal/withdrawn.html"
    )
    await outbox_crud.enqueue(session=session, messages=rows)
    return case


async def expire(*, session: AsyncSession, services: Services, case_id: int) -> bool:
    """The window closed before enough co-signed: back to a draft, and everyone told why."""
    loaded = await load(session=session, case_id=case_id)
    case, congress = loaded.case, loaded.congress
    if case.state != State.COSIGNING:
        return False
    agreed = await _agreed(session, case_id)
    await move(
        session=session,
        services=services,
        case=case,
        action=Action.EXPIRE,
        actor=Actor(None, Role.SYSTEM),
        text=f"{agreed}/{congress.cosigners_required}",
    )
    rows = await audience_rows(
        session=session,
        services=services,
        case=case,
        template="proposal/cosign_expired.html",
        congress=congress,
        agreed=agreed,
    )
    await outbox_crud.enqueue(session=session, messages=rows)
    return True


async def close_expired_windows(
    *,
    session_factory: async_sessionmaker[AsyncSession],
    services: Services,
    now: datetime | None = None,
    on_commit: Callable[[], None] = lambda: None,
) -> int:
    """For the scheduler: every proposal still collecting co-signatures in a session whose
    window has closed goes back to a draft, its proposer told why. Each in its own
    transaction; safe to run often and on several instances (the state is checked under lock).
    """
    moment = now or services.now()
    async with session_factory() as session:
        case_ids = await crud.cosigning_after(session=session, now=moment)
    for case_id in case_ids:
        async with session_factory.begin() as session:
            await expire(session=session, services=services, case_id=case_id)
        on_commit()
    return len(case_ids)
