"""The proposal committee's decisions in the officers' chat: 立案, 转为意见建议, 不予立案, 合并 —
each explained to the proposer and co-signers; members without the role refused."""

from __future__ import annotations

from bot.domain.workflow import Action, State
from tests.support.officer_helpers import (
    OfficerHarness,
    act,
    alert,
    case_of,
    press,
    received,
    say,
    seed_case,
    seed_student,
)
from tests.support.proposal_helpers import (
    buttons,
    officer_act,
    seed_congress,
    seed_proposal,
    seed_representatives,
)
from tests.support.student_helpers import Talk


async def test_register_convert_and_reject(harness: OfficerHarness) -> None:
    h = harness
    session_id = await seed_congress(h)
    alice, bob, carol, dave = await seed_representatives(h, session_id, 1001, 1002, 1003, 1004)
    registered = await seed_proposal(h, alice, cosigners=(carol, dave))
    converted = await seed_proposal(h, bob, cosigners=(carol, dave), title="关于食堂增设清真窗口")
    rejected = await seed_proposal(h, carol, cosigners=(alice, dave), title="关于取消期末考试")

    # A member of the chat without the officer role changes nothing.
    member = h.emu.add_user(5005, "旁观者")
    h.group.add_member(member)
    query = await press(h, registered, "立案", who=member)
    assert alert(h, query)[1] and (await case_of(h, registered)).state == State.SUBMITTED

    await press(h, registered, "立案")
    assert (await case_of(h, registered)).state == State.ACCEPTED
    for person in (alice, carol, dave):
        assert registered in received(h, person)[-1] and "立案" in received(h, person)[-1]
    assert buttons(h, registered) == ["交办承办部门", "合并", "认领", "指派…"]

    explanation = "该问题属于个别窗口的日常管理，作为意见建议由权益部跟进更快。"
    await act(h, converted, "转为意见建议", explanation)
    assert (await case_of(h, converted)).state == State.CONVERTED
    bob_heard = received(h, bob)[-1]
    new_number = _suggestion_number(bob_heard)
    assert "日常管理" in bob_heard and new_number.startswith("S")
    assert new_number in received(h, carol)[-1] and new_number in received(h, dave)[-1]
    new_case = await case_of(h, new_number)
    assert new_case.kind == "suggestion" and new_case.submitter_id == bob.id
    assert buttons(h, new_number) == [
        "受理",
        "需补充",
        "驳回",
        "合并",
        "答复",
        "重新分类",
        "认领",
        "指派…",
    ]
    assert buttons(h, converted) == [] and new_number in (h.card(converted).text or "")
    # The suggestion goes on as any other: its co-signers now hear of it as followers.
    await press(h, new_number, "受理")
    for person in (bob, carol, dave):
        assert new_number in received(h, person)[-1] and "受理" in received(h, person)[-1]

    await act(h, rejected, "不予立案", "期末考试由学校教学管理规定确定，不属于提案办理范围。")
    assert (await case_of(h, rejected)).state == State.REJECTED
    for person in (carol, alice, dave):
        heard = received(h, person)[-1]
        assert rejected in heard and "不予立案" in heard and "教学管理规定" in heard
    assert buttons(h, rejected) == []


async def test_merge_carries_cosigners_and_followers(harness: OfficerHarness) -> None:
    h = harness
    session_id = await seed_congress(h)
    alice, bob, carol, dave, frank, grace = await seed_representatives(
        h, session_id, 1001, 1002, 1003, 1004, 1006, 1007
    )
    eve = Talk(h, await seed_student(h, 1005, "Eve"))
    target = await seed_proposal(h, alice, cosigners=(carol, dave))
    duplicate = await seed_proposal(h, bob, cosigners=(frank, grace), title="图书馆考试周通宵开放")
    await officer_act(h, target, Action.ACCEPT)
    # A student follows the registered proposal from /proposals.
    await eve.send("/proposals")
    await eve.press(target)
    assert "进展" in ((await eve.press("关注")).toast or "")

    grievance = await seed_case(h, await seed_student(h, 1010, "Henry"))
    await act(h, duplicate, "合并", grievance)
    assert "只能与其他提案合并" in received(h, h.group)[-1]
    assert (await case_of(h, duplicate)).state == State.SUBMITTED

    await act(h, duplicate, "合并", target)
    assert (await case_of(h, duplicate)).state == State.MERGED
    for person in (bob, frank, grace):
        heard = received(h, person)[-1]
        assert duplicate in heard and target in heard and "合并" in heard
    card_text = h.card(target).text or ""
    assert "王芳、赵磊、周敏、吴昊" in card_text

    # Everyone on either proposal now hears of the one that goes on.
    await press(h, target, "交办承办部门")
    assert h.officer is not None
    for button in ("图书馆", "确定"):
        await h.officer.press(h.card(target), button)
        await h.settle()
    for person in (alice, carol, dave, bob, frank, grace, eve.user):
        heard = received(h, person)[-1]
        assert target in heard and "图书馆" in heard, person


def _suggestion_number(text: str) -> str:
    import re

    found = re.search(r"S\d{4}-\d{4}", text)
    assert found, text
    return found.group(0)


async def test_admins_name_liaisons_and_a_department_without_one_is_flagged(
    harness: OfficerHarness,
) -> None:
    h = harness
    assert h.admin is not None and h.officer is not None
    session_id = await seed_congress(h)
    alice, carol, dave = await seed_representatives(h, session_id, 1001, 1003, 1004)
    teacher = h.emu.add_user(8001, "李老师", started=True)
    h.group.add_member(teacher)
    asked = await say(h, "我是图书馆的李老师。", who=teacher)

    await say(h, "/liaison library", who=h.officer, reply_to=asked)
    assert "管理员" in received(h, h.group)[-1]  # only admins name liaisons
    await say(h, "/liaison nowhere", who=h.admin, reply_to=asked)
    assert "library" in received(h, h.group)[-1]  # the usage lists the department codes
    await say(h, "/liaison library", who=h.admin, reply_to=asked)
    assert "李老师" in received(h, h.group)[-1] and "图书馆" in received(h, h.group)[-1]

    number = await seed_proposal(h, alice, cosigners=(carol, dave))
    await officer_act(h, number, Action.ACCEPT)
    await h.press_card(number, "交办承办部门")
    query = await h.officer.press(h.card(number), "确定")
    await h.settle()
    assert "至少选择一个" in (alert(h, query)[0] or "")
    for button in ("图书馆", "保卫处", "确定"):
        await h.officer.press(h.card(number), button)
        await h.settle()
    assert "撰写答复" in h.last(teacher).buttons()[0][0]
    flagged = [t for t in received(h, h.group) if "没有联络人" in t]
    assert flagged and "保卫处" in flagged[-1] and "图书馆" not in flagged[-1]

    await say(h, "/unliaison 8001", who=h.admin)
    assert "不再是" in received(h, h.group)[-1]
