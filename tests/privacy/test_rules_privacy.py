"""Anonymity, escaping, Telegram's length limits, and sensitive categories' own chat."""

from __future__ import annotations

import re

import pytest

from bot.devkit.emulator import BotAPIEmulator
from bot.domain.workflow import State
from tests.support.harness import OFFICERS_CHAT, Harness
from tests.support.officer_helpers import (
    ACCEPT,
    ANSWER,
    ASK_INFO,
    SENSITIVE_CHAT,
    SIGNATURE,
    act,
    card,
    case_of,
    forward,
    officer_harness,
    received,
    reply_to_card,
    say,
    seed_case,
    seed_student,
    sends_to,
    serialized,
)


@pytest.mark.parametrize("forum", [False, True], ids=["cards", "forum"])
async def test_anonymous_submitter_is_never_revealed_in_any_group_chat(
    emulator: BotAPIEmulator, database_url: str, forum: bool
) -> None:
    async with officer_harness(emulator, database_url, forum=forum) as h:
        alice = h.emu.add_user(
            user_id=424242, first_name="Xiaoyu", last_name="Lin", username="lin_xiaoyu"
        )
        await h.onboard(alice)
        number = await h.submit(alice, anonymous=True, photos=1)
        await act(h, number, ASK_INFO, "请补充具体时间。")
        await alice.send("上周三中午。", reply_to=h.last(alice))
        await h.settle()
        await alice.send_photo("又拍到一张", reply_to=h.last(alice))
        await h.settle()
        await reply_to_card(h, number, "收到，谢谢。")
        await act(h, number, ACCEPT)
        await forward(h, number)
        await act(h, number, ANSWER, "已整改。")
        await alice.press(h.last(alice), "基本满意")
        await h.settle()
        await alice.send("希望持续跟进，谢谢学生会。")
        await h.settle()

        case = await case_of(h, number)
        assert case.state == State.CLOSED and case.rating_comment == "希望持续跟进，谢谢学生会。"
        assert "希望持续跟进" in (card(h, number).text or "")  # the card shows the comment
        group_requests = [r for r in h.emu.requests if r.chat_id is not None and r.chat_id < 0]
        assert any("希望持续跟进" in serialized(r) for r in group_requests)  # the scan sees all
        assert any(r.method == "sendPhoto" or r.method == "sendMediaGroup" for r in group_requests)
        identity = re.compile(r"Xiaoyu|Lin\b|lin_xiaoyu|424242|tg://user", re.IGNORECASE)
        for request in group_requests:
            dump = serialized(request)
            assert not identity.search(dump), f"{request.method} reveals the submitter: {dump}"


async def test_user_text_is_shown_literally_and_every_send_succeeds(harness: Harness) -> None:
    h = harness
    alice = await h.student(1001, "<i>Alice</i> & co")
    tricky = "<b>食堂</b> 价格 a & b < c > d，&amp; 不是实体"
    number = await h.submit(alice, tricky)
    assert tricky in (card(h, number).text or "")
    assert "<i>Alice</i> & co" in (card(h, number).text or "")

    await act(h, number, ASK_INFO, "<u>哪天</u>？ 1 < 2")
    assert "<u>哪天</u>？ 1 < 2" in received(h, alice)[-1]
    await alice.send("<script>x</script> & 周三", reply_to=h.last(alice))
    await h.settle()
    assert any("<script>x</script> & 周三" in text for text in received(h, h.group))
    await reply_to_card(h, number, "<a href='x'>link</a> & more")
    assert "<a href='x'>link</a> & more" in received(h, alice)[-1]
    await act(h, number, ANSWER, "答复 <b>不加粗</b> &lt;")
    assert "答复 <b>不加粗</b> &lt;" in received(h, alice)[-1]

    failed = [r.short() for r in h.emu.requests if not r.ok and r.method != "getUpdates"]
    assert failed == []


