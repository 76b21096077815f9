"""Student representatives and their college: 本院诉求 (/mycollege) lists the college's cases
as summaries and follows them (关注), a followed case's changes of state reach them; 代提交
(/onbehalf) submits for a classmate, named or anonymous. Never a student's identity in what a
representative receives; never another college's cases, nor a sensitive category's."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlmodel import col

from bot.cases.actions import Draft, submit_case
from bot.core.callbacks import CollegeCB
from bot.devkit.emulator import SimUser
from bot.privacy import retention
from storage.models import CaseEvent, CollegeFollow
from tests.support.harness import Harness
from tests.support.officer_helpers import (
    OfficerHarness,
    card,
    case_of,
    seed_case,
    seed_student,
    user_of,
)
from tests.support.proposal_helpers import seed_congress, seed_representative
from tests.support.student_helpers import Talk, answer, db_cases, officer_press, officer_text

REP, REP_NAME = 1001, "陈晓"
ANON, ANON_NAME, ANON_USERNAME = 1101, "林静怡", "lin_jingyi"
NAMED, NAMED_NAME, NAMED_USERNAME = 1102, "周子豪", "zhou_zihao"
NURSE = 1103
CLASSMATE = "张小明"


def identities() -> list[str]:
    """What would name the students who wrote the college's cases."""
    return [
        str(ANON),
        ANON_NAME,
        f"@{ANON_USERNAME}",
        ANON_USERNAME,
        str(NAMED),
        NAMED_NAME,
        NAMED_USERNAME,
    ]


def everything_received(h: Harness, who: SimUser) -> str:
    """Every text, caption and button the bot sent the person, and every toast they got."""
    parts: list[str] = []
    for message in h.emu.bot_messages(who.id):
        parts += [message.text or "", message.caption or ""]
        parts += [text for text, _ in message.buttons()]
    parts += [toast or "" for toast, _ in h.emu.callback_answers.values()]
    return "\n".join(parts)


async def college_with_cases(h: OfficerHarness) -> tuple[Talk, dict[str, str]]:
    """A representative of 临床医学院 and cases: the college's anonymous and named ones, a
    sensitive one, and one of 护理学院."""
    congress = await seed_congress(h)
    rep, _ = await seed_representative(h, REP, REP_NAME, congress)
    anon = await seed_student(h, ANON, ANON_NAME, username=ANON_USERNAME)
    named = await seed_student(h, NAMED, NAMED_NAME, username=NAMED_USERNAME)
    nurse = await seed_student(h, NURSE, "护理同学", college="nursing")
    cases = {
        "anonymous": await seed_case(
            h, anon, "实验楼三楼的通风橱坏了两周，做实验时气味很大，希望尽快维修。", anonymous=True
        ),
        "named": await seed_case(h, named, "食堂二楼的饭菜连续一周出现异物，希望后勤加强检查。"),
        "sensitive": await seed_case(
            h, named, "有老师在课上多次说出歧视性的话，希望学院重视处理。", category="harassment"
        ),
        "nursing": await seed_case(h, nurse, "护理学院宿舍热水供应不稳定，晚上经常没有热水。"),
    }
    return Talk(h, rep), cases


