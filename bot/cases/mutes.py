"""Officers mute a case's author for a while; what the student sends meanwhile is held (not
shown, not lost) and reaches the case threads when the mute ends, or is discarded by an officer.

The officers act on a case and never learn who its author is: the mute is found and kept by
the student's id, which only this module reads off the case. Every decision is an event of
the case it was taken on (without the student); the mute row has no case.
"""

from __future__ import annotations

import json
import logging
from dataclasses import asdict
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.cases import conversation
from bot.cases.actions import Draft, check_text, submit_case
from bot.casework import authors, guard
from bot.casework.transitions import log as log_event
from bot.core.context import Services
from bot.delivery import notify
from bot.domain.workflow import FINAL_STATES, UNSUBMITTED, Actor, TransitionError
from storage.crud import cases as cases_crud
from storage.crud import mutes as crud
from storage.crud import outbox as outbox_crud
from storage.crud import users as users_crud
from storage.models import Case, HeldMessage, Mute, User

log = logging.getLogger(__name__)

REASON_MAX = 500


async def _author(
    *, session: AsyncSession, services: Services, actor: Actor, case_id: int
) -> tuple[Case, int]:
    case = await guard.officer_case(
        session=session, services=services, actor=actor, case_id=case_id
    )
    author = authors.author_id(case, services.sealer)
    if author is None:
        raise TransitionError("no_student")
    return case, author


async def mute(
    *,
    session: AsyncSession,
    services: Services,
    actor: Actor,
    case_id: int,
    duration: timedelta,
    reason: str,
) -> Mute:
    """Mute the case's author for `duration`; a mute in force is replaced (longer or shorter),
    keeping what it holds."""
    reason = reason.strip()[:REASON_MAX]
    if not reason:
        raise TransitionError("text_required")
    case, user_id = await _author(session=session, services=services, actor=actor, case_id=case_id)
    now = services.now()
    until = now + duration
    current = await crud.active(session=session, user_id=user_id, now=now)
    if current is None:
        current = await crud.add(
            session=session,
            mute=Mute(
                user_id=user_id,
                until=until,
                reason=reason,
                officer_id=actor.user_id,
                created_at=now,
            ),
        )
    else:
        current.until, current.reason, current.officer_id = until, reason, actor.user_id
        # Told the old end, the student is told the new one with their next message.
        current.notified_at = None
        session.add(current)
    event = await log_event(
        session=session, services=services, case=case, action="mute", actor=actor, text=reason
    )
    event.until = until
    session.add(event)
    await outbox_crud.enqueue(session=session, messages=[notify.card_refresh(case)])
    return current


async def unmute(*, session: AsyncSession, services: Services, actor: Actor, case_id: int) -> int:
    """End the author's mute now; what it held goes to the officers. How many messages."""
    case, user_id = await _author(session=session, services=services, actor=actor, case_id=case_id)
    now = services.now()
    current = await crud.active(session=session, user_id=user_id, now=now)
    ended = (
        None
        if current is None
        else await crud.claim_end(session=session, mute_id=current.id or 0, now=now)
    )
    if ended is None:
        raise TransitionError("not_muted")
    await log_event(session=session, services=services, case=case, action="unmute", actor=actor)
    released = await _release(session=session, services=services, mute=ended)
    await outbox_crud.enqueue(session=session, messages=[notify.card_refresh(case)])
    return released


async def discard(*, session: AsyncSession, services: Services, actor: Actor, case_id: int) -> int:
    """Drop what the author's mute holds, unseen; the mute goes on. How many were dropped."""
    case, user_id = await _author(session=session, services=services, actor=actor, case_id=case_id)
    current = await crud.active(session=session, user_id=user_id, now=services.now())
    if current is None or current.id is None:
        raise TransitionError("not_muted")
    held = await crud.held_of(session=session, mute_id=current.id)
    await crud.drop_held(session=session, ids=[h.id for h in held if h.id is not None])
    await log_event(
        session=session,
        services=services,
        case=case,
        action="held_discarded",
        actor=actor,
        text=str(len(held)),
    )
    return len(held)


async def hold(
    *,
    session: AsyncSession,
    services: Services,
    user: User,
    case: Case | None = None,
    text: str = "",
    attachments: list[dict[str, Any]] | None = None,
    draft: Draft | None = None,
) -> bool:
    """Keep what the student sends, if they are muted (True): a message for `case`, or a new
    case's `draft`. The thread learns that something is held, never what; the student is
    told once per mute when it will reach the officers."""
    now = services.now()
    current = await crud.active(session=session, user_id=user.id, now=now)
    if current is None or current.id is None:
        return False
    payload: dict[str, Any] = (
        {"draft": asdict(draft)}
        if draft is not None
        else {"text": text, "attachments": list(attachments or [])}
    )
    await crud.hold(
        session=session,
        mute_id=current.id,
        payload=seal_held(services, case.id if case is not None else None, payload),
        now=now,
    )
    rows = []
    if case is not None and await crud.decided_on(session=session, case=case, mute=current):
        rows += notify.to_thread(
            services=services, case=case, template="group/note_held.html", until=current.until
        )
    if await crud.mark_notified(session=session, mute_id=current.id, now=now):
        rows += notify.to_user(
            services=services, user=user, template="student/held.html", until=current.until
        )
    await outbox_crud.enqueue(session=session, messages=rows)
    return True


