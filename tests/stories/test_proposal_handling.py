"""A registered proposal's handling: 交办 to two departments, a liaison's question, answers
reviewed (sent back, published), 不满意 back to the departments once, 满意 closes it — with
what the proposer, co-signers, a follower, the liaisons and the public channel see; then the
session's implementation report."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook

from bot.core.callbacks import LiaisonCB
from bot.domain.workflow import Action, Part, State
from bot.proposals.report import collect, render_html, render_xlsx
from tests.support.officer_helpers import (
    OfficerHarness,
    case_of,
    received,
    reply_to_prompt,
    seed_student,
    send_preview,
)
from tests.support.proposal_helpers import (
    CHANNEL_ID,
    TITLE,
    officer_act,
    parts_of,
    seed_congress,
    seed_liaison,
    seed_proposal,
    seed_representatives,
)
from tests.support.student_helpers import Talk

LIBRARY_ANSWER = "图书馆将于本学期考试周起试行一楼自习区开放至凌晨一点，并增派值班人员。"
LIBRARY_DRAFT = "图书馆正在研究延长开放时间的方案，请同学们耐心等待。"
LOGISTICS_ANSWER = "后勤保障处将在考试周为图书馆增加夜间保洁和热水供应，保安每小时巡查一次。"


pytestmark = pytest.mark.harness(channel=True)


async def test_a_registered_proposal_from_assignment_to_closing(harness: OfficerHarness) -> None:
    h = harness
    assert h.app is not None and h.officer is not None
    session_id = await seed_congress(h)
    alice_user, carol, dave = await seed_representatives(h, session_id, 1001, 1003, 1004)
    eve = Talk(h, await seed_student(h, 1005, "Eve"))
    li = Talk(h, await seed_liaison(h, 8001, "李老师", "library"))
    zhou = Talk(h, await seed_liaison(h, 8002, "周老师", "logistics"))
    alice = Talk(h, alice_user)
    number = await seed_proposal(h, alice_user, cosigners=(carol, dave))
    await officer_act(h, number, Action.ACCEPT)
    posts = h.emu.bot_messages(CHANNEL_ID)
    assert len(posts) == 1 and TITLE in (posts[0].text or "") and "已立案" in (posts[0].text or "")

    # Any student reads it in /proposals, follows it and supports it once.
    listing = await eve.send("/proposals")
    assert number in listing.text and "已立案" in listing.text
    detail = await eve.press(number)
    assert TITLE in detail.text and "👍 支持 (0)" in detail.buttons()
    await eve.press("关注")
    supported = await eve.press("👍 支持 (0)")
    assert supported.alert and "感谢" in (supported.toast or "")
    again = await eve.press("👍 支持 (1)")
    assert "已经支持过" in (again.toast or "")
    assert [text for text, _ in eve.last.buttons()] == ["取消关注", "👍 支持 (1)"]

    # 交办: two departments, a deadline; the liaisons hear in private, everyone else too.
    await h.press_card(number, "交办承办部门")
    for button in ("图书馆", "后勤保障处", "15 个工作日", "确定"):
        await h.officer.press(h.card(number), button)
        await h.settle()
    assert (await case_of(h, number)).state == State.IN_PROGRESS
    for person in (alice_user, carol, dave, eve.user):
        heard = received(h, person)[-1]
        assert number in heard and "图书馆" in heard and "后勤保障处" in heard, person
    assert "图书馆" in li.last.content and "撰写答复" in li.last.buttons()[0][0]
    assert "后勤保障处" in zhou.last.content
    assert "图书馆" in (h.emu.bot_messages(CHANNEL_ID)[0].text or "")
    parts = {part.department_code: part for part in await parts_of(h, number)}
    library = parts["library"]

    # A liaison of another department is refused at the door.
    refused = await zhou.forge(LiaisonCB(action="answer", part_id=library.id or 0).pack())
    assert refused.alert and "联络人" in (refused.toast or "")
    assert eve.user.id not in {m.chat_id for m in h.emu.bot_messages(h.group.id)}
    forged = await eve.forge(LiaisonCB(action="answer", part_id=library.id or 0).pack())
    assert forged.alert

    # A question to the officers, answered in the thread.
    await li.press("❓ 向权益部提问")
    await li.send("请问答复是否需要附上开放时间调整的正式通知？")
    assert "正式通知" in received(h, h.group)[-1]
    await h.officer.press(h.last(h.group), "💬 回复联络人")
    await h.settle()
    await reply_to_prompt(h, "需要，请附上通知的扫描件。")
    await send_preview(h)
    assert "扫描件" in li.last.content

    # First answer: sent back with a comment; nobody outside hears of it.
    alice_before = len(received(h, alice_user))
    await li.press("📝 撰写答复", li.message_with("交由"))
    await li.send(LIBRARY_DRAFT)
    await li.press("📤 提交审核")
    assert LIBRARY_DRAFT in received(h, h.group)[-1]
    await h.officer.press(h.last(h.group), "↩️ 退回修改")
    await h.settle()
    await reply_to_prompt(h, "请写明具体开放时间和开始日期。")
    await send_preview(h)
    assert "具体开放时间" in li.last.content and "退回" in li.last.content
    statuses = {p.department_code: p.status for p in await parts_of(h, number)}
    assert statuses == {"library": Part.RETURNED, "logistics": Part.ASSIGNED}

    # Second answer, with the notice attached: published to everyone following it.
    await li.press("📝 撰写答复")
    await li.send(LIBRARY_ANSWER)
    await li.document("开放时间调整通知.pdf")
    await li.press("📤 提交审核")
    await h.officer.press(
        next(m for m in reversed(h.emu.bot_messages(h.group.id)) if m.buttons()), "✅ 发布答复"
    )
    await h.settle()
    assert len(received(h, alice_user)) > alice_before
    for person in (alice_user, carol, dave, eve.user):
        texts = received(h, person)
        assert any(LIBRARY_ANSWER in t for t in texts), person
        assert any(m.kind == "document" for m in h.emu.bot_messages(person.id)), person
    assert h.last(alice_user).buttons() == []  # one department is not the whole answer
    assert (await case_of(h, number)).state == State.IN_PROGRESS
    assert "已发布" in li.last.content

    # The second department's answer completes it: the proposer is asked to evaluate.
    await _answer(h, zhou, LOGISTICS_ANSWER)
    assert (await case_of(h, number)).state == State.ANSWERED
    assert [t for t, _ in h.last(alice_user).buttons()] == ["满意", "基本满意", "不满意"]
    assert h.last(carol).buttons() == [] and "提案人评价" in received(h, carol)[-1]

    # 不满意: back to both departments once.
    await alice.press("不满意")
    await alice.send("开放时间还是不够，希望能到凌晨两点。")
    assert (await case_of(h, number)).state == State.REOPENED
    for liaison in (li, zhou):
        assert "复核" in liaison.last.content and "撰写答复" in liaison.last.buttons()[0][0]
    for person in (carol, dave, eve.user):
        assert "复核" in received(h, person)[-1]
    await _answer(h, li, "经复核，考试周最后三天一楼自习区开放至凌晨两点。")
    await _answer(h, zhou, "经复核，后勤保障处同步延长夜间保洁至凌晨两点。")
    assert (await case_of(h, number)).state == State.ANSWERED

    await alice.press("满意")
    case = await case_of(h, number)
    assert case.state == State.CLOSED and case.rating == 3
    for person in (carol, dave, eve.user):
        heard = received(h, person)[-1]
        assert "办结" in heard and "满意" in heard
    channel = h.emu.bot_messages(CHANNEL_ID)
    assert len(channel) == 1 and "已办结" in (channel[0].text or "")
    assert "凌晨两点" in (channel[0].text or "")
    assert len(h.emu.requests_for("editMessageText")) >= 3

    # The proposer's own timeline (/my) tells the whole story.
    await alice.send("/my")
    timeline = (await alice.press(number)).text
    assert "已交办承办部门: 后勤保障处、图书馆" in timeline and "图书馆：经复核" in timeline

    # The session's implementation report: the answers and the evaluation.
    async with h.app.session_factory() as session:
        report = await collect(session=session, services=h.app.services, session_id=session_id)
    html = render_html(h.app.services, "zh_Hans", report)
    assert number in html and "凌晨两点" in html and "满意" in html and "陈晓" in html
    sheet = load_workbook(io.BytesIO(render_xlsx(h.app.services, "zh_Hans", report))).active
    assert sheet is not None
    row = [str(c.value or "") for c in sheet[3]]
    assert row[0] == number and "图书馆" in row[6] and "凌晨两点" in row[7] and row[8] == "满意"


async def _answer(h: OfficerHarness, liaison: Talk, text: str) -> None:
    """A liaison answers (no files) and an officer publishes it."""
    assert h.officer is not None
    await liaison.press("📝 撰写答复")
    await liaison.send(text)
    await liaison.press("📤 提交审核")
    note = next(m for m in reversed(h.emu.bot_messages(h.group.id)) if m.buttons())
    assert text in (note.text or "")
    await h.officer.press(note, "✅ 发布答复")
    await h.settle()
