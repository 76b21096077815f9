"""Bot API methods that create messages: sendMessage, send<Media>, sendMediaGroup, copy, forward."""

from __future__ import annotations

import copy
import secrets
from collections.abc import Awaitable, Callable
from typing import Any

from .errors import bad_request
from .html_entities import ParsedText
from .media import media_payload, resolve_input_file
from .models import SimChat, SimMessage
from .serialize import user_dict
from .validation import (
    MethodCall,
    existing_chat,
    placement,
    prepare_text,
    validate_reply_markup,
    writable_chat,
)
from .world import World

Handler = Callable[[MethodCall], Awaitable[Any]]

CHAT_ACTIONS = frozenset(
    {
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    }
)


def publish(world: World, chat: SimChat, message: SimMessage) -> dict[str, Any]:
    world.log(chat, world.bot.id, "message", world.describe(message), world.buttons_of(message))
    return world.render(message)


def _is_html(parse_mode: Any) -> bool:
    return bool(parse_mode) and str(parse_mode).lower() == "html"


def _caption(call: MethodCall, params: dict[str, Any] | None = None) -> tuple[ParsedText, Any]:
    source = call.params if params is None else params
    raw = source.get("caption")
    parsed = prepare_text(
        raw, source.get("parse_mode"), source.get("caption_entities"), caption=True
    )
    return parsed, raw


async def send_message(call: MethodCall) -> Any:
    raw = call.params.get("text")
    if raw is None or raw == "":
        raise bad_request("message text is empty")
    chat = writable_chat(call)
    place = placement(call, chat)
    parse_mode = call.params.get("parse_mode")
    parsed = prepare_text(raw, parse_mode, call.params.get("entities"))
    markup = validate_reply_markup(call.params.get("reply_markup"))
    message = call.world.new_message(
        chat,
        call.world.bot.id,
        kind="text",
        text=parsed.text,
        html=str(raw) if _is_html(parse_mode) else None,
        entities=parsed.entities,
        reply_markup=markup,
        **place,
    )
    return publish(call.world, chat, message)


def media_sender(kind: str) -> Handler:
    """sendPhoto, sendDocument, ... differ only in the field that carries the file."""

    async def send_media(call: MethodCall) -> Any:
        chat = writable_chat(call)
        place = placement(call, chat)
        record = resolve_input_file(call.world, call.files, call.params.get(kind), kind)
        parsed, raw = _caption(call) if kind != "sticker" else (ParsedText(""), None)
        markup = validate_reply_markup(call.params.get("reply_markup"))
        extra: dict[str, Any] = {
            k: call.params[k] for k in ("width", "height", "duration") if k in call.params
        }
        if kind == "sticker" and call.params.get("emoji"):
            extra["emoji"] = call.params["emoji"]
        message = call.world.new_message(
            chat,
            call.world.bot.id,
            kind=kind,
            caption=parsed.text or None,
            html=str(raw) if raw and _is_html(call.params.get("parse_mode")) else None,
            entities=parsed.entities,
            reply_markup=markup,
            payload=media_payload(call.world, kind, record, **extra),
            file_ids=[record.file_id],
            **place,
        )
        return publish(call.world, chat, message)

    return send_media


async def send_media_group(call: MethodCall) -> Any:
    media = call.params.get("media")
    if not isinstance(media, list) or not media:
        raise bad_request("media to send are not specified")
    if len(media) > 10:
        raise bad_request("too many messages to send as an album")
    chat = writable_chat(call)
    place = placement(call, chat)
    prepared: list[tuple[str, Any, ParsedText, Any, dict[str, Any]]] = []
    for item in media:
        if not isinstance(item, dict) or item.get("type") not in (
            "photo",
            "video",
            "document",
            "audio",
        ):
            raise bad_request("can't parse InputMedia: unsupported media type")
        kind = str(item["type"])
        record = resolve_input_file(call.world, call.files, item.get("media"), kind)
        parsed, raw = _caption(call, item)
        prepared.append((kind, record, parsed, raw, item))
    group_id = str(13_000_000_000_000_000 + secrets.randbelow(10**15))
    results = []
    for kind, record, parsed, raw, item in prepared:
        message = call.world.new_message(
            chat,
            call.world.bot.id,
            kind=kind,
            caption=parsed.text or None,
            html=str(raw) if raw and _is_html(item.get("parse_mode")) else None,
            entities=parsed.entities,
            payload=media_payload(call.world, kind, record),
            file_ids=[record.file_id],
            media_group_id=group_id,
            **place,
        )
        results.append(publish(call.world, chat, message))
    return results


def _source_and_place(call: MethodCall, verb: str) -> tuple[SimMessage, SimChat, dict[str, Any]]:
    """The message to copy or forward, and the chat and place it goes to."""
    source_chat = existing_chat(call, "from_chat_id")
    message_id = call.require_int("message_id", "message identifier is not specified")
    original = source_chat.get(message_id)
    if original is None:
        raise bad_request(f"message to {verb} not found")
    if original.kind == "service":
        raise bad_request(f"message can't be {verb}ed")
    chat = writable_chat(call)
    return original, chat, placement(call, chat)


async def copy_message(call: MethodCall) -> Any:
    original, chat, place = _source_and_place(call, "copy")
    text, caption, entities, html = original.text, original.caption, original.entities, None
    if "caption" in call.params and original.text is None:
        parsed, raw = _caption(call)
        caption, entities = parsed.text or None, parsed.entities
        html = str(raw) if raw and _is_html(call.params.get("parse_mode")) else None
    message = call.world.new_message(
        chat,
        call.world.bot.id,
        kind=original.kind,
        text=text,
        caption=caption,
        html=html,
        entities=copy.deepcopy(entities),
        reply_markup=validate_reply_markup(call.params.get("reply_markup")),
        payload=copy.deepcopy(original.payload),
        file_ids=list(original.file_ids),
        **place,
    )
    publish(call.world, chat, message)
    return {"message_id": message.message_id}


async def forward_message(call: MethodCall) -> Any:
    original, chat, place = _source_and_place(call, "forward")
    sender = call.world.users.get(original.sender)
    payload = copy.deepcopy(original.payload)
    if sender is not None:
        payload["forward_origin"] = {
            "type": "user",
            "date": original.date,
            "sender_user": user_dict(sender),
        }
    place["reply_to_message_id"] = place["thread_id"] if place["is_topic_message"] else None
    message = call.world.new_message(
        chat,
        call.world.bot.id,
        kind=original.kind,
        text=original.text,
        caption=original.caption,
        entities=copy.deepcopy(original.entities),
        payload=payload,
        file_ids=list(original.file_ids),
        **place,
    )
    return publish(call.world, chat, message)


async def send_chat_action(call: MethodCall) -> Any:
    chat = writable_chat(call)
    if chat.is_forum:
        placement(call, chat)
    if call.params.get("action") not in CHAT_ACTIONS:
        raise bad_request("wrong parameter action in request")
    return True


def send_handlers() -> dict[str, Handler]:
    handlers: dict[str, Handler] = {
        "sendMessage": send_message,
        "sendMediaGroup": send_media_group,
        "copyMessage": copy_message,
        "forwardMessage": forward_message,
        "sendChatAction": send_chat_action,
    }
    for kind in ("photo", "document", "video", "audio", "voice", "animation", "sticker"):
        handlers["send" + kind.capitalize()] = media_sender(kind)
    return handlers
