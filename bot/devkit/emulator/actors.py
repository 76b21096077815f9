"""The test-side API: simulated users and groups that act on the emulated world."""

from __future__ import annotations

import secrets
import time
from collections.abc import Mapping, Sequence
from typing import Any

from .html_entities import utf16_len
from .media import media_payload
from .models import MEMBER_STATUSES, TOPIC_ICON_COLORS, SimChat, SimMessage, SimTopic, UserProfile
from .serialize import chat_dict, member_dict, user_dict
from .world import World


class SimGroup:
    """A group or supergroup (optionally a forum) the bot is a member of."""

    def __init__(self, world: World, chat: SimChat) -> None:
        self._world = world
        self.chat = chat

    @property
    def id(self) -> int:
        return self.chat.id

    @property
    def title(self) -> str:
        return self.chat.display_title

    @property
    def is_forum(self) -> bool:
        return self.chat.is_forum

    @property
    def messages(self) -> list[SimMessage]:
        return self.chat.messages

    @property
    def topics(self) -> dict[int, SimTopic]:
        return self.chat.topics

    def add_member(self, user: SimUser | UserProfile | int, status: str = "member") -> None:
        if status not in MEMBER_STATUSES:
            raise ValueError(f"unknown member status {status!r}; use one of {MEMBER_STATUSES}")
        user_id = user if isinstance(user, int) else user.id
        self.chat.members[user_id] = status

    def set_bot_status(self, status: str) -> None:
        """Quietly: the bot is not told (see `remove_bot` and `add_bot` for that)."""
        self.chat.bot_status = status

    def remove_bot(self, by: SimUser, status: str = "kicked") -> None:
        """A member takes the bot out of the group ("kicked", or "left"); the bot is told."""
        self._bot_membership(by, status)

    def add_bot(self, by: SimUser, status: str = "administrator") -> None:
        self._bot_membership(by, status)

    def _bot_membership(self, by: SimUser, status: str) -> None:
        world, old = self._world, self.chat.bot_status
        self.chat.bot_status = status
        world.updates.push(
            "my_chat_member",
            {
                "chat": chat_dict(self.chat),
                "from": user_dict(by.profile),
                "date": int(time.time()),
                "old_chat_member": member_dict(world.bot, old),
                "new_chat_member": member_dict(world.bot, status),
            },
        )
        world.touch()

    def topic_by_name(self, name: str) -> SimTopic | None:
        return next(
            (t for t in self.chat.topics.values() if t.name == name and not t.deleted), None
        )

    async def create_topic(
        self, name: str, by: SimUser, icon_color: int = TOPIC_ICON_COLORS[0]
    ) -> SimTopic:
        """A user creates a topic; the bot receives its service message as an update."""
        if not self.chat.is_forum:
            raise ValueError(f"{self.title} is not a forum")
        thread_id = self.chat.next_message_id
        topic = SimTopic(thread_id, name, icon_color)
        self.chat.topics[thread_id] = topic
        by._post(
            self.chat,
            kind="service",
            thread_id=thread_id,
            is_topic_message=True,
            payload={"forum_topic_created": {"name": name, "icon_color": icon_color}},
        )
        return topic

    def __repr__(self) -> str:
        return f"SimGroup({self.id}, {self.title!r})"


