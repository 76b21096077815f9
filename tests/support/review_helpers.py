"""What the review stories share: a committee chat, a panel, an opened round, a ballot's taps."""

from __future__ import annotations

import contextlib
from datetime import datetime, timedelta
from fractions import Fraction

from bot.devkit.emulator.models import SimMessage
from bot.reviews import setup
from storage.crud import users as users_crud
from tests.support.officer_helpers import OfficerHarness
from tests.support.proposal_helpers import seed_congress, seed_representative
from tests.support.student_helpers import Reply, Talk

COMMITTEE_CHAT = -1001000000078
REVIEWEES = [("赵一鸣", "主席团成员"), ("钱二", "权益部部长"), ("孙三", "宣传部部长")]
OPEN = "打开我的评议票"
SUBMIT = "✅ 提交"
SKIP = "跳过 ▶"
COMMENT = "💬 评语"


async def committee(h: OfficerHarness) -> None:
    assert h.app is not None and h.admin is not None
    chat = h.emu.add_group(chat_id=COMMITTEE_CHAT, title="校团委", is_forum=False)
    chat.add_member(h.admin, status="creator")
    async with h.app.session_factory.begin() as session:
        await users_crud.set_binding(
            session=session, purpose="committee", chat_id=COMMITTEE_CHAT, is_forum=False, title=None
        )


async def panel_of_reps(h: OfficerHarness, *user_ids: int) -> list[Talk]:
    congress = await seed_congress(h)
    names = {1001: "陈晓", 1002: "刘洋", 1003: "王芳", 1005: "周敏"}
    return [
        Talk(h, (await seed_representative(h, uid, names[uid], congress))[0]) for uid in user_ids
    ]


async def open_round(
    h: OfficerHarness,
    now: datetime,
    *,
    staff: list[tuple[str, str]] | None = None,
    days: int = 3,
) -> setup.Opened:
    assert h.app is not None
    async with h.app.session_factory.begin() as session:
        opened = await setup.open_round(
            session=session,
            services=h.app.services,
            semester="2026-fall",
            reviewees=REVIEWEES,
            staff=staff or [],
            deadline=now + timedelta(days=days),
            quorum=Fraction(2, 3),
            congress_session_id=None,
        )
    await deliver(h)
    return opened


async def deliver(h: OfficerHarness) -> None:
    assert h.app is not None
    h.app.worker.wake()
    await h.settle()


async def tick(h: OfficerHarness, now: datetime) -> None:
    assert h.app is not None
    await h.app.jobs.tick(now)
    await deliver(h)


def with_button(talk: Talk, label: str) -> SimMessage:
    """The latest of the bot's messages to the person that carries the button `label`."""
    for message in reversed(talk.h.emu.bot_messages(talk.user.id)):
        if label in [text for text, _ in message.buttons()]:
            return message
    raise AssertionError(f"no message with the button {label!r}")


async def score(talk: Talk, dim: int, value: int) -> Reply:
    """A tap on the ballot: row `dim` (0–4), score `value` (1–5); each row is its label, 1–5."""
    return await talk.press(dim * 6 + value, with_button(talk, SUBMIT))


async def vote(talk: Talk, *rows: tuple[int, ...]) -> Reply:
    """Open the ballot and score each reviewee in turn; an empty tuple skips them."""
    with contextlib.suppress(AssertionError):  # unless a link opened the ballot already
        await talk.press(OPEN, with_button(talk, OPEN))
    for index, values in enumerate(rows):
        for dim, value in enumerate(values):
            await score(talk, dim, value)
        if index < len(rows) - 1:
            await talk.press("下一位 ▶" if values else SKIP, with_button(talk, SUBMIT))
    return await talk.press(SUBMIT, with_button(talk, SUBMIT))
