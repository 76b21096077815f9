"""Which chat is the officers' chat, who holds the officer role, and /queue."""

from __future__ import annotations

from sqlalchemy import select

from bot.devkit.emulator import BotAPIEmulator
from bot.domain.workflow import State
from storage.models import ChatBinding, RoleGrant
from tests.support.deadline_helpers import plain_monday
from tests.support.harness import OFFICERS_CHAT, Harness
from tests.support.officer_helpers import (
    ACCEPT,
    ANSWER,
    REJECT,
    act,
    advance,
    alert,
    alice_with_case,
    card,
    case_of,
    count,
    freeze_clock,
    officer_harness,
    press,
    received,
    say,
    seed_case,
    seed_student,
)


async def test_admin_binds_the_officers_chat_with_bind(
    emulator: BotAPIEmulator, database_url: str
) -> None:
    async with officer_harness(
        emulator, database_url, officers_chat_id=None, grant_officer=False
    ) as h:
        assert h.admin is not None and h.officer is not None
        assert await count(h, ChatBinding) == 0

        alice = await seed_student(h, 1001, "Alice")
        early = await seed_case(h, alice)  # before any chat is bound: its card has to wait

        await say(h, "/bind", who=h.officer)
        assert "仅管理员" in (h.last(h.group).text or "")
        assert await count(h, ChatBinding) == 0

        await say(h, "/bind", who=h.admin)
        assert await count(h, ChatBinding) == 1
        assert card(h, early).chat_id == OFFICERS_CHAT  # delivered at once, not on a timer
        number = await seed_case(h, alice, "宿舍楼热水供应不稳定，经常没有热水。")
        assert card(h, number).chat_id == OFFICERS_CHAT
        assert h.admin is not None
        await press(h, number, ACCEPT, who=h.admin)  # admins act as officers too
        assert (await case_of(h, number)).state == State.ACCEPTED


async def test_bind_elsewhere_moves_the_officers_chat(harness: Harness) -> None:
    h = harness
    other = h.emu.add_group(chat_id=-1001000000077, title="新工作群")
    assert h.admin is not None and h.officer is not None
    other.add_member(h.admin, status="creator")
    other.add_member(h.officer)
    await say(h, "/bind", who=h.admin, chat=other)

    alice, number = await alice_with_case(h)
    assert card(h, number).chat_id == other.id
    await h.officer.press(card(h, number), ACCEPT)
    await h.settle()
    assert (await case_of(h, number)).state == State.ACCEPTED
    assert all(number not in text for text in received(h, h.group))

    # A second group becomes the sensitive cases' chat.
    small = h.emu.add_group(chat_id=-1001000000078, title="心理支持小组")
    small.add_member(h.admin, status="creator")
    await say(h, "/bind sensitive", who=h.admin, chat=small)
    private = await seed_case(
        h, alice, "最近压力很大，失眠严重，想找人聊聊。", category="wellbeing"
    )
    assert card(h, private).chat_id == small.id


async def test_officer_role_is_granted_by_reply_and_removed(harness: Harness) -> None:
    h = harness
    assert h.admin is not None
    _, number = await alice_with_case(h)
    zhao = h.emu.add_user(5001, "赵同学", username="zhao")
    h.group.add_member(zhao)

    query = await press(h, number, ACCEPT, who=zhao)
    assert alert(h, query)[1] is True
    assert (await case_of(h, number)).state == State.SUBMITTED

    hello = await say(h, "大家好", who=zhao)
    await say(h, "/officer", who=h.admin, reply_to=hello)
    assert "赵同学" in (h.last(h.group).text or "")
    await press(h, number, ACCEPT, who=zhao)
    assert (await case_of(h, number)).state == State.ACCEPTED

    await say(h, "/unofficer 5001", who=h.admin)
    query = await press(h, number, ANSWER, who=zhao)
    assert alert(h, query)[1] is True
    assert (await case_of(h, number)).state == State.ACCEPTED
    assert h.app is not None
    async with h.app.session_factory() as session:
        roles = list(await session.scalars(select(RoleGrant).where(RoleGrant.user_id == 5001)))
    assert roles == []


async def test_only_admins_grant_the_role_and_names_are_shown_literally(
    harness: Harness,
) -> None:
    h = harness
    assert h.officer is not None
    await say(h, "/officer 5001", who=h.officer)
    assert "仅管理员" in (h.last(h.group).text or "")
    await say(h, "/officer", who=h.admin)  # no reply, no id
    assert "/officer 123456" in (h.last(h.group).text or "")
    assert await count(h, RoleGrant) == 1  # the harness's own officer

    odd = h.emu.add_user(5002, "<b>Lee", last_name="& Co")
    h.group.add_member(odd)
    hello = await say(h, "hi", who=odd)
    await say(h, "/officer", who=h.admin, reply_to=hello)
    assert "<b>Lee & Co" in (h.last(h.group).text or "")
    await say(h, "/unofficer", who=h.admin, reply_to=hello)
    assert "<b>Lee & Co" in (h.last(h.group).text or "")
    assert [r.short() for r in h.emu.requests if not r.ok] == []
    assert await count(h, RoleGrant) == 1


async def test_queue_lists_open_cases_oldest_first_overdue_marked(harness: Harness) -> None:
    h = harness
    clock = freeze_clock(h, at=plain_monday(h))  # deadlines count working days
    await say(h, "/queue")
    assert "暂无待办反馈" in (h.last(h.group).text or "")
    alice = await seed_student(h, 1001, "Alice")
    oldest = await seed_case(h, alice)
    advance(clock, hours=30)
    middle = await seed_case(h, alice, "宿舍楼热水供应不稳定，经常没有热水。")
    advance(clock, hours=1)
    newest = await seed_case(h, alice, "图书馆自习室空调温度太低，希望调整。")
    finished = await seed_case(h, alice, "操场照明不足，晚上跑步不安全。")
    await act(h, finished, REJECT, "重复反馈。")
    await act(h, middle, ANSWER, "已处理。")  # answered: no longer waiting for officers

    advance(clock, hours=20)  # the oldest is now 51 h without a response (limit 48 h)
    await say(h, "/queue")
    queue = h.last(h.group).text or ""
    lines = queue.split("\n")
    assert "(2, ⚠️ 1 " in lines[0]  # two open, one overdue
    positions = [next(i for i, line in enumerate(lines) if n in line) for n in (oldest, newest)]
    assert positions == sorted(positions)
    assert lines[positions[0]].startswith("1. ⚠️")
    assert lines[positions[1]].startswith("2. ") and "⚠️" not in lines[positions[1]]
    assert middle not in queue and finished not in queue

    # Accepting answers the first-response clock; the card now shows the answer due date.
    await press(h, oldest, ACCEPT)
    assert "已超时" not in (card(h, oldest).text or "")
    await say(h, "/queue")
    assert "⚠️" not in (h.last(h.group).text or "")

    outsider = h.emu.add_user(5003, "路人")
    h.group.add_member(outsider)
    before = len(h.emu.bot_messages(h.group.id))
    await say(h, "/queue", who=outsider)
    assert len(h.emu.bot_messages(h.group.id)) == before  # only officers may list cases
