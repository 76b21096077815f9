"""When handling an update fails. A database or network that went away is waited for: the
update is tried again, nothing is lost. Anything else is a bug: the person gets a short apology
with a reference, the admins get the reference with the traceback in private (at most one report
every few minutes), and the update counts as handled so it cannot block its chat."""

from __future__ import annotations

import logging
import secrets
import time
import traceback
from typing import Any

from aiogram.exceptions import TelegramNetworkError, TelegramServerError
from aiogram.types import Update
from sqlalchemy import exc as sa_exc
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.core import logctx
from bot.core.context import Services
from bot.core.i18n import locale_for
from bot.delivery.deferred import TOAST_PRIORITY
from bot.delivery.notify import INTERACTIVE, NORMAL
from bot.domain.text import N_
from storage.crud import inbox as inbox_crud
from storage.crud import outbox as outbox_crud
from storage.crud import users as users_crud
from storage.models import OutboxMessage

log = logging.getLogger(__name__)

TRANSIENT: tuple[type[BaseException], ...] = (
    sa_exc.OperationalError,
    sa_exc.InterfaceError,
    sa_exc.DisconnectionError,
    sa_exc.TimeoutError,
    ConnectionError,
    TimeoutError,
    OSError,
    TelegramNetworkError,
    TelegramServerError,
)
ADMIN_REPORT_INTERVAL = 300.0
TRACE_FRAMES, TRACE_LIMIT = 12, 3000
# The apology's text (templates/messages/system/apology.html), for when templates fail.
APOLOGY = N_(
    "Sorry — something went wrong on our side and this was not done. The administrators have "
    "been told. Please try again later. Reference: %(reference)s"
)


# PostgreSQL's codes for a database that is away or overloaded for now: no connection (08),
# out of resources (53), shut down or starting (57P01-57P03), a transaction that lost a race
# (40001, 40P01).
PASSING_SQLSTATES = ("08", "53", "57P01", "57P02", "57P03", "40001", "40P01")


def transient(exc: BaseException) -> bool:
    """The failure is the surroundings' (and passes), not the code's."""
    if isinstance(exc, sa_exc.DBAPIError):
        if exc.connection_invalidated:
            return True
        # No statement: getting a connection failed (or a commit), whatever the database's
        # reason — unless it is about the data, which trying again would not change.
        if exc.statement is None and not isinstance(exc, sa_exc.IntegrityError | sa_exc.DataError):
            return True
        state = getattr(exc.orig, "sqlstate", None) or getattr(exc.orig, "pgcode", None)
        if isinstance(state, str) and state.startswith(PASSING_SQLSTATES):
            return True
    return isinstance(exc, TRANSIENT)


def new_reference() -> str:
    return "E-" + secrets.token_hex(3).upper()


class FailureReport:
    def __init__(
        self,
        services: Services,
        session_factory: async_sessionmaker[AsyncSession],
        *,
        admin_interval: float = ADMIN_REPORT_INTERVAL,
    ) -> None:
        self.services = services
        self.session_factory = session_factory
        self.admin_interval = admin_interval
        self._last_admin_report = -float("inf")
        self._suppressed = 0

    async def report(self, update: Update, exc: BaseException) -> str:
        """Tell the person and the admins, and settle the update; the reference. Raises when
        that cannot be stored (a transient failure: the update is tried again later)."""
        reference = new_reference()
        cases = logctx.case_numbers()
        log.error(
            "update %s failed (reference %s, cases %s)",
            update.update_id,
            reference,
            cases,
            exc_info=exc,
        )
        async with self.session_factory() as session:
            rows: list[OutboxMessage] = []
            # Whatever broke the handler may break these too (a template, the renderer): the
            # update is settled all the same, or it would come back for ever.
            try:
                rows += await self._apology(session, update, reference)
            except Exception as apology_exc:
                if transient(apology_exc):
                    raise
                log.exception(
                    "no apology for update %s (reference %s)", update.update_id, reference
                )
            try:
                rows += self._admin_rows(update, exc, reference, cases)
            except Exception:
                log.exception("no report for update %s (reference %s)", update.update_id, reference)
            await inbox_crud.finish(session=session, update_id=update.update_id)
            await outbox_crud.enqueue(session=session, messages=rows)
            await session.commit()
        return reference

    async def drop(self, update_id: int) -> bool:
        """An update that cannot even be read is settled without an effect (it would block its
        chat for good); False while that cannot be stored."""
        try:
            async with self.session_factory() as session:
                await inbox_crud.finish(session=session, update_id=update_id)
                await session.commit()
        except Exception as exc:
            if not transient(exc):
                raise
            return False
        return True

    async def _apology(
        self, session: AsyncSession, update: Update, reference: str
    ) -> list[OutboxMessage]:
        query, message = update.callback_query, update.message or update.edited_message
        chat = message.chat if message is not None else None
        if query is not None and query.message is not None:
            chat = query.message.chat
        sender = query.from_user if query is not None else (message.from_user if message else None)
        private = chat is not None and chat.type == "private"
        locale = self.services.group_locale
        if private and sender is not None:
            user = await users_crud.get_user(session=session, user_id=sender.id)
            locale = locale_for(user.locale if user else None, sender.language_code)
        text = self._apology_text(locale, reference)
        chat_id = chat.id if chat is not None else None
        if query is not None:
            return [
                OutboxMessage(
                    kind="send",
                    method="answerCallbackQuery",
                    chat_id=chat_id,
                    payload={"callback_query_id": query.id, "text": text, "show_alert": True},
                    priority=TOAST_PRIORITY,
                )
            ]
        if message is None or chat_id is None:
            return []
        payload: dict[str, Any] = {"chat_id": chat_id, "text": text}
        if not private:
            payload["reply_parameters"] = {
                "message_id": message.message_id,
                "allow_sending_without_reply": True,
            }
        return [
            OutboxMessage(
                kind="send",
                method="sendMessage",
                chat_id=chat_id,
                recipient_user_id=chat_id if private else None,
                payload=payload,
                priority=INTERACTIVE,
            )
        ]

    def _apology_text(self, locale: str, reference: str) -> str:
        renderer = self.services.renderer
        try:
            return renderer.render(locale, "system/apology.html", reference=reference)
        except Exception:  # the templates are what broke: the catalog alone still speaks
            _ = renderer.translator(locale)
            return _(APOLOGY) % {"reference": reference}

    def _admin_rows(
        self, update: Update, exc: BaseException, reference: str, cases: str
    ) -> list[OutboxMessage]:
        now = time.monotonic()
        if now - self._last_admin_report < self.admin_interval:
            self._suppressed += 1
            return []
        suppressed, self._suppressed = self._suppressed, 0
        self._last_admin_report = now
        frames = traceback.format_exception(exc, limit=-TRACE_FRAMES)
        trace = frames[0] + "".join(frames[1:])[-TRACE_LIMIT:]
        text = self.services.renderer.render(
            self.services.group_locale,
            "system/error_report.html",
            reference=reference,
            update_id=update.update_id,
            cases="" if cases == "-" else cases,
            suppressed=suppressed,
            trace=trace,
        )
        return [
            OutboxMessage(
                kind="send",
                method="sendMessage",
                chat_id=admin,
                recipient_user_id=admin,
                payload={"chat_id": admin, "text": text},
                priority=NORMAL,
            )
            for admin in self.services.settings.admin_ids
        ]
