"""Admins: /reveal (asking to reveal an anonymous case's author), its 批准 / 拒绝 buttons for the
other admins, and /audit. Only in private chats with the bot: in a group nothing about the
case is said, not even back to the admin. `/audit G2026-0042`, a case's log, is shown to admins
in private and to the officers in the chat the case belongs to."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command, CommandObject
from aiogram.types import CallbackQuery, Message

from bot.core.callbacks import RevealCB
from bot.core.context import Turn
from bot.core.render import Translate
from bot.domain import reveal as rules
from bot.domain.workflow import TransitionError
from bot.privacy import case_audit, reveal
from handlers.common import Refused, close_buttons, error_text, unless_refused

# Presses on a request that is no longer open: its buttons go too.
SETTLED = frozenset({"reveal_already_approved", "reveal_already_refused", "reveal_expired"})


def build_router() -> Router:
    router = Router(name="reveal")
    router.message.register(ask, Command("reveal"))
    router.message.register(audit, Command("audit"))
    router.callback_query.register(decide, RevealCB.filter())
    return router


async def ask(message: Message, command: CommandObject, turn: Turn, _: Translate) -> None:
    if message.chat.type != "private":
        await message.reply(_("Use this command in a private chat with the bot."))
        return
    number, _space, reason = (command.args or "").strip().partition(" ")
    if "admin" in turn.roles and (not number or not reason.strip()):
        await message.answer(
            turn.render(
                "admin/reveal_usage.html",
                minimum=rules.REASON_MIN,
                hours=int(rules.EXPIRY.total_seconds() // 3600),
            )
        )
        return
    asked = await unless_refused(
        message,
        _,
        reveal.ask(
            session=turn.session,
            services=turn.services,
            admin_id=turn.sender.id,
            private=True,
            number=number,
            reason=reason,
        ),
    )
    if asked is Refused.REFUSED:
        return
    await message.answer(
        turn.render(
            "admin/reveal_asked.html",
            case=asked.case,
            request=asked.request,
            approvers=asked.approvers,
        )
    )


async def decide(query: CallbackQuery, callback_data: RevealCB, turn: Turn, _: Translate) -> None:
    chat = query.message.chat if query.message is not None else None
    approve = callback_data.action == "ok"
    try:
        await reveal.decide(
            session=turn.session,
            services=turn.services,
            request_id=callback_data.request_id,
            presser_id=turn.sender.id,
            private=chat is not None and chat.type == "private",
            approve=approve,
        )
    except TransitionError as exc:
        await query.answer(error_text(_, exc), show_alert=True)
        if exc.reason in SETTLED and isinstance(query.message, Message):
            await query.message.edit_reply_markup(reply_markup=None)
        return
    await close_buttons(
        query,
        _("Approved: the identity is on its way to you and the admin who asked.")
        if approve
        else _("Refused: the admin who asked is told."),
    )


async def audit(message: Message, command: CommandObject, turn: Turn, _: Translate) -> None:
    number = (command.args or "").strip()
    if number:
        log = await unless_refused(
            message,
            _,
            case_audit.case_log(
                session=turn.session,
                services=turn.services,
                user_id=turn.sender.id,
                chat_id=message.chat.id,
                private=message.chat.type == "private",
                number=number,
            ),
        )
        if log is not Refused.REFUSED:
            await message.answer(log)
        return
    if message.chat.type != "private":
        await message.reply(_("Use this command in a private chat with the bot."))
        return
    shown = await unless_refused(
        message,
        _,
        reveal.audit_view(session=turn.session, services=turn.services, admin_id=turn.sender.id),
    )
    if shown is not Refused.REFUSED:
        await message.answer(shown)
