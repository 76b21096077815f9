"""Rendering of emulator state into Bot API JSON objects that aiogram's models accept."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .models import SimChat, SimMessage, UserProfile

_ADMIN_RIGHTS = (
    "can_be_edited",
    "is_anonymous",
    "can_manage_chat",
    "can_delete_messages",
    "can_manage_video_chats",
    "can_restrict_members",
    "can_promote_members",
    "can_change_info",
    "can_invite_users",
    "can_post_stories",
    "can_edit_stories",
    "can_delete_stories",
    "can_send_welcome_messages",
    "can_pin_messages",
    "can_manage_topics",
)

_RESTRICTED_RIGHTS = (
    "can_send_messages",
    "can_send_audios",
    "can_send_documents",
    "can_send_photos",
    "can_send_videos",
    "can_send_video_notes",
    "can_send_voice_notes",
    "can_send_polls",
    "can_send_other_messages",
    "can_add_web_page_previews",
    "can_react_to_messages",
    "can_edit_tag",
    "can_change_info",
    "can_invite_users",
    "can_pin_messages",
    "can_manage_topics",
)


def user_dict(user: UserProfile) -> dict[str, Any]:
    result: dict[str, Any] = {"id": user.id, "is_bot": user.is_bot, "first_name": user.first_name}
    for key in ("last_name", "username", "language_code"):
        value = getattr(user, key)
        if value is not None:
            result[key] = value
    return result


def chat_dict(chat: SimChat) -> dict[str, Any]:
    result: dict[str, Any] = {"id": chat.id, "type": chat.type}
    for key in ("title", "username", "first_name", "last_name"):
        value = getattr(chat, key)
        if value is not None:
            result[key] = value
    if chat.is_forum:
        result["is_forum"] = True
    return result


def chat_full_info(chat: SimChat) -> dict[str, Any]:
    result = chat_dict(chat)
    result.update(
        accent_color_id=chat.id % 7 if chat.id > 0 else 0,
        max_reaction_count=11,
        accepted_gift_types={
            "unlimited_gifts": False,
            "limited_gifts": False,
            "unique_gifts": False,
            "premium_subscription": False,
            "gifts_from_channels": False,
        },
    )
    return result


def member_dict(
    user: UserProfile, status: str, *, can_manage_topics: bool = True
) -> dict[str, Any]:
    result: dict[str, Any] = {"status": status, "user": user_dict(user)}
    if status == "creator":
        result["is_anonymous"] = False
    elif status == "administrator":
        result.update(dict.fromkeys(_ADMIN_RIGHTS, True))
        result.update(can_be_edited=False, is_anonymous=False, can_manage_topics=can_manage_topics)
    elif status == "restricted":
        result.update(dict.fromkeys(_RESTRICTED_RIGHTS, False))
        result.update(is_member=True, until_date=0)
    elif status == "kicked":
        result["until_date"] = 0
    return result


def message_dict(
    msg: SimMessage,
    chat: SimChat,
    sender: UserProfile,
    resolve_reply: Callable[[SimMessage], dict[str, Any] | None] | None = None,
) -> dict[str, Any]:
    """A Bot API Message; ``resolve_reply`` renders the replied message (one level deep)."""
    result: dict[str, Any] = {
        "message_id": msg.message_id,
        "from": user_dict(sender),
        "date": msg.date,
        "chat": chat_dict(chat),
    }
    if msg.thread_id is not None:
        result["message_thread_id"] = msg.thread_id
        if msg.is_topic_message:
            result["is_topic_message"] = True
    if resolve_reply is not None and msg.reply_to_message_id is not None:
        replied = resolve_reply(msg)
        if replied is not None:
            result["reply_to_message"] = replied
    if msg.edit_date is not None:
        result["edit_date"] = msg.edit_date
    if msg.media_group_id is not None:
        result["media_group_id"] = msg.media_group_id
    if msg.text is not None:
        result["text"] = msg.text
        if msg.entities:
            result["entities"] = msg.entities
    if msg.caption is not None:
        result["caption"] = msg.caption
        if msg.entities:
            result["caption_entities"] = msg.entities
    result.update(msg.payload)
    # Message.reply_markup is InlineKeyboardMarkup only; reply keyboards are never echoed.
    if msg.reply_markup and "inline_keyboard" in msg.reply_markup:
        result["reply_markup"] = msg.reply_markup
    return result


def drop_nones(value: Any) -> Any:
    """Remove null fields recursively, as Telegram never sends them."""
    if isinstance(value, dict):
        return {k: drop_nones(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [drop_nones(v) for v in value]
    return value
