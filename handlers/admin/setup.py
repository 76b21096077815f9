"""Admins: binding chats to their purpose and giving people the officer role; the bot's own
membership of chats (a user blocking it, the bot removed from a bound chat, a group becoming a
supergroup)."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command, CommandObject
from aiogram.types import ChatMemberUpdated, Message

from bot.cases import levels, lost_chats, officer_roster
from bot.core.context import Turn
from bot.core.render import Translate
from bot.delivery import recipients
from bot.domain.chats import OFFICERS, SENSITIVE
from handlers.common import Refused, admins_only, replied_person, shown_name, unless_refused

PURPOSES = {
    "": OFFICERS,
    "officers": OFFICERS,
    "sensitive": SENSITIVE,
    "committee": lost_chats.COMMITTEE,
}


def build_router() -> Router:
    router = Router(name="admin")
    router.message.filter(F.chat.type.in_({"group", "supergroup"}))
    router.message.register(bind, Command("bind"))
    router.message.register(migrated, F.migrate_to_chat_id)
    router.message.register(appoint, Command("officer"))
    router.message.register(dismiss, Command("unofficer"))
    router.my_chat_member.register(
        blocked, F.chat.type == "private", F.new_chat_member.status == "kicked"
    )
    router.my_chat_member.register(membership, F.chat.type.in_({"group", "supergroup", "channel"}))
    return router


async def bind(message: Message, command: CommandObject, turn: Turn, _: Translate) -> None:
    if not await admins_only(message, turn):
        return
    words = (command.args or "").split()
    if words and words[0].lower() == "college":
        await _bind_college(message, words[1:], turn, _)
        return
    purpose = PURPOSES.get((command.args or "").strip().lower())
    if purpose is None:
        await message.reply(
            _("Usage: /bind, /bind sensitive, /bind committee or /bind college CODE")
        )
        return
    is_forum = bool(message.chat.is_forum)
    await lost_chats.bind(
        session=turn.session,
        services=turn.services,
        purpose=purpose,
        chat_id=message.chat.id,
        is_forum=is_forum,
        title=message.chat.title,
    )
    await message.reply(
        turn.services.renderer.render(
            turn.services.group_locale, "group/bound.html", purpose=purpose, is_forum=is_forum
        )
    )


async def _bind_college(message: Message, words: list[str], turn: Turn, _: Translate) -> None:
    """`/bind college <code>`: this chat becomes that college union's."""
    org = turn.services.org
    code = words[0].strip().lower() if len(words) == 1 else ""
    college = org.college(code)
    if college is None:
        codes = ", ".join(
            f"{c.code} ({turn.services.renderer.name_of(c, turn.locale)})" for c in org.colleges
        )
        await message.reply(
            _("Unknown college: %(given)s. Nothing was changed. The colleges' codes: %(codes)s")
            % {"given": shown_name(" ".join(words) or "—"), "codes": codes}
        )
        return
    is_forum = bool(message.chat.is_forum)
    bound = await unless_refused(
        message,
        _,
        levels.bind_college(
            session=turn.session,
            services=turn.services,
            college=college.code,
            chat_id=message.chat.id,
            is_forum=is_forum,
            title=message.chat.title,
        ),
    )
    if bound is Refused.REFUSED:
        return
    await message.reply(
        turn.services.renderer.render(
            turn.services.group_locale,
            "group/bound.html",
            purpose="college",
            college=college,
            is_forum=is_forum,
        )
    )


async def migrated(message: Message, turn: Turn) -> None:
    assert message.migrate_to_chat_id is not None
    await lost_chats.migrated(
        session=turn.session,
        services=turn.services,
        old=message.chat.id,
        new=message.migrate_to_chat_id,
    )


async def appoint(message: Message, command: CommandObject, turn: Turn, _: Translate) -> None:
    target = await _whom(message, command, turn)
    if target is None:
        return
    target_id, name = target
    await officer_roster.appoint(
        session=turn.session, user_id=target_id, name=name, granted_by=turn.sender.id
    )
    await message.reply(_("%(name)s is now a rights officer.") % {"name": shown_name(name)})


async def dismiss(message: Message, command: CommandObject, turn: Turn, _: Translate) -> None:
    target = await _whom(message, command, turn)
    if target is None:
        return
    target_id, name = target
    await officer_roster.dismiss(session=turn.session, user_id=target_id, revoked_by=turn.sender.id)
    await message.reply(_("%(name)s is no longer a rights officer.") % {"name": shown_name(name)})


async def blocked(event: ChatMemberUpdated, turn: Turn) -> None:
    await recipients.blocked(session=turn.session, services=turn.services, user_id=turn.sender.id)


async def membership(event: ChatMemberUpdated, turn: Turn) -> None:
    status, chat = event.new_chat_member.status, event.chat
    if status in lost_chats.REMOVED:
        await lost_chats.lose(
            session=turn.session,
            services=turn.services,
            chat_id=chat.id,
            reason=status,
            title=chat.title,
        )
    elif status == "administrator" and chat.type == "channel":
        # A channel has no /bind: made its administrator again, the bot takes it back.
        await lost_chats.channel_back(
            session=turn.session, services=turn.services, chat_id=chat.id, title=chat.title
        )


async def _whom(message: Message, command: CommandObject, turn: Turn) -> tuple[int, str] | None:
    """Whom an admin's /officer or /unofficer is about: (id, name); None once the sender has
    been told why not."""
    _ = turn.translate
    if not await admins_only(message, turn):
        return None
    replied = replied_person(message)
    if replied is not None:
        return replied
    args = (command.args or "").strip()
    if args.lstrip("-").isdigit():
        return int(args), args
    await message.reply(
        _("Reply to a message of the person, or give their numeric id: /officer 123456")
    )
    return None
