"""The demo's second act: two levels and a department. A college union (校院两级) takes a case
from its own college, escalates it (上报) to the university's rights department, which forwards it
(转办) to a department whose liaison answers it; the officers approve the answer and the student,
who saw one continuous case, rates it."""

from __future__ import annotations

from bot.devkit.emulator import BotAPIEmulator, SimGroup, SimUser
from bot.devkit.scenario import Scenario

COLLEGE_CHAT = -1002000000003
COLLEGE_OFFICER_ID, LIAISON_ID, STUDENT_ID = 90021, 90022, 20240002
TEXT = (
    "临床医学院附属医院实习的同学反映：实习期间宿舍到医院的校车每天只有一班，"
    "早班七点前发车，夜班结束后没有车回校，只能自己打车，费用和安全都成问题。"
)
REASON = "校车由学校后勤统一调度，学院无法协调，需要校级权益部转办后勤保障处。"
ANSWER = (
    "后勤保障处已与公交公司协商：自下周一起，实习医院与校区之间增开早6:30、晚22:30两班校车，"
    "夜班结束的同学可凭实习证乘坐。"
)


async def play_college(
    emu: BotAPIEmulator, story: Scenario, group: SimGroup, officer: SimUser
) -> int:
    """Plays the act; where in the transcript the part worth reading begins (after the college
    union's chat and the liaison are set up)."""
    admin = emu.user(90001)
    college = emu.add_group(chat_id=COLLEGE_CHAT, title="临床医学院学生会权益部", is_forum=False)
    zhao = emu.add_user(user_id=COLLEGE_OFFICER_ID, first_name="赵干事", username="officer_zhao")
    liaison = emu.add_user(user_id=LIAISON_ID, first_name="周老师", language_code="zh-hans")
    student = emu.add_user(user_id=STUDENT_ID, first_name="陈明", language_code="zh-hans")
    college.add_member(admin, status="creator")
    college.add_member(zhao)
    for person in (zhao, liaison):  # opens their private chats: the bot knows and may write to them
        await person.send("/start")
        await story.settle()
    for command in ("/bind college clinical", "/grant officer @officer_zhao college:clinical"):
        await admin.send(command, chat=college)
        await story.settle()
    await admin.send(f"/liaison {LIAISON_ID} logistics", chat=group)
    await story.settle()

    shown_from = len(emu.transcript)
    await story.onboard(student, college="临床医学院")
    number = await story.submit(student, TEXT, category="后勤餐饮")
    await zhao.press(story.card(number, college), "受理")
    await story.settle()
    await zhao.press(story.card(number, college), "上报")
    await story.settle()
    await zhao.send(REASON, chat=college, reply_to=story.last(college))
    await story.settle()
    for button in ("转办", "后勤保障处"):
        await officer.press(story.card(number), button)
        await story.settle()
    await liaison.press(story.last(liaison), "📝 撰写答复")
    await story.settle()
    await liaison.send(ANSWER)
    await story.settle()
    await liaison.press(story.last(liaison), "📤 提交审核")
    await story.settle()
    review = next(
        m
        for m in reversed(emu.bot_messages(group.id))
        if "✅ 发布答复" in [text for text, _ in m.buttons()]
    )
    await officer.press(review, "✅ 发布答复")
    await story.settle()
    await student.press(story.last(student), "满意")
    await story.settle()
    return shown_from