class SimUser:
    """A Telegram user; every action enqueues the Update Telegram would send the bot."""

    def __init__(self, world: World, profile: UserProfile) -> None:
        self._world = world
        self.profile = profile

    @property
    def id(self) -> int:
        return self.profile.id

    @property
    def first_name(self) -> str:
        return self.profile.first_name

    @property
    def username(self) -> str | None:
        return self.profile.username

    @property
    def private_chat(self) -> SimChat:
        return self._world.private_chat(self.profile)

    # -- plumbing --------------------------------------------------------------------

    def _chat(self, chat: SimGroup | SimChat | int | None) -> SimChat:
        world = self._world
        if chat is None or chat == self.id:
            if self.profile.blocked:
                # Telegram clients unblock the bot when the user writes to it again.
                self.unblock_bot()
            self.profile.started = True
            return world.private_chat(self.profile)
        target = chat.chat if isinstance(chat, SimGroup) else chat
        resolved = target if isinstance(target, SimChat) else world.chats.get(target)
        if resolved is None:
            raise KeyError(f"unknown chat {chat!r}; create it with emu.add_group()")
        status = resolved.members.get(self.id, "left")
        if status == "kicked":
            raise PermissionError(f"{self.profile.display_name} is banned in {resolved.title}")
        if status == "left":
            resolved.members[self.id] = "member"
        return resolved

    def _placement(
        self, chat: SimChat, reply_to: SimMessage | int | None, thread_id: int | None
    ) -> dict[str, Any]:
        reply_id = reply_to.message_id if isinstance(reply_to, SimMessage) else reply_to
        target = chat.get(reply_id) if reply_id is not None else None
        if reply_id is not None and target is None:
            raise KeyError(f"message {reply_id} does not exist in chat {chat.id}")
        if thread_id is not None:
            if not chat.is_forum:
                raise ValueError(f"chat {chat.id} is not a forum; thread_id makes no sense")
            if chat.open_topic(thread_id) is None:
                raise KeyError(f"topic {thread_id} does not exist in chat {chat.id}")
        elif chat.is_forum and target is not None and target.is_topic_message:
            thread_id = target.thread_id
        if chat.is_forum and thread_id is not None and reply_id is None:
            reply_id = thread_id  # Telegram: topic messages reply to the topic's root
        return {
            "thread_id": thread_id,
            "is_topic_message": chat.is_forum and thread_id is not None,
            "reply_to_message_id": reply_id,
        }

    def _reaches_bot(self, chat: SimChat, message: SimMessage) -> bool:
        world = self._world
        if chat.type != "private" and chat.bot_status in ("left", "kicked"):
            return False
        if chat.type == "private" or not world.privacy_mode or message.kind == "service":
            return True
        text = message.content
        bot_name = (world.bot.username or "").lower()
        if text.startswith("/"):
            command = text.split(maxsplit=1)[0]
            return "@" not in command or command.split("@", 1)[1].lower() == bot_name
        if bot_name and f"@{bot_name}" in text.lower():
            return True
        replied = chat.get(message.reply_to_message_id or 0)
        return replied is not None and replied.from_bot and replied.message_id != message.thread_id

    def _post(self, chat: SimChat, **fields: Any) -> SimMessage:
        world = self._world
        message = world.new_message(chat, self.id, **fields)
        world.last_user_mark = world.mark()
        action = "topic" if "forum_topic_created" in message.payload else "message"
        world.log(chat, self.id, action, world.describe(message))
        if self._reaches_bot(chat, message):
            world.updates.push("message", world.render(message))
        world.touch()
        return message

    # -- messages --------------------------------------------------------------------

    async def send(
        self,
        text: str,
        chat: SimGroup | SimChat | int | None = None,
        reply_to: SimMessage | int | None = None,
        thread_id: int | None = None,
        entities: list[dict[str, Any]] | None = None,
    ) -> SimMessage:
        target = self._chat(chat)
        found = list(entities or [])
        if text.startswith("/") and not entities:
            command = text.split(maxsplit=1)[0]
            found.append({"type": "bot_command", "offset": 0, "length": utf16_len(command)})
        return self._post(
            target,
            kind="text",
            text=text,
            entities=found,
            **self._placement(target, reply_to, thread_id),
        )

    async def _send_media(
        self,
        kind: str,
        chat: SimGroup | SimChat | int | None,
        reply_to: SimMessage | int | None,
        thread_id: int | None,
        caption: str | None = None,
        data: bytes = b"stub",
        file_name: str | None = None,
        mime_type: str | None = None,
        media_group_id: str | None = None,
        **extra: Any,
    ) -> SimMessage:
        target = self._chat(chat)
        record = self._world.issue_file(kind, data, file_name=file_name, mime_type=mime_type)
        return self._post(
            target,
            kind=kind,
            caption=caption,
            payload=media_payload(self._world, kind, record, **extra),
            file_ids=[record.file_id],
            media_group_id=media_group_id,
            **self._placement(target, reply_to, thread_id),
        )

    async def send_photo(
        self,
        caption: str | None = None,
        chat: SimGroup | SimChat | int | None = None,
        reply_to: SimMessage | int | None = None,
        thread_id: int | None = None,
        width: int = 1280,
        height: int = 960,
    ) -> SimMessage:
        return await self._send_media(
            "photo",
            chat,
            reply_to,
            thread_id,
            caption,
            b"\xff\xd8\xff\xe0stub-jpeg",
            width=width,
            height=height,
        )

    async def send_document(
        self,
        file_name: str = "a.pdf",
        caption: str | None = None,
        chat: SimGroup | SimChat | int | None = None,
        reply_to: SimMessage | int | None = None,
        thread_id: int | None = None,
        mime_type: str | None = None,
        data: bytes = b"%PDF-1.4 stub",
    ) -> SimMessage:
        return await self._send_media(
            "document", chat, reply_to, thread_id, caption, data, file_name, mime_type
        )

    async def send_sticker(
        self,
        emoji: str = "👍",
        chat: SimGroup | SimChat | int | None = None,
        reply_to: SimMessage | int | None = None,
        thread_id: int | None = None,
    ) -> SimMessage:
        return await self._send_media("sticker", chat, reply_to, thread_id, emoji=emoji)

    async def send_voice(
        self,
        duration: int = 3,
        chat: SimGroup | SimChat | int | None = None,
        reply_to: SimMessage | int | None = None,
        thread_id: int | None = None,
    ) -> SimMessage:
        return await self._send_media(
            "voice", chat, reply_to, thread_id, data=b"OggS stub", duration=duration
        )

    async def send_location(
        self,
        latitude: float = 31.2304,
        longitude: float = 121.4737,
        chat: SimGroup | SimChat | int | None = None,
        reply_to: SimMessage | int | None = None,
        thread_id: int | None = None,
    ) -> SimMessage:
        target = self._chat(chat)
        return self._post(
            target,
            kind="location",
            payload={"location": {"latitude": latitude, "longitude": longitude}},
            **self._placement(target, reply_to, thread_id),
        )

    async def send_media_group(
        self,
        items: Sequence[str | Mapping[str, Any] | None],
        chat: SimGroup | SimChat | int | None = None,
        reply_to: SimMessage | int | None = None,
        thread_id: int | None = None,
    ) -> list[SimMessage]:
        """An album: each item is a photo caption (str/None) or a dict with ``type`` ("photo",
        "document", "video"), ``caption`` and ``file_name``. Every part is its own update."""
        group_id = str(13_000_000_000_000_000 + secrets.randbelow(10**15))
        sent = []
        for item in items:
            spec: Mapping[str, Any] = item if isinstance(item, Mapping) else {"caption": item}
            kind = str(spec.get("type", "photo"))
            sent.append(
                await self._send_media(
                    kind,
                    chat,
                    reply_to,
                    thread_id,
                    spec.get("caption"),
                    file_name=spec.get("file_name", "file.pdf" if kind == "document" else None),
                    media_group_id=group_id,
                )
            )
        return sent

    async def edit(self, message: SimMessage, text: str) -> SimMessage:
        """The user edits their own text message (an ``edited_message`` update)."""
        if message.sender != self.id or message.text is None:
            raise ValueError("users can only edit their own text messages")
        world = self._world
        message.text = text
        message.edited = True
        message.edit_date = int(time.time())
        message.changed_mark = world.mark()
        world.last_user_mark = world.mark()
        chat = world.chats[message.chat_id]
        world.log(chat, self.id, "edit", text)
        world.updates.push("edited_message", world.render(message))
        world.touch()
        return message

    # -- buttons & relationship with the bot ------------------------------------------

    async def press(
        self,
        message: SimMessage | int,
        button: str | int,
        chat: SimGroup | SimChat | int | None = None,
    ) -> str:
        """Press an inline button: by exact text, else by callback_data; an int picks the
        button at that position of ``message.buttons()``."""
        world = self._world
        if isinstance(message, int):
            target_chat = self._chat(chat)
            found = target_chat.get(message)
        else:
            target_chat = world.chats[message.chat_id]
            found = target_chat.get(message.message_id)
        if found is None:
            raise AssertionError(f"message {message!r} is gone; nothing to press")
        pressed = found.find_button(button)
        if pressed is None:
            raise AssertionError(
                f"no inline button {button!r} on message {found.message_id} "
                f"in chat {found.chat_id}; it has {found.buttons()!r}"
            )
        data = pressed.get("callback_data")
        if data is None:
            raise AssertionError(f"button {button!r} has no callback_data: {pressed!r}")
        query_id = world.new_callback_query(self.profile, found, data)
        body = {
            "id": query_id,
            "from": user_dict(self.profile),
            "message": world.render(found),
            "chat_instance": world.chat_instance(target_chat),
            "data": data,
        }
        world.last_user_mark = world.mark()
        world.log(target_chat, self.id, "press", str(pressed.get("text", "")))
        world.updates.push("callback_query", body)
        world.touch()
        return query_id

    def _bot_status_change(self, old: str, new: str) -> None:
        world = self._world
        if not self.profile.started:
            return
        world.updates.push(
            "my_chat_member",
            {
                "chat": chat_dict(world.private_chat(self.profile)),
                "from": user_dict(self.profile),
                "date": int(time.time()),
                "old_chat_member": member_dict(world.bot, old),
                "new_chat_member": member_dict(world.bot, new),
            },
        )
        world.touch()

    def block_bot(self) -> None:
        if not self.profile.blocked:
            self.profile.blocked = True
            self._bot_status_change("member", "kicked")

    def unblock_bot(self) -> None:
        if self.profile.blocked:
            self.profile.blocked = False
            self._bot_status_change("kicked", "member")

    def __repr__(self) -> str:
        return f"SimUser({self.id}, {self.profile.display_name!r})"
