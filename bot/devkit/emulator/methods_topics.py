"""Forum topic methods. A topic's id is the message_id of its creation service message."""

from __future__ import annotations

from typing import Any

from .errors import bad_request
from .models import TOPIC_ICON_COLORS, SimChat, SimTopic
from .validation import MethodCall, bot_can_manage_topics, writable_chat

TOPIC_NAME_LIMIT = 128


def _forum(call: MethodCall) -> SimChat:
    chat = writable_chat(call)
    if not chat.is_forum:
        raise bad_request("the chat is not a forum")
    return chat


def _topic(call: MethodCall, chat: SimChat) -> SimTopic:
    thread_id = call.require_int("message_thread_id", "message thread not found")
    topic = chat.open_topic(thread_id)
    if topic is None:
        raise bad_request("message thread not found")
    return topic


def _service(
    call: MethodCall, chat: SimChat, topic: SimTopic, field: str, body: dict[str, Any]
) -> None:
    call.world.new_message(
        chat,
        call.world.bot.id,
        kind="service",
        thread_id=topic.thread_id,
        is_topic_message=True,
        reply_to_message_id=topic.thread_id,
        payload={field: body},
    )


def _topic_name(call: MethodCall) -> str | None:
    name = call.get_str("name")
    if name is None:
        return None
    if not name.strip():
        raise bad_request("TOPIC_TITLE_EMPTY")
    if len(name) > TOPIC_NAME_LIMIT:
        raise bad_request("TOPIC_TITLE_INVALID")
    return name


async def create_forum_topic(call: MethodCall) -> Any:
    chat = _forum(call)
    if not bot_can_manage_topics(chat):
        raise bad_request("not enough rights to create a topic")
    name = _topic_name(call)
    if name is None:
        raise bad_request("TOPIC_TITLE_EMPTY")
    color = call.get_int("icon_color")
    if color is None:
        color = TOPIC_ICON_COLORS[0]
    elif color not in TOPIC_ICON_COLORS:
        raise bad_request("invalid icon color specified")
    emoji = call.get_str("icon_custom_emoji_id") or None
    created: dict[str, Any] = {"name": name, "icon_color": color}
    if emoji:
        created["icon_custom_emoji_id"] = emoji
    thread_id = chat.next_message_id
    call.world.new_message(
        chat,
        call.world.bot.id,
        kind="service",
        thread_id=thread_id,
        is_topic_message=True,
        payload={"forum_topic_created": created},
    )
    chat.topics[thread_id] = SimTopic(thread_id, name, color, emoji)
    call.world.log(chat, call.world.bot.id, "topic", f"created topic «{name}» (#{thread_id})")
    return {"message_thread_id": thread_id, **created}


async def edit_forum_topic(call: MethodCall) -> Any:
    chat = _forum(call)
    topic = _topic(call, chat)
    name = _topic_name(call)
    emoji = call.params.get("icon_custom_emoji_id")
    changes: dict[str, Any] = {}
    if name is not None and name != topic.name:
        changes["name"] = name
    if emoji is not None and (str(emoji) or None) != topic.icon_custom_emoji_id:
        changes["icon_custom_emoji_id"] = str(emoji)
    if not changes:
        raise bad_request("TOPIC_NOT_MODIFIED")
    topic.name = changes.get("name", topic.name)
    if "icon_custom_emoji_id" in changes:
        topic.icon_custom_emoji_id = changes["icon_custom_emoji_id"] or None
    _service(call, chat, topic, "forum_topic_edited", changes)
    text = f"renamed topic #{topic.thread_id} to «{topic.name}»" if name else "changed topic icon"
    call.world.log(chat, call.world.bot.id, "topic", text)
    return True


async def _set_closed(call: MethodCall, closed: bool) -> Any:
    chat = _forum(call)
    topic = _topic(call, chat)
    if topic.closed == closed:
        raise bad_request("TOPIC_NOT_MODIFIED")
    topic.closed = closed
    field = "forum_topic_closed" if closed else "forum_topic_reopened"
    _service(call, chat, topic, field, {})
    verb = "closed" if closed else "reopened"
    call.world.log(chat, call.world.bot.id, "topic", f"{verb} topic «{topic.name}»")
    return True


async def close_forum_topic(call: MethodCall) -> Any:
    return await _set_closed(call, True)


async def reopen_forum_topic(call: MethodCall) -> Any:
    return await _set_closed(call, False)


async def delete_forum_topic(call: MethodCall) -> Any:
    chat = _forum(call)
    topic = _topic(call, chat)
    topic.deleted = True
    for message in chat.messages:
        if message.thread_id == topic.thread_id:
            message.deleted = True
            message.changed_mark = call.world.mark()
    call.world.log(chat, call.world.bot.id, "topic", f"deleted topic «{topic.name}»")
    return True


def topic_handlers() -> dict[str, Any]:
    return {
        "createForumTopic": create_forum_topic,
        "editForumTopic": edit_forum_topic,
        "closeForumTopic": close_forum_topic,
        "reopenForumTopic": reopen_forum_topic,
        "deleteForumTopic": delete_forum_topic,
    }
