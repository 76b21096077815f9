"""Messages between a student and the officers about a case that do not move its state."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.cases.actions import apply_action
from bot.casework import authors, guard
from bot.casework.transitions import log
from bot.core.context import Services
from bot.delivery import notify
from bot.departments import answers as department_answers
from bot.domain.intake import OFFLINE_SOURCES
from bot.domain.workflow import (
    FINAL_STATES,
    UNSUBMITTED,
    Action,
    Actor,
    Role,
    State,
    TransitionError,
)
from storage.crud import cases as cases_crud
from storage.crud import mutes as mutes_crud
from storage.crud import outbox as outbox_crud
from storage.models import Case


async def _case(session: AsyncSession, case_id: int) -> Case:
    case = await cases_crud.get_case(session=session, case_id=case_id, for_update=True)
    if case is None:
        raise TransitionError("not_found")
    return case


async def officer_reply(
    *,
    session: AsyncSession,
    services: Services,
    case_id: int,
    actor: Actor,
    text: str | None,
    copy_from: tuple[int, int] | None = None,
) -> bool:
    """Relay an officer's message to the student, signed by the department; False if internal."""
    case = await _case(session, case_id)
    await guard.officer(session=session, services=services, actor=actor, case=case)
    marker = services.org.internal_marker
    internal = bool(text) and text.lstrip().startswith(marker)  # type: ignore[union-attr]
    await log(
        session=session,
        services=services,
        case=case,
        action="note" if internal else "reply",
        actor=actor,
        text=text,
        public=not internal,
    )
    if internal:
        return False
    now = services.now()
    rows: list[Any] = []
    if case.first_response_at is None:
        case.first_response_at = now
        rows.append(notify.card_refresh(case))  # the card's clock moves to the answer deadline
    case.updated_at = now
    session.add(case)
    rows += await notify.to_audience(
        session=session,
        services=services,
        case=case,
        template="student/officer_reply.html",
        priority=notify.INTERACTIVE,
        report_failure=True,
        # A conversation with the person who wrote the case, not a bulletin for its followers.
        submitter_only=True,
        body=text or "",
    )
    if copy_from is not None:
        rows += _copies([row for row in rows if row.kind == "send"], copy_from, case_id)
    rows += await _reach_note(session, services, case)
    await outbox_crud.enqueue(session=session, messages=rows)
    return True


async def _reach_note(session: AsyncSession, services: Services, case: Case) -> list[Any]:
    """A line in the thread when the student cannot be written to (their data is erased) or
    cannot answer (muted). One who blocked the bot is reported by the delivery itself, which
    is where that is found out (`delivery_failed`)."""
    author = authors.author_id(case, services.sealer)
    if author is None and case.source in OFFLINE_SOURCES and not authors.has_author(case):
        # Nobody erased anything: no student has opened the case's invite link (yet).
        return notify.to_thread(
            services=services, case=case, template="group/note_reply_offline.html"
        )
    if author is None:
        return notify.to_thread(
            services=services, case=case, template="group/note_reply_erased.html"
        )
    muted = await mutes_crud.active(session=session, user_id=author, now=services.now())
    if muted is None or not await mutes_crud.decided_on(session=session, case=case, mute=muted):
        return []
    return notify.to_thread(
        services=services, case=case, template="group/note_reply_muted.html", until=muted.until
    )


def _copies(rows: list[Any], source: tuple[int, int], case_id: int) -> list[Any]:
    """The officer's photo or file, copied (not forwarded) so no name travels with it."""
    from_chat, message_id = source
    copies = []
    for chat_id in {row.chat_id for row in rows}:
        # Each copy goes as its text does: to the author of an anonymous case, sealed too.
        copies.append(
            notify.OutboxMessage(
                kind="send",
                method="copyMessage",
                chat_id=chat_id,
                case_id=case_id,
                recipient_user_id=chat_id,
                payload={"chat_id": chat_id, "from_chat_id": from_chat, "message_id": message_id},
                priority=notify.INTERACTIVE,
                # The text sent with it already reports a failure; officers hear of it once.
                report_failure=False,
            )
        )
    return copies


async def student_message(
    *,
    session: AsyncSession,
    services: Services,
    case_id: int,
    student_id: int,
    text: str,
    attachments: list[dict[str, Any]] | None = None,
) -> Case:
    """Information the student adds; answers a request for it when one is open."""
    case = await _case(session, case_id)
    if not authors.acts_as_author(session, case, student_id, services.sealer):
        raise TransitionError("forbidden")
    if case.state in FINAL_STATES:
        raise TransitionError("closed")
    if case.state in UNSUBMITTED:  # a proposal's draft: nobody in the officers' chat sees it yet
        raise TransitionError("not_submitted")
    if case.state == State.NEEDS_INFO:
        case = await apply_action(
            session=session,
            services=services,
            case_id=case_id,
            action=Action.PROVIDE_INFO,
            actor=Actor(student_id, Role.STUDENT),
            text=text,
        )
    else:
        await log(
            session=session,
            services=services,
            case=case,
            action="student_message",
            actor=Actor(student_id, Role.STUDENT),
            text=text,
            public=True,
        )
        if text.strip() or not attachments:
            # A bare photo needs no empty note: its caption already names the case.
            await outbox_crud.enqueue(
                session=session,
                messages=notify.to_thread(
                    services=services, case=case, template="group/note_info.html", body=text
                ),
            )
    if attachments:
        await cases_crud.add_attachments(session=session, case_id=case_id, items=attachments)
        await outbox_crud.enqueue(
            session=session,
            messages=notify.card_with_files(case, attachments),
        )
    return case


async def rating_comment(
    *, session: AsyncSession, services: Services, case_id: int, student_id: int, text: str
) -> None:
    case = await _case(session, case_id)
    if (
        not authors.acts_as_author(session, case, student_id, services.sealer)
        or case.rating is None
    ):
        raise TransitionError("forbidden")
    case.rating_comment = text.strip()[:1000]
    session.add(case)
    await log(
        session=session,
        services=services,
        case=case,
        action="rating_comment",
        actor=Actor(student_id, Role.STUDENT),
        text=case.rating_comment,
        public=True,
    )
    rows = [
        notify.card_refresh(case),  # the card shows the rating with its comment
        *notify.to_thread(
            services=services,
            case=case,
            template="group/note_comment.html",
            body=case.rating_comment,
        ),
    ]
    # The departments that answered read what their answer earned.
    rows += await department_answers.comment_to_liaisons(
        session=session, services=services, case=case
    )
    await outbox_crud.enqueue(session=session, messages=rows)


async def delivery_failed(
    *, session: AsyncSession, services: Services, case_id: int, reason: str, rejected: bool = False
) -> None:
    """Tell the officers in the thread that what they sent did not reach the student: the
    student is out of reach, or (`rejected`) Telegram refused the message itself."""
    case = await cases_crud.get_case(session=session, case_id=case_id)
    if case is None:
        return
    await log(
        session=session,
        services=services,
        case=case,
        action="delivery_failed",
        actor=Actor(None, Role.SYSTEM),
        text=reason,
    )
    await outbox_crud.enqueue(
        session=session,
        messages=notify.to_thread(
            services=services,
            case=case,
            template="group/note_undelivered.html",
            # The thread's own priority, so it follows the note of what was sent (queued with
            # the action) instead of overtaking it and being contradicted by it.
            priority=notify.NORMAL,
            reason=reason,
            rejected=rejected,
        ),
    )
