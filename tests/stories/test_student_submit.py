"""/new: a suggestion or grievance from the first button to the case number."""

from __future__ import annotations

from bot.devkit.scenario import CASE_NUMBER
from tests.support.harness import DEFAULT_TEXT, Harness
from tests.support.officer_helpers import case_of, events_of
from tests.support.student_helpers import (
    case_year,
    db_attachments,
    db_cases,
    settle,
    student,
)

CANCELLED = "已取消，未提交任何内容。"
STALE = "该步骤已失效，请发送 /new 重新开始。"


# What a student types is shown exactly so, wherever it appears (HTML parse mode).
TYPED = "食堂二楼 <b>连续一周</b> 饭菜里有异物 & 头发，价格 > 15 元 <却没有改进>。"


async def test_grievance_from_first_step_to_case_number(harness: Harness) -> None:
    h = harness
    alice = await student(h)
    assert h.app is not None
    org = h.app.services.org

    kind = await alice.send("/new")
    assert "(1/5)" in kind.text and "随时发送 /cancel 可退出" in kind.text
    assert kind.buttons() == ["意见建议", "权益诉求", "取消"]
    category = await alice.press("权益诉求")
    assert kind.last.buttons() == []
    assert category.buttons() == [c.name_zh for c in org.categories]
    text = await alice.press("后勤餐饮")
    assert "10–3000 字" in text.text
    files = await alice.send(TYPED)
    assert "最多 5 个" in files.text and files.buttons() == ["无附件"]
    identity = await alice.press("无附件")
    assert identity.buttons() == ["实名", "匿名"]
    preview = await alice.press("实名")
    assert "提交前请确认" in preview.text
    for line in ("类型: 权益诉求", "类别: 后勤餐饮", "院系: 临床医学院", "附件: 0", TYPED):
        assert line in preview.text
    assert "实名" in preview.text
    # 申请公开: shared concerns (我也遇到) offer a public version of a grievance at its preview.
    assert preview.buttons() == ["✅ 提交", "✏️ 修改", "取消", "🌐 申请公开"]
    assert await db_cases(h) == []  # nothing is stored before the confirmation

    sent = await alice.press("✅ 提交")
    assert sent.toast == "已提交"
    assert preview.last.buttons() == []
    number = f"G{case_year(h)}-0001"
    assert f"已收到，您的反馈编号为 {number}。" in sent.text
    assert sent.buttons() == ["查看进度", "补充信息"]

    card = h.card(number).content
    assert "后勤餐饮" in card and "Alice" in card and TYPED in card
    (case,) = await db_cases(h)
    assert (case.number, case.kind, case.category_code, case.college_code) == (
        number,
        "grievance",
        "logistics",
        "clinical",
    )
    assert (case.state, case.submitter_id, case.anonymous, case.text) == (
        "submitted",
        1001,
        False,
        TYPED,
    )
    assert [e.action for e in await events_of(h, number)] == ["submit"]


async def test_numbers_count_per_kind(harness: Harness) -> None:
    h = harness
    alice = await student(h)
    year = case_year(h)
    assert await alice.submit(kind="意见建议") == f"S{year}-0001"
    assert await alice.submit() == f"G{year}-0001"
    assert await alice.submit(kind="意见建议") == f"S{year}-0002"
    assert [c.kind for c in await db_cases(h)] == ["suggestion", "grievance", "suggestion"]

    # Two students confirming at the same moment get two different numbers.
    bob = await student(h, 1002, "Bob")
    alices = (await alice.to_preview()).last
    bobs = (await bob.to_preview()).last
    await alice.user.press(alices, "✅ 提交")
    await bob.user.press(bobs, "✅ 提交")
    await settle(h)
    told = {
        CASE_NUMBER.findall(alice.message_with("编号为").content)[0],
        CASE_NUMBER.findall(bob.message_with("编号为").content)[0],
    }
    assert told == {f"G{year}-0002", f"G{year}-0003"}


async def test_text_length_rules(harness: Harness) -> None:
    h = harness
    alice = await student(h)
    await alice.to_description(kind="意见建议", category="教学教务")

    short = await alice.send("   九个字九个字九个字   ")
    assert short.texts == ["内容过短（9 字）。请至少写 10 字，以便工作人员了解具体情况。"]
    long = await alice.send("长" * 3001)
    assert long.texts == [
        "内容过长（3001 字，上限为 3000 字）。请适当精简，详细内容可在下一步以文件形式附上。"
    ]
    sticker = await alice.sticker()
    assert sticker.texts == ["此处需要文字描述，无法接收贴纸、语音、视频或位置。"]
    assert await db_cases(h) == []

    accepted = await alice.send("长" * 3000)
    assert "最多 5 个" in accepted.text
    await alice.press("无附件")
    await alice.press("匿名")
    await alice.press("✅ 提交")
    (case,) = await db_cases(h)
    assert case.text == "长" * 3000


