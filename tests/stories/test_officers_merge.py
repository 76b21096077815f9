"""合并: folding a case into another one, and what officers can get wrong on the way."""

from __future__ import annotations

from bot.domain.workflow import State
from tests.support.harness import Harness
from tests.support.officer_helpers import (
    ACCEPT,
    ANSWER,
    MERGE,
    REJECT,
    act,
    alice_with_case,
    card,
    case_of,
    case_rows,
    events_of,
    press,
    prompt,
    received,
    reply_to_card,
    reply_to_prompt,
    say,
    seed_case,
    seed_student,
    seed_students,
    send_preview,
)


async def test_merged_case_student_follows_the_target(harness: Harness) -> None:
    h = harness
    alice, bob, carol = await seed_students(h, "Alice", "Bob", "Carol")
    target = await seed_case(h, alice)
    duplicate = await seed_case(h, bob, "二楼食堂的菜里也有头发，已经好几次了。")
    await press(h, target, ACCEPT)

    await act(h, duplicate, MERGE, target.lower())  # numbers are matched case-insensitively

    merged = await case_of(h, duplicate)
    assert merged.state == State.MERGED and merged.merged_into_id == (await case_of(h, target)).id
    assert target in received(h, bob)[-1] and duplicate in received(h, bob)[-1]
    merged_card = card(h, duplicate).text or ""
    assert "已合并" in merged_card and target in merged_card
    assert card(h, duplicate).buttons() == []
    assert [e.action for e in await events_of(h, target)][-1] == "merged_in"

    # From now on Bob hears what happens to the target case; Carol (unrelated) does not.
    carol_before = len(received(h, carol))
    await act(h, target, ANSWER, "后勤处已更换承包商。")
    assert "后勤处已更换承包商。" in received(h, alice)[-1]
    bob_answer = h.last(bob)
    assert target in (bob_answer.text or "") and "后勤处已更换承包商。" in (bob_answer.text or "")
    assert len(received(h, carol)) == carol_before


async def test_only_the_submitter_gets_buttons_they_can_use(harness: Harness) -> None:
    """A follower carried over by a merge cannot rate or add information to the target case."""
    h = harness
    alice, bob = await seed_students(h, "Alice", "Bob")
    target = await seed_case(h, alice)
    duplicate = await seed_case(h, bob, "二楼食堂的菜里也有头发，已经好几次了。")
    await act(h, duplicate, MERGE, target)
    await act(h, target, ANSWER, "后勤处已更换承包商。")

    assert [t for t, _ in h.last(alice).buttons()] == ["满意", "基本满意", "不满意"]
    assert h.last(bob).buttons() == []
    bob_before = len(received(h, bob))

    # A conversation with the submitter stays between them and the department.
    await reply_to_card(h, target, "Alice，请问你住哪栋楼？")
    assert "请问你住哪栋楼" in received(h, alice)[-1]
    assert len(received(h, bob)) == bob_before


async def test_merged_followers_travel_on_when_the_target_is_merged_again(
    harness: Harness,
) -> None:
    h = harness
    alice, bob, carol = await seed_students(h, "Alice", "Bob", "Carol")
    first = await seed_case(h, alice)
    second = await seed_case(h, bob, "二楼食堂的菜里也有头发，已经好几次了。")
    third = await seed_case(h, carol, "食堂卫生问题严重，希望尽快整改处理。")
    await act(h, second, MERGE, first)
    await act(h, first, MERGE, third)

    await act(h, third, REJECT, "已由学校统一答复，见公告。")
    for student in (alice, bob, carol):
        assert "已由学校统一答复，见公告。" in received(h, student)[-1]


async def test_bad_merge_targets_are_refused_and_the_officer_can_retry(harness: Harness) -> None:
    h = harness
    alice = await seed_student(h, 1001, "Alice")
    good = await seed_case(h, alice)
    number = await seed_case(h, alice, "宿舍楼热水供应不稳定，经常没有热水。")
    closed = await seed_case(h, alice, "图书馆自习室空调温度太低，希望调整。")
    await act(h, closed, REJECT, "不属于学生会受理范围。")
    await press(h, number, MERGE)
    rows = len(await case_rows(h))

    for wrong, error in (
        ("G2026-9999", "没有该编号的反馈"),
        (number, "不能并入其自身"),
        (closed, "目标反馈已结束"),
    ):
        sent = await reply_to_prompt(h, wrong)
        reply = h.last(h.group)
        assert reply.reply_to_message_id == sent.message_id
        assert error in (reply.text or "")

    case = await case_of(h, number)
    assert case.state == State.SUBMITTED and case.merged_into_id is None
    assert [e.action for e in await events_of(h, number)] == ["submit"]
    assert len(await case_rows(h)) == rows
    assert "待受理" in (card(h, number).text or "")

    # Still waiting for a number: a correct one now goes through.
    await reply_to_prompt(h, good)
    assert (await case_of(h, number)).state == State.MERGED


async def test_cancel_stops_waiting_for_a_text(harness: Harness) -> None:
    h = harness
    alice, number = await alice_with_case(h)
    await press(h, number, MERGE)
    await reply_to_prompt(h, "G2026-9999")
    await say(h, "/cancel")
    assert "已取消" in (h.last(h.group).text or "")

    # A reply to the prompt now is refused, not taken as a merge target.
    merge_prompt = prompt(h)
    await reply_to_prompt(h, "G2026-0001")
    assert "已结束" in (h.last(h.group).text or "")
    await press(h, number, REJECT)
    await say(h, "/cancel")
    alice_before = len(received(h, alice))
    await say(h, "随便说一句")
    await say(h, "信息不足。", reply_to=prompt(h))
    assert prompt(h) is not merge_prompt
    assert (await case_of(h, number)).state == State.SUBMITTED
    assert len(received(h, alice)) == alice_before
    await say(h, "/cancel")
    assert "没有需要取消" in (h.last(h.group).text or "")


async def test_a_command_is_not_taken_as_the_text_a_button_asked_for(harness: Harness) -> None:
    h = harness
    alice, number = await alice_with_case(h)
    await press(h, number, ANSWER)
    alice_before = len(received(h, alice))

    await say(h, "/queue", reply_to=prompt(h))

    assert (await case_of(h, number)).state == State.SUBMITTED
    assert len(received(h, alice)) == alice_before
    assert number in (h.last(h.group).text or "")  # /queue did its own job
    await reply_to_prompt(h, "正式答复：已整改。")
    await send_preview(h)
    assert (await case_of(h, number)).state == State.ANSWERED
    assert "/queue" not in received(h, alice)[-1]


async def test_text_sent_before_the_request_arrived_is_not_taken(harness: Harness) -> None:
    """The officer's client sends the number before the bot has asked for it: it answers
    nothing; only a reply to the request does."""
    h = harness
    alice = await seed_student(h, 1001, "Alice")
    target = await seed_case(h, alice)
    number = await seed_case(h, alice, "宿舍楼热水供应不稳定，经常没有热水。")
    assert h.officer is not None

    await h.officer.press(card(h, number), MERGE)
    await h.officer.send(target, chat=h.group)
    await h.settle()
    assert (await case_of(h, number)).state == State.SUBMITTED

    await reply_to_prompt(h, target)
    assert (await case_of(h, number)).state == State.MERGED
