"""/my: a student's cases, their timelines, and adding information to an open one."""

from __future__ import annotations

import re

from bot.core.callbacks import MyCaseCB
from storage.models import CaseEvent
from tests.support.harness import Harness
from tests.support.officer_helpers import case_of, events_of
from tests.support.student_helpers import (
    accepted_case,
    db_attachments,
    group_mark,
    group_texts_since,
    officer_press,
    officer_reply,
    officer_text,
    seed_cases,
    student,
)

FINISHED = "该反馈已结束，如有需要请重新提交。"
TIMELINE_LINE = re.compile(r"^\d{2}-\d{2} \d{2}:\d{2} — (.+)$", re.MULTILINE)


async def test_my_lists_own_cases_newest_first_in_pages(harness: Harness) -> None:
    h = harness
    alice = await student(h)
    bob = await student(h, 1002, "Bob")
    empty = await alice.send("/my")
    assert empty.texts == [
        "您还没有提交过反馈。点击“提交反馈”即可提交。\n"
        "办结超过 365 天的反馈会连同其中的个人信息从此列表中删除。"
    ]
    assert empty.buttons() == []

    numbers = await seed_cases(h, alice, 7)
    (bobs,) = await seed_cases(h, bob, 1)
    await officer_press(h, numbers[6], "受理")

    first = await alice.send("/my")
    assert "我的反馈 (7)" in first.text
    newest = list(reversed(numbers))
    assert first.buttons() == [*newest[:5], "较早 »"]
    assert f"📥 {newest[0]} · 已受理" in first.text
    assert f"🆕 {newest[1]} · 待受理" in first.text
    assert bobs not in first.text and newest[5] not in first.text

    older = await alice.press("较早 »")
    assert older.messages == []  # the same message turns the page
    page = alice.last
    assert page.buttons() and [t for t, _ in page.buttons()] == [*newest[5:], "« 较新"]
    assert newest[6] in page.content and newest[0] not in page.content
    await alice.press("« 较新", page)
    assert [t for t, _ in alice.last.buttons()] == [*newest[:5], "较早 »"]

    menu = await alice.send("📂 我的反馈")
    assert menu.buttons() == first.buttons()


async def test_timeline_shows_public_steps_with_dates_never_internal_notes(
    harness: Harness,
) -> None:
    h = harness
    alice, number = await accepted_case(h)
    before = len(alice.saw())
    await officer_reply(h, number, "#内部 该同学上周也反映过，注意核实")
    assert len(alice.saw()) == before  # an internal note never reaches the student
    await officer_reply(h, number, "请问是哪一栋宿舍楼？")
    assert "请问是哪一栋宿舍楼？" in alice.saw()[-1]
    await officer_press(h, number, "转办", "后勤保障处")

    await alice.send("/my")
    opened = await alice.press(number)
    timeline = opened.text
    assert f"{number} · 权益诉求 · 后勤餐饮" in timeline
    assert "状态: 办理中 · 后勤保障处" in timeline
    assert TIMELINE_LINE.findall(timeline) == [
        "已提交",
        "权益部已受理",
        "权益部留言: 请问是哪一栋宿舍楼？",
        "已转交承办部门: 后勤保障处",
    ]
    assert "#内部" not in timeline and "上周也反映过" not in timeline
    assert opened.buttons() == ["补充信息"]
    notes = [e for e in await events_of(h, number) if e.action == "note"]
    assert len(notes) == 1 and notes[0].public is False