async def test_attachments_up_to_five_and_albums(harness: Harness) -> None:
    h = harness
    alice = await student(h)
    await alice.to_description(category="宿舍住宿")
    await alice.send(DEFAULT_TEXT)

    album = await alice.album(["第一张", None, None])
    assert [t for t in album.texts if "已收到附件" in t] == [
        f"已收到附件 {n}/5。可继续发送，或点击完成。" for n in (1, 2, 3)
    ]
    assert "已收到附件 4/5" in (await alice.document("宿舍照片说明.pdf")).text
    # A second album crosses the limit: what fits is taken, the rest refused one by one.
    over = await alice.album([None, None])
    assert "已收到附件 5/5" in over.texts[0]
    assert over.texts[1] == "附件已达上限（5 个），本附件未添加。请点击完成继续。"
    sixth = await alice.photo()
    assert sixth.texts == ["附件已达上限（5 个），本附件未添加。请点击完成继续。"]
    video = await alice.voice()
    assert "仅支持添加图片和文件" in video.text

    await alice.press("完成")
    preview = await alice.press("实名")
    assert "附件: 5" in preview.text
    await alice.press("✅ 提交")
    number = f"G{case_year(h)}-0001"
    kinds = [a.kind for a in await db_attachments(h, number)]
    assert sorted(kinds) == ["document", "photo", "photo", "photo", "photo"]
    # The officers see them: the photos as one album, the document on its own.
    group = h.emu.bot_messages(h.group.id)
    assert len([m for m in group if m.kind == "photo"]) == 4
    assert len([m for m in group if m.kind == "document"]) == 1
    assert "5 个附件" in h.card(number).content


async def test_every_field_can_be_edited_from_the_preview(harness: Harness) -> None:
    h = harness
    alice = await student(h)
    await alice.to_preview()

    menu = await alice.press("✏️ 修改")
    assert menu.messages == []
    fields = alice.last.buttons()
    assert [label for label, _ in fields] == ["类型", "类别", "正文", "附件", "身份", "返回"]

    await alice.press("类型")
    preview = await alice.press("意见建议")
    assert "类型: 意见建议" in preview.text and "提交前请确认" in preview.text

    await alice.press("✏️ 修改")
    await alice.press("类别")
    preview = await alice.press("宿舍住宿")
    assert "类别: 宿舍住宿" in preview.text and "提交前请确认" in preview.text

    await alice.press("✏️ 修改")
    await alice.press("正文")
    assert "内容过短（2 字）" in (await alice.send("太短")).text
    preview = await alice.send("宿舍热水器坏了三天没人修")
    assert "宿舍热水器坏了三天没人修" in preview.text and DEFAULT_TEXT not in preview.text

    await alice.press("✏️ 修改")
    await alice.press("附件")
    await alice.photo()
    preview = await alice.press("完成")
    assert "附件: 1" in preview.text

    await alice.press("✏️ 修改")
    await alice.press("身份")
    preview = await alice.press("匿名")
    assert "身份: 匿名" in preview.text

    await alice.press("✏️ 修改")
    preview = await alice.press("返回")
    assert "提交前请确认" in preview.text

    await alice.press("✅ 提交")
    number = f"S{case_year(h)}-0001"
    case = await case_of(h, number)
    assert (case.kind, case.category_code, case.text, case.anonymous) == (
        "suggestion",
        "dormitory",
        "宿舍热水器坏了三天没人修",
        True,
    )
    assert len(await db_attachments(h, number)) == 1
    card = h.card(number).content
    assert "匿名" in card and "Alice" not in card


