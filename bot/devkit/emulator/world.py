"""The emulated Telegram world: users, chats, messages, files, callback queries, updates."""

from __future__ import annotations

import asyncio
import hashlib
import time
from typing import Any

from .models import (
    CallbackQueryRecord,
    FileRecord,
    RecordedRequest,
    SimChat,
    SimMessage,
    TranscriptEntry,
    UserProfile,
)
from .serialize import message_dict
from .updates import UpdateQueue

_FILE_PREFIXES = {
    "photo": "AgACAgIAAxkBAAI",
    "document": "BQACAgIAAxkBAAI",
    "sticker": "CAACAgIAAxkBAAI",
    "voice": "AwACAgIAAxkBAAI",
    "video": "BAACAgIAAxkBAAI",
    "audio": "CQACAgIAAxkBAAI",
    "animation": "CgACAgIAAxkBAAI",
}
_FILE_DIRS = {"photo": "photos", "voice": "voice", "sticker": "stickers", "video": "videos"}


class World:
    def __init__(
        self,
        bot: UserProfile,
        *,
        privacy_mode: bool = False,
        callback_query_ttl: float | None = 15.0,
    ) -> None:
        self.bot = bot
        self.privacy_mode = privacy_mode
        self.callback_query_ttl = callback_query_ttl
        self.users: dict[int, UserProfile] = {bot.id: bot}
        self.chats: dict[int, SimChat] = {}
        self.files: dict[str, FileRecord] = {}
        self.file_paths: dict[str, FileRecord] = {}
        self.updates = UpdateQueue(on_poll=lambda: self.touch(activity=False))
        self.callback_queries: dict[str, CallbackQueryRecord] = {}
        self.callback_answers: dict[str, tuple[str | None, bool]] = {}
        self.requests: list[RecordedRequest] = []
        self.transcript: list[TranscriptEntry] = []
        self.commands: dict[tuple[str, str], list[dict[str, Any]]] = {}
        self.menu_buttons: dict[int | None, dict[str, Any]] = {}
        # (field, language code): the bot's description and short description.
        self.descriptions: dict[tuple[str, str], str] = {}
        self.webhook_url = ""
        self.in_flight = 0
        self.last_activity = time.monotonic()
        self.last_user_mark = 0
        self._counter = 0
        self._changed = asyncio.Event()

    # -- bookkeeping ---------------------------------------------------------------

    def mark(self) -> int:
        """Current position in ``requests``; use it as ``since=`` for the wait helpers."""
        return len(self.requests)

    def next_serial(self) -> int:
        self._counter += 1
        return self._counter

    def touch(self, activity: bool = True) -> None:
        """Wake waiters; ``activity`` also restarts the quiet period ``settle`` waits for."""
        if activity:
            self.last_activity = time.monotonic()
        self._changed.set()
        self._changed = asyncio.Event()

    @property
    def changed(self) -> asyncio.Event:
        return self._changed

    def record_request(self, request: RecordedRequest) -> None:
        self.requests.append(request)
        # An idle long poll returning is not activity; short polling would never settle.
        self.touch(activity=request.method != "getUpdates")

    def log(
        self,
        chat: SimChat,
        actor: int,
        action: str,
        text: str,
        buttons: list[list[str]] | None = None,
    ) -> None:
        self.transcript.append(
            TranscriptEntry(
                time.monotonic(),
                chat.id,
                chat.display_title,
                self.actor_name(actor),
                action,
                text,
                buttons or [],
            )
        )

    def actor_name(self, user_id: int) -> str:
        if user_id == self.bot.id:
            return "bot"
        user = self.users.get(user_id)
        return user.display_name if user else str(user_id)

    # -- chats & users -------------------------------------------------------------

    def resolve_chat(self, chat_id: Any) -> SimChat | None:
        if isinstance(chat_id, str) and chat_id.startswith("@"):
            wanted = chat_id[1:].lower()
            for chat in self.chats.values():
                if chat.username and chat.username.lower() == wanted:
                    return chat
            return None
        if isinstance(chat_id, bool) or not isinstance(chat_id, int):
            return None
        return self.chats.get(chat_id)

    def private_chat(self, user: UserProfile) -> SimChat:
        chat = self.chats.get(user.id)
        if chat is None:
            chat = SimChat(
                id=user.id,
                type="private",
                username=user.username,
                first_name=user.first_name,
                last_name=user.last_name,
            )
            self.chats[user.id] = chat
        return chat

    def chat_instance(self, chat: SimChat) -> str:
        digest = hashlib.sha1(f"{self.bot.id}:{chat.id}".encode()).hexdigest()
        return str(int(digest[:15], 16))

    # -- messages ------------------------------------------------------------------

    def new_message(self, chat: SimChat, sender: int, **fields: Any) -> SimMessage:
        message = SimMessage(
            chat_id=chat.id,
            message_id=chat.next_message_id,
            sender=sender,
            date=int(time.time()),
            from_bot=sender == self.bot.id,
            created_mark=self.mark(),
            changed_mark=self.mark(),
            **fields,
        )
        chat.next_message_id += 1
        chat.add(message)
        return message

    def render(self, message: SimMessage, *, with_reply: bool = True) -> dict[str, Any]:
        chat = self.chats[message.chat_id]
        sender = self.users.get(message.sender) or UserProfile(message.sender, str(message.sender))
        return message_dict(message, chat, sender, self._render_reply if with_reply else None)

    def _render_reply(self, message: SimMessage) -> dict[str, Any] | None:
        if message.reply_to_message_id is None:
            return None
        replied = self.chats[message.chat_id].get(message.reply_to_message_id)
        return None if replied is None else self.render(replied, with_reply=False)

    def buttons_of(self, message: SimMessage) -> list[list[str]]:
        return [[str(b.get("text", "")) for b in row] for row in message.inline_rows()]

    def describe(self, message: SimMessage) -> str:
        if message.text is not None:
            return message.text
        created = message.payload.get("forum_topic_created")
        if created:
            return f"created topic «{created['name']}» (#{message.message_id})"
        label = f"[{message.kind}]"
        return f"{label} {message.caption}" if message.caption else label

    # -- files ---------------------------------------------------------------------

    def issue_file(
        self,
        kind: str,
        data: bytes,
        *,
        file_name: str | None = None,
        mime_type: str | None = None,
        file_id: str | None = None,
    ) -> FileRecord:
        serial = self.next_serial()
        if file_id is None:
            token = hashlib.sha1(f"{kind}:{serial}:{self.bot.id}".encode()).hexdigest()
            file_id = f"{_FILE_PREFIXES.get(kind, 'BQACAgIAAxkBAAI')}{token[:24]}"
        unique = "AQAD" + hashlib.sha1(file_id.encode()).hexdigest()[:12]
        suffix = ""
        if file_name and "." in file_name:
            suffix = file_name[file_name.rfind(".") :]
        elif kind == "photo":
            suffix = ".jpg"
        elif kind == "voice":
            suffix = ".oga"
        path = f"{_FILE_DIRS.get(kind, kind + 's')}/file_{serial}{suffix}"
        record = FileRecord(file_id, unique, kind, data, path, file_name, mime_type)
        self.files[file_id] = record
        self.file_paths[path] = record
        return record

    def file_by_id(self, file_id: str, kind: str) -> FileRecord:
        """Any string is accepted as a file id, as long as tests reuse it consistently."""
        record = self.files.get(file_id)
        if record is None:
            if file_id.startswith(("http://", "https://")):
                name = file_id.rsplit("/", 1)[-1] or None
                return self.issue_file(kind, b"stub", file_name=name)
            record = self.issue_file(kind, b"stub", file_id=file_id)
        return record

    def photo_sizes(
        self, record: FileRecord, width: int = 1280, height: int = 960
    ) -> list[dict[str, Any]]:
        if record.sizes:
            return record.sizes
        longest = max(width, height, 1)
        sides = sorted({min(side, longest) for side in (90, 320, 800)} | {longest})
        sizes: list[dict[str, Any]] = []
        for side in sides:
            size_record = record if side == longest else self.issue_file("photo", record.data)
            sizes.append(
                {
                    "file_id": size_record.file_id,
                    "file_unique_id": size_record.file_unique_id,
                    "file_size": len(size_record.data),
                    "width": max(round(width * side / longest), 1),
                    "height": max(round(height * side / longest), 1),
                }
            )
        for size in sizes:
            self.files[size["file_id"]].sizes = sizes
        return sizes

    # -- callback queries ----------------------------------------------------------

    def new_callback_query(self, user: UserProfile, message: SimMessage, data: str | None) -> str:
        query_id = str(4_611_686_018_427_387_904 + user.id * 1000 + self.next_serial())
        self.callback_queries[query_id] = CallbackQueryRecord(
            query_id, user.id, message.chat_id, message.message_id, data, time.monotonic()
        )
        return query_id

    def live_callback_query(self, query_id: str) -> CallbackQueryRecord | None:
        record = self.callback_queries.get(query_id)
        if record is None or record.answered:
            return None
        ttl = self.callback_query_ttl
        if ttl is not None and time.monotonic() - record.created > ttl:
            return None
        return record
