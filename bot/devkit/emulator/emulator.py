"""``BotAPIEmulator``: a local fake Telegram Bot API server plus the test-side controls."""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections.abc import Callable
from types import TracebackType
from typing import TYPE_CHECKING, Any, TypeVar

from .actors import SimGroup, SimUser
from .methods import MethodTable
from .models import RecordedRequest, SimChat, SimMessage, TranscriptEntry, UserProfile
from .policy import NoopPolicy, Policy
from .server import ApiServer
from .world import World

if TYPE_CHECKING:
    from aiogram import Bot
    from aiogram.client.telegram import TelegramAPIServer

T = TypeVar("T")
ChatLike = int | SimGroup | SimUser | SimChat


def _chat_id(chat: ChatLike) -> int:
    return chat if isinstance(chat, int) else chat.id


class BotAPIEmulator:
    """Speaks the Bot API over HTTP so a real aiogram ``Bot``/``Dispatcher`` can run against it.

    ``async with BotAPIEmulator() as emu: bot = emu.create_bot()`` — then act as users with
    ``emu.add_user(...)`` and inspect ``emu.requests``, ``emu.chat(id).messages`` and
    ``emu.transcript``.
    """

    def __init__(
        self,
        bot_id: int = 7000000001,
        bot_username: str = "StudentVoiceBot",
        bot_name: str = "学生之声",
        *,
        privacy_mode: bool = False,
        callback_query_ttl: float | None = 15.0,
        policy: Policy | None = None,
    ) -> None:
        profile = UserProfile(bot_id, bot_name, username=bot_username, is_bot=True)
        self.world = World(
            profile, privacy_mode=privacy_mode, callback_query_ttl=callback_query_ttl
        )
        self.policy: Policy = policy if policy is not None else NoopPolicy()
        self.methods = MethodTable()
        self._server = ApiServer(self.world, self.methods, lambda: self.policy)
        self._users: dict[int, SimUser] = {}
        self._groups: dict[int, SimGroup] = {}

    # -- lifecycle ---------------------------------------------------------------------

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> BotAPIEmulator:
        await self._server.start(host, port)
        return self

    async def stop(self) -> None:
        await self._server.stop()

    async def __aenter__(self) -> BotAPIEmulator:
        return await self.start()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    @property
    def base_url(self) -> str:
        if self._server.port is None:
            raise RuntimeError("the emulator is not started; await emu.start() first")
        return f"http://{self._server.host}:{self._server.port}"

    def api_server(self) -> TelegramAPIServer:
        from aiogram.client.telegram import TelegramAPIServer

        return TelegramAPIServer.from_base(self.base_url)

    def create_bot(self, token: str = "123456:TEST-TOKEN", **kwargs: Any) -> Bot:
        """A real aiogram ``Bot`` wired to this emulator (close its session when done)."""
        from aiogram import Bot
        from aiogram.client.session.aiohttp import AiohttpSession

        return Bot(token, session=AiohttpSession(api=self.api_server()), **kwargs)

    # -- state ---------------------------------------------------------------------------

    @property
    def bot_id(self) -> int:
        return self.world.bot.id

    @property
    def bot_username(self) -> str:
        return self.world.bot.username or ""

    @property
    def requests(self) -> list[RecordedRequest]:
        return self.world.requests

    @property
    def transcript(self) -> list[TranscriptEntry]:
        return self.world.transcript

    @property
    def callback_answers(self) -> dict[str, tuple[str | None, bool]]:
        return self.world.callback_answers

    @property
    def internal_errors(self) -> list[BaseException]:
        """Exceptions raised inside the emulator itself (answered as HTTP 500)."""
        return self._server.internal_errors

    @property
    def updates(self) -> list[dict[str, Any]]:
        """Every update ever enqueued, in update_id order."""
        return self.world.updates.history

    def add_user(
        self,
        user_id: int,
        first_name: str,
        username: str | None = None,
        language_code: str | None = None,
        last_name: str | None = None,
        *,
        started: bool = False,
    ) -> SimUser:
        """A user; ``started=True`` means they opened the private chat with the bot already."""
        profile = UserProfile(user_id, first_name, last_name, username, language_code)
        profile.started = started
        self.world.users[user_id] = profile
        user = SimUser(self.world, profile)
        self._users[user_id] = user
        return user

    def user(self, user_id: int) -> SimUser:
        return self._users[user_id]

    def add_group(
        self,
        chat_id: int,
        title: str,
        is_forum: bool = False,
        supergroup: bool = True,
        *,
        username: str | None = None,
        bot_status: str = "administrator",
    ) -> SimGroup:
        if is_forum and not supergroup:
            raise ValueError("only supergroups can be forums")
        chat = SimChat(
            id=chat_id,
            type="supergroup" if supergroup else "group",
            title=title,
            username=username,
            is_forum=is_forum,
            bot_status=bot_status,
        )
        self.world.chats[chat_id] = chat
        group = SimGroup(self.world, chat)
        self._groups[chat_id] = group
        return group

    def group(self, chat_id: int) -> SimGroup:
        return self._groups[chat_id]

    def migrate_group(self, chat_id: int, new_chat_id: int, by: SimUser) -> SimGroup:
        """A basic group upgraded to a supergroup by `by`: its history and members move to the
        new id (message ids kept), the old id answers with the new one, and the bot gets the
        service messages of both chats."""
        old = self.world.chats[chat_id]
        if old.type != "group":
            raise ValueError(f"only a basic group can be upgraded; {chat_id} is a {old.type}")
        new = self.add_group(new_chat_id, old.display_title, bot_status=old.bot_status).chat
        new.members = dict(old.members)
        for message in old.messages:
            new.add(dataclasses.replace(message, chat_id=new_chat_id))
        new.next_message_id = old.next_message_id
        by._post(old, kind="service", payload={"migrate_to_chat_id": new_chat_id})
        old.migrated_to = new_chat_id
        by._post(new, kind="service", payload={"migrate_from_chat_id": chat_id})
        return self._groups[new_chat_id]

    def chat(self, chat_id: ChatLike) -> SimChat:
        key = _chat_id(chat_id)
        chat = self.world.chats.get(key)
        if chat is not None:
            return chat
        profile = self.world.users.get(key)
        if profile is not None and not profile.is_bot:
            return self.world.private_chat(profile)
        raise KeyError(f"no chat {key}; known chats: {sorted(self.world.chats)}")

    def bot_messages(self, chat_id: ChatLike, *, include_deleted: bool = False) -> list[SimMessage]:
        return [
            m
            for m in self.chat(chat_id).messages
            if m.from_bot and m.kind != "service" and (include_deleted or not m.deleted)
        ]

    def last_bot_message(self, chat_id: ChatLike) -> SimMessage | None:
        messages = self.bot_messages(chat_id)
        return messages[-1] if messages else None

    def requests_for(self, method: str) -> list[RecordedRequest]:
        wanted = method.lower()
        return [r for r in self.world.requests if r.method.lower() == wanted]

    def mark(self) -> int:
        """A position in ``requests`` to pass as ``since=`` to the wait helpers."""
        return self.world.mark()

    def redeliver(self, update_id: int) -> None:
        """Enqueue an already delivered update again, unchanged (same update_id)."""
        self.world.updates.redeliver(update_id)
        self.world.touch()

    # -- waiting -------------------------------------------------------------------------

    async def _wait(self, check: Callable[[], T | None], limit: float, what: str) -> T:
        deadline = time.monotonic() + limit
        while True:
            changed = self.world.changed
            found = check()
            if found is not None:
                return found
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"timed out after {limit}s waiting for {what}\n{self.dump()}")
            try:
                await asyncio.wait_for(changed.wait(), remaining)
            except TimeoutError:
                continue

    async def wait_for_request(
        self,
        predicate: Callable[[RecordedRequest], bool] | str,
        *,
        timeout: float = 5.0,  # noqa: ASYNC109 - deadline for the whole wait, not one call
        since: int | None = None,
    ) -> RecordedRequest:
        """The first request at index >= ``since`` (default: now) matching ``predicate``,
        which may also be a method name."""
        start = self.mark() if since is None else since
        name = predicate.lower() if isinstance(predicate, str) else None

        def matches(request: RecordedRequest) -> bool:
            if name is not None:
                return request.method.lower() == name
            assert callable(predicate)
            return predicate(request)

        def check() -> RecordedRequest | None:
            return next((r for r in self.world.requests[start:] if matches(r)), None)

        return await self._wait(check, timeout, f"a request matching {predicate!r} since #{start}")

    async def wait_for_message(
        self,
        chat_id: ChatLike,
        *,
        contains: str | None = None,
        since: int | None = None,
        timeout: float = 5.0,  # noqa: ASYNC109 - deadline for the whole wait, not one call
    ) -> SimMessage:
        """A bot message in the chat sent or edited at/after ``since`` whose text or caption
        contains ``contains``. ``since`` defaults to the latest simulated user action, so
        ``await alice.send(...)`` followed by this call cannot miss a fast reply."""
        start = self.world.last_user_mark if since is None else since
        key = _chat_id(chat_id)

        def check() -> SimMessage | None:
            chat = self.world.chats.get(key)
            if chat is None:
                return None
            for message in chat.messages:
                if (
                    message.from_bot
                    and not message.deleted
                    and message.kind != "service"
                    and message.changed_mark >= start
                    and (contains is None or contains in message.content)
                ):
                    return message
            return None

        what = f"a bot message in chat {key}" + (f" containing {contains!r}" if contains else "")
        return await self._wait(check, timeout, what)

    async def wait_for_button(
        self,
        chat_id: ChatLike,
        label: str | int,
        *,
        timeout: float = 5.0,  # noqa: ASYNC109 - deadline for the whole wait, not one call
    ) -> SimMessage:
        """The newest bot message in the chat that has a button ``label`` (a text, or the
        position of a button when an int) — for pressing it."""
        key = _chat_id(chat_id)

        def check() -> SimMessage | None:
            chat = self.world.chats.get(key)
            for message in reversed(chat.messages if chat is not None else []):
                found = message.from_bot and not message.deleted
                if found and message.find_button(label) is not None:
                    return message
            return None

        return await self._wait(check, timeout, f"a button {label!r} in chat {key}")

    async def wait_for_poller(self, timeout: float = 5.0) -> None:  # noqa: ASYNC109
        """Wait until the bot holds a getUpdates long poll (its polling loop is running)."""
        queue = self.world.updates
        await self._wait(lambda: True if queue.active_polls else None, timeout, "a getUpdates poll")

    async def settle(self, quiet: float = 0.15, timeout: float = 10.0) -> None:  # noqa: ASYNC109
        """Return once every update was fetched and confirmed by the bot, no bot request is
        in flight, and none arrived for ``quiet`` seconds."""
        deadline = time.monotonic() + timeout
        queue = self.world.updates
        while True:
            now = time.monotonic()
            busy = queue.undelivered_count or queue.unconfirmed_count or self.world.in_flight
            idle = now - max(self.world.last_activity, queue.last_enqueue)
            if not busy and idle >= quiet:
                return
            if now >= deadline:
                raise AssertionError(f"emulator did not settle within {timeout}s\n{self.dump()}")
            await asyncio.sleep(min(0.01, quiet))

    # -- reporting -----------------------------------------------------------------------

    def dump(self, last: int = 20) -> str:
        queue = self.world.updates
        lines = [
            f"updates: {queue.undelivered_count} undelivered, "
            f"{queue.unconfirmed_count} delivered but unconfirmed; "
            f"{self.world.in_flight} request(s) in flight; last {last} requests:"
        ]
        lines.extend("  " + r.short() for r in self.world.requests[-last:])
        return "\n".join(lines)

    def render_transcript(self) -> str:
        """The conversation so far, one line per action, for demos and failure reports."""
        if not self.transcript:
            return "(no activity)"
        origin = self.transcript[0].t
        lines = []
        for entry in self.transcript:
            verb = {"message": ":", "edit": " ✎", "delete": " 🗑", "press": " ▸"}.get(
                entry.action, f" [{entry.action}]"
            )
            lines.append(
                f"+{entry.t - origin:7.3f}s [{entry.chat_title}] {entry.actor}{verb} {entry.text}"
            )
            for row in entry.buttons:
                lines.append(" " * 10 + "  ".join(f"[{text}]" for text in row))
        return "\n".join(lines)