async def test_a_long_history_still_opens_with_the_latest_steps(harness: Harness) -> None:
    h = harness
    alice = await student(h)
    (number,) = await seed_cases(h, alice, 1)
    case_id = (await case_of(h, number)).id
    assert h.app is not None and case_id is not None
    async with h.app.session_factory.begin() as session:
        for index in range(30):
            text = f"第{index + 1}条留言：" + "请补充说明具体情况。" * 30
            session.add(CaseEvent(case_id=case_id, action="reply", actor_role="officer", text=text))
    await alice.send("/my")
    opened = await alice.press(number)
    assert len(opened.texts) == 1 and len(opened.text) <= 4096
    assert "第30条留言" in opened.text and "第1条留言" not in opened.text
    assert "办理进程\n…\n" in opened.text

    # A forged page number is treated as the first page, not an error.
    listing = (await alice.send("/my")).last
    forged = await alice.forge(MyCaseCB(action="page", value=-3).pack(), listing)
    assert forged.answered and forged.toast is None
    assert number in listing.content and "我的反馈 (1)" in listing.content


async def test_information_added_with_the_button_reaches_the_officers(harness: Harness) -> None:
    h = harness
    alice = await student(h)
    (number,) = await seed_cases(h, alice, 1)
    card = h.card(number)
    mark = group_mark(h)

    prompt = await alice.press("补充信息", alice.message_with("您的反馈编号为"))
    assert f"请用一条消息发送 {number} 的补充信息" in prompt.text
    thanks = await alice.send("坏的是3号楼二层东侧的灯，已经两周了。")
    assert thanks.texts == [f"谢谢！您的补充信息已添加到 {number}，并已转给权益部工作人员。"]
    note = h.last(h.group)
    assert note.content.startswith(f"📎 {number}：同学补充了信息：")
    assert "坏的是3号楼二层东侧的灯，已经两周了。" in note.content
    assert note.reply_to_message_id == card.message_id

    await alice.press("补充信息", alice.message_with("您的反馈编号为"))
    await alice.photo(caption="这是现场照片")
    photos = [m for m in h.emu.bot_messages(h.group.id) if m.kind == "photo"]
    assert len(photos) == 1 and number in photos[0].content
    assert any("这是现场照片" in t for t in group_texts_since(h, mark))
    assert [a.kind for a in await db_attachments(h, number)] == ["photo"]
    case = await case_of(h, number)
    assert case.state == "submitted"  # adding information does not move the case
    actions = [e.action for e in await events_of(h, number)]
    assert actions.count("student_message") == 2


async def test_an_album_or_a_sticker_while_adding_information(harness: Harness) -> None:
    h = harness
    alice = await student(h)
    (number,) = await seed_cases(h, alice, 1)

    await alice.press("补充信息", alice.message_with("编号为"))
    sticker = await alice.sticker()
    assert sticker.texts == [
        f"请用一条消息发送 {number} 的补充信息（文字、图片或文件均可）。发送 /cancel 取消。"
    ]
    album = await alice.album(["楼道照片", None, None])
    assert f"谢谢！您的补充信息已添加到 {number}，并已转给权益部工作人员。" in album.texts
    assert not [t for t in album.texts if "我可以接收" in t]
    assert len(await db_attachments(h, number)) == 3
    assert len([m for m in h.emu.bot_messages(h.group.id) if m.kind == "photo"]) == 3
    # The album is over: a later photo is no longer taken as information.
    later = await alice.photo()
    assert "我可以接收文字、图片和文件" in later.text
    assert len(await db_attachments(h, number)) == 3


async def test_replying_to_a_case_message_adds_information(harness: Harness) -> None:
    h = harness
    alice = await student(h)
    (number,) = await seed_cases(h, alice, 1)

    thanks = await alice.send("补充：晚上十点以后最暗。", reply_to=alice.message_with("编号为"))
    assert f"已添加到 {number}" in thanks.text
    assert "补充：晚上十点以后最暗。" in h.last(h.group).content

    await alice.send("/my")
    timeline = (await alice.press(number)).last
    thanks = await alice.send("楼管说已经报修过了。", reply_to=timeline)
    assert f"已添加到 {number}" in thanks.text
    assert "楼管说已经报修过了。" in h.last(h.group).content

    mark = group_mark(h)
    other = await alice.send("这条是回复欢迎消息的", reply_to=alice.message_with("设置完成"))
    assert "我可以接收文字、图片和文件" in other.text
    assert group_texts_since(h, mark) == []


