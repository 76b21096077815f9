"""Bound chats the bot lost, and found again.

Removed from a bound chat, or told by Telegram that it is not in it or that the chat does not
exist, the bot marks the binding lost and tells the admins in private. What goes to that chat
then waits, untried and without counting attempts (the claim postpones it, `LOST_CHAT_PAUSE` at
a time), until an admin binds a chat for that purpose again: /bind in the same chat or a new
one, or, for the public channel, the bot made its administrator again. Then the waiting rows go
to the chat bound, and the cases whose cards lived in the lost chat get new cards there (the old
card and topic ids are forgotten: the bot can no longer edit them). A group that became a
supergroup is not lost: everything follows it to its new id.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.context import Services
from bot.delivery import notify
from bot.domain.chats import CHANNEL, COMMITTEE, OFFICERS, SENSITIVE
from bot.domain.workflow import FINAL_STATES, UNSUBMITTED
from storage.crud import cases as cases_crud
from storage.crud import chat_rows
from storage.crud import outbox as outbox_crud
from storage.crud import users as users_crud

# `ChatMemberUpdated` statuses meaning the bot was taken out of the chat.
REMOVED = ("left", "kicked")
SETTINGS = {
    OFFICERS: "OFFICERS_CHAT_ID",
    SENSITIVE: "SENSITIVE_CHAT_ID",
    COMMITTEE: "COMMITTEE_CHAT_ID",
    CHANNEL: "PUBLIC_CHANNEL_ID",
}
# Cases that get no new card: closed ones (a new card comes if one is reopened) and proposals
# still being written.
NO_CARD = sorted(FINAL_STATES | UNSUBMITTED)


async def lose(
    *,
    session: AsyncSession,
    services: Services,
    chat_id: int,
    reason: str,
    title: str | None = None,
) -> bool:
    """The bot can no longer post to `chat_id`: when it is a bound chat, its binding is lost
    (admins hear of it the first time) and True; for any other chat, False."""
    if chat_id == services.settings.public_channel_id:
        # The channel is named by a setting, not bound: bound now, so it can be lost.
        channel = await users_crud.get_binding(session=session, purpose=CHANNEL)
        if channel is None or channel.chat_id != chat_id:
            await users_crud.set_binding(
                session=session,
                purpose=CHANNEL,
                chat_id=chat_id,
                is_forum=False,
                title=title,
                restore=True,
            )
    bindings = await users_crud.bindings_of_chat(session=session, chat_id=chat_id)
    for binding in bindings:
        news = await users_crud.mark_lost(
            session=session, purpose=binding.purpose, when=services.now(), reason=reason
        )
        if news:
            await tell_admins(
                session=session,
                services=services,
                template="admin/chat_lost.html",
                purpose=binding.purpose,
                title=binding.title or title,
                removed=reason in REMOVED,
                reason=reason,
            )
    return bool(bindings)


async def bind(
    *,
    session: AsyncSession,
    services: Services,
    purpose: str,
    chat_id: int,
    is_forum: bool,
    title: str | None,
) -> int | None:
    """An admin binds this chat to `purpose`. When that binding was lost, what waited for it
    goes here and the cases whose cards lived in the lost chat get new ones: how many (None
    when nothing was lost)."""
    before = await users_crud.get_binding(session=session, purpose=purpose)
    lost = before.chat_id if before is not None and before.lost_at is not None else None
    await users_crud.set_binding(
        session=session,
        purpose=purpose,
        chat_id=chat_id,
        is_forum=is_forum,
        title=title,
        restore=True,
    )
    now = services.now()
    # Cards and notes of cases wait for their chat, whether none was bound or it was lost.
    await chat_rows.wake_chat_rows(session=session, now=now)
    if lost is None:
        return None
    if lost != chat_id and lost not in await users_crud.lost_chat_ids(session=session):
        await chat_rows.move_queued(session=session, old=lost, new=chat_id, now=now)
    await chat_rows.wake_chat(session=session, chat_id=chat_id, now=now)
    listed = await chat_rows.listed_in(session=session, chat_id=lost)
    cards = await cases_crud.forget_cards(session=session, chat_id=lost, keep_states=NO_CARD)
    cards += [
        case_id
        for case_id in await cases_crud.without_card(
            session=session, case_ids=listed, keep_states=NO_CARD
        )
        if case_id not in cards
    ]
    # A card's priority: ahead of the notes that waited for it in the case's lane.
    if cards:
        await outbox_crud.enqueue(
            session=session, messages=[notify.card_row(case_id) for case_id in cards]
        )
    await tell_admins(
        session=session,
        services=services,
        template="admin/chat_resumed.html",
        purpose=purpose,
        title=title,
        cards=len(cards),
    )
    return len(cards)


async def channel_back(
    *, session: AsyncSession, services: Services, chat_id: int, title: str | None
) -> None:
    """The bot is an administrator of a channel again: the public channel, when lost there,
    resumes."""
    channel = await users_crud.get_binding(session=session, purpose=CHANNEL)
    if channel is not None and channel.lost_at is not None and channel.chat_id == chat_id:
        await bind(
            session=session,
            services=services,
            purpose=CHANNEL,
            chat_id=chat_id,
            is_forum=False,
            title=title,
        )


async def migrated(*, session: AsyncSession, services: Services, old: int, new: int) -> None:
    """A group became a supergroup: bindings, cases and queued rows follow it to its new id.
    The bot is in the supergroup (Telegram says so), so a binding lost in the old one is not
    lost any more. Admins hear of it, as a setting naming the old id should change."""
    moved = await chat_rows.move_chat(session=session, old=old, new=new)
    for binding in await users_crud.bindings_of_chat(session=session, chat_id=new):
        if binding.purpose not in moved:
            continue
        if binding.lost_at is not None:
            await users_crud.set_binding(
                session=session,
                purpose=binding.purpose,
                chat_id=new,
                is_forum=binding.is_forum,
                title=binding.title,
                restore=True,
            )
            await chat_rows.wake_chat(session=session, chat_id=new, now=services.now())
            await chat_rows.wake_chat_rows(session=session, now=services.now())
        setting = SETTINGS.get(binding.purpose)
        configured = getattr(services.settings, setting.lower(), None) if setting else None
        await tell_admins(
            session=session,
            services=services,
            template="admin/chat_migrated.html",
            purpose=binding.purpose,
            title=binding.title,
            new=new,
            setting=setting if configured == old else None,
        )


async def tell_admins(
    *, session: AsyncSession, services: Services, template: str, **context: Any
) -> None:
    """A message to every admin in private, in their language."""
    rows = []
    for admin_id in services.settings.admin_ids:
        user = await users_crud.get_user(session=session, user_id=admin_id)
        locale = notify.user_locale(user) if user is not None else services.group_locale
        text = services.renderer.render(locale, template, **context)
        rows += notify.message_rows(
            chat_id=admin_id,
            texts=[text],
            case_id=None,
            recipient=admin_id,
            priority=notify.NORMAL,
        )
    if rows:
        await outbox_crud.enqueue(session=session, messages=rows)