def seal_held(services: Services, case_id: int | None, payload: dict[str, Any]) -> dict[str, Any]:
    """What a held message says, and which case it is for, sealed: its mute names the student,
    so in the clear the row would tie them to a case that may be anonymous."""
    return {"sealed": services.sealer.seal_text(json.dumps({"case_id": case_id, **payload}))}


def held_content(services: Services, item: HeldMessage) -> tuple[int | None, dict[str, Any]]:
    """The case a held message is for (None: a new case) and what it says, opened."""
    content = json.loads(services.sealer.open_text(item.payload["sealed"]))
    return content.pop("case_id"), content


async def release_due(
    *, session_factory: async_sessionmaker[AsyncSession], services: Services, now: datetime
) -> int:
    """The scheduler's: every mute whose time ran out ends, each in its own transaction, once
    across instances (`crud.claim_end`). How many messages reached the officers."""
    async with session_factory() as session:
        due = await crud.due(session=session, now=now)
    released = 0
    for mute_id in due:
        async with session_factory.begin() as session:
            ended = await crud.claim_end(session=session, mute_id=mute_id, now=now)
            if ended is not None:
                released += await _release(session=session, services=services, mute=ended)
    return released


async def _release(*, session: AsyncSession, services: Services, mute: Mute) -> int:
    """What the mute held, in the order it was sent, each into its case's thread under a line
    saying since when it was held; a held new case is submitted now."""
    assert mute.id is not None
    held = await crud.held_of(session=session, mute_id=mute.id)
    user = await users_crud.get_user(session=session, user_id=mute.user_id)
    for item in held:
        if user is not None:
            await _deliver(session=session, services=services, user=user, mute=mute, item=item)
    await crud.drop_held(session=session, ids=[h.id for h in held if h.id is not None])
    return len(held) if user is not None else 0


async def _deliver(
    *, session: AsyncSession, services: Services, user: User, mute: Mute, item: HeldMessage
) -> None:
    case_id, payload = held_content(services, item)
    if case_id is None:
        submitted = await submit_case(
            session=session, services=services, submitter=user, draft=Draft(**payload["draft"])
        )
        await _released_line(session, services, submitted, mute, item)
        return
    case = await cases_crud.get_case(session=session, case_id=case_id)
    if case is None:
        return
    await _released_line(session, services, case, mute, item)
    try:
        await conversation.student_message(
            session=session,
            services=services,
            case_id=case_id,
            student_id=user.id,
            text=payload.get("text", ""),
            attachments=payload.get("attachments") or None,
        )
    except TransitionError:
        # The case moved on meanwhile (closed, say): the officers still read what was sent.
        rows = notify.to_thread(
            services=services, case=case, template="group/note_info.html", body=payload["text"]
        )
        rows += notify.attachments_to_thread(
            case=case, items=payload.get("attachments") or [], caption=f"<b>{case.number}</b>"
        )
        await outbox_crud.enqueue(session=session, messages=rows)


async def _released_line(
    session: AsyncSession, services: Services, case: Case, mute: Mute, item: HeldMessage
) -> None:
    if not await crud.decided_on(session=session, case=case, mute=mute):
        return
    await outbox_crud.enqueue(
        session=session,
        messages=notify.to_thread(
            services=services, case=case, template="group/note_released.html", since=item.created_at
        ),
    )


async def submit_or_hold(
    *, session: AsyncSession, services: Services, submitter: User, draft: Draft
) -> Case | None:
    """提交: the case, or None when its author is muted and the draft is held for later."""
    if services.org.category(draft.category) is None:
        raise TransitionError("unknown_category")
    if check_text(draft.text) is not None:
        raise TransitionError("bad_text")
    if await hold(session=session, services=services, user=submitter, draft=draft):
        return None
    return await submit_case(session=session, services=services, submitter=submitter, draft=draft)


async def hold_for_case(
    *,
    session: AsyncSession,
    services: Services,
    user: User,
    case_id: int,
    text: str,
    attachments: list[dict[str, Any]],
) -> bool:
    """Information for one of the student's open cases, held if they are muted (True). What
    the case would refuse anyway is left to the ordinary path to refuse."""
    case = await cases_crud.get_case(session=session, case_id=case_id)
    if (
        case is None
        or not authors.is_author(case, user.id, services.sealer)
        or case.state in FINAL_STATES
        or case.state in UNSUBMITTED
    ):
        return False
    return await hold(
        session=session, services=services, user=user, case=case, text=text, attachments=attachments
    )
