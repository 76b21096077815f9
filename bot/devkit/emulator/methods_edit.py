"""Bot API methods that change existing messages or answer callback queries."""

from __future__ import annotations

import time
from typing import Any

from .errors import bad_request
from .html_entities import ParsedText
from .models import SimChat, SimMessage
from .validation import (
    MethodCall,
    existing_chat,
    prepare_text,
    validate_reply_markup,
    writable_chat,
)

NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly "
    "the same as a current content and reply markup of the message"
)
QUERY_TOO_OLD = "query is too old and response timeout expired or query ID is invalid"
CALLBACK_ANSWER_LIMIT = 200


def _target(call: MethodCall) -> tuple[SimChat, SimMessage]:
    if call.params.get("inline_message_id"):
        raise bad_request("MESSAGE_ID_INVALID")
    chat = writable_chat(call)
    message_id = call.require_int("message_id", "message identifier is not specified")
    message = chat.get(message_id)
    if message is None:
        raise bad_request("message to edit not found")
    if not message.from_bot:
        raise bad_request("message can't be edited")
    return chat, message


def _inline_markup(call: MethodCall) -> dict[str, Any] | None:
    markup = validate_reply_markup(call.params.get("reply_markup"))
    if markup is not None and "inline_keyboard" not in markup:
        raise bad_request("inline keyboard expected")
    return markup


def _current_inline(message: SimMessage) -> dict[str, Any] | None:
    markup = message.reply_markup
    return markup if markup and "inline_keyboard" in markup else None


def _apply_edit(
    call: MethodCall,
    chat: SimChat,
    message: SimMessage,
    markup: dict[str, Any] | None,
    **changes: Any,
) -> dict[str, Any]:
    current = {key: getattr(message, key) for key in changes}
    if current == changes and markup == _current_inline(message):
        raise bad_request(NOT_MODIFIED)
    for key, value in changes.items():
        setattr(message, key, value)
    # Editing without reply_markup removes the inline keyboard, as on Telegram.
    message.reply_markup = markup
    message.edited = True
    message.edit_date = int(time.time())
    message.changed_mark = call.world.mark()
    world = call.world
    world.log(chat, world.bot.id, "edit", world.describe(message), world.buttons_of(message))
    return world.render(message)


def _html_source(call: MethodCall, key: str) -> str | None:
    mode = call.params.get("parse_mode")
    raw = call.params.get(key)
    return str(raw) if raw is not None and mode and str(mode).lower() == "html" else None


async def edit_message_text(call: MethodCall) -> Any:
    raw = call.params.get("text")
    if raw is None or raw == "":
        raise bad_request("message text is empty")
    chat, message = _target(call)
    if message.text is None:
        raise bad_request("there is no text in the message to edit")
    parsed = prepare_text(raw, call.params.get("parse_mode"), call.params.get("entities"))
    markup = _inline_markup(call)
    result = _apply_edit(call, chat, message, markup, text=parsed.text, entities=parsed.entities)
    message.html = _html_source(call, "text")
    return result


async def edit_message_caption(call: MethodCall) -> Any:
    chat, message = _target(call)
    if message.kind in ("text", "service"):
        raise bad_request("there is no caption in the message to edit")
    raw = call.params.get("caption")
    parsed = (
        prepare_text(
            raw, call.params.get("parse_mode"), call.params.get("caption_entities"), caption=True
        )
        if raw is not None
        else ParsedText("")
    )
    markup = _inline_markup(call)
    result = _apply_edit(
        call, chat, message, markup, caption=parsed.text or None, entities=parsed.entities
    )
    message.html = _html_source(call, "caption")
    return result


async def edit_message_reply_markup(call: MethodCall) -> Any:
    chat, message = _target(call)
    return _apply_edit(call, chat, message, _inline_markup(call))


def _delete(call: MethodCall, chat: SimChat, message: SimMessage) -> None:
    admin = chat.bot_status in ("administrator", "creator")
    if chat.type != "private" and not message.from_bot and not admin:
        raise bad_request("message can't be deleted")
    message.deleted = True
    message.changed_mark = call.world.mark()
    call.world.log(chat, call.world.bot.id, "delete", call.world.describe(message))


async def delete_message(call: MethodCall) -> Any:
    chat = existing_chat(call)
    message_id = call.require_int("message_id", "message identifier is not specified")
    message = chat.get(message_id)
    if message is None:
        raise bad_request("message to delete not found")
    _delete(call, chat, message)
    return True


async def delete_messages(call: MethodCall) -> Any:
    chat = existing_chat(call)
    ids = call.params.get("message_ids")
    if not isinstance(ids, list) or not ids:
        raise bad_request("message identifiers are not specified")
    # Telegram silently skips messages it cannot find or delete here.
    for message_id in ids:
        message = chat.get(int(message_id))
        if message is not None:
            _delete(call, chat, message)
    return True


async def answer_callback_query(call: MethodCall) -> Any:
    query_id = call.get_str("callback_query_id") or ""
    record = call.world.live_callback_query(query_id)
    if record is None:
        raise bad_request(QUERY_TOO_OLD)
    text = call.get_str("text")
    if text is not None and len(text) > CALLBACK_ANSWER_LIMIT:
        raise bad_request("MESSAGE_TOO_LONG")
    show_alert = call.flag("show_alert")
    record.answered = True
    call.world.callback_answers[query_id] = (text, show_alert)
    chat = call.world.chats.get(record.chat_id)
    if text and chat is not None:
        action = "alert" if show_alert else "toast"
        call.world.log(chat, call.world.bot.id, action, text)
    return True


def edit_handlers() -> dict[str, Any]:
    return {
        "editMessageText": edit_message_text,
        "editMessageCaption": edit_message_caption,
        "editMessageReplyMarkup": edit_message_reply_markup,
        "deleteMessage": delete_message,
        "deleteMessages": delete_messages,
        "answerCallbackQuery": answer_callback_query,
    }
