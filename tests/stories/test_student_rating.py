"""Rating an answer: 满意 / 基本满意 / 不满意, a comment or 跳过, and one re-handling."""

from __future__ import annotations

from bot.core.callbacks import MyCaseCB
from tests.support.harness import Harness
from tests.support.officer_helpers import case_of, events_of
from tests.support.student_helpers import (
    ANSWER_TEXT,
    accepted_case,
    answer,
    group_mark,
    group_texts_since,
    seed_cases,
    student,
)

RATINGS = ["满意", "基本满意", "不满意"]
NOT_NOW = "该反馈当前状态下无法执行此操作。"


async def test_satisfied_closes_the_case_and_a_comment_reaches_the_officers(
    harness: Harness,
) -> None:
    h = harness
    alice, number = await accepted_case(h)
    await answer(h, number)

    answered = alice.message_with("的答复")
    assert ANSWER_TEXT in answered.content and "您对本次答复满意吗？" in answered.content
    assert [t for t, _ in answered.buttons()] == RATINGS

    mark = group_mark(h)
    rated = await alice.press("满意", answered)
    assert rated.toast == "满意"
    assert answered.buttons() == []
    assert f"感谢您的评价，反馈 {number} 已办结。" in rated.text
    assert rated.buttons() == ["跳过"]
    assert group_texts_since(h, mark) == [f"⭐ {number}：同学对答复的评价为满意，已办结。"]

    thanks = await alice.send("处理很及时，谢谢！")
    assert thanks.texts == ["您的意见已转达，谢谢！"]
    assert "处理很及时，谢谢！" in h.last(h.group).content
    case = await case_of(h, number)
    assert (case.state, case.rating, case.rating_comment) == ("closed", 3, "处理很及时，谢谢！")

    # The comment was taken once: what follows is an ordinary message again.
    after = await alice.send("还有一件事")
    assert "我可以接收文字、图片和文件" in after.text
    assert (await case_of(h, number)).rating_comment == "处理很及时，谢谢！"


async def test_unsatisfied_reopens_once_then_any_rating_closes(harness: Harness) -> None:
    h = harness
    alice = await student(h)
    (number,) = await seed_cases(h, alice, 1)
    await answer(h, number)

    mark = group_mark(h)
    reopened = await alice.press("不满意", alice.message_with("的答复"))
    assert f"反馈 {number} 已重新开启，进入复核办理" in reopened.text
    assert "同学对答复不满意" in "\n".join(group_texts_since(h, mark))
    skipped = await alice.press("跳过")
    assert skipped.messages == [] and alice.last.buttons() == []
    case = await case_of(h, number)
    assert (case.state, case.reopen_count, case.rating) == ("reopened", 1, 1)
    card = h.card(number)
    assert "复核中" in card.content
    assert sorted(t for t, _ in card.buttons()) == sorted(
        ["转办", "需补充", "答复", "重新分类", "认领", "指派…"]
    )

    await alice.send("/my")
    timeline = (await alice.press(number)).text
    assert "复核中" in timeline and "您的评价：不满意" in timeline

    await answer(h, number, "经复核，已安排维修人员本周内更换全部楼道灯。")
    second = alice.message_with("经复核")
    assert [t for t, _ in second.buttons()] == RATINGS
    closed = await alice.press("不满意", second)
    assert f"感谢您的评价，反馈 {number} 已办结。" in closed.text
    case = await case_of(h, number)
    assert (case.state, case.reopen_count, case.rating) == ("closed", 1, 1)


async def test_an_answer_is_rated_once_and_only_by_its_student(harness: Harness) -> None:
    h = harness
    alice = await student(h)
    bob = await student(h, 1002, "Bob")
    (number,) = await seed_cases(h, alice, 1)
    await answer(h, number)
    answered = alice.message_with("的答复")

    # Bob cannot see Alice's buttons; a modified client could still send their data.
    case_id = (await case_of(h, number)).id or 0
    forged = MyCaseCB(action="rate", case_id=case_id, value=3).pack()
    bobs = await bob.forge(forged, bob.last)
    assert (bobs.toast, bobs.alert, bobs.messages) == ("您没有执行此操作的权限。", True, [])
    peeked = await bob.forge(MyCaseCB(action="open", case_id=case_id).pack(), bob.last)
    assert (peeked.toast, peeked.messages) == ("该反馈已不存在。", [])
    assert (await case_of(h, number)).state == "answered"

    # The case as shown in /my offers the rating too; whichever is pressed first counts.
    await alice.send("/my")
    view = (await alice.press(number)).last
    assert [t for t, _ in view.buttons()] == ["补充信息", *RATINGS]
    await alice.press("基本满意", answered)
    again = await alice.press("不满意", view)
    assert (again.toast, again.alert, again.messages) == (NOT_NOW, True, [])
    case = await case_of(h, number)
    assert (case.state, case.rating, case.reopen_count) == ("closed", 2, 0)
    ratings = [e.action for e in await events_of(h, number) if e.action.startswith("rate_")]
    assert ratings == ["rate_partly"]


async def test_a_late_skip_or_menu_press_does_not_become_a_comment(harness: Harness) -> None:
    h = harness
    alice = await student(h)
    first, second = await seed_cases(h, alice, 2)
    await answer(h, first)
    await answer(h, second, "第二件的答复：已报修。")

    await alice.press("满意", alice.message_with(f"{first} 的答复"))
    skip = alice.last
    started = await alice.send("📝 提交反馈")  # the menu, not a comment
    assert "(1/5)" in started.text
    await alice.press("意见建议")
    await alice.press(0, skip)  # a late 跳过 must not end the new dialogue
    assert "(3/5)" in (await alice.press("教学教务")).text

    # Rating in the middle of the new case: the next message is still its description.
    rated = await alice.press("基本满意", alice.message_with("第二件的答复"))
    assert f"反馈 {second} 已办结" in rated.text
    assert "跳过" not in rated.text and rated.buttons() == []
    files = await alice.send("图书馆自习室晚上十点就关门，希望延长到十一点。")
    assert "最多 5 个" in files.text
    assert (await case_of(h, first)).rating_comment is None
    assert (await case_of(h, second)).rating_comment is None


async def test_the_card_shows_the_students_comment(harness: Harness) -> None:
    h = harness
    alice = await student(h)
    (number,) = await seed_cases(h, alice, 1)
    await answer(h, number)
    await alice.press("基本满意", alice.message_with("的答复"))
    assert "评价: 基本满意" in h.card(number).content
    await alice.send("答复还可以，但维修太慢。")
    assert "评价: 基本满意 — 答复还可以，但维修太慢。" in h.card(number).content
