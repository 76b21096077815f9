"""Consent, preferences and a student's right to see and erase their data (PIPL)."""

from __future__ import annotations

from dataclasses import dataclass

from aiogram.fsm.storage.base import BaseStorage
from aiogram.fsm.storage.memory import MemoryStorage
from aiogram.fsm.storage.redis import RedisStorage
from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from bot.casework import authors
from bot.core.context import Services
from bot.core.i18n import LOCALES
from bot.delivery import notify
from bot.domain.workflow import UNSUBMITTED, Kind, Role
from bot.proposals import drafts as proposals
from bot.proposals.core import channel_rows
from storage.crud import cases as cases_crud
from storage.crud import erasure
from storage.crud import mutes as mutes_crud
from storage.crud import outbox as outbox_crud
from storage.crud import proposals as proposals_crud
from storage.crud import reviews as reviews_crud
from storage.crud import townhall as townhall_crud
from storage.models import Case, CaseEvent, CongressSession, Representative, User


async def set_locale(*, session: AsyncSession, user: User, locale: str) -> str:
    if locale not in LOCALES:
        locale = LOCALES[0]
    user.locale = locale
    session.add(user)
    await session.flush()
    return locale


async def set_college(*, session: AsyncSession, user: User, college: str) -> None:
    user.college_code = college
    session.add(user)
    await session.flush()


async def count_cases(*, session: AsyncSession, services: Services, user_id: int) -> int:
    return await authors.count_own(session=session, seal=services.sealer, user_id=user_id)


@dataclass(frozen=True)
class Stored:
    """What /mydata shows beyond the profile: every link between the person and the rest."""

    cases: int
    roster: list[tuple[Representative, CongressSession]]
    cosigns: list[tuple[str, bool]]
    supports: list[str]
    follows: list[str]


async def stored_about(*, session: AsyncSession, services: Services, user_id: int) -> Stored:
    return Stored(
        cases=await count_cases(session=session, services=services, user_id=user_id),
        roster=await proposals_crud.memberships(session=session, user_id=user_id),
        cosigns=await proposals_crud.cosigns_by(session=session, user_id=user_id),
        supports=await proposals_crud.supports_by(session=session, user_id=user_id),
        follows=await cases_crud.followed_by(session=session, user_id=user_id),
    )


async def erase_user(*, session: AsyncSession, services: Services, user_id: int) -> None:
    """Unlink the person from every case (which stay, anonymous) and drop the profile.

    Nothing stored keeps their id or names: not the cases they acted in, in any role, nor
    the outbox (see `storage.crud.erasure`); what this transaction queues for them after this
    (the confirmation) is deleted once sent. The officers' cards of those cases are redrawn,
    or they would go on showing the name; so are the public channel's posts of their
    registered proposals (which name the proposer) and the cards of proposals they
    co-signed (which list the co-signers).
    """
    seal = services.sealer
    traces = erasure.Traces.of(
        user_id,
        await session.get(User, user_id),
        sealed_lanes=tuple(outbox_crud.sealed_lane(tag) for tag in seal.tags(user_id)),
        stand_ins=tuple(seal.pseudonyms(user_id)),
    )
    await _withdraw_unsent_proposals(session, services, user_id)
    cosigned = await proposals_crud.forget_user(session=session, user_id=user_id)
    own = await authors.own_cases(session=session, seal=seal, user_id=user_id)
    signed = list(await session.scalars(select(Case).where(col(Case.id).in_(cosigned))))
    # An officer's cases name them as 负责人 on their cards.
    assigned = list(await session.scalars(select(Case).where(col(Case.assignee_id) == user_id)))
    await session.execute(
        update(Case).where(col(Case.submitter_id) == user_id).values(submitter_id=None)
    )
    # An anonymous case's seal would still reach them, with the key.
    await session.execute(
        update(Case)
        .where(col(Case.author_tag).in_(seal.tags(user_id)))
        .values(author_sealed=None, author_tag=None)
    )
    # A 附议's event carries the representative's roster name.
    await session.execute(
        update(CaseEvent)
        .where(col(CaseEvent.actor_id) == user_id, col(CaseEvent.actor_role) == Role.REPRESENTATIVE)
        .values(text=None)
    )
    await erasure.unlink_from_cases(session=session, user_id=user_id)
    await mutes_crud.forget_user(session=session, user_id=user_id)
    await reviews_crud.forget_user(session=session, user_id=user_id)
    await townhall_crud.forget_user(session=session, user_id=user_id, tags=seal.tags(user_id))
    await erasure.forget_messages(session=session, traces=traces)
    await erasure.scrub_files(session=session, traces=traces)
    await session.execute(delete(User).where(col(User.id) == user_id))
    # A proposal withdrawn before it was sent never had a card: redrawing would post one.
    shown = [
        case
        for case in [*own, *signed, *assigned]
        if case.state not in proposals_crud.NEVER_SUBMITTED
    ]
    rows = [notify.card_refresh(case) for case in shown]
    for case in own:
        if case.kind == Kind.PROPOSAL and case.id is not None:
            proposal = await proposals_crud.get_proposal(session=session, case_id=case.id)
            if proposal is not None:  # posted only once registered: channel_rows knows
                rows += channel_rows(services=services, proposal=proposal)
    await outbox_crud.enqueue(session=session, messages=rows)
    erasure.remember(session, traces)


async def forget_conversations(*, storage: BaseStorage, user_id: int) -> None:
    """The person's conversation states in every chat: their private chat's, and a group's
    half-finished step (an officer's prompt) too, whose keys name them."""
    # The dispatcher's storage defers writes until the commit (`bot.delivery.deferred`), and
    # may seal them (`bot.app.sealed_fsm`); erasing goes to what it stores in.
    while hasattr(storage, "inner"):
        storage = storage.inner
    if isinstance(storage, MemoryStorage):
        for key in [k for k in storage.storage if user_id in (k.chat_id, k.user_id)]:
            del storage.storage[key]
    elif isinstance(storage, RedisStorage):
        builder = storage.key_builder
        prefix, sep = getattr(builder, "prefix", "fsm"), getattr(builder, "separator", ":")
        needle = str(user_id)
        doomed = [
            key
            async for key in storage.redis.scan_iter(match=f"{prefix}{sep}*{needle}*")
            if needle in (key.decode() if isinstance(key, bytes) else key).split(sep)[1:]
        ]
        if doomed:
            await storage.redis.delete(*doomed)


async def erase_person(
    *, session: AsyncSession, services: Services, storage: BaseStorage, user_id: int
) -> None:
    """/deleteme: what the database holds of the person, then their conversation states."""
    await erase_user(session=session, services=services, user_id=user_id)
    await forget_conversations(storage=storage, user_id=user_id)


async def _withdraw_unsent_proposals(
    session: AsyncSession, services: Services, user_id: int
) -> None:
    """A draft, or one still collecting co-signatures, was the person's alone to send: it is
    withdrawn (its co-signers told) rather than left to reach the committee with no proposer."""
    user = await session.get(User, user_id)
    if user is None:
        return
    unsent = await session.scalars(
        select(col(Case.id)).where(
            col(Case.submitter_id) == user_id,
            col(Case.kind) == Kind.PROPOSAL,
            col(Case.state).in_(UNSUBMITTED),
        )
    )
    for case_id in [int(case_id) for case_id in unsent if case_id is not None]:
        await proposals.withdraw(session=session, services=services, case_id=case_id, user=user)
