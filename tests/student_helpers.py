"""Steps the student tests share: a person talking to the bot, officers acting, the database."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from bot.emulator import SimUser
from bot.emulator.models import SimMessage
from storage.models import Attachment, Case, CaseEvent, User
from tests.harness import DEFAULT_TEXT, Harness

CJK = re.compile(r"[\u3400-\u9fff\uff00-\uffef\u3000-\u303f]")
ANSWER_TEXT = "经后勤保障处核查，已约谈承包商并增加每日卫生巡查。感谢同学的监督！"
REMINDER = "请先发送 /start 并同意隐私说明"


@dataclass
class Reply:
    """What a person noticed after one action: new bot messages and a button's toast/alert."""

    messages: list[SimMessage] = field(default_factory=list)
    toast: str | None = None
    alert: bool = False

    @property
    def texts(self) -> list[str]:
        return [m.content for m in self.messages]

    @property
    def text(self) -> str:
        return "\n".join(self.texts)

    @property
    def last(self) -> SimMessage:
        assert self.messages, "the bot sent nothing"
        return self.messages[-1]

    def buttons(self, index: int = -1) -> list[str]:
        return [text for text, _ in self.messages[index].buttons()] if self.messages else []


def labels(message: SimMessage) -> list[str]:
    return [text for text, _ in message.buttons()]


def reply_keyboard(message: SimMessage) -> list[list[str]]:
    rows = (message.reply_markup or {}).get("keyboard") or []
    return [[str(b.get("text", b)) if isinstance(b, dict) else str(b) for b in row] for row in rows]


@dataclass
class Talk:
    """A person in their private chat with the bot; every action waits until the bot is done."""

    h: Harness
    user: SimUser

    def _mark(self) -> int:
        messages = self.h.emu.chat(self.user.id).messages
        return messages[-1].message_id if messages else 0

    def _since(self, mark: int) -> list[SimMessage]:
        return [m for m in self.h.emu.bot_messages(self.user.id) if m.message_id > mark]

    @property
    def last(self) -> SimMessage:
        return self.h.last(self.user)

    def message_with(self, needle: str) -> SimMessage:
        for message in reversed(self.h.emu.bot_messages(self.user.id)):
            if needle in message.content:
                return message
        raise AssertionError(f"no bot message containing {needle!r}")

    async def _after(self, action: Any) -> Reply:
        mark = self._mark()
        await action
        await self.h.settle()
        return Reply(self._since(mark))

    async def send(self, text: str, reply_to: SimMessage | None = None) -> Reply:
        return await self._after(self.user.send(text, reply_to=reply_to))

    async def photo(self, caption: str | None = None, reply_to: SimMessage | None = None) -> Reply:
        return await self._after(self.user.send_photo(caption=caption, reply_to=reply_to))

    async def document(self, name: str = "证明.pdf", caption: str | None = None) -> Reply:
        return await self._after(self.user.send_document(file_name=name, caption=caption))

    async def sticker(self) -> Reply:
        return await self._after(self.user.send_sticker())

    async def voice(self) -> Reply:
        return await self._after(self.user.send_voice())

    async def location(self) -> Reply:
        return await self._after(self.user.send_location())

    async def album(self, items: list[Any]) -> Reply:
        return await self._after(self.user.send_media_group(items))

    async def press(self, button: str | int, message: SimMessage | None = None) -> Reply:
        mark = self._mark()
        query_id = await self.user.press(message or self.last, button)
        await self.h.settle()
        toast, alert = self.h.emu.callback_answers.get(query_id, (None, False))
        return Reply(self._since(mark), toast, alert)

    def saw(self) -> list[str]:
        return self.h.texts(self.user)

    async def to_preview(
        self,
        text: str = DEFAULT_TEXT,
        *,
        kind: str = "权益诉求",
        category: str = "后勤餐饮",
        anonymous: bool = False,
    ) -> Reply:
        """Walk /new up to the preview, without attachments."""
        await self.send("/new")
        await self.press(kind)
        await self.press(category)
        await self.send(text)
        await self.press(0)
        return await self.press(1 if anonymous else 0)


async def student(h: Harness, user_id: int = 1001, name: str = "Alice", **kwargs: Any) -> Talk:
    return Talk(h, await h.student(user_id, name, **kwargs))


def newcomer(
    h: Harness, user_id: int = 1001, name: str = "Alice", language: str | None = "zh-hans"
) -> Talk:
    """Someone who has not sent /start yet."""
    return Talk(h, h.emu.add_user(user_id=user_id, first_name=name, language_code=language))


# -- officers -------------------------------------------------------------------------------


async def officer_press(h: Harness, number: str, button: str) -> None:
    await h.press_card(number, button)


async def officer_text(h: Harness, number: str, button: str, text: str) -> None:
    """A card button that asks for a text (答复, 需补充, 驳回), then the text."""
    assert h.officer is not None
    await h.press_card(number, button)
    await h.officer.send(text, chat=h.group, reply_to=h.last(h.group))
    await h.settle()


async def answer(h: Harness, number: str, text: str = ANSWER_TEXT) -> None:
    await officer_text(h, number, "答复", text)


async def officer_reply(h: Harness, number: str, text: str) -> None:
    """An officer replies to the case card (relayed to the student unless marked internal)."""
    assert h.officer is not None
    await h.officer.send(text, chat=h.group, reply_to=h.card(number))
    await h.settle()


def group_texts_since(h: Harness, mark: int) -> list[str]:
    return [m.content for m in h.emu.bot_messages(h.group.id) if m.message_id > mark]


def group_mark(h: Harness) -> int:
    messages = h.emu.chat(h.group.id).messages
    return messages[-1].message_id if messages else 0


# -- database -------------------------------------------------------------------------------


async def db_cases(h: Harness) -> list[Case]:
    assert h.app is not None
    async with h.app.session_factory() as session:
        return list(await session.scalars(select(Case).order_by(Case.id)))


async def db_case(h: Harness, number: str) -> Case:
    assert h.app is not None
    async with h.app.session_factory() as session:
        case = (await session.scalars(select(Case).where(Case.number == number))).one()
        return case


async def db_events(h: Harness, number: str) -> list[CaseEvent]:
    case = await db_case(h, number)
    assert h.app is not None
    async with h.app.session_factory() as session:
        stmt = select(CaseEvent).where(CaseEvent.case_id == case.id).order_by(CaseEvent.id)
        return list(await session.scalars(stmt))


async def db_attachments(h: Harness, number: str) -> list[Attachment]:
    case = await db_case(h, number)
    assert h.app is not None
    async with h.app.session_factory() as session:
        stmt = select(Attachment).where(Attachment.case_id == case.id).order_by(Attachment.id)
        return list(await session.scalars(stmt))


async def db_user(h: Harness, user_id: int) -> User | None:
    assert h.app is not None
    async with h.app.session_factory() as session:
        return await session.get(User, user_id)


def case_year(h: Harness) -> int:
    assert h.app is not None
    return h.app.services.now().astimezone(h.app.services.renderer.tz).year