async def test_a_representative_follows_their_colleges_cases_without_identities(
    harness: OfficerHarness,
) -> None:
    h = harness
    rep, cases = await college_with_cases(h)

    listed = await rep.send("/mycollege")
    text = listed.text
    assert "本院诉求" in text and "临床医学院" in text
    assert cases["anonymous"] in text and cases["named"] in text
    assert cases["sensitive"] not in text and cases["nursing"] not in text
    assert "后勤餐饮" in text and "待受理" in text and "实验楼三楼的通风橱坏了两周" in text
    assert listed.buttons() == [f"☆ 关注 {cases['named']}", f"☆ 关注 {cases['anonymous']}"]

    followed = await rep.press(f"☆ 关注 {cases['anonymous']}")
    assert followed.toast == f"{cases['anonymous']} 状态变化时会通知你。"
    assert f"★ 已关注 {cases['anonymous']}" in [text for text, _ in rep.last.buttons()]

    # The officers accept, then answer it: the representative hears of each change, in a line.
    seen = len(h.emu.bot_messages(REP))
    await officer_press(h, cases["anonymous"], "受理")
    await answer(h, cases["anonymous"])
    await officer_press(h, cases["named"], "受理")  # not followed: nothing
    updates = [m.text for m in h.emu.bot_messages(REP)[seen:]]
    assert updates == [
        f"🏫 关注的诉求 {cases['anonymous']} · 后勤餐饮: 待受理 → 已受理",
        f"🏫 关注的诉求 {cases['anonymous']} · 后勤餐饮: 已受理 → 已答复",
    ]
    # The answer went to its author, not to the representative.
    assert "经后勤保障处核查" not in everything_received(h, rep.user)

    unfollowed = await rep.press(f"★ 已关注 {cases['anonymous']}", rep.message_with("本院诉求"))
    assert unfollowed.toast == f"已取消关注 {cases['anonymous']}。"
    seen = len(h.emu.bot_messages(REP))
    await officer_press(h, cases["named"], "转办", "后勤保障处")
    assert len(h.emu.bot_messages(REP)) == seen

    received = everything_received(h, rep.user)
    leaked = [mark for mark in identities() if mark in received]
    assert not leaked, leaked


async def test_other_colleges_sensitive_cases_and_non_representatives_are_refused(
    harness: OfficerHarness,
) -> None:
    h = harness
    rep, cases = await college_with_cases(h)
    refused = await rep.send("/mycollege 护理学院")
    assert refused.text == "学生代表只能关注本院的诉求。未做任何更改。"
    listed = await rep.send("/mycollege 临床医学院")
    assert cases["named"] in listed.text

    # Buttons forged for a case of another college, and for a sensitive one: refused, nothing kept.
    nursing = await case_of(h, cases["nursing"])
    forged = await rep.forge(CollegeCB(action="follow", case_id=nursing.id or 0).pack())
    assert forged.alert and forged.toast == "学生代表只能关注本院的诉求。未做任何更改。"
    sensitive = await case_of(h, cases["sensitive"])
    forged = await rep.forge(CollegeCB(action="follow", case_id=sensitive.id or 0).pack())
    assert forged.alert and forged.toast == "该反馈已不存在。"
    assert await follows(h) == []

    # A student who is no representative: a clear answer, nothing listed.
    student = Talk(h, h.emu.user(NAMED))
    for command in ("/mycollege", "/onbehalf"):
        told = await student.send(command)
        assert told.text == "只有本届学生代表大会的学生代表可以这样做。"
    forged = await student.forge(CollegeCB(action="page").pack())
    assert forged.alert and forged.toast == "只有本届学生代表大会的学生代表可以这样做。"
    assert cases["anonymous"] not in everything_received(h, h.emu.user(NAMED))


async def test_on_behalf_of_a_named_classmate(harness: OfficerHarness) -> None:
    h = harness
    congress = await seed_congress(h)
    rep_user, _ = await seed_representative(h, REP, REP_NAME, congress)
    rep = Talk(h, rep_user)

    intro = await rep.send("/onbehalf")
    assert "代同学提交" in intro.text and "临床医学院" in intro.text
    await rep.press("权益诉求")
    await rep.press("后勤餐饮")
    await rep.send("宿舍楼下的自行车棚顶棚破损，下雨天车子全被淋湿，希望维修。")
    asked = await rep.press(0)  # no attachments
    assert asked.buttons() == ["署名（填写同学姓名）", "匿名"]
    await rep.press("署名（填写同学姓名）")
    too_long = await rep.send("张" * 41)
    assert "最多 40 个字" in too_long.text
    preview = await rep.send(CLASSMATE)
    assert f"代提交: {CLASSMATE}" in preview.text
    sent = await rep.press(0)
    number = (await db_cases(h))[-1].number
    assert number in sent.text

    case = await case_of(h, number)
    assert case.on_behalf and not case.anonymous and case.classmate_name == CLASSMATE
    assert case.submitter_id == REP and case.college_code == "clinical"
    shown = card(h, number).text or ""
    assert f"提交人: {CLASSMATE} · 🎓 由代表代为提交: {REP_NAME}" in shown

    # The answer reaches the representative, who passes it on; the timeline says who submitted.
    await officer_press(h, number, "受理")
    await answer(h, number)
    assert "经后勤保障处核查" in rep.last.text
    assert await events(h, number) == ["submit", "on_behalf", "accept", "answer"]
    timeline = await rep.send("/my")
    opened = await rep.press(number, timeline.last)
    assert "由代表代为提交" in opened.text


