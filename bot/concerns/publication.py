"""A case's public version: asked for at submission, worded by the officers, accepted by its
student; then found on /board and in the public channel, where others support it (+1) and
follow it. Each step commits before anyone is told (the outbox)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.casework import authors, guard
from bot.casework.transitions import log
from bot.core.context import Services
from bot.delivery import notify
from bot.domain.chats import CHANNEL
from bot.domain.publication import (
    PublicationError,
    Status,
    check_answer,
    check_draft,
    check_support,
    may_publish,
)
from bot.domain.workflow import Actor, Role
from storage.crud import cases as cases_crud
from storage.crud import concerns as crud
from storage.crud import outbox as outbox_crud
from storage.models import Case, CasePublication, OutboxMessage

PAYLOAD_PREFIX = "concern_"


@dataclass(frozen=True)
class Supported:
    case: Case
    publication: CasePublication
    supports: int
    new: bool


async def request(*, session: AsyncSession, services: Services, case: Case) -> None:
    """At submission: the student asked for a public version (nothing public yet)."""
    assert case.id is not None
    category = services.org.category(case.category_code)
    if may_publish(case.kind, sensitive=category is not None and category.sensitive):
        await crud.request(session=session, case_id=case.id, now=services.now())
        # The officers learn it where they handle the case: the wording is theirs to write.
        await outbox_crud.enqueue(
            session=session,
            messages=notify.to_thread(
                services=services, case=case, template="concerns/group_requested.html"
            ),
        )


async def draft(
    *, session: AsyncSession, services: Services, actor: Actor, case_id: int, text: str
) -> tuple[Case, CasePublication]:
    """The officers' public wording, sent to the student to accept or decline."""
    case = await guard.officer_case(
        session=session, services=services, actor=actor, case_id=case_id
    )
    publication = await crud.get(session=session, case_id=case_id, for_update=True)
    status = publication.status if publication is not None else None
    wording = check_draft(status, case.state, text)
    assert publication is not None
    publication.status = Status.DRAFTED
    publication.public_text = wording
    publication.drafted_at = services.now()
    await log(session=session, services=services, case=case, action="public_drafted", actor=actor)
    rows = await notify.to_audience(
        session=session,
        services=services,
        case=case,
        template="concerns/student_draft.html",
        submitter_only=True,
        priority=notify.NORMAL,
        keyboard=lambda loc: _answer_keyboard(services, loc, case_id),
        body=wording,
    )
    # The card shows where the public version stands.
    await outbox_crud.enqueue(session=session, messages=[notify.card_refresh(case), *rows])
    return case, publication


async def answer(
    *, session: AsyncSession, services: Services, user_id: int, case_id: int, accept: bool
) -> Case:
    """The student's answer to the public wording: published (on the board and in the
    channel) or declined, and the officers' thread told which."""
    case = await cases_crud.get_case(session=session, case_id=case_id)
    if case is None or not authors.acts_as_author(session, case, user_id, services.sealer):
        raise PublicationError("not_found")
    publication = await crud.get(session=session, case_id=case_id, for_update=True)
    check_answer(publication.status if publication is not None else None, case.state)
    assert publication is not None
    now = services.now()
    publication.status = Status.PUBLISHED if accept else Status.DECLINED
    if accept:
        publication.published_at = now
    await log(
        session=session,
        services=services,
        case=case,
        action="public_published" if accept else "public_declined",
        actor=Actor(user_id, Role.STUDENT),
    )
    rows = [notify.card_refresh(case)]
    rows += notify.to_thread(
        services=services,
        case=case,
        template="concerns/group_answer.html",
        accepted=accept,
        public_text=publication.public_text,
    )
    if accept:
        rows += channel_rows(services=services, case_id=case_id)
    await outbox_crud.enqueue(session=session, messages=rows)
    return case


async def support(
    *, session: AsyncSession, services: Services, user_id: int, case_id: int
) -> Supported:
    """+1 (我也遇到 / 支持) on a published case: once each, and the supporter follows it from
    then on. Its own author is counted already, and as a follower would be named by it."""
    case = await cases_crud.get_case(session=session, case_id=case_id)
    publication = await crud.get(session=session, case_id=case_id)
    if case is None or publication is None:
        raise PublicationError("not_public")
    check_support(publication.status, case.state)
    if authors.acts_as_author(session, case, user_id, services.sealer):
        raise PublicationError("own_case")
    new = await crud.add_support(session=session, case_id=case_id, user_id=user_id)
    if new:
        await cases_crud.add_followers(session=session, case_id=case_id, user_ids=[user_id])
        # The officers' card counts the supporters too (one redraw for many +1s in a row).
        await outbox_crud.enqueue(
            session=session,
            messages=[
                notify.card_refresh(case),
                *channel_rows(services=services, case_id=case_id),
            ],
        )
    counts = await crud.support_counts(session=session, case_ids=[case_id])
    return Supported(case, publication, counts.get(case_id, 0), new)


async def public_case(
    *, session: AsyncSession, case_id: int
) -> tuple[Case, CasePublication, int] | None:
    """A published case as the public sees it, with its supports; None when it is not."""
    case = await cases_crud.get_case(session=session, case_id=case_id)
    publication = await crud.get(session=session, case_id=case_id)
    if case is None or publication is None:
        return None
    try:
        check_support(publication.status, case.state)
    except PublicationError:
        return None
    counts = await crud.support_counts(session=session, case_ids=[case_id])
    return case, publication, counts.get(case_id, 0)


async def after_change(*, session: AsyncSession, services: Services, case: Case) -> list[Any]:
    """A published case's post in the channel, drawn again after its state changed."""
    assert case.id is not None
    publication = await crud.get(session=session, case_id=case.id)
    if publication is None or publication.status != Status.PUBLISHED:
        return []
    return channel_rows(services=services, case_id=case.id)


async def carry_supports(*, session: AsyncSession, case: Case, target: Case) -> None:
    """Merging: the duplicate's supporters support the case it went into."""
    assert case.id is not None and target.id is not None
    supporters = await crud.supporter_ids(session=session, case_id=case.id)
    await crud.add_supports(session=session, case_id=target.id, user_ids=supporters)


def channel_rows(*, services: Services, case_id: int) -> list[OutboxMessage]:
    """The case's post in the public channel, rendered as it is when it is sent."""
    channel = services.settings.public_channel_id
    if channel is None:
        return []
    return [
        OutboxMessage(
            kind=CHANNEL,
            method=CHANNEL,
            chat_id=channel,
            case_id=case_id,
            payload={},
            priority=notify.BULK,
            coalesce_key=f"{CHANNEL}:{case_id}",
        )
    ]


def _answer_keyboard(services: Services, locale: str, case_id: int) -> dict[str, Any]:
    from bot.concerns import keyboards

    return keyboards.answer(services.renderer, locale, case_id)
