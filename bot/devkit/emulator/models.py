"""Plain state objects of the emulated Telegram world, free of any I/O."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, NamedTuple

# Telegram's fixed palette for forum topic icons; the first one is its default.
TOPIC_ICON_COLORS = (0x6FB9F0, 0xFFD67E, 0xCB86DB, 0x8EEE98, 0xFF93B2, 0xFB6F5F)

MEMBER_STATUSES = frozenset({"creator", "administrator", "member", "restricted", "left", "kicked"})


@dataclass
class UserProfile:
    id: int
    first_name: str
    last_name: str | None = None
    username: str | None = None
    language_code: str | None = None
    is_bot: bool = False
    # Telegram refuses to let a bot write first, so track whether the user opened the chat.
    started: bool = False
    blocked: bool = False

    @property
    def display_name(self) -> str:
        return f"{self.first_name} {self.last_name}" if self.last_name else self.first_name


@dataclass
class SimTopic:
    thread_id: int
    name: str
    icon_color: int
    icon_custom_emoji_id: str | None = None
    closed: bool = False
    deleted: bool = False


@dataclass
class SimMessage:
    """One message as the emulator stores it; ``payload`` holds extra Bot API fields verbatim."""

    chat_id: int
    message_id: int
    sender: int
    date: int
    kind: str = "text"
    text: str | None = None
    html: str | None = None
    caption: str | None = None
    entities: list[dict[str, Any]] = field(default_factory=list)
    reply_markup: dict[str, Any] | None = None
    thread_id: int | None = None
    is_topic_message: bool = False
    reply_to_message_id: int | None = None
    edited: bool = False
    edit_date: int | None = None
    deleted: bool = False
    media_group_id: str | None = None
    file_ids: list[str] = field(default_factory=list)
    payload: dict[str, Any] = field(default_factory=dict)
    from_bot: bool = False
    # Index into ``emu.requests`` at creation / last change, so waits can say "since mark".
    created_mark: int = 0
    changed_mark: int = 0

    @property
    def content(self) -> str:
        """Text or caption, whichever the message has ("" for neither)."""
        return self.text if self.text is not None else (self.caption or "")

    def inline_rows(self) -> list[list[dict[str, Any]]]:
        if not self.reply_markup:
            return []
        rows = self.reply_markup.get("inline_keyboard")
        return rows if isinstance(rows, list) else []

    def buttons(self) -> list[tuple[str, str | None]]:
        """Inline buttons flattened as (text, callback_data or url)."""
        result: list[tuple[str, str | None]] = []
        for row in self.inline_rows():
            for button in row:
                target = button.get("callback_data", button.get("url"))
                result.append((str(button.get("text", "")), target))
        return result

    def find_button(self, text_or_data: str | int) -> dict[str, Any] | None:
        """By exact text, else by callback_data; an int is a position in ``buttons()``."""
        buttons = [button for row in self.inline_rows() for button in row]
        if isinstance(text_or_data, int):
            in_range = -len(buttons) <= text_or_data < len(buttons)
            return buttons[text_or_data] if in_range else None
        for button in buttons:
            if button.get("text") == text_or_data:
                return button
        for button in buttons:
            if button.get("callback_data") == text_or_data:
                return button
        return None


@dataclass
class SimChat:
    id: int
    type: str
    title: str | None = None
    username: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    is_forum: bool = False
    messages: list[SimMessage] = field(default_factory=list)
    topics: dict[int, SimTopic] = field(default_factory=dict)
    members: dict[int, str] = field(default_factory=dict)
    bot_status: str = "member"
    # A group upgraded to a supergroup: requests to it are answered with the new id.
    migrated_to: int | None = None
    next_message_id: int = 1
    _index: dict[int, SimMessage] = field(default_factory=dict, repr=False)

    @property
    def display_title(self) -> str:
        if self.title:
            return self.title
        name = " ".join(part for part in (self.first_name, self.last_name) if part)
        return name or str(self.id)

    def add(self, message: SimMessage) -> None:
        self.messages.append(message)
        self._index[message.message_id] = message

    def get(self, message_id: int) -> SimMessage | None:
        """The live (not deleted) message with that id."""
        message = self._index.get(message_id)
        return None if message is None or message.deleted else message

    def open_topic(self, thread_id: int) -> SimTopic | None:
        topic = self.topics.get(thread_id)
        return None if topic is None or topic.deleted else topic


@dataclass
class FileRecord:
    file_id: str
    file_unique_id: str
    kind: str
    data: bytes
    file_path: str
    file_name: str | None = None
    mime_type: str | None = None
    # Photo file ids come in groups (one per size); resending any of them resends all sizes.
    sizes: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class UploadedFile:
    field_name: str
    filename: str
    content_type: str
    data: bytes


@dataclass
class CallbackQueryRecord:
    id: str
    user_id: int
    chat_id: int
    message_id: int
    data: str | None
    created: float
    answered: bool = False


@dataclass
class RecordedRequest:
    """One Bot API call as the bot made it and as the emulator answered it."""

    index: int
    method: str
    params: dict[str, Any]
    ok: bool
    response: Any
    t: float
    chat_id: int | None
    files: dict[str, UploadedFile] = field(default_factory=dict)
    duration: float = 0.0

    @property
    def error_code(self) -> int | None:
        return None if self.ok else int(self.response.get("error_code", 0))

    @property
    def description(self) -> str | None:
        return None if self.ok else str(self.response.get("description", ""))

    def short(self, width: int = 160) -> str:
        outcome = "ok" if self.ok else f"ERR {self.error_code} {self.description}"
        params = {k: v for k, v in self.params.items() if k != "reply_markup"}
        line = f"#{self.index} {self.method} chat={self.chat_id} {params!r} -> {outcome}"
        return line if len(line) <= width else line[: width - 1] + "…"


class TranscriptEntry(NamedTuple):
    t: float
    chat_id: int
    chat_title: str
    actor: str
    action: str
    text: str
    buttons: list[list[str]]
