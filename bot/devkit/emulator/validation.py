"""Parameter checks shared by the Bot API methods, with Telegram's own error texts."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .errors import bad_request, forbidden, migrated
from .html_entities import HtmlParseError, ParsedText, parse_html, trim_parsed
from .models import SimChat, SimMessage, UploadedFile
from .world import World

TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024
CALLBACK_DATA_LIMIT = 64

_BUTTON_ACTIONS = (
    "url",
    "callback_data",
    "web_app",
    "login_url",
    "switch_inline_query",
    "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat",
    "copy_text",
    "callback_game",
    "pay",
)
_URL_RE = re.compile(r"^(?:(?:https?|tg|ton)://\S+|[\w-]+(?:\.[\w-]+)+(?:[/?#]\S*)?)$", re.I)


@dataclass
class MethodCall:
    world: World
    method: str
    params: dict[str, Any]
    files: dict[str, UploadedFile] = field(default_factory=dict)
    # Whether the caller still listens; a long poll abandoned by a cancelled client must not
    # consume updates the bot will never see.
    alive: Callable[[], bool] = lambda: True

    def get_int(self, key: str) -> int | None:
        value = self.params.get(key)
        if value is None or value == "":
            return None
        if isinstance(value, bool):
            return int(value)
        try:
            return int(value)
        except (TypeError, ValueError):
            raise bad_request(f'field "{key}" must be of type Integer') from None

    def require_int(self, key: str, missing: str | None = None) -> int:
        value = self.get_int(key)
        if value is None:
            raise bad_request(missing or f"{key} is empty")
        return value

    def get_str(self, key: str) -> str | None:
        value = self.params.get(key)
        return None if value is None else str(value)

    def flag(self, key: str) -> bool:
        value = self.params.get(key)
        if isinstance(value, str):
            return value.lower() in ("true", "1")
        return bool(value)


def prepare_text(
    raw: str | None,
    parse_mode: Any,
    entities: Any,
    *,
    caption: bool = False,
) -> ParsedText:
    """Apply parse_mode like Telegram: parse, trim, then check emptiness and length."""
    source = "" if raw is None else str(raw)
    mode = str(parse_mode).lower() if parse_mode else ""
    if isinstance(entities, list) and entities:
        # Explicit entities win over parse_mode, as on Telegram.
        parsed = ParsedText(source, [e for e in entities if isinstance(e, dict)])
    elif mode == "html":
        try:
            parsed = parse_html(source)
        except HtmlParseError as exc:
            raise bad_request(f"can't parse entities: {exc.reason}") from None
    elif mode in ("", "markdown", "markdownv2"):
        # Markdown modes are accepted verbatim: the project formats with HTML only.
        parsed = ParsedText(source, [])
    else:
        raise bad_request("unsupported parse_mode")
    parsed = trim_parsed(parsed)
    if caption:
        if len(parsed.text) > CAPTION_LIMIT:
            raise bad_request("message caption is too long")
    else:
        if not parsed.text:
            raise bad_request("message text is empty")
        if len(parsed.text) > TEXT_LIMIT:
            raise bad_request("message is too long")
    return parsed


def validate_reply_markup(markup: Any) -> dict[str, Any] | None:
    if markup is None or markup == "":
        return None
    if not isinstance(markup, dict):
        raise bad_request("can't parse reply keyboard markup JSON object")
    if "inline_keyboard" in markup:
        rows = markup["inline_keyboard"]
        if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
            raise bad_request(
                'field "inline_keyboard" of the InlineKeyboardMarkup must be an Array of Arrays'
            )
        return {"inline_keyboard": [[_validate_inline_button(b) for b in row] for row in rows]}
    if "keyboard" in markup:
        rows = markup["keyboard"]
        if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
            raise bad_request('field "keyboard" of ReplyKeyboardMarkup must be an Array of Arrays')
        return dict(markup)
    if "remove_keyboard" in markup or "force_reply" in markup:
        return dict(markup)
    raise bad_request("can't parse reply keyboard markup JSON object")


def _validate_inline_button(button: Any) -> dict[str, Any]:
    if not isinstance(button, dict):
        raise bad_request(
            "can't parse inline keyboard button: InlineKeyboardButton must be an Object"
        )
    text = button.get("text")
    if not isinstance(text, str):
        raise bad_request(
            'can\'t parse inline keyboard button: Field "text" must be of type String'
        )
    if not text.strip():
        raise bad_request("BUTTON_TEXT_INVALID")
    if not any(button.get(action) is not None for action in _BUTTON_ACTIONS):
        raise bad_request(
            "can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard"
        )
    if "callback_data" in button:
        data = button["callback_data"]
        if not isinstance(data, str) or not 1 <= len(data.encode("utf-8")) <= CALLBACK_DATA_LIMIT:
            raise bad_request("BUTTON_DATA_INVALID")
    if "url" in button:
        url = str(button["url"])
        if not _URL_RE.match(url):
            raise bad_request(f"inline keyboard button URL '{url}' is invalid: Wrong HTTP URL")
    return {k: v for k, v in button.items() if v is not None}


def writable_chat(call: MethodCall, key: str = "chat_id") -> SimChat:
    """The target chat of a send, or the error Telegram gives for it."""
    raw = call.params.get(key)
    if raw is None or raw == "":
        raise bad_request(f"{key} is empty")
    world = call.world
    chat = world.resolve_chat(raw)
    user = world.users.get(raw) if isinstance(raw, int) else None
    if user is not None:
        if user.is_bot:
            raise forbidden("bot can't send messages to bots")
        if user.blocked:
            raise forbidden("bot was blocked by the user")
        if not user.started:
            raise forbidden("bot can't initiate conversation with a user")
        return world.private_chat(user)
    if chat is None:
        raise bad_request("chat not found")
    if chat.migrated_to is not None:
        raise migrated(chat.migrated_to)
    if chat.type in ("group", "supergroup", "channel"):
        kind = "supergroup chat" if chat.type == "supergroup" else f"{chat.type} chat"
        if chat.bot_status == "kicked":
            raise forbidden(f"bot was kicked from the {kind}")
        if chat.bot_status == "left":
            raise forbidden(f"bot is not a member of the {kind}")
    return chat


def existing_chat(call: MethodCall, key: str = "chat_id") -> SimChat:
    raw = call.params.get(key)
    if raw is None or raw == "":
        raise bad_request(f"{key} is empty")
    chat = call.world.resolve_chat(raw)
    if chat is None:
        user = call.world.users.get(raw) if isinstance(raw, int) else None
        if user is None:
            raise bad_request("chat not found")
        chat = call.world.private_chat(user)
    if chat.migrated_to is not None:
        raise migrated(chat.migrated_to)
    return chat


def bot_can_manage_topics(chat: SimChat) -> bool:
    return chat.bot_status in ("administrator", "creator")


def resolve_thread(call: MethodCall, chat: SimChat) -> int | None:
    thread_id = call.get_int("message_thread_id")
    if thread_id is None or not chat.is_forum:
        # Outside forums the id only addresses comment threads, which are not emulated.
        return None
    topic = chat.open_topic(thread_id)
    if topic is None:
        raise bad_request("message thread not found")
    if topic.closed and not bot_can_manage_topics(chat):
        raise bad_request("TOPIC_CLOSED")
    return thread_id


def resolve_reply(call: MethodCall, chat: SimChat) -> SimMessage | None:
    params = call.params
    allow = call.flag("allow_sending_without_reply")
    reply_params = params.get("reply_parameters")
    message_id: Any = None
    if isinstance(reply_params, dict):
        message_id = reply_params.get("message_id")
        allow = bool(reply_params.get("allow_sending_without_reply", allow))
    if message_id is None:
        message_id = params.get("reply_to_message_id")
    if message_id is None:
        return None
    target = chat.get(int(message_id))
    if target is None and not allow:
        raise bad_request("message to be replied not found")
    return target


def placement(call: MethodCall, chat: SimChat) -> dict[str, Any]:
    """Thread and reply fields for a new bot message, with forum-topic conventions."""
    thread_id = resolve_thread(call, chat)
    reply = resolve_reply(call, chat)
    if chat.is_forum and thread_id is None and reply is not None and reply.is_topic_message:
        thread_id = reply.thread_id
    reply_id = reply.message_id if reply is not None else None
    if chat.is_forum and thread_id is not None and reply_id is None:
        # Telegram presents every topic message as a reply to the topic's service message.
        reply_id = thread_id
    return {
        "thread_id": thread_id,
        "is_topic_message": chat.is_forum and thread_id is not None,
        "reply_to_message_id": reply_id,
    }