async def test_on_behalf_of_an_anonymous_classmate(harness: OfficerHarness) -> None:
    h = harness
    congress = await seed_congress(h)
    rep_user, _ = await seed_representative(h, REP, REP_NAME, congress)
    rep = Talk(h, rep_user)

    await rep.send("/onbehalf")
    await rep.press("权益诉求")
    await rep.press("后勤餐饮")
    await rep.send("宿舍楼下的自行车棚顶棚破损，下雨天车子全被淋湿，希望维修。")
    await rep.press(0)
    preview = await rep.press("匿名")
    assert "匿名同学" in preview.text
    sent = await rep.press(0)
    case = (await db_cases(h))[-1]
    assert case.number in sent.text
    assert case.on_behalf and case.anonymous and case.classmate_name is None
    assert case.submitter_id is None and case.author_sealed is not None

    shown = card(h, case.number).text or ""
    assert "匿名同学" in shown and "由代表代为提交" in shown
    group = "\n".join(m.text or m.caption or "" for m in h.emu.bot_messages(h.group.id))
    assert REP_NAME not in group and str(REP) not in group

    await officer_press(h, case.number, "受理")
    await answer(h, case.number)
    assert "经后勤保障处核查" in rep.last.text
    # The event that says a representative submitted it names nobody.
    async with h.app.session_factory() as session:  # type: ignore[union-attr]
        stmt = select(CaseEvent).where(col(CaseEvent.case_id) == case.id)
        theirs = [
            e for e in await session.scalars(stmt) if e.actor_role not in ("officer", "admin")
        ]
    assert [e.action for e in theirs] == ["submit", "on_behalf"]
    assert [e.actor_id for e in theirs] == [None, None]


async def follows(h: Harness) -> list[tuple[int, int]]:
    assert h.app is not None
    async with h.app.session_factory() as session:
        rows = await session.scalars(select(CollegeFollow))
        return [(row.case_id, row.user_id) for row in rows]


async def events(h: Harness, number: str) -> list[str]:
    case = await case_of(h, number)
    assert h.app is not None
    async with h.app.session_factory() as session:
        stmt = select(CaseEvent).where(col(CaseEvent.case_id) == case.id)
        return [event.action for event in await session.scalars(stmt.order_by(col(CaseEvent.id)))]


async def test_retention_takes_the_classmates_name_and_the_follows(harness: OfficerHarness) -> None:
    """A year after the case is finished, the classmate's name and who followed it go."""
    h = harness
    assert h.app is not None
    congress = await seed_congress(h)
    author, _ = await seed_representative(h, REP, REP_NAME, congress)
    follower = Talk(h, (await seed_representative(h, 1002, "刘洋", congress))[0])
    async with h.app.session_factory.begin() as session:
        draft = Draft(
            kind="grievance",
            category="logistics",
            text="宿舍楼下的自行车棚顶棚破损，下雨天车子全被淋湿，希望维修。",
            anonymous=False,
            on_behalf=True,
            classmate_name=CLASSMATE,
        )
        user = await user_of(session, author)
        number = (
            await submit_case(session=session, services=h.app.services, submitter=user, draft=draft)
        ).number
    await h.settle()
    await follower.send("/mycollege")
    await follower.press(f"☆ 关注 {number}")
    assert len(await follows(h)) == 1
    await officer_text(h, number, "驳回", "该问题已由后勤统一排期维修，不再单独受理。")

    later = h.app.services.now() + timedelta(days=h.app.settings.retention_days + 1)
    await retention.purge(session_factory=h.app.session_factory, services=h.app.services, now=later)
    case = await case_of(h, number)
    assert case.purged_at is not None and case.classmate_name is None and case.on_behalf
    assert await follows(h) == []
