"""The demo's second story: a congress proposal (提案) from the roster to the proposer's
evaluation — invite links, /propose, co-signing, 立案, 交办, a liaison's answer, publication."""

from __future__ import annotations

from datetime import timedelta

from bot.app.runtime import App
from bot.devkit.emulator import BotAPIEmulator, SimGroup, SimUser
from bot.devkit.scenario import CASE_NUMBER, Scenario
from bot.proposals.roster import RosterRow, store
from storage.crud import proposals as crud
from storage.models import CongressSession

SESSION = "第十届学生代表大会第二次会议"
CHANNEL = -1002000000009
LIAISON_ID = 90010
REPRESENTATIVES = (
    (20230101, "陈晓", "2023010101", "临床2023级1班"),
    (20230102, "王芳", "2023010102", "临床2023级2班"),
    (20230103, "赵磊", "2023010103", "护理2023级1班"),
)
PARTS = (
    "关于考试周延长图书馆开放时间的提案",
    "考试周期间图书馆晚上十点闭馆，大量同学无处自习，只能在走廊和食堂复习。",
    "去年考试周问卷中72%的同学希望延长开放时间；多所兄弟院校考试周已通宵开放。",
    "建议考试周期间图书馆一楼自习区开放至凌晨一点，并安排值班人员和保安巡查。",
)
ANSWER = (
    "图书馆已研究决定：自本学期起，考试周期间一楼自习区开放至凌晨一点，"
    "由图书馆安排值班馆员，保卫处每小时巡查一次。感谢代表们的建议！"
)


async def play_proposal(
    emu: BotAPIEmulator, app: App, story: Scenario, group: SimGroup, officer: SimUser
) -> int:
    """Plays the story; where in the transcript the part worth reading begins (after the
    co-signers and the liaison have been set up the same way the proposer is shown)."""
    admin = emu.user(90001)
    liaison = emu.add_user(user_id=LIAISON_ID, first_name="李老师", language_code="zh-hans")
    people = [
        emu.add_user(user_id=uid, first_name=name, language_code="zh-hans")
        for uid, name, _, _ in REPRESENTATIVES
    ]
    codes = await _congress_with_roster(app)
    await liaison.send("/start")  # opens the private chat, so the bot may write to it
    await story.settle()
    shown_from = 0
    # The co-signers first, out of sight; the proposer's invite is the story's beginning.
    for person, code in reversed(list(zip(people, codes, strict=True))):
        if person is people[0]:
            shown_from = len(emu.transcript)
        await person.send(f"/start {code}")
        await story.settle()
        await person.press(story.last(person), "同意")
        await story.settle()
        await person.press(story.last(person), "中文")
        await story.settle()
    await admin.send(f"/liaison {LIAISON_ID} library", chat=group)
    await story.settle()

    proposer, *cosigners = people
    await proposer.send("/propose")
    await story.settle()
    for text in PARTS:
        await proposer.send(text)
        await story.settle()
    for button in ("教学教务", "图书馆", "完成", "✍️ 发起附议"):
        await proposer.press(story.last(proposer), button)
        await story.settle()
    link = (story.last(proposer).text or "").rsplit("start=", 1)[-1].strip()
    for cosigner in cosigners:
        await cosigner.send(f"/start {link}")
        await story.settle()
        await cosigner.press(story.last(cosigner), "✍️ 附议")
        await story.settle()

    found = CASE_NUMBER.search(story.last(proposer).text or "")
    assert found is not None, "the proposer was not told the proposal was submitted"
    number = found.group(0)
    for button in ("立案", "交办承办部门", "图书馆", "确定"):
        await officer.press(story.card(number), button)
        await story.settle()
    await liaison.press(story.last(liaison), "📝 撰写答复")
    await story.settle()
    await liaison.send(ANSWER)
    await story.settle()
    await liaison.press(story.last(liaison), "📤 提交审核")
    await story.settle()
    review = next(m for m in reversed(emu.bot_messages(group.id)) if m.buttons())
    await officer.press(review, "✅ 发布答复")
    await story.settle()
    await proposer.press(story.last(proposer), "满意")
    await story.settle()
    return shown_from


async def _congress_with_roster(app: App) -> list[str]:
    """What `studentvoice session create` and `roster import` do before the bot is used."""
    now = app.services.now()
    async with app.session_factory.begin() as session:
        congress = await crud.add_session(
            session=session,
            congress=CongressSession(
                name=SESSION,
                opens_at=now - timedelta(days=1),
                closes_at=now + timedelta(days=14),
                cosigners_required=2,
            ),
        )
        assert congress.id is not None
        rows = [
            RosterRow(line, name, student_no, "clinical", delegation)
            for line, (_, name, student_no, delegation) in enumerate(REPRESENTATIVES, start=2)
        ]
        stored = await store(session=session, session_id=congress.id, rows=rows)
    return [rep.invite_code for rep in stored]