async def test_long_answer_reaches_the_student_complete_within_limits(harness: Harness) -> None:
    h = harness
    alice = await seed_student(h, 1001, "Alice")
    number = await seed_case(h, alice, "长" * 3000)
    sentences = [f"第{i}条：后勤处将加强检查并公布结果 & <核查>。" for i in range(200)]
    answer = "".join(sentences)[:4000]
    since = len(h.emu.requests)

    await act(h, number, ANSWER, answer)

    parts = [m for m in h.emu.bot_messages(alice.id) if m.created_mark >= since]
    assert len(parts) >= 2
    assert all(SIGNATURE in (m.text or "") for m in parts)
    assert [t for t, _ in parts[-1].buttons()] == ["满意", "基本满意", "不满意"]
    assert all(m.buttons() == [] for m in parts[:-1])
    got = "".join(
        (m.text or "").split("\n\n", 1)[1].rsplit(f"\n\n— {SIGNATURE}", 1)[0] for m in parts
    )
    assert re.sub(r"\s", "", got) == re.sub(r"\s", "", answer)
    assert card(h, number).text and len(card(h, number).text or "") <= 4096

    await reply_to_card(h, number, "补" * 4000)
    relayed = [m.text or "" for m in h.emu.bot_messages(alice.id)][-2:]
    assert sum(t.count("补") for t in relayed) == 4000

    for request in h.emu.requests:
        assert request.ok or request.method == "getUpdates", request.short()
        for key in ("text", "caption"):
            assert len(str(request.params.get(key, ""))) <= (4096 if key == "text" else 1024)


async def test_sensitive_cases_go_to_the_sensitive_chat(
    emulator: BotAPIEmulator, database_url: str
) -> None:
    small = emulator.add_group(chat_id=SENSITIVE_CHAT, title="心理与安全小组")
    async with officer_harness(emulator, database_url, sensitive_chat_id=SENSITIVE_CHAT) as h:
        assert h.officer is not None
        small.add_member(h.officer)
        alice = await seed_student(h, 1001, "Alice")
        harassment = await seed_case(
            h, alice, "室友长期言语侮辱我，我很焦虑。", category="harassment"
        )
        wellbeing = await seed_case(
            h, alice, "最近压力很大，失眠严重，想找人聊聊。", category="wellbeing"
        )
        ordinary = await seed_case(h, alice)

        assert card(h, harassment).chat_id == SENSITIVE_CHAT
        assert card(h, wellbeing).chat_id == SENSITIVE_CHAT
        assert card(h, ordinary).chat_id == OFFICERS_CHAT
        # Officers work the case from the small chat exactly as from the main one.
        await act(h, harassment, ACCEPT)
        await reply_to_card(h, harassment, "我们会保护你的隐私，请放心。")
        assert "请放心" in received(h, alice)[-1]
        assert (await case_of(h, harassment)).state == State.ACCEPTED
        main_chat = [serialized(r) for r in sends_to(h, OFFICERS_CHAT)]
        assert main_chat and not any("言语侮辱" in r or "失眠" in r for r in main_chat)

        # Each chat's /queue lists its own cases: the main chat does not even see the numbers.
        await say(h, "/queue")
        queue = h.last(h.group).text or ""
        assert ordinary in queue and harassment not in queue and wellbeing not in queue
        await say(h, "/queue", chat=small)
        queue = h.last(small).text or ""
        assert ordinary not in queue and harassment in queue and wellbeing in queue


async def test_sensitive_cases_use_the_officers_chat_when_no_sensitive_chat(
    harness: Harness,
) -> None:
    h = harness
    alice = await seed_student(h, 1001, "Alice")
    number = await seed_case(h, alice, "最近压力很大，失眠严重，想找人聊聊。", category="wellbeing")
    assert card(h, number).chat_id == OFFICERS_CHAT
    await act(h, number, ACCEPT)
    assert (await case_of(h, number)).state == State.ACCEPTED
