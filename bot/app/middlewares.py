"""Per-update plumbing: one transaction, the user and their language."""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import TelegramObject, Update
from aiogram.types import User as TgUser
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.core.context import Services, Turn
from bot.core.i18n import locale_for
from bot.delivery import deferred
from bot.delivery.deferred import Deferral, DeferredStorage, HeldHandoff
from bot.delivery.urgency import Urgency
from storage.crud import inbox as inbox_crud
from storage.crud import outbox as outbox_crud
from storage.crud import users as users_crud
from storage.models import User
from storage.session import app_session

log = logging.getLogger(__name__)

Handler = Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]]


class ArrivalMiddleware(BaseMiddleware):
    """Stamps when an update reached the dispatcher, for latency measurements."""

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        data["arrived_at"] = time.perf_counter()
        return await handler(event, data)


class TransactionMiddleware(BaseMiddleware):
    """One database transaction per update: its effects, what it tells people and the record
    that it was handled commit together, or none of them does.

    What handlers say to Telegram becomes outbox rows of this transaction and their conversation
    state waits for its commit (`bot.delivery.deferred`); the update leaves the inbox in the same
    commit, and a redelivered one (same update_id) commits nothing. Handling an update is
    interactive work: background delivery steps aside meanwhile (`Urgency`), and what it queued
    reaches the delivery worker as it commits (`storage.crud.handoff`).
    """

    def __init__(
        self,
        session_factory: async_sessionmaker[AsyncSession],
        urgency: Urgency,
        storage: DeferredStorage,
    ) -> None:
        self.session_factory = session_factory
        self.urgency = urgency
        self.storage = storage

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        assert isinstance(event, Update)
        # What the commit hands to the delivery worker is held until the conversation state
        # is applied: the person's answer may reach another instance, which reads it.
        with self.urgency.active(), HeldHandoff() as handoff:
            return await self._handle(handler, event, data, handoff)

    async def _handle(
        self, handler: Handler, event: Update, data: dict[str, Any], handoff: HeldHandoff
    ) -> Any:
        chat = data.get("event_chat")
        async with self.session_factory() as session:
            handoff.hold(session)
            deferral = Deferral(session, chat.id if chat is not None else None)
            token = deferred.current.set(deferral)
            try:
                data["session"] = session
                try:
                    result = await handler(event, data)
                finally:
                    # What the commit sets going (the worker taking over what was queued) is
                    # not the handler's: its calls go to Telegram.
                    deferred.current.reset(token)
                await outbox_crud.flush_staged(session=session)
                if not await inbox_crud.finish(session=session, update_id=event.update_id):
                    # A copy Telegram redelivered, stored again after the first handling
                    # removed its row: nothing of this handling counts, but the copy's row
                    # goes, or it would be fed again at every start.
                    await session.rollback()
                    await inbox_crud.discard(session=session, update_id=event.update_id)
                    await session.commit()
                    log.info("update %s was already handled; dropped", event.update_id)
                    return None
                await session.commit()
            except BaseException:
                await session.rollback()
                raise
        await self.storage.apply(deferral)
        return result


class UserMiddleware(BaseMiddleware):
    """Keeps the sender's profile current and gives handlers the update's `Turn`."""

    def __init__(self, services: Services) -> None:
        self.services = services
        self.admin_ids = frozenset(services.settings.admin_ids)

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        tg_user: TgUser | None = data.get("event_from_user")
        session: AsyncSession = data["session"]
        if tg_user is None or tg_user.is_bot:
            self._give(data, session, locale_for(None, None))
            return await handler(event, data)
        user, roles = await users_crud.user_and_roles(session=session, user_id=tg_user.id)
        if user is None:
            # Roles may be granted by id before the person ever wrote (a roster, /grant).
            roles = await users_crud.roles_of(session=session, user_id=tg_user.id)
        profile = _profile(tg_user)
        if user is None or any(getattr(user, field) != value for field, value in profile.items()):
            user = await users_crud.upsert_user(session=session, user_id=tg_user.id, **profile)
        chat = data.get("event_chat")
        private = chat is not None and chat.type == "private"
        if private and user.unreachable_at is not None and not _blocks_bot(event):
            # Writing to the bot (or unblocking it) means the block is lifted.
            await users_crud.set_unreachable(session=session, user_id=user.id, when=None)
            user.unreachable_at = None
        if user.unreachable_at is None:
            app_session(session).reachable.add(user.id)
        if user.id in self.admin_ids:
            roles |= {"admin", "officer"}
        locale = locale_for(user.locale, user.language_code)
        self._give(data, session, locale, user, frozenset(roles))
        return await handler(event, data)

    def _give(
        self,
        data: dict[str, Any],
        session: AsyncSession,
        locale: str,
        user: User | None = None,
        roles: frozenset[str] = frozenset(),
    ) -> None:
        translate = self.services.renderer.translator(locale)
        data["turn"] = Turn(session, self.services, locale, translate, user, roles)
        # Also by itself: a handler takes `_` as a parameter, so its texts are extracted.
        data["_"] = translate


def _blocks_bot(event: TelegramObject) -> bool:
    change = event.my_chat_member if isinstance(event, Update) else None
    return change is not None and change.new_chat_member.status == "kicked"


def _profile(tg_user: TgUser) -> dict[str, str | None]:
    """What Telegram says of a person that the users table keeps."""
    return {
        "first_name": tg_user.first_name,
        "last_name": tg_user.last_name,
        "username": tg_user.username,
        "language_code": tg_user.language_code,
    }
