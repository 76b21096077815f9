"""重新分类: a case's category changes, and its deadlines and its chat follow.

The deadlines are recomputed with the new category's days from the case's original start
(its submission, or its latest reopening): the student has been waiting since then, whatever
the officers first filed it under.

A case that moves between the officers' chat and the sensitive one leaves the old chat without
a trace of its text: one outbox row of kind "retire" deletes its topic (with everything in it)
or its messages there, and a new card is posted in the new chat. Its links, prompts and
previews in the old chat end with the commit.
"""

from __future__ import annotations

from typing import Any

from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest
from aiogram.methods import (
    CloseForumTopic,
    DeleteForumTopic,
    DeleteMessage,
    EditForumTopic,
    EditMessageCaption,
    EditMessageText,
    TelegramMethod,
)
from sqlalchemy.ext.asyncio import AsyncSession

from bot.casework import deadlines as sla
from bot.casework import guard
from bot.casework.transitions import log
from bot.core.context import Services
from bot.delivery import notify
from bot.domain import levels
from bot.domain.text import N_
from bot.domain.workflow import OPEN_STATES, Actor, Kind, TransitionError
from storage.crud import cases as cases_crud
from storage.crud import outbox as outbox_crud
from storage.crud import pending as pending_crud
from storage.models import Case, OutboxMessage

RETIRE = "retire"
EVENT = "recategorise"
# What stays of a message Telegram no longer lets the bot delete (older than 48 hours):
# neither the case's text nor its number.
MOVED = N_("This case was moved to another chat.")


def may_recategorise(case: Case) -> bool:
    """Proposals keep the category their committee decides on; closed cases keep theirs."""
    return case.kind != Kind.PROPOSAL and case.state in OPEN_STATES


async def choices(*, session: AsyncSession, services: Services, actor: Actor, case_id: int) -> Case:
    """The case whose categories are offered, if the actor may re-categorise it from there."""
    case = await guard.officer_case(
        session=session, services=services, actor=actor, case_id=case_id
    )
    if not may_recategorise(case):
        raise TransitionError("not_allowed")
    return case


async def recategorise(
    *, session: AsyncSession, services: Services, actor: Actor, case_id: int, category: str
) -> Case:
    case = await cases_crud.get_case(session=session, case_id=case_id, for_update=True)
    if case is None:
        raise TransitionError("not_found")
    await guard.officer(session=session, services=services, actor=actor, case=case)
    if not may_recategorise(case):
        raise TransitionError("not_allowed")
    chosen = services.org.category(category)
    if chosen is None:
        raise TransitionError("unknown_category")
    if chosen.code == case.category_code:
        raise TransitionError("same_category")
    assert case.id is not None
    old_home = await guard.home_chat(session=session, services=services, case=case)
    old_chat = case.chat_id or old_home
    before = case.category_code
    case.category_code = chosen.code
    case.updated_at = services.now()
    rows: list[OutboxMessage] = []
    if chosen.sensitive:
        # A sensitive case is the university's alone: no college union holds or watches it.
        case.level = levels.UNIVERSITY
        if case.watch_chat_id is not None:
            rows.append(await _retire_watch(session=session, services=services, case=case))
    session.add(case)
    await log(
        session=session,
        services=services,
        case=case,
        action=EVENT,
        actor=actor,
        text=f"{before} → {chosen.code}",
    )
    await sla.refresh(session=session, services=services, case=case)
    new_home = await guard.home_chat(session=session, services=services, case=case)
    if old_chat is not None and new_home != old_chat:
        rows.append(await _retire(session=session, services=services, case=case, chat=old_chat))
    rows.append(notify.card_refresh(case))
    rows += notify.to_thread(
        services=services,
        case=case,
        template="group/note_recategorised.html",
        before=services.org.category(before),
        after=chosen,
    )
    await outbox_crud.enqueue(session=session, messages=rows)
    return case


async def _retire(
    *, session: AsyncSession, services: Services, case: Case, chat: int
) -> OutboxMessage:
    """Forget the case's card and thread in `chat`; the row that removes them from it."""
    assert case.id is not None
    linked = await cases_crud.unlink_messages(session=session, case_id=case.id, chat_id=chat)
    sent = await outbox_crud.withdraw_from_chat(session=session, case_id=case.id, chat_id=chat)
    await pending_crud.end_for_case(session=session, case_id=case.id, chat_id=chat)
    topic = case.topic_id if case.chat_id == chat else None
    case.chat_id = case.card_message_id = case.topic_id = case.card_title = None
    session.add(case)
    return OutboxMessage(
        kind=RETIRE,
        method=RETIRE,
        chat_id=chat,
        payload={
            "topic_id": topic,
            "message_ids": sorted(set(linked) | set(sent)),
            "stub": services.renderer.gettext(services.group_locale, MOVED),
        },
        priority=notify.CARD_PRIORITY,
    )


async def _retire_watch(*, session: AsyncSession, services: Services, case: Case) -> OutboxMessage:
    """Forget the case's read-only card and thread in the chat that held it before."""
    assert case.id is not None and case.watch_chat_id is not None
    chat = case.watch_chat_id
    linked = await cases_crud.unlink_messages(session=session, case_id=case.id, chat_id=chat)
    sent = await outbox_crud.withdraw_from_chat(session=session, case_id=case.id, chat_id=chat)
    topic = case.watch_topic_id
    case.watch_chat_id = case.watch_topic_id = case.watch_card_message_id = None
    return OutboxMessage(
        kind=RETIRE,
        method=RETIRE,
        chat_id=chat,
        payload={
            "topic_id": topic,
            "message_ids": sorted(set(linked) | set(sent)),
            "stub": services.renderer.gettext(services.group_locale, MOVED),
        },
        priority=notify.CARD_PRIORITY,
    )


async def retire(bot: Bot, row: OutboxMessage, request_timeout: int) -> bool:
    """Remove what the row names from its chat: the topic with all its messages when the bot
    may; else each message, or, one too old to delete, its text replaced by the stub."""
    assert row.chat_id is not None
    chat, stub = row.chat_id, str(row.payload["stub"])

    async def done(method: TelegramMethod[Any]) -> bool:
        # A refusal is expected here: a message already gone, or too old to delete.
        try:
            await bot(method, request_timeout=request_timeout)
        except TelegramBadRequest:
            return False
        return True

    topic = row.payload.get("topic_id")
    if topic is not None:
        if await done(DeleteForumTopic(chat_id=chat, message_thread_id=topic)):
            return True
        await done(CloseForumTopic(chat_id=chat, message_thread_id=topic))
        await done(EditForumTopic(chat_id=chat, message_thread_id=topic, name=stub))
    for message_id in row.payload.get("message_ids", []):
        if await done(DeleteMessage(chat_id=chat, message_id=message_id)):
            continue
        if not await done(EditMessageText(chat_id=chat, message_id=message_id, text=stub)):
            await done(EditMessageCaption(chat_id=chat, message_id=message_id, caption=stub))
    return True
