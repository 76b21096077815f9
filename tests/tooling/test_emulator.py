"""The Bot API emulator driven by a real aiogram Bot and Dispatcher over HTTP."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import aiohttp
import pytest
from aiogram import Bot, Dispatcher, F, Router
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import (
    ClientDecodeError,
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.filters import Command
from aiogram.types import (
    BotCommand,
    BufferedInputFile,
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputMediaPhoto,
    Message,
    ReplyParameters,
    Update,
)

from bot.devkit.emulator import BotAPIEmulator, FaultPolicy, HtmlParseError, parse_html

ALICE = 1001
GROUP = -1001234567890
FORUM = -1009876543210


@pytest.fixture
async def emu() -> AsyncIterator[BotAPIEmulator]:
    async with BotAPIEmulator(
        bot_id=7000000001, bot_username="StudentVoiceBot", bot_name="学生之声"
    ) as emulator:
        yield emulator
        assert emulator.internal_errors == []


@pytest.fixture
async def bot(emu: BotAPIEmulator) -> AsyncIterator[Bot]:
    session = AiohttpSession(api=TelegramAPIServer.from_base(emu.base_url))
    tg = Bot("123:ABC", session=session, default=DefaultBotProperties(parse_mode="HTML"))
    yield tg
    await tg.session.close()


@asynccontextmanager
async def polling(dp: Dispatcher, bot: Bot, emu: BotAPIEmulator) -> AsyncIterator[None]:
    task = asyncio.create_task(
        dp.start_polling(bot, handle_signals=False, close_bot_session=False, polling_timeout=2)
    )
    await emu.wait_for_poller()
    try:
        yield
    finally:
        await dp.stop_polling()
        await task


def kb(*buttons: tuple[str, str]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[[InlineKeyboardButton(text=t, callback_data=d)] for t, d in buttons]
    )


# -- protocol basics --------------------------------------------------------------------


async def test_get_me_routing_and_raw_http(emu: BotAPIEmulator, bot: Bot) -> None:
    me = await bot.get_me()
    assert (me.id, me.username, me.first_name, me.is_bot) == (
        7000000001,
        "StudentVoiceBot",
        "学生之声",
        True,
    )
    async with aiohttp.ClientSession() as http:
        async with http.post(f"{emu.base_url}/bot1:X/noSuchMethod") as resp:
            assert resp.status == 404
            body = await resp.json()
            assert body == {
                "ok": False,
                "error_code": 404,
                "description": "Not Found: method not found",
            }
        # Method names are case-insensitive; query parameters and JSON bodies both decode.
        async with http.get(f"{emu.base_url}/bot1:X/GETME") as resp:
            assert (await resp.json())["result"]["id"] == 7000000001
        emu.add_user(ALICE, "Alice", started=True)
        async with http.post(
            f"{emu.base_url}/bot1:X/sendmessage?chat_id={ALICE}", json={"text": "123"}
        ) as resp:
            assert (await resp.json())["result"]["text"] == "123"
    recorded = emu.requests_for("sendMessage")[-1]
    assert recorded.params == {"chat_id": ALICE, "text": "123"}
    assert recorded.chat_id == ALICE and recorded.ok


async def test_echo_and_commands_through_dispatcher(emu: BotAPIEmulator, bot: Bot) -> None:
    router = Router()

    @router.message(Command("start"))
    async def start(message: Message) -> None:
        await message.answer("<b>欢迎</b> to 学生之声", reply_markup=kb(("提交反馈", "fb:new")))

    @router.message(F.text)
    async def echo(message: Message) -> None:
        await message.reply(f"echo: {message.text}")

    @router.message()
    async def other(message: Message) -> None:
        kind = "sticker" if message.sticker else "other"
        await message.answer(f"unsupported {kind}")

    dp = Dispatcher()
    dp.include_router(router)
    alice = emu.add_user(ALICE, "Alice", username="alice", language_code="zh-hans")
    group = emu.add_group(GROUP, "权益部")
    async with polling(dp, bot, emu):
        await alice.send("/start")
        welcome = await emu.wait_for_message(ALICE, contains="欢迎")
        assert welcome.text == "欢迎 to 学生之声"
        assert welcome.html == "<b>欢迎</b> to 学生之声"
        assert welcome.entities == [{"offset": 0, "length": 2, "type": "bold"}]
        assert welcome.buttons() == [("提交反馈", "fb:new")]

        question = await alice.send("你好")
        reply = await emu.wait_for_message(ALICE, contains="echo")
        assert reply.text == "echo: 你好" and reply.reply_to_message_id == question.message_id

        await alice.send("/start@StudentVoiceBot", chat=group)
        assert (await emu.wait_for_message(GROUP)).text == "欢迎 to 学生之声"
        assert group.chat.members[ALICE] == "member"

        await alice.send_sticker()
        assert (await emu.wait_for_message(ALICE)).text == "unsupported sticker"
        await emu.settle()

    ids = [m.message_id for m in emu.chat(ALICE).messages]
    assert ids == list(range(1, len(ids) + 1))
    actors = [(e.actor, e.action) for e in emu.transcript if e.chat_id == ALICE]
    assert actors[:4] == [("Alice", "message"), ("bot", "message")] * 2
    assert "[提交反馈]" in emu.render_transcript()


async def test_callback_buttons_answers_and_edits(emu: BotAPIEmulator, bot: Bot) -> None:
    router = Router()

    @router.callback_query(F.data == "vote:yes")
    async def vote(query: CallbackQuery) -> None:
        assert isinstance(query.message, Message)
        await query.message.edit_text("已投票 ✅", reply_markup=kb(("撤回", "vote:undo")))
        await query.answer("谢谢!")

    @router.callback_query(F.data == "vote:undo")
    async def undo(query: CallbackQuery) -> None:
        await query.answer("已撤回", show_alert=True)

    dp = Dispatcher()
    dp.include_router(router)
    alice = emu.add_user(ALICE, "Alice", started=True)
    sent = await bot.send_message(ALICE, "投票?", reply_markup=kb(("赞成", "vote:yes")))
    card = emu.chat(ALICE).get(sent.message_id)
    assert card is not None
    async with polling(dp, bot, emu):
        mark = emu.mark()
        first = await alice.press(card, "赞成")
        await emu.wait_for_request("answerCallbackQuery", since=mark)
        second = await alice.press(card, "vote:undo")  # by callback_data
        await emu.settle()
    assert emu.callback_answers[first] == ("谢谢!", False)
    assert emu.callback_answers[second] == ("已撤回", True)
    assert card.edited and card.text == "已投票 ✅"
    update = next(u for u in emu.updates if "callback_query" in u)
    assert update["callback_query"]["message"]["message_id"] == card.message_id
    assert [e.action for e in emu.transcript][-3:] == ["toast", "press", "alert"]

    with pytest.raises(TelegramBadRequest) as err:
        await bot.answer_callback_query(first, text="again")
    assert err.value.message == (
        "Bad Request: query is too old and response timeout expired or query ID is invalid"
    )
    third = await alice.press(card, 0)  # by position
    with pytest.raises(TelegramBadRequest, match="Bad Request: MESSAGE_TOO_LONG"):
        await bot.answer_callback_query(third, text="x" * 201)
    with pytest.raises(AssertionError, match="no inline button"):
        await alice.press(card, "不存在")


# -- forum topics, media ------------------------------------------------------------------


async def test_forum_topics(emu: BotAPIEmulator, bot: Bot) -> None:
    seen: list[Message] = []
    router = Router()

    @router.message(F.text)
    async def record(message: Message) -> None:
        seen.append(message)

    dp = Dispatcher()
    dp.include_router(router)
    forum = emu.add_group(FORUM, "权益部工单", is_forum=True)
    alice = emu.add_user(ALICE, "Alice")
    forum.add_member(alice, "administrator")

    topic = await bot.create_forum_topic(FORUM, "工单 #1 宿舍")
    assert topic.name == "工单 #1 宿舍" and topic.icon_color == 0x6FB9F0
    root = emu.chat(FORUM).messages[-1]
    assert root.message_id == topic.message_thread_id and root.kind == "service"

    posted = await bot.send_message(FORUM, "新工单", message_thread_id=topic.message_thread_id)
    assert posted.message_thread_id == topic.message_thread_id and posted.is_topic_message
    assert posted.chat.is_forum
    assert posted.reply_to_message is not None
    assert posted.reply_to_message.forum_topic_created is not None

    async with polling(dp, bot, emu):
        await alice.send("补充说明", chat=forum, thread_id=topic.message_thread_id)
        await emu.settle()
    (incoming,) = seen
    assert incoming.message_thread_id == topic.message_thread_id and incoming.is_topic_message
    assert incoming.reply_to_message is not None
    assert incoming.reply_to_message.message_id == topic.message_thread_id

    assert await bot.edit_forum_topic(FORUM, topic.message_thread_id, name="工单 #1 已受理")
    assert await bot.close_forum_topic(FORUM, topic.message_thread_id)
    with pytest.raises(TelegramBadRequest, match="TOPIC_NOT_MODIFIED"):
        await bot.close_forum_topic(FORUM, topic.message_thread_id)
    assert await bot.delete_forum_topic(FORUM, topic.message_thread_id)
    with pytest.raises(TelegramBadRequest) as err:
        await bot.send_message(FORUM, "x", message_thread_id=topic.message_thread_id)
    assert err.value.message == "Bad Request: message thread not found"
    assert next(e.text for e in emu.transcript if e.action == "topic").startswith("created topic")


async def test_media_files_and_albums(emu: BotAPIEmulator, bot: Bot) -> None:
    albums: list[tuple[str | None, int]] = []
    router = Router()

    @router.message(F.photo)
    async def on_photo(message: Message) -> None:
        albums.append((message.media_group_id, len(message.photo or [])))

    dp = Dispatcher()
    dp.include_router(router)
    alice = emu.add_user(ALICE, "Alice", started=True)

    photo = await bot.send_photo(
        ALICE, BufferedInputFile(b"\xff\xd8jpeg", "p.jpg"), caption="<i>证据</i>"
    )
    assert photo.caption == "证据" and photo.photo and photo.photo[-1].width == 1280
    document = await bot.send_document(ALICE, BufferedInputFile(b"%PDF", "报告.pdf"))
    assert document.document is not None
    assert (document.document.file_name, document.document.mime_type) == (
        "报告.pdf",
        "application/pdf",
    )
    file = await bot.get_file(document.document.file_id)
    assert file.file_path is not None
    downloaded = await bot.download_file(file.file_path)
    assert downloaded is not None and downloaded.read() == b"%PDF"

    again = await bot.send_photo(ALICE, photo.photo[-1].file_id)  # reuse an issued file_id
    assert again.photo == photo.photo
    album = await bot.send_media_group(
        ALICE,
        [
            InputMediaPhoto(media=BufferedInputFile(b"a", "a.jpg"), caption="一"),
            InputMediaPhoto(media="any-string-file-id"),
        ],
    )
    assert len(album) == 2 and album[0].media_group_id == album[1].media_group_id
    stored = emu.bot_messages(ALICE)[-2:]
    assert [m.kind for m in stored] == ["photo", "photo"] and stored[0].caption == "一"

    async with polling(dp, bot, emu):
        sent = await alice.send_media_group(["左", None, {"type": "photo", "caption": "右"}])
        await emu.settle()
    assert len({m.media_group_id for m in sent}) == 1
    assert albums == [(sent[0].media_group_id, 4)] * 3


# -- Telegram's validation ----------------------------------------------------------------


def test_html_parser_matches_telegram() -> None:
    parsed = parse_html('<b>a &amp; <i>b</i></b> &lt;3 & &nbsp; <a href="https://x.y">l</a>')
    assert parsed.text == "a & b <3 & &nbsp; l"
    assert [e["type"] for e in parsed.entities] == ["bold", "italic", "text_link"]
    spoiler = parse_html('<span class="tg-spoiler">s</span><blockquote expandable>q</blockquote>')
    assert [e["type"] for e in spoiler.entities] == ["spoiler", "expandable_blockquote"]
    assert parse_html("&#20320;&#x597D;").text == "你好"
    with pytest.raises(HtmlParseError, match='Unsupported start tag "br" at byte offset 3'):
        parse_html("中<br>")


async def test_html_errors_surface_as_bad_request(emu: BotAPIEmulator, bot: Bot) -> None:
    emu.add_user(ALICE, "Alice", started=True)
    cases = {
        "a <x> b": 'Unsupported start tag "x" at byte offset 2',
        "line<br>break": 'Unsupported start tag "br" at byte offset 4',
        "<b>bold": 'Can\'t find end tag corresponding to start tag "b"',
        "<b>x</i>": 'Unmatched end tag at byte offset 4, expected "</b>", found "</i>"',
        "x</b>": "Unexpected end tag at byte offset 1",
        "1 < 2": 'Unsupported start tag "" at byte offset 2',
        "<b": "Unclosed start tag at byte offset 0",
        '<span class="x">s</span>': 'Tag "span" must have class "tg-spoiler" at byte offset 0',
    }
    for html, reason in cases.items():
        with pytest.raises(TelegramBadRequest) as err:
            await bot.send_message(ALICE, html)
        assert err.value.message == f"Bad Request: can't parse entities: {reason}", html
    ok = await bot.send_message(ALICE, "AT&T &nbsp; <code>&lt;br&gt;</code>")
    assert ok.text == "AT&T &nbsp; <br>"
    assert emu.requests[-1].ok and not emu.requests[-2].ok
    assert emu.requests[-2].error_code == 400


async def test_length_limits_and_empty_text(emu: BotAPIEmulator, bot: Bot) -> None:
    emu.add_user(ALICE, "Alice", started=True)
    long_ok = await bot.send_message(ALICE, "<b>" + "长" * 4096 + "</b>")
    assert long_ok.text is not None and len(long_ok.text) == 4096
    checks: list[tuple[Any, str]] = [
        (bot.send_message(ALICE, "长" * 4097), "Bad Request: message is too long"),
        (bot.send_message(ALICE, "   "), "Bad Request: message text is empty"),
        (bot.send_message(ALICE, "<b></b>"), "Bad Request: message text is empty"),
        (
            bot.send_photo(ALICE, "photo-id", caption="c" * 1025),
            "Bad Request: message caption is too long",
        ),
    ]
    for call, description in checks:
        with pytest.raises(TelegramBadRequest) as err:
            await call
        assert err.value.message == description


async def test_button_data_and_markup_validation(emu: BotAPIEmulator, bot: Bot) -> None:
    emu.add_user(ALICE, "Alice", started=True)
    assert await bot.send_message(ALICE, "ok", reply_markup=kb(("b", "x" * 64)))
    for data in ("x" * 65, "投" * 22, ""):  # 66 UTF-8 bytes; empty
        with pytest.raises(TelegramBadRequest) as err:
            await bot.send_message(ALICE, "bad", reply_markup=kb(("b", data)))
        assert err.value.message == "Bad Request: BUTTON_DATA_INVALID"
    async with (
        aiohttp.ClientSession() as http,
        http.post(
            f"{emu.base_url}/bot1:X/sendMessage",
            json={"chat_id": ALICE, "text": "t", "reply_markup": {"inline_keyboard": [[{}]]}},
        ) as resp,
    ):
        assert resp.status == 400
        assert 'Field \\"text\\"' in await resp.text()


async def test_edits_deletes_and_replies(emu: BotAPIEmulator, bot: Bot) -> None:
    emu.add_user(ALICE, "Alice", started=True)
    msg = await bot.send_message(ALICE, "<b>状态</b>: 待处理", reply_markup=kb(("处理", "h")))
    not_modified = (
        "Bad Request: message is not modified: specified new message content and reply markup "
        "are exactly the same as a current content and reply markup of the message"
    )
    with pytest.raises(TelegramBadRequest) as err:
        await bot.edit_message_text(
            "<b>状态</b>: 待处理",
            chat_id=ALICE,
            message_id=msg.message_id,
            reply_markup=kb(("处理", "h")),
        )
    assert err.value.message == not_modified
    with pytest.raises(TelegramBadRequest) as err:
        await bot.edit_message_reply_markup(
            chat_id=ALICE, message_id=msg.message_id, reply_markup=kb(("处理", "h"))
        )
    assert err.value.message == not_modified
    edited = await bot.edit_message_text(
        "<b>状态</b>: 已处理", chat_id=ALICE, message_id=msg.message_id
    )
    assert isinstance(edited, Message) and edited.edit_date and edited.reply_markup is None
    assert await bot.edit_message_reply_markup(
        chat_id=ALICE, message_id=msg.message_id, reply_markup=kb(("重开", "r"))
    )
    reply = await bot.send_message(
        ALICE, "回复", reply_parameters=ReplyParameters(message_id=msg.message_id)
    )
    assert reply.reply_to_message is not None
    assert reply.reply_to_message.text == "状态: 已处理"

    assert await bot.delete_message(ALICE, msg.message_id)
    stored = emu.chat(ALICE).messages[0]
    assert stored.deleted and stored.edited
    expectations: list[tuple[Any, str]] = [
        (bot.delete_message(ALICE, msg.message_id), "Bad Request: message to delete not found"),
        (
            bot.edit_message_text("x", chat_id=ALICE, message_id=999),
            "Bad Request: message to edit not found",
        ),
        (
            bot.send_message(ALICE, "r", reply_parameters=ReplyParameters(message_id=999)),
            "Bad Request: message to be replied not found",
        ),
        (bot.send_message(-100555, "x"), "Bad Request: chat not found"),
    ]
    for call, description in expectations:
        with pytest.raises(TelegramBadRequest) as err:
            await call
        assert err.value.message == description
    lenient = await bot.send_message(
        ALICE,
        "r",
        reply_parameters=ReplyParameters(message_id=999, allow_sending_without_reply=True),
    )
    assert lenient.reply_to_message is None


async def test_forbidden_users(emu: BotAPIEmulator, bot: Bot) -> None:
    alice = emu.add_user(ALICE, "Alice")
    with pytest.raises(TelegramForbiddenError) as err:
        await bot.send_message(ALICE, "hi")
    assert err.value.message == "Forbidden: bot can't initiate conversation with a user"
    await alice.send("/start")
    assert await bot.send_message(ALICE, "hi")
    alice.block_bot()
    with pytest.raises(TelegramForbiddenError) as err:
        await bot.send_message(ALICE, "hi")
    assert err.value.message == "Forbidden: bot was blocked by the user"
    assert emu.requests[-1].error_code == 403
    assert emu.updates[-1]["my_chat_member"]["new_chat_member"]["status"] == "kicked"
    alice.unblock_bot()
    assert await bot.send_message(ALICE, "welcome back")


# -- update delivery ------------------------------------------------------------------------


async def test_redeliver_gives_same_update_id_twice(emu: BotAPIEmulator, bot: Bot) -> None:
    seen: list[int] = []
    dp = Dispatcher()

    @dp.message()
    async def handler(message: Message, event_update: Update) -> None:
        seen.append(event_update.update_id)

    alice = emu.add_user(ALICE, "Alice")
    async with polling(dp, bot, emu):
        await alice.send("一次")
        await emu.settle()
        emu.redeliver(seen[0])
        await emu.settle()
    assert len(seen) == 2 and seen[0] == seen[1]

    # The cancelled long poll must not swallow updates sent while nobody polls.
    await alice.send("离线时发送")
    async with polling(dp, bot, emu):
        await emu.settle()
    assert len(seen) == 3 and seen[2] > seen[0]
    assert all(r.ok for r in emu.requests_for("getUpdates"))


async def test_long_poll_wakes_promptly_and_offset_confirms(emu: BotAPIEmulator, bot: Bot) -> None:
    alice = emu.add_user(ALICE, "Alice")
    assert await bot.get_updates(timeout=0) == []
    mark = emu.mark()
    started = time.monotonic()
    poll = asyncio.create_task(bot.get_updates(timeout=5))
    await asyncio.sleep(0.05)
    await alice.send("醒醒")
    updates = await poll
    assert time.monotonic() - started < 1.0
    assert [u.message.text for u in updates if u.message] == ["醒醒"]
    # Unconfirmed updates come back; an offset past them confirms them.
    assert [u.update_id for u in await bot.get_updates(timeout=0)] == [updates[0].update_id]
    assert emu.world.updates.confirmed == set()
    assert await bot.get_updates(offset=updates[0].update_id + 1, timeout=0) == []
    assert emu.world.updates.confirmed == {updates[0].update_id}
    request = await emu.wait_for_request(lambda r: r.method == "getUpdates", since=mark)
    assert request.params["timeout"] == 5


async def test_fault_policy_and_wait_helpers(emu: BotAPIEmulator, bot: Bot) -> None:
    emu.add_user(ALICE, "Alice", started=True)
    emu.policy = (
        FaultPolicy()
        .rate_limit("sendMessage", 7)
        .fail("sendMessage", code=500, description="Internal Server Error: injected")
    )
    with pytest.raises(TelegramRetryAfter) as retry:
        await bot.send_message(ALICE, "a")
    assert retry.value.retry_after == 7
    assert "Too Many Requests: retry after 7" in retry.value.message
    with pytest.raises(TelegramServerError):
        await bot.send_message(ALICE, "b")
    assert await bot.send_message(ALICE, "c")
    assert [r.error_code for r in emu.requests_for("sendMessage")] == [429, 500, None]
    emu.policy = FaultPolicy().fail("getChat", code=502, page="<html>502 Bad Gateway</html>")
    with pytest.raises(ClientDecodeError):  # a proxy's page, not the Bot API's JSON
        await bot.get_chat(ALICE)
    assert (await bot.get_chat(ALICE)).id == ALICE
    with pytest.raises(AssertionError, match="#2 sendMessage"):
        await emu.wait_for_request("editMessageText", timeout=0.05)


async def test_groups_members_and_commands(emu: BotAPIEmulator, bot: Bot) -> None:
    group = emu.add_group(GROUP, "权益部")
    alice = emu.add_user(ALICE, "Alice")
    bob = emu.add_user(1002, "Bob")
    group.add_member(alice, "creator")
    group.add_member(bob, "administrator")
    assert (await bot.get_chat_member(GROUP, ALICE)).status == "creator"
    assert (await bot.get_chat_member(GROUP, 1002)).status == "administrator"
    assert (await bot.get_chat_member(GROUP, emu.bot_id)).status == "administrator"
    admins = await bot.get_chat_administrators(GROUP)
    assert {a.user.id for a in admins} == {ALICE, 1002, emu.bot_id}
    chat = await bot.get_chat(GROUP)
    assert (chat.type, chat.title) == ("supergroup", "权益部")
    commands = [BotCommand(command="start", description="开始")]
    assert await bot.set_my_commands(commands)
    assert [(c.command, c.description) for c in await bot.get_my_commands()] == [("start", "开始")]
    assert await bot.delete_my_commands()
    assert await bot.get_my_commands() == []
    assert await bot.send_chat_action(GROUP, "typing")
    assert await bot.delete_webhook(drop_pending_updates=True)
    assert (await bot.get_webhook_info()).url == ""
