"""What arrives from Telegram, made fit to store: the chat an update belongs to, and text
without the characters a database refuses."""

from __future__ import annotations

from typing import Any

# Update fields whose object names a chat directly, or through its message.
CHAT_BEARING = (
    "message",
    "edited_message",
    "channel_post",
    "edited_channel_post",
    "business_message",
    "my_chat_member",
    "chat_member",
    "chat_join_request",
    "message_reaction",
    "callback_query",
)


def clean(value: Any) -> Any:
    """NUL (refused by PostgreSQL in text and JSON) and unpaired surrogates (not UTF-8)
    removed from every string, keys included."""
    if isinstance(value, str):
        return _clean_text(value)
    if isinstance(value, dict):
        return {clean(k): clean(v) for k, v in value.items()}
    if isinstance(value, list):
        return [clean(v) for v in value]
    return value


def _clean_text(text: str) -> str:
    if "\x00" in text:
        text = text.replace("\x00", "")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        text = "".join("\ufffd" if 0xD800 <= ord(ch) <= 0xDFFF else ch for ch in text)
    return text


def lane_of(payload: dict[str, Any]) -> str:
    """One chat's updates are handled one after another: `c<chat id>`, or `u<user id>` for
    what comes from a person outside any chat (an inline query, a button in an inline
    message)."""
    for field in CHAT_BEARING:
        obj = payload.get(field)
        if not isinstance(obj, dict):
            continue
        chat = obj.get("chat") or (obj.get("message") or {}).get("chat")
        if isinstance(chat, dict) and isinstance(chat.get("id"), int):
            return f"c{chat['id']}"
        sender = obj.get("from")
        if isinstance(sender, dict) and isinstance(sender.get("id"), int):
            return f"u{sender['id']}"
    for obj in payload.values():
        if isinstance(obj, dict):
            sender = obj.get("from") or obj.get("user")
            if isinstance(sender, dict) and isinstance(sender.get("id"), int):
                return f"u{sender['id']}"
    return "u0"


def chat_of_lane(lane: str) -> int | None:
    return int(lane[1:]) if lane.startswith("c") else None
