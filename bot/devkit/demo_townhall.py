"""The demo's fourth act: a face-to-face town hall (面对面). An officer creates a session, a
student who opted in is told; two students ask (one anonymously), the officers approve, a
student upvotes the other's question; the ranked list is exported, the leader's answer reaches
the asker and the upvoter, and the unanswered question becomes a case."""

from __future__ import annotations

import re
from datetime import timedelta

from bot.app.runtime import App
from bot.devkit.emulator import BotAPIEmulator, SimGroup, SimUser
from bot.devkit.scenario import Scenario

ASKER_ID, SECRET_ID = 20240031, 20240032
QUESTION = "图书馆考试周能否延长开放到凌晨一点？现在晚上十点闭馆，复习座位很紧张。"
ANONYMOUS = "宿舍楼热水经常中断，学校有没有改造计划和时间表？"
ANSWER = "分管副校长 | 自下周起考试周图书馆开放至凌晨一点，并增开二楼自习区。"


def _number(text: str, pattern: str) -> str:
    found = re.search(pattern, text)
    assert found, f"{pattern!r} not in {text!r}"
    return found.group(1)


async def play_townhall(
    emu: BotAPIEmulator, app: App, story: Scenario, group: SimGroup, officer: SimUser
) -> int:
    """Plays the act; where in the transcript it begins."""
    shown_from = len(emu.transcript)
    asker = emu.add_user(user_id=ASKER_ID, first_name="孙悦", language_code="zh-hans")
    secret = emu.add_user(user_id=SECRET_ID, first_name="钱程", language_code="zh-hans")
    for student in (asker, secret):
        await story.onboard(student, college="公共卫生学院")
    await asker.send("/townhall on")
    await story.settle()

    when = app.services.renderer.format_time
    now = app.services.now()
    form = " | ".join(
        [
            "校领导面对面·第一期",
            when(now + timedelta(days=3)),
            "学生活动中心报告厅",
            "分管副校长、后勤保障处",
            when(now - timedelta(hours=1)),
            when(now + timedelta(days=2)),
            "all",
        ]
    )
    await officer.send(f"/townhall new {form}", chat=group)
    await story.settle()
    town_hall = _number(story.last(group).content, r"#(\d+)")

    await asker.send(f"/ask {town_hall} {QUESTION}")
    await story.settle()
    await secret.send(f"/ask {town_hall} 匿名 {ANONYMOUS}")
    await story.settle()
    moderation = [m for m in emu.bot_messages(group.id) if "/townhall reject" in m.content][-2:]
    ids = [_number(m.content, r"#(\d+)") for m in moderation]
    for message, question in zip(moderation, ids, strict=True):
        await officer.press(message, f"✅ 通过 #{question}")
        await story.settle()
    await secret.send(f"/questions {town_hall}")
    await story.settle()
    await secret.press(story.last(secret), f"👍 #{ids[0]}")
    await story.settle()
    await officer.send(f"/townhall export {town_hall}", chat=group)
    await story.settle()
    await officer.send(f"/townhall answer {ids[0]} {ANSWER}", chat=group)
    await story.settle()
    await officer.send(f"/townhall list {town_hall}", chat=group)
    await story.settle()
    await officer.press(story.last(group), f"📂 转为诉求 #{ids[1]}")
    await story.settle()
    return shown_from
