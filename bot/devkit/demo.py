"""`studentvoice demo`: the whole loop on a laptop — no token, no network.

A local Bot API emulator on 127.0.0.1, the real bot on a fresh SQLite file, and four scripted
acts: a student's grievance from submission to rating; a college union escalating a case to the
university, whose department answers through its liaison; a congress proposal; a face-to-face
town hall (面对面). Every side of
the conversation is printed as they saw it.
"""

from __future__ import annotations

import shutil
import tempfile
import textwrap
from pathlib import Path

from bot.app.runtime import bind_configured_chats, build_app, close
from bot.core.config import Settings
from bot.core.sealing import new_key
from bot.devkit import demo_college, demo_proposal, demo_townhall
from bot.devkit.driver import Driver
from bot.devkit.emulator import BotAPIEmulator
from bot.devkit.emulator.models import SimChat, TranscriptEntry
from bot.devkit.scenario import Scenario
from storage.migrate import upgrade

ADMIN_ID, OFFICER_ID, STUDENT_ID = 90001, 90002, 20240001
OFFICERS_CHAT = -1002000000001
STORY_TEXT = (
    "三号学生食堂二楼近一周多次在饭菜中发现异物（头发、塑料片），"
    "向窗口反映后没有改进。希望后勤加强对承包商的检查，并公布处理结果。"
)
ANSWER_TEXT = (
    "经后勤保障处核查，三号食堂二楼承包商存在卫生管理问题，已约谈并处以罚款；"
    "即日起每日增加一次卫生巡查，检查结果在食堂公告栏公示。感谢同学的监督！"
)
WIDTH = 78
GRIEVANCE_TITLE = "StudentVoice demo — a grievance from submission to rating"
COLLEGE_TITLE = "StudentVoice demo — a college union escalates, a department's liaison answers"
PROPOSAL_TITLE = "StudentVoice demo — a congress proposal (提案) from roster to evaluation"
TOWNHALL_TITLE = "StudentVoice demo — a face-to-face town hall (面对面): ask, vote, answer"


async def run_demo(*, keep_db: bool = False) -> int:
    workdir = Path(tempfile.mkdtemp(prefix="studentvoice-demo-"))
    try:
        async with BotAPIEmulator() as emu:
            settings = Settings(
                bot_token="000000:DEMO",
                telegram_api_base=emu.base_url,
                database_url=f"sqlite+aiosqlite:///{workdir / 'demo.db'}",
                admin_ids=[ADMIN_ID],
                officers_chat_id=OFFICERS_CHAT,
                public_channel_id=demo_proposal.CHANNEL,
                # The emulator has no flood limits: the story is shown, not Telegram's pacing
                # (20 messages a minute in a group would make the proposal story take minutes).
                delivery_chat_per_second=1_000,
                delivery_chat_burst=100,
                delivery_group_per_minute=100_000,
                identity_key=new_key(),
                _env_file=None,
            )
            college, proposal, townhall = await _play(emu, settings)
            print(render(emu.transcript[:college]))
            print()
            print(render(emu.transcript[college:proposal], title=COLLEGE_TITLE))
            print()
            print(render(emu.transcript[proposal:townhall], title=PROPOSAL_TITLE))
            print()
            print(render(emu.transcript[townhall:], title=TOWNHALL_TITLE))
        if keep_db:
            print(f"\nThe demo database is kept at {workdir / 'demo.db'}")
    finally:
        if not keep_db:
            shutil.rmtree(workdir, ignore_errors=True)
    return 0


async def _play(emu: BotAPIEmulator, settings: Settings) -> tuple[int, int, int]:
    """Plays the four acts; where in the transcript the second, third and fourth begin."""
    group = emu.add_group(chat_id=OFFICERS_CHAT, title="权益部工作群", is_forum=False)
    emu.world.chats[demo_proposal.CHANNEL] = SimChat(
        id=demo_proposal.CHANNEL,
        type="channel",
        title="学生之声·提案公示",
        bot_status="administrator",
    )
    admin = emu.add_user(user_id=ADMIN_ID, first_name="张部长", username="union_admin")
    officer = emu.add_user(user_id=OFFICER_ID, first_name="王同学", username="officer_wang")
    student = emu.add_user(user_id=STUDENT_ID, first_name="李华", language_code="zh-hans")
    group.add_member(admin, status="creator")
    group.add_member(officer)

    app = build_app(settings)
    await upgrade(app.engine)
    await bind_configured_chats(app)
    driver = Driver(app)
    try:
        story = Scenario(emu=emu, driver=driver, group=group)
        await admin.send(f"/officer {OFFICER_ID}", chat=group)
        await story.settle()
        await story.onboard(student, college="公共卫生学院")
        number = await story.submit(student, STORY_TEXT, photos=1)
        for button in ("受理", "转办", "后勤保障处"):
            await officer.press(story.card(number), button)
            await story.settle()
        await officer.press(story.card(number), "答复")
        await story.settle()
        await officer.send(ANSWER_TEXT, chat=group, reply_to=story.last(group))
        await story.settle()
        await officer.press(story.last(group), "发送")  # from the preview of the answer
        await story.settle()
        await student.press(story.last(student), "满意")
        await story.settle()
        await student.send("处理很及时，谢谢！", reply_to=None)
        await story.settle()
        college = await demo_college.play_college(emu, story, group, officer)
        proposal = await demo_proposal.play_proposal(emu, app, story, group, officer)
        townhall = await demo_townhall.play_townhall(emu, app, story, group, officer)
    finally:
        await driver.close()
        await app.processor.stop(grace=5)
        await close(app)
    return college, proposal, townhall


def render(transcript: list[TranscriptEntry], title: str = GRIEVANCE_TITLE) -> str:
    """One block per action, marked by chat, so each side's view reads top to bottom."""
    lines = [
        title.center(WIDTH),
        "📱 private chat   👥 officers' group   🏫 a college union's group   📢 channel".center(
            WIDTH
        ),
        "=" * WIDTH,
    ]
    shown: dict[int | None, set[str]] = {}
    for entry in transcript:
        if entry.action in ("toast",) and not entry.text:
            continue
        seen = shown.setdefault(entry.chat_id, set())
        if entry.action == "edit" and entry.text in seen and not entry.buttons:
            continue  # only its buttons went away once pressed; the reader saw the press
        seen.add(entry.text or "")
        where = "👥" if entry.chat_id is not None and entry.chat_id < 0 else "📱"
        if entry.chat_id == demo_college.COLLEGE_CHAT:
            where = "🏫"
        if entry.chat_id == demo_proposal.CHANNEL:
            where = "📢"
        verb = {
            "message": "",
            "edit": "(edits its message) ",
            "press": "presses ",
            "alert": "(alert) ",
            "toast": "(toast) ",
            "topic": "(topic) ",
            "delete": "(deletes a message) ",
        }.get(entry.action, f"({entry.action}) ")
        head = f"{where} {entry.actor}: {verb}"
        body = (entry.text or "").strip()
        if entry.action == "press":
            lines.append(f"{head}[{body}]")
            continue
        lines.append("")
        lines.append(head.rstrip())
        for paragraph in body.splitlines() or [""]:
            wrapped = textwrap.wrap(paragraph, WIDTH - 6) or [""]
            lines.extend("    " + line for line in wrapped)
        for row in entry.buttons:
            lines.append("    " + "  ".join(f"[ {text} ]" for text in row))
    lines.append("=" * WIDTH)
    return "\n".join(lines)