async def test_cancel_leaves_every_step_and_stores_nothing(harness: Harness) -> None:
    h = harness
    alice = await student(h)

    async def walk(steps: int) -> None:
        actions = [
            lambda: alice.send("/new"),
            lambda: alice.press("权益诉求"),
            lambda: alice.press("后勤餐饮"),
            lambda: alice.send(DEFAULT_TEXT),
            lambda: alice.press("无附件"),
            lambda: alice.press("实名"),
        ]
        for action in actions[:steps]:
            await action()

    for steps in range(1, 7):
        await walk(steps)
        stale = alice.last
        cancelled = await alice.send("/cancel")
        assert cancelled.texts == [CANCELLED], steps
        if stale.buttons():
            late = await alice.press(0, stale)
            assert (late.toast, late.alert) == (STALE, True)
    await walk(1)
    assert (await alice.press("取消")).texts == [CANCELLED]
    await walk(6)
    assert (await alice.press("取消")).texts == [CANCELLED]

    assert (await alice.send("/cancel")).texts == ["当前没有可取消的操作。"]
    assert await db_cases(h) == []
    assert h.emu.bot_messages(h.group.id)[-1].content.startswith("已将")  # no card


async def test_what_cannot_be_used_is_explained_at_every_step(harness: Harness) -> None:
    h = harness
    alice = await student(h)
    assert h.app is not None
    buttons_please = h.app.services.renderer.render(
        "zh_Hans", "student/unsupported.html", expecting="buttons"
    )

    await alice.send("/new")
    for junk in (alice.sticker(), alice.send("我要投诉食堂"), alice.location()):
        assert buttons_please in (await junk).text
    await alice.press("权益诉求", alice.message_with("(1/5)"))
    assert buttons_please in (await alice.voice()).text
    await alice.press("后勤餐饮", alice.message_with("(2/5)"))
    for junk in (alice.sticker(), alice.voice(), alice.location(), alice.photo()):
        assert (await junk).texts == ["此处需要文字描述，无法接收贴纸、语音、视频或位置。"]
    await alice.send(DEFAULT_TEXT)
    for junk in (alice.sticker(), alice.location(), alice.send("没有附件")):
        assert "仅支持添加图片和文件" in (await junk).text
    await alice.press("无附件")
    assert buttons_please in (await alice.sticker()).text
    await alice.press("匿名", alice.message_with("(5/5)"))
    assert buttons_please in (await alice.send("好了")).text

    await alice.press("✅ 提交", alice.message_with("提交前请确认"))
    (case,) = await db_cases(h)
    assert (case.text, case.anonymous) == (DEFAULT_TEXT, True)
    assert await db_attachments(h, case.number) == []

    # Outside any dialogue the bot says what it can do.
    for junk in (alice.sticker(), alice.voice(), alice.location()):
        assert (await junk).texts == [
            "我可以接收文字、图片和文件。请使用菜单中的“提交反馈”或“我的反馈”，或发送 /help。"
        ]


async def test_commands_work_in_the_middle_of_the_dialogue(harness: Harness) -> None:
    h = harness
    alice = await student(h)
    await alice.to_description()

    helped = await alice.send("/help")
    assert "学生之声——使用帮助" in helped.text
    # /help does not end the dialogue: the description is still awaited.
    assert "最多 5 个" in (await alice.send(DEFAULT_TEXT)).text

    listed = await alice.send("/my")
    assert "您还没有提交过反馈" in listed.text
    after = await alice.send("还有别的想说")  # the dialogue was left: this is not an attachment
    assert "我可以接收文字、图片和文件" in after.text

    await alice.to_description(kind="意见建议", category="教学教务")
    restarted = await alice.send("📝 提交反馈")
    assert "(1/5)" in restarted.text
    await alice.press("意见建议")
    await alice.press("教学教务")
    assert "您还没有提交过反馈" in (await alice.send("📂 我的反馈")).text
    assert await db_cases(h) == []
    assert all("/help" not in t and "/my" not in t for t in h.texts(h.group))


async def test_a_double_press_acts_once(harness: Harness) -> None:
    h = harness
    alice = await student(h)
    kinds = (await alice.send("/new")).last
    first = await alice.user.press(kinds, "权益诉求")
    second = await alice.user.press(kinds, "权益诉求")
    await settle(h)
    assert h.emu.callback_answers.get(first) == (None, False)
    # The second press meets the next step and is told the button is spent.
    assert h.emu.callback_answers.get(second) == (STALE, True)
    assert len([t for t in alice.saw() if "(2/5)" in t]) == 1

    await alice.press("后勤餐饮")
    await alice.send(DEFAULT_TEXT)
    await alice.press("无附件")
    preview = (await alice.press("实名")).last
    first = await alice.user.press(preview, "✅ 提交")
    second = await alice.user.press(preview, "✅ 提交")
    await settle(h)
    assert h.emu.callback_answers[first] == ("已提交", False)
    assert h.emu.callback_answers[second] == (STALE, True)
    assert len(await db_cases(h)) == 1
    assert len([t for t in alice.saw() if "您的反馈编号为" in t]) == 1
