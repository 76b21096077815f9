"""/start: the privacy notice and consent, the language, the college; what a refusal leaves."""

from __future__ import annotations

from aiogram.types import BotCommandScopeAllPrivateChats
from sqlalchemy import func, select

from bot.app.runtime import start_up
from storage.models import Case
from tests.support.harness import Harness
from tests.support.officer_helpers import user_row
from tests.support.student_helpers import CJK, REMINDER, newcomer, reply_keyboard

ZH_MENU = [["📝 提交反馈", "📂 我的反馈"], ["❓ 帮助"]]
EN_MENU = [["📝 New feedback", "📂 My cases"], ["❓ Help"]]


async def test_start_asks_consent_then_language_then_college(harness: Harness) -> None:
    h = harness
    alice = newcomer(h)

    notice = await alice.send("/start")
    assert "隐私说明" in notice.text and "医学院学生会" in notice.text
    assert notice.buttons() == ["同意", "不同意"]
    assert (await user_row(h, 1001)).consent_at is None  # type: ignore[union-attr]

    agreed = await alice.press("同意")
    assert agreed.toast == "谢谢！"
    assert notice.last.buttons() == []  # the notice cannot be answered twice
    assert "请选择语言" in agreed.text
    assert agreed.buttons() == ["中文", "English"]

    language = await alice.press("中文")
    assert "请问您所在的院系是" in language.text
    assert h.app is not None
    colleges = [c.name_zh for c in h.app.services.org.colleges]
    assert language.buttons() == colleges

    welcome = await alice.press("公共卫生学院")
    assert "设置完成。院系：公共卫生学院" in welcome.text
    assert reply_keyboard(welcome.last) == ZH_MENU
    user = await user_row(h, 1001)
    assert user is not None
    assert user.consent_at is not None
    assert (user.locale, user.college_code) == ("zh_Hans", "public_health")

    again = await alice.send("/start")
    assert "设置完成。院系：公共卫生学院" in again.text  # no second privacy notice
    assert "隐私说明" not in again.text

    ask = await alice.send("/college")
    assert "请问您所在的院系是" in ask.text
    assert "院系：药学院" in (await alice.press("药学院")).text
    assert (await user_row(h, 1001)).college_code == "pharmacy"  # type: ignore[union-attr]


async def test_consented_student_who_left_halfway_is_asked_only_the_college(
    harness: Harness,
) -> None:
    alice = newcomer(harness)
    await alice.send("/start")
    await alice.press("同意")

    again = await alice.send("/start")
    assert "隐私说明" not in again.text
    assert "请问您所在的院系是" in again.text
    # A case is routed by college: /new asks for it too rather than starting without one.
    assert "请问您所在的院系是" in (await alice.send("/new")).text
    welcome = await alice.press("护理学院")
    assert "院系：护理学院" in welcome.text
    assert "(1/5)" in (await alice.send("/new")).text


async def test_without_consent_only_help_answers(harness: Harness) -> None:
    h = harness
    bob = newcomer(h, 1002, "Bob")
    await bob.send("/start")
    declined = await bob.press("不同意")
    assert "除本次对话外，我们没有保存您的任何信息" in declined.text
    assert bob.message_with("隐私说明").buttons() == []

    for attempt in (
        "/new",
        "📝 提交反馈",
        "/my",
        "📂 我的反馈",
        "/mydata",
        "/deleteme",
        "/language",
        "/college",
        "/cancel",
        "/whatever",
        "食堂的饭菜太难吃了，希望改进一下。",
    ):
        answer = await bob.send(attempt)
        assert answer.texts == [f"{REMINDER}。在此之前仅可使用 /help。"], attempt
    for media in (bob.photo(), bob.sticker(), bob.location()):
        assert REMINDER in (await media).text

    helped = await bob.send("/help")
    assert "学生之声——使用帮助" in helped.text
    assert "学生之声——使用帮助" in (await bob.send("❓ 帮助")).text

    user = await user_row(h, 1002)
    assert user is not None
    assert (user.consent_at, user.locale, user.college_code) == (None, None, None)
    assert h.app is not None
    async with h.app.session_factory() as session:
        assert await session.scalar(select(func.count()).select_from(Case)) == 0

    # Changing one's mind works at any time.
    await bob.send("/start")
    assert "请选择语言" in (await bob.press("同意")).text


async def test_telegram_language_is_followed_until_chosen(harness: Harness) -> None:
    h = harness
    emma = newcomer(h, 1003, "Emma", language="en")
    notice = await emma.send("/start")
    assert "Your privacy" in notice.text and "School of Medicine Student Union" in notice.text
    assert notice.buttons() == ["I agree", "I do not agree"]
    assert not CJK.search(notice.text)
    agreed = await emma.press("I agree")
    assert agreed.toast == "Thank you!"
    assert "Choose your language" in agreed.text

    # She prefers Chinese although her Telegram is in English: her choice wins from now on.
    chinese = await emma.press("中文")
    assert "请问您所在的院系是" in chinese.text
    welcome = await emma.press("临床医学院")
    assert reply_keyboard(welcome.last) == ZH_MENU
    assert "使用帮助" in (await emma.send("/help")).text

    switch = await emma.send("/language")
    english = await emma.press("English", switch.last)
    assert "All set. College: School of Clinical Medicine" in english.text
    assert reply_keyboard(english.last) == EN_MENU
    assert (await user_row(h, 1003)).locale == "en"  # type: ignore[union-attr]


async def test_the_command_menu_and_help_offer_the_proposals(harness: Harness) -> None:
    h = harness
    assert h.app is not None
    await start_up(h.app)
    scope = BotCommandScopeAllPrivateChats()
    menus = {
        language: {
            c.command: c.description
            for c in await h.app.bot.get_my_commands(scope=scope, language_code=language)
        }
        for language in (None, "en")
    }
    assert menus[None]["proposals"] == "学代会提案"
    assert menus[None]["propose"] == "撰写提案（限学生代表）"
    assert menus["en"]["propose"] == "Write a proposal (student representatives)"
    assert list(menus[None])[:4] == ["new", "my", "proposals", "propose"]

    helped = (await newcomer(h).send("/help")).text
    assert "/proposals — 学代会提案：查看、关注、支持" in helped
    assert "/propose — 撰写提案（限学生代表）" in helped
