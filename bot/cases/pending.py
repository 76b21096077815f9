"""Texts officers are asked for in a group chat: an official answer, a reason, a question for
the student, a comment for a department, a reply to a liaison, a case number to merge into.

The button queues a prompt as an outbox row; once sent, the row records the prompt's message
id. Only a reply to that message, by the officer who pressed, is taken — never whatever they
write next — so a prompt that never arrived leaves nothing to answer. What leaves the
officers' chat is shown back in a preview naming the case and goes out only on 发送; a case
number is used at once. Both steps lapse after `pending_input_minutes`. Everything is in the
database, so a restart in between loses nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.cases import levels as level_moves
from bot.cases.actions import apply_action
from bot.casework import guard
from bot.casework.facts import facts
from bot.core.callbacks import PendingCB
from bot.core.config import Department
from bot.core.context import Services
from bot.core.markup import one_row
from bot.core.render import fit_html
from bot.delivery import notify
from bot.departments import answers as department_answers
from bot.domain import levels
from bot.domain.publication import answer_shown
from bot.domain.text import N_
from bot.domain.workflow import Action, Actor, TransitionError, required_text, resolve
from bot.proposals import decisions as proposal_decisions
from storage.crud import cases as cases_crud
from storage.crud import concerns as concerns_crud
from storage.crud import departments as departments_crud
from storage.crud import outbox as outbox_crud
from storage.crud import pending as crud
from storage.crud import users as users_crud
from storage.models import Case, OutboxMessage, PendingInput

CONVERT, BACK, REPLY = "convert", "back", "reply"
ESCALATE = levels.ESCALATE
CASE_ACTIONS = frozenset({Action.ANSWER, Action.REJECT, Action.REQUEST_INFO, Action.MERGE})
PART_ACTIONS = frozenset({BACK, REPLY})
ACTIONS = CASE_ACTIONS | PART_ACTIONS | {CONVERT, ESCALATE}
# Used at once, with no preview: they stay among the officers' chats.
IMMEDIATE = frozenset({Action.MERGE, ESCALATE})
SEND, REVISE, CANCEL = N_("Send"), N_("Revise"), N_("Cancel")


class Outcome(StrEnum):
    ASKED = "asked"
    PREVIEW = "preview"
    APPLIED = "applied"
    CANCELLED = "cancelled"
    EXPIRED = "expired"
    CLOSED = "closed"
    NOT_YOURS = "not_yours"


@dataclass(frozen=True)
class Where:
    """Where a prompt goes: the chat, its forum topic, and the message it replies to."""

    chat_id: int
    thread_id: int | None = None
    reply_to: int | None = None


@dataclass
class Preview:
    pending: PendingInput
    case: Case
    department: Department | None
    # An answer to a public case is public too (`bot.domain.publication.answer_shown`).
    public: str | None = None


def _ttl(services: Services) -> timedelta:
    return timedelta(minutes=services.settings.pending_input_minutes)


async def _case_for(
    *, session: AsyncSession, services: Services, actor: Actor, action: str, case_id: int
) -> Case:
    case = await guard.officer_case(
        session=session, services=services, actor=actor, case_id=case_id
    )
    # Asked only for what the case allows now, so no text is written in vain.
    if action in CASE_ACTIONS or action == CONVERT:
        resolve(facts(case), Action(action), actor.role)
    if action == ESCALATE:
        refusal = levels.escalate_refusal(level=case.level, state=case.state)
        if refusal is not None:
            raise TransitionError(refusal)
    return case


async def ask(
    *,
    session: AsyncSession,
    services: Services,
    actor: Actor,
    action: str,
    where: Where,
    case_id: int | None = None,
    part_id: int | None = None,
) -> PendingInput:
    """Queue the prompt and wait for a reply to it (a proposal's part names its case)."""
    if action not in ACTIONS or (action in PART_ACTIONS) != (part_id is not None):
        raise TransitionError("invalid")
    if part_id is not None:
        part = await departments_crud.get_assignment(session=session, assignment_id=part_id)
        if part is None:
            raise TransitionError("not_found")
        case_id = part.case_id
    if case_id is None or actor.user_id is None:
        raise TransitionError("invalid")
    if where.chat_id != actor.chat_id:
        raise TransitionError("wrong_chat")
    case = await _case_for(
        session=session, services=services, actor=actor, action=action, case_id=case_id
    )
    # A second press asks again: the earlier request for the same text is over.
    for earlier, _ in await crud.open_of(
        session=session, officer_id=actor.user_id, chat_id=where.chat_id
    ):
        if (earlier.case_id, earlier.action, earlier.part_id) == (case_id, action, part_id):
            earlier.status = crud.REPLACED
            session.add(earlier)
    row = await _prompt_row(
        session=session, services=services, actor=actor, case=case, action=action, where=where
    )
    now = services.now()
    return await crud.add(
        session=session,
        pending=PendingInput(
            case_id=case_id,
            part_id=part_id,
            action=action,
            officer_id=actor.user_id,
            chat_id=where.chat_id,
            prompt_row_id=row.id or 0,
            created_at=now,
            expires_at=now + _ttl(services),
        ),
    )


async def _prompt_row(
    *,
    session: AsyncSession,
    services: Services,
    actor: Actor,
    case: Case,
    action: str,
    where: Where,
) -> OutboxMessage:
    """The prompt, sent by the delivery worker, which records the message id it got."""
    assert actor.user_id is not None
    officer = await users_crud.get_user(session=session, user_id=actor.user_id)
    username = officer.username if officer is not None else None
    # A reply keyboard for the one who pressed: Telegram offers it to those @mentioned.
    mention = f"@{username}" if username else (officer.first_name if officer else None)
    text = services.renderer.render(
        services.group_locale,
        "group/prompt_text.html",
        case=case,
        action=action,
        mention=mention,
        minutes=services.settings.pending_input_minutes,
    )
    payload: dict[str, Any] = {
        "chat_id": where.chat_id,
        "text": text,
        "parse_mode": "HTML",
        "reply_markup": {"force_reply": True, "selective": bool(username)},
    }
    if where.thread_id is not None:
        payload["message_thread_id"] = where.thread_id
    if where.reply_to is not None:
        payload["reply_parameters"] = {
            "message_id": where.reply_to,
            "allow_sending_without_reply": True,
        }
    row = OutboxMessage(
        kind="send",
        method="sendMessage",
        chat_id=where.chat_id,
        case_id=case.id,
        payload=payload,
        priority=notify.INTERACTIVE,
    )
    await outbox_crud.enqueue(session=session, messages=[row])
    return row


async def for_reply(*, session: AsyncSession, chat_id: int, message_id: int) -> PendingInput | None:
    """The input a reply to the bot's message `message_id` answers, if it was a prompt."""
    return await crud.by_prompt(session=session, chat_id=chat_id, message_id=message_id)


def _standing(
    pending: PendingInput, actor: Actor, status: str, services: Services
) -> Outcome | None:
    """Why the actor cannot go on with the input now (None: they can); lapses it when due."""
    if pending.officer_id != actor.user_id or pending.chat_id != actor.chat_id:
        return Outcome.NOT_YOURS
    if pending.status != status:
        return Outcome.CLOSED
    if services.now() >= pending.expires_at:
        pending.status = crud.EXPIRED
        return Outcome.EXPIRED
    return None


async def receive(
    *, session: AsyncSession, services: Services, actor: Actor, pending: PendingInput, text: str
) -> Outcome:
    """The officer's reply to a prompt: used at once (a case number), or held for the preview."""
    refused = _standing(pending, actor, crud.AWAITING, services)
    if refused is not None:
        session.add(pending)
        return refused
    text = required_text(text)
    if pending.action in IMMEDIATE:
        # The case number is checked by the move itself; a wrong one leaves the prompt open.
        await _apply(session=session, services=services, actor=actor, pending=pending, text=text)
        pending.status = crud.DONE
    else:
        await _case_for(
            session=session,
            services=services,
            actor=actor,
            action=pending.action,
            case_id=pending.case_id,
        )
        pending.text = text
        pending.status = crud.CONFIRMING
        pending.expires_at = services.now() + _ttl(services)
    session.add(pending)
    return Outcome.APPLIED if pending.status == crud.DONE else Outcome.PREVIEW


async def _owned(
    *, session: AsyncSession, services: Services, actor: Actor, pending_id: int
) -> tuple[PendingInput, Outcome | None]:
    pending = await crud.get(session=session, pending_id=pending_id, for_update=True)
    if pending is None:
        raise TransitionError("not_found")
    refused = _standing(pending, actor, crud.CONFIRMING, services)
    session.add(pending)
    return pending, refused


async def confirm(
    *, session: AsyncSession, services: Services, actor: Actor, pending_id: int
) -> Outcome:
    """发送: the previewed text does what it was asked for (the action checks everything again)."""
    pending, refused = await _owned(
        session=session, services=services, actor=actor, pending_id=pending_id
    )
    if refused is not None:
        return refused
    try:
        await _apply(
            session=session, services=services, actor=actor, pending=pending, text=pending.text
        )
    except TransitionError:
        # The case moved on meanwhile (or left this chat): the text cannot be used any more.
        pending.status = crud.CANCELLED
        raise
    pending.status = crud.DONE
    return Outcome.APPLIED


async def revise(
    *, session: AsyncSession, services: Services, actor: Actor, pending_id: int, where: Where
) -> Outcome:
    """修改: the preview is dropped and the text asked for again, with a new prompt."""
    pending, refused = await _owned(
        session=session, services=services, actor=actor, pending_id=pending_id
    )
    if refused is not None:
        return refused
    pending.status = crud.REPLACED
    await ask(
        session=session,
        services=services,
        actor=actor,
        action=pending.action,
        where=where,
        case_id=None if pending.part_id is not None else pending.case_id,
        part_id=pending.part_id,
    )
    return Outcome.ASKED


async def cancel(
    *, session: AsyncSession, services: Services, actor: Actor, pending_id: int
) -> Outcome:
    """取消: nothing is sent."""
    pending, refused = await _owned(
        session=session, services=services, actor=actor, pending_id=pending_id
    )
    if refused is not None:
        return refused
    pending.status = crud.CANCELLED
    return Outcome.CANCELLED


async def cancel_all(*, session: AsyncSession, officer_id: int, chat_id: int) -> int:
    """/cancel: every input the officer was asked for in the chat is dropped; how many of
    them they could have answered (a request that never arrived was never theirs to see)."""
    dropped = await crud.open_of(session=session, officer_id=officer_id, chat_id=chat_id)
    for pending, _ in dropped:
        pending.status = crud.CANCELLED
        session.add(pending)
    return sum(arrived for _, arrived in dropped)


async def _apply(
    *,
    session: AsyncSession,
    services: Services,
    actor: Actor,
    pending: PendingInput,
    text: str | None,
) -> None:
    text = text or ""
    if pending.action in CASE_ACTIONS:
        merge = pending.action == Action.MERGE
        await apply_action(
            session=session,
            services=services,
            case_id=pending.case_id,
            action=Action(pending.action),
            actor=actor,
            text=None if merge else text,
            target_number=text if merge else None,
        )
    elif pending.action == ESCALATE:
        await level_moves.escalate(
            session=session, services=services, actor=actor, case_id=pending.case_id, reason=text
        )
    elif pending.action == CONVERT:
        await proposal_decisions.convert(
            session=session, services=services, case_id=pending.case_id, actor=actor, text=text
        )
    elif pending.action == BACK:
        await department_answers.return_answer(
            session=session,
            services=services,
            assignment_id=pending.part_id or 0,
            actor=actor,
            comment=text,
        )
    else:
        await department_answers.reply_to_liaison(
            session=session,
            services=services,
            assignment_id=pending.part_id or 0,
            actor=actor,
            text=text,
        )


async def preview(*, session: AsyncSession, services: Services, pending: PendingInput) -> Preview:
    case = await cases_crud.get_case(session=session, case_id=pending.case_id)
    assert case is not None
    department = None
    if pending.part_id is not None:
        part = await departments_crud.get_assignment(session=session, assignment_id=pending.part_id)
        department = services.org.department(part.department_code) if part else None
    public = None
    if pending.action == Action.ANSWER:
        assert case.id is not None
        row = await concerns_crud.get(session=session, case_id=case.id)
        public = answer_shown(row.status if row else None, case.state)
    return Preview(pending, case, department, public)


def preview_messages(services: Services, shown: Preview) -> list[dict[str, Any]]:
    """The preview, naming the case and who will read it; a long text takes several messages,
    the buttons go on the last."""
    locale, pending = services.group_locale, shown.pending

    def make(part: str) -> str:
        return services.renderer.render(
            locale,
            "group/input_preview.html",
            case=shown.case,
            action=pending.action,
            department=shown.department,
            body=part,
            minutes=services.settings.pending_input_minutes,
            public=shown.public,
        )

    texts = fit_html(make, pending.text or "")
    _ = services.renderer.translator(locale)
    keyboard = one_row(
        *(
            (_(label), PendingCB(op=op, pending_id=pending.id or 0))
            for op, label in (("send", SEND), ("edit", REVISE), ("cancel", CANCEL))
        )
    )
    return [{"text": text} for text in texts[:-1]] + [{"text": texts[-1], "reply_markup": keyboard}]
