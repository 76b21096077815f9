"""Officers mute a case's author: what the student sends meanwhile is held, not shown and not
lost, and reaches the case's thread when the mute ends, is released early, or is discarded."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from bot.app.scheduler import Jobs
from bot.devkit.emulator import BotAPIEmulator
from bot.privacy.personal_data import erase_user
from storage.models import HeldMessage, Mute
from tests.support.harness import Harness
from tests.support.officer_helpers import (
    SENSITIVE_CHAT,
    advance,
    card,
    events_of,
    freeze_clock,
    officer_harness,
    received,
    reply_to_card,
    say,
    seed_case,
    seed_student,
)
from tests.support.student_helpers import db_cases

HELD_LINE = "而被保留"
RELEASED_LINE = "现在送达"
TOLD_KEPT = "您发送的内容会被保留"
ON_CARD = "提交人禁言至"


async def held_count(h: Harness) -> int:
    assert h.app is not None
    async with h.app.session_factory() as session:
        return int(await session.scalar(select(func.count()).select_from(HeldMessage)) or 0)


async def mutes(h: Harness) -> list[Mute]:
    assert h.app is not None
    async with h.app.session_factory() as session:
        return list(await session.scalars(select(Mute)))


async def test_anonymous_authors_messages_are_held_then_released_in_order_when_it_ends(
    harness: Harness,
) -> None:
    h = harness
    assert h.app is not None
    clock = freeze_clock(h)
    alice = await seed_student(h, 1001, "Alice")
    number = await seed_case(h, alice, anonymous=True)
    confirmation = h.last(alice)

    reply = await say(h, f"/mute {number} 3d 一分钟内发了几十条重复消息")
    told = h.last(h.group)
    until = h.app.services.renderer.format_time(clock[0] + timedelta(days=3))
    assert number in (told.text or "") and until in (told.text or "")
    assert told.reply_to_message_id == reply.message_id
    shown = card(h, number).text or ""
    assert ON_CARD in shown and "一分钟内发了几十条" in shown
    # The mute names the student and not the case; the case's event names no student.
    [mute] = await mutes(h)
    assert mute.user_id == alice.id and not hasattr(mute, "case_id")
    event = (await events_of(h, number))[-1]
    assert h.officer is not None
    assert (event.action, event.actor_id) == ("mute", h.officer.id)
    assert event.text == "一分钟内发了几十条重复消息"
    assert event.until == mute.until

    group_before = len(received(h, h.group))
    alice_before = len(received(h, alice))
    await alice.send("第一条补充：时间是周三中午。", reply_to=confirmation)
    await h.settle()
    await alice.send("第二条补充：还有同学可以作证。", reply_to=confirmation)
    await h.settle()
    new_number_before = len(await db_cases(h))
    await h.submit(alice, "另一件事：宿舍楼的门禁经常失灵。")

    # Told once that what she sends is kept, and until when; nothing reached the officers.
    to_alice = received(h, alice)[alice_before:]
    assert sum(TOLD_KEPT in t for t in to_alice) == 1 and any(until in t for t in to_alice)
    group_since = received(h, h.group)[group_before:]
    assert sum(HELD_LINE in t for t in group_since) == 2
    assert not any("周三中午" in t or "门禁" in t for t in group_since)
    assert await held_count(h) == 3 and len(await db_cases(h)) == new_number_before

    # Three days later the scheduler ends it (twice over, as two instances would: once).
    advance(clock, days=3, minutes=1)
    other = Jobs(services=h.app.services, session_factory=h.app.session_factory)
    await asyncio.gather(h.app.jobs.tick(clock[0]), other.tick(clock[0]))
    h.app.worker.wake()
    await h.settle()

    released = received(h, h.group)[group_before:]
    first = next(i for i, t in enumerate(released) if "周三中午" in t)
    second = next(i for i, t in enumerate(released) if "还有同学可以作证" in t)
    assert RELEASED_LINE in released[first - 1] and first < second
    assert sum("周三中午" in t for t in released) == 1
    assert len(await db_cases(h)) == new_number_before + 1
    assert any("门禁" in t for t in released)  # the held case's card
    assert await held_count(h) == 0
    assert all(m.ended_at is not None for m in await mutes(h))


async def test_officers_discard_what_is_held_or_release_it_early(harness: Harness) -> None:
    h = harness
    clock = freeze_clock(h)
    alice = await seed_student(h, 1001, "Alice")
    number = await seed_case(h, alice)
    confirmation = h.last(alice)
    await reply_to_card(h, number, "/mute 2h 辱骂工作人员")
    assert len(await mutes(h)) == 1

    await alice.send("这条会被丢弃。", reply_to=confirmation)
    await h.settle()
    await reply_to_card(h, number, "/discard")
    assert await held_count(h) == 0
    assert [e.action for e in await events_of(h, number)][-1] == "held_discarded"

    await alice.send("这条提前放出。", reply_to=confirmation)
    await h.settle()
    group_before = len(received(h, h.group))
    await say(h, f"/unmute {number}")
    released = received(h, h.group)[group_before:]
    assert any("这条提前放出" in t for t in released)
    assert not any("这条会被丢弃" in t for t in received(h, h.group))
    assert ON_CARD not in (card(h, number).text or "")

    # Unmuted, she is heard at once again.
    advance(clock, minutes=5)
    await alice.send("现在直接送达。", reply_to=confirmation)
    await h.settle()
    assert "现在直接送达" in (h.last(h.group).text or "")


async def test_only_officers_can_mute_and_a_student_is_never_named(harness: Harness) -> None:
    h = harness
    freeze_clock(h)
    alice = await seed_student(h, 1001, "Alice")
    number = await seed_case(h, alice, anonymous=True)
    bob = await seed_student(h, 1002, "Bob")
    h.group.add_member(bob)

    await say(h, f"/mute {number} 1d 理由", who=bob)
    assert await mutes(h) == []

    await say(h, f"/mute {number} 1d 理由")
    texts = received(h, h.group)
    assert not any("Alice" in t or str(alice.id) in t for t in texts)


async def test_thread_says_when_a_reply_reaches_a_muted_or_erased_student(
    harness: Harness,
) -> None:
    h = harness
    assert h.app is not None
    freeze_clock(h)
    alice = await seed_student(h, 1001, "Alice")
    number = await seed_case(h, alice)
    await say(h, f"/mute {number} 1d 刷屏")

    await reply_to_card(h, number, "请问具体是哪一天？")
    assert "请问具体是哪一天" in received(h, alice)[-1]  # the answer still reaches her
    assert "该学生被禁言至" in (h.last(h.group).text or "")

    async with h.app.session_factory.begin() as session:
        await erase_user(session=session, services=h.app.services, user_id=alice.id)
    h.app.worker.wake()
    await h.settle()
    assert await mutes(h) == []  # her mute went with the rest of her data
    await reply_to_card(h, number, "还在吗？")
    assert "您的消息不会送达学生" in (h.last(h.group).text or "")


@pytest.mark.parametrize("command", ["/mute G2026-9999 1d 理由", "/mute 1x 理由"])
async def test_a_wrong_mute_command_explains_itself(harness: Harness, command: str) -> None:
    h = harness
    freeze_clock(h)
    await say(h, command)
    assert "/mute G2026-0042 3d" in (h.last(h.group).text or "")


async def test_a_sensitive_cases_author_is_muted_only_from_the_sensitive_chat(
    emulator: BotAPIEmulator, database_url: str
) -> None:
    small = emulator.add_group(chat_id=SENSITIVE_CHAT, title="心理与安全小组")
    async with officer_harness(emulator, database_url, sensitive_chat_id=SENSITIVE_CHAT) as h:
        li = h.emu.add_user(5002, "李老师", username="officer_li")
        small.add_member(li)
        await say(h, "/officer 5002", who=h.admin)
        freeze_clock(h)
        alice = await seed_student(h, 1001, "Alice")
        number = await seed_case(h, alice, "室友长期言语侮辱我，我很焦虑。", category="harassment")

        await say(h, f"/mute {number} 1d 理由")  # from the main chat, by its officer
        assert "属于另一个群" in (h.last(h.group).text or "")
        assert await mutes(h) == []

        await say(h, f"/mute {number} 1d 理由", who=li, chat=small)
        assert [m.user_id for m in await mutes(h)] == [alice.id]


async def test_a_mute_shows_only_in_the_thread_of_the_case_it_was_decided_on(
    harness: Harness,
) -> None:
    """Muted from her named case, the student's anonymous case must not show that its author
    is muted (held, released, or unable to answer): that would tell the officers who wrote it."""
    h = harness
    assert h.app is not None
    clock = freeze_clock(h)
    alice = await seed_student(h, 1001, "Alice")
    named = await seed_case(h, alice)
    anonymous = await seed_case(h, alice, anonymous=True)
    about_anonymous = h.last(alice)
    await say(h, f"/mute {named} 1d 重复刷屏")

    group_before = len(received(h, h.group))
    await alice.send("匿名案件的补充：三楼也漏水。", reply_to=about_anonymous)
    await h.settle()
    await reply_to_card(h, anonymous, "请问是哪一栋楼？")
    assert await held_count(h) == 1
    since = received(h, h.group)[group_before:]
    assert not any(HELD_LINE in t or "禁言" in t for t in since), since
    assert "三楼也漏水" not in " ".join(since)

    advance(clock, days=1, minutes=1)
    await h.app.jobs.tick(clock[0])
    h.app.worker.wake()
    await h.settle()
    released = received(h, h.group)[group_before:]
    assert any("三楼也漏水" in t for t in released)
    assert not any(RELEASED_LINE in t or "禁言" in t for t in released), released
    # The held row itself never named the case beside the mute that names her.
    assert await held_count(h) == 0
