"""Steps the student tests share: a person talking to the bot, officers acting, the database."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlmodel import col

from bot.cases.actions import Draft, submit_case
from bot.devkit.emulator import SimUser
from bot.devkit.emulator.models import SimMessage
from bot.devkit.emulator.serialize import user_dict
from bot.devkit.scenario import CASE_NUMBER
from storage.models import Attachment, Case
from tests.support.harness import DEFAULT_TEXT, Harness
from tests.support.officer_helpers import case_of, user_of

CJK = re.compile(r"[\u3400-\u9fff\uff00-\uffef\u3000-\u303f]")
ANSWER_TEXT = "经后勤保障处核查，已约谈承包商并增加每日卫生巡查。感谢同学的监督！"
REMINDER = "请先发送 /start 并同意隐私说明"


async def settle(h: Harness) -> None:
    await h.settle()


@dataclass
class Reply:
    """What a person noticed after one action: new bot messages and a button's toast/alert."""

    messages: list[SimMessage] = field(default_factory=list)
    toast: str | None = None
    alert: bool = False
    answered: bool = False  # a pressed button stops spinning only when the bot answers it

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
        await settle(self.h)
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
        await settle(self.h)
        return self._answer(query_id, mark)

    async def submit(self, text: str = DEFAULT_TEXT, **kwargs: Any) -> str:
        """The whole dialogue; the case number the student is told."""
        await self.to_preview(text, **kwargs)
        sent = await self.press(0)
        found = CASE_NUMBER.search(sent.text)
        assert found, f"no case number in {sent.texts!r}"
        return found.group(0)

    async def forge(self, data: str, message: SimMessage | None = None) -> Reply:
        """A press whose callback data no button carries, as a modified client can send."""
        world = self.h.emu.world
        found = message or self.last
        mark = self._mark()
        query_id = world.new_callback_query(self.user.profile, found, data)
        world.updates.push(
            "callback_query",
            {
                "id": query_id,
                "from": user_dict(self.user.profile),
                "message": world.render(found),
                "chat_instance": world.chat_instance(world.chats[found.chat_id]),
                "data": data,
            },
        )
        world.touch()
        await settle(self.h)
        return self._answer(query_id, mark)

    def _answer(self, query_id: str, mark: int) -> Reply:
        answers = self.h.emu.callback_answers
        toast, alert = answers.get(query_id, (None, False))
        return Reply(self._since(mark), toast, alert, answered=query_id in answers)

    def saw(self) -> list[str]:
        return self.h.texts(self.user)

    async def to_description(self, *, kind: str = "权益诉求", category: str = "后勤餐饮") -> Reply:
        """Walk /new up to where it asks for the description."""
        await self.send("/new")
        await self.press(kind)
        return await self.press(category)

    async def to_preview(
        self,
        text: str = DEFAULT_TEXT,
        *,
        kind: str = "权益诉求",
        category: str = "后勤餐饮",
        anonymous: bool = False,
    ) -> Reply:
        """Walk /new up to the preview, without attachments."""
        await self.to_description(kind=kind, category=category)
        await self.send(text)
        await self.press(0)
        return await self.press(1 if anonymous else 0)


async def student(
    h: Harness,
    user_id: int = 1001,
    name: str = "Alice",
    *,
    language: str = "zh-hans",
    college: str = "临床医学院",
    username: str | None = None,
) -> Talk:
    """Someone who has agreed, chosen their language (as their Telegram's) and college."""
    talk = Talk(h, h.emu.add_user(user_id, name, username=username, language_code=language))
    await talk.send("/start")
    await talk.press(0)
    await talk.press("中文" if language.startswith("zh") else "English")
    await talk.press(college)
    return talk


def newcomer(
    h: Harness, user_id: int = 1001, name: str = "Alice", language: str | None = "zh-hans"
) -> Talk:
    """Someone who has not sent /start yet."""
    return Talk(h, h.emu.add_user(user_id=user_id, first_name=name, language_code=language))


# -- officers -------------------------------------------------------------------------------


async def officer_press(h: Harness, number: str, *buttons: str) -> None:
    """Card buttons pressed one after another (e.g. "转办", "后勤保障处")."""
    assert h.officer is not None
    for button in buttons:
        await h.officer.press(h.card(number), button)
        await settle(h)


async def officer_text(h: Harness, number: str, button: str, text: str) -> None:
    """A card button that asks for a text (答复, 需补充, 驳回), the text as a reply to the
    bot's request, then 发送 on its preview."""
    assert h.officer is not None
    await officer_press(h, number, button)
    await h.officer.send(text, chat=h.group, reply_to=h.last(h.group))
    await settle(h)
    await h.officer.press(h.last(h.group), "发送")
    await settle(h)


async def answer(h: Harness, number: str, text: str = ANSWER_TEXT) -> None:
    await officer_text(h, number, "答复", text)


async def officer_reply(h: Harness, number: str, text: str) -> None:
    """An officer replies to the case card (relayed to the student unless marked internal)."""
    assert h.officer is not None
    await h.officer.send(text, chat=h.group, reply_to=h.card(number))
    await settle(h)


async def seed_cases(
    h: Harness, talk: Talk, count: int, *, kind: str = "grievance", anonymous: bool = False
) -> list[str]:
    """Cases submitted through the service, for tests about what happens after submission."""
    assert h.app is not None
    numbers = []
    async with h.app.session_factory.begin() as session:
        user = await user_of(session, talk.user)
        for index in range(count):
            draft = Draft(
                kind=kind,
                category="logistics",
                text=f"第{index + 1}件：宿舍楼道的灯坏了很久，晚上回宿舍很不安全。",
                anonymous=anonymous,
            )
            case = await submit_case(
                session=session, services=h.app.services, submitter=user, draft=draft
            )
            numbers.append(case.number)
    h.app.worker.wake()
    await settle(h)
    return numbers


async def accepted_case(h: Harness) -> tuple[Talk, str]:
    """Alice (`student`) with one case the officers have accepted; (Alice, its number)."""
    alice = await student(h)
    (number,) = await seed_cases(h, alice, 1)
    await officer_press(h, number, "受理")
    return alice, number


def group_texts_since(h: Harness, mark: int) -> list[str]:
    return [m.content for m in h.emu.bot_messages(h.group.id) if m.message_id > mark]


def group_mark(h: Harness) -> int:
    messages = h.emu.chat(h.group.id).messages
    return messages[-1].message_id if messages else 0


# -- database -------------------------------------------------------------------------------


async def db_cases(h: Harness) -> list[Case]:
    assert h.app is not None
    async with h.app.session_factory() as session:
        return list(await session.scalars(select(Case).order_by(col(Case.id))))


async def db_attachments(h: Harness, number: str) -> list[Attachment]:
    case = await case_of(h, number)
    assert h.app is not None
    async with h.app.session_factory() as session:
        stmt = (
            select(Attachment)
            .where(col(Attachment.case_id) == case.id)
            .order_by(col(Attachment.id))
        )
        return list(await session.scalars(stmt))


def case_year(h: Harness) -> int:
    assert h.app is not None
    return h.app.services.now().astimezone(h.app.services.renderer.tz).year