async def test_requested_information_resumes_the_case(harness: Harness) -> None:
    h = harness
    alice, number = await accepted_case(h)
    await officer_text(h, number, "需补充", "请提供具体楼号和楼层。")

    request = alice.message_with("补充以下信息")
    assert f"权益部需要您就 {number} 补充以下信息" in request.content
    assert "请提供具体楼号和楼层。" in request.content
    assert [t for t, _ in request.buttons()] == ["补充信息"]
    assert (await case_of(h, number)).state == "needs_info"

    await alice.send("3号楼2层。", reply_to=request)
    assert (await case_of(h, number)).state == "accepted"
    assert "3号楼2层。" in h.last(h.group).content
    assert "状态: 已受理" in h.card(number).content

    await alice.send("/my")
    timeline = (await alice.press(number)).text
    assert "请您补充信息: 请提供具体楼号和楼层。" in timeline
    assert "您补充了信息: 3号楼2层。" in timeline


async def test_a_finished_case_refuses_additions(harness: Harness) -> None:
    h = harness
    alice = await student(h)
    first, second = await seed_cases(h, alice, 2)
    submitted = alice.message_with(f"编号为 {first}")

    # Asked for the information while the case was open, sent it after it was closed.
    await alice.press("补充信息", submitted)
    await officer_text(h, first, "驳回", "不属于权益部受理范围，请联系宿管中心。")
    rejection = alice.message_with("不予受理")
    assert "不属于权益部受理范围，请联系宿管中心。" in rejection.content
    mark = group_mark(h)
    late = await alice.send("可是宿管中心说要找学生会。")
    assert late.texts == [FINISHED]

    pressed = await alice.press("补充信息", submitted)
    assert (pressed.toast, pressed.alert, pressed.messages) == (FINISHED, True, [])
    replied = await alice.send("我不同意这个理由。", reply_to=rejection)
    assert replied.texts == [FINISHED]
    assert group_texts_since(h, mark) == []
    assert "student_message" not in [e.action for e in await events_of(h, first)]

    await alice.send("/my")
    assert (await alice.press(first, alice.last)).buttons() == []
    assert (await case_of(h, second)).state == "submitted"


async def test_another_students_case_is_closed_to_them(harness: Harness) -> None:
    h = harness
    alice = await student(h)
    bob = await student(h, 1002, "Bob")
    (number,) = await seed_cases(h, alice, 1)
    alices = alice.message_with("编号为")
    before = len(bob.saw())

    viewed = await bob.press("查看进度", alices)
    assert (viewed.toast, viewed.alert) == ("该反馈已不存在。", True)
    added = await bob.press("补充信息", alices)
    assert (added.toast, added.alert) == ("该反馈已不存在。", True)
    assert len(bob.saw()) == before
    assert "student_message" not in [e.action for e in await events_of(h, number)]


async def test_menu_and_commands_are_not_taken_for_information(harness: Harness) -> None:
    h = harness
    alice = await student(h)
    (number,) = await seed_cases(h, alice, 1)
    mark = group_mark(h)

    await alice.press("补充信息", alice.message_with("编号为"))
    started = await alice.send("📝 提交反馈")
    assert "(1/5)" in started.text
    await alice.send("/cancel")

    await alice.press("补充信息", alice.message_with("编号为"))
    listed = await alice.send("/my")
    assert "我的反馈 (1)" in listed.text
    await alice.send("这句话不是补充信息")

    await alice.press("补充信息", alice.message_with("编号为"))
    assert "学生之声——使用帮助" in (await alice.send("❓ 帮助")).text

    assert group_texts_since(h, mark) == []
    assert "student_message" not in [e.action for e in await events_of(h, number)]
