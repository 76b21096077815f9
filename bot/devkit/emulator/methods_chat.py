"""Bot API methods about the bot itself, updates, chats, members, commands and files."""

from __future__ import annotations

import json
import re
from typing import Any

from .errors import bad_request, conflict
from .serialize import chat_full_info, member_dict, user_dict
from .validation import MethodCall, existing_chat

_COMMAND_RE = re.compile(r"^[a-z0-9_]{1,32}$")


async def get_me(call: MethodCall) -> Any:
    world = call.world
    result = user_dict(world.bot)
    result.update(
        can_join_groups=True,
        can_read_all_group_messages=not world.privacy_mode,
        supports_inline_queries=False,
        can_connect_to_business=False,
        has_main_web_app=False,
    )
    return result


async def get_updates(call: MethodCall) -> Any:
    world = call.world
    if world.webhook_url:
        raise conflict(
            "can't use getUpdates method while webhook is active; "
            "use deleteWebhook to delete the webhook first"
        )
    return await world.updates.get_updates(
        call.get_int("offset"),
        call.get_int("limit"),
        call.get_int("timeout"),
        call.params.get("allowed_updates"),
        call.alive,
    )


async def set_webhook(call: MethodCall) -> Any:
    # Accepted for API parity only: the emulator never pushes updates to a webhook.
    call.world.webhook_url = call.get_str("url") or ""
    if call.flag("drop_pending_updates"):
        call.world.updates.drop_pending()
    return True


async def delete_webhook(call: MethodCall) -> Any:
    call.world.webhook_url = ""
    if call.flag("drop_pending_updates"):
        call.world.updates.drop_pending()
    return True


async def get_webhook_info(call: MethodCall) -> Any:
    return {
        "url": call.world.webhook_url,
        "has_custom_certificate": False,
        "pending_update_count": call.world.updates.pending_count,
    }


async def ok_true(call: MethodCall) -> Any:
    return True


def _commands_key(call: MethodCall) -> tuple[str, str]:
    scope = call.params.get("scope") or {"type": "default"}
    return json.dumps(scope, sort_keys=True), call.get_str("language_code") or ""


async def set_my_commands(call: MethodCall) -> Any:
    commands = call.params.get("commands")
    if not isinstance(commands, list):
        raise bad_request('parameter "commands" is required')
    if len(commands) > 100:
        raise bad_request("too many commands specified")
    cleaned = []
    for command in commands:
        if not isinstance(command, dict):
            raise bad_request("can't parse BotCommand")
        name = str(command.get("command", "")).lstrip("/")
        description = str(command.get("description", ""))
        if not _COMMAND_RE.match(name):
            raise bad_request("BOT_COMMAND_INVALID")
        if not description.strip() or len(description) > 256:
            raise bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
        cleaned.append({"command": name, "description": description})
    call.world.commands[_commands_key(call)] = cleaned
    return True


async def get_my_commands(call: MethodCall) -> Any:
    return call.world.commands.get(_commands_key(call), [])


async def delete_my_commands(call: MethodCall) -> Any:
    call.world.commands.pop(_commands_key(call), None)
    return True


def _description_setter(field: str, limit: int) -> Any:
    async def set_description(call: MethodCall) -> Any:
        text = call.get_str(field) or ""
        if len(text) > limit:
            raise bad_request(f"{field.upper()}_INVALID")
        call.world.descriptions[field, call.get_str("language_code") or ""] = text
        return True

    return set_description


def _description_getter(field: str) -> Any:
    async def get_description(call: MethodCall) -> Any:
        language = call.get_str("language_code") or ""
        return {field: call.world.descriptions.get((field, language), "")}

    return get_description


async def set_chat_menu_button(call: MethodCall) -> Any:
    chat_id = call.get_int("chat_id")
    if chat_id is not None:
        existing_chat(call)
    button = call.params.get("menu_button") or {"type": "default"}
    if not isinstance(button, dict) or button.get("type") not in ("default", "commands", "web_app"):
        raise bad_request("can't parse menu button")
    call.world.menu_buttons[chat_id] = button
    return True


async def get_chat_menu_button(call: MethodCall) -> Any:
    buttons = call.world.menu_buttons
    chat_id = call.get_int("chat_id")
    return buttons.get(chat_id) or buttons.get(None) or {"type": "commands"}


async def get_chat(call: MethodCall) -> Any:
    return chat_full_info(existing_chat(call))


async def get_chat_member(call: MethodCall) -> Any:
    chat = existing_chat(call)
    user_id = call.require_int("user_id", "user not found")
    user = call.world.users.get(user_id)
    if user is None:
        raise bad_request("PARTICIPANT_ID_INVALID")
    if user_id == call.world.bot.id:
        status = chat.bot_status if chat.type != "private" else "member"
    elif chat.type == "private":
        status = "member" if user_id == chat.id else "left"
    else:
        status = chat.members.get(user_id, "left")
    return member_dict(user, status, can_manage_topics=chat.is_forum)


async def get_chat_administrators(call: MethodCall) -> Any:
    chat = existing_chat(call)
    if chat.type == "private":
        raise bad_request("there are no administrators in the private chat")
    world = call.world
    result = []
    for user_id, status in chat.members.items():
        if status in ("creator", "administrator") and user_id in world.users:
            result.append(member_dict(world.users[user_id], status))
    if chat.bot_status in ("creator", "administrator"):
        result.append(member_dict(world.bot, chat.bot_status))
    return result


async def get_chat_member_count(call: MethodCall) -> Any:
    chat = existing_chat(call)
    if chat.type == "private":
        return 2
    present = [s for s in chat.members.values() if s not in ("left", "kicked")]
    return len(present) + (chat.bot_status not in ("left", "kicked"))


async def get_file(call: MethodCall) -> Any:
    file_id = call.get_str("file_id")
    if not file_id:
        raise bad_request("file_id is empty")
    record = call.world.file_by_id(file_id, "document")
    return {
        "file_id": record.file_id,
        "file_unique_id": record.file_unique_id,
        "file_size": len(record.data),
        "file_path": record.file_path,
    }


def chat_handlers() -> dict[str, Any]:
    return {
        "getMe": get_me,
        "getUpdates": get_updates,
        "setWebhook": set_webhook,
        "deleteWebhook": delete_webhook,
        "getWebhookInfo": get_webhook_info,
        "logOut": ok_true,
        "close": ok_true,
        "setMyCommands": set_my_commands,
        "getMyCommands": get_my_commands,
        "deleteMyCommands": delete_my_commands,
        "setMyDescription": _description_setter("description", 512),
        "getMyDescription": _description_getter("description"),
        "setMyShortDescription": _description_setter("short_description", 120),
        "getMyShortDescription": _description_getter("short_description"),
        "setChatMenuButton": set_chat_menu_button,
        "getChatMenuButton": get_chat_menu_button,
        "getChat": get_chat,
        "getChatMember": get_chat_member,
        "getChatAdministrators": get_chat_administrators,
        "getChatMemberCount": get_chat_member_count,
        "getFile": get_file,
    }
