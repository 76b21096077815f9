"""A student whose Telegram is in English sees English in every message and button."""

from __future__ import annotations

from tests.support.harness import Harness
from tests.support.officer_helpers import case_of
from tests.support.student_helpers import (
    CJK,
    answer,
    case_year,
    newcomer,
    officer_press,
    officer_reply,
    student,
)

TEXT = "The canteen on the second floor served food with hair in it three times this week."


async def test_english_student_sees_english_everywhere(harness: Harness) -> None:
    h = harness
    emma = await student(h, 1005, "Emma", language="en", college="School of Clinical Medicine")
    toasts: list[str] = []

    kinds = await emma.send("/new")
    assert kinds.buttons() == ["Suggestion", "Grievance", "Cancel"]
    categories = await emma.press("Grievance")
    assert "Canteen & logistics" in categories.buttons()
    await emma.press("Teaching & courses")
    short = await emma.send("Too short")
    assert short.texts == [
        "That is too short (9 characters). Please write at least 10 characters so the "
        "officers understand the matter."
    ]
    assert "Stickers, voice messages" in (await emma.sticker()).text
    await emma.send(TEXT)
    await emma.press("No attachments")
    preview = await emma.press("Under my name")
    assert "Please check before sending" in preview.text
    assert "Category: Teaching & courses" in preview.text
    sent = await emma.press("✅ Send")
    toasts.append(sent.toast or "")
    number = f"G{case_year(h)}-0001"
    assert f"Received. Your case number is {number}." in sent.text
    assert sent.buttons() == ["View progress", "Add information"]

    await officer_press(h, number, "受理")
    await officer_reply(h, number, "Which window was it?")
    await officer_press(h, number, "转办", "后勤保障处")
    await answer(h, number, "The contractor was fined and inspections are now daily.")
    assert "Logistics Support Office" in emma.message_with("forwarded to").content
    rated = await emma.press("Satisfied", emma.message_with("How satisfied"))
    toasts.append(rated.toast or "")
    assert rated.buttons() == ["Skip"]
    assert (await emma.send("Thanks, quick and clear.")).texts == [
        "Your comment has been passed on. Thank you!"
    ]

    listed = await emma.send("/my")
    assert f"{number} · Closed" in listed.text
    timeline = await emma.press(number)
    assert "Timeline" in timeline.text and "Forwarded to a department" in timeline.text
    refused = await emma.send("More details.", reply_to=timeline.last)
    assert refused.texts == ["This case is finished; please submit a new one."]
    assert "What StudentVoice stores about you" in (await emma.send("/mydata")).text
    assert "Language: English" in emma.message_with("Telegram id").content
    assert "StudentVoice — help" in (await emma.send("/help")).text
    assert (await emma.send("/cancel")).texts == ["There is nothing to cancel."]
    assert (await case_of(h, number)).state == "closed"

    seen = [*emma.saw(), *toasts]
    seen += [label for m in h.emu.bot_messages(emma.user.id) for label, _ in m.buttons()]
    assert [text for text in seen if CJK.search(text)] == []


async def test_consent_reminder_and_menu_in_english(harness: Harness) -> None:
    h = harness
    newcomer_en = newcomer(h, 1006, "Noah", language="en-GB")
    await newcomer_en.send("/start")
    declined = await newcomer_en.press("I do not agree")
    assert "nothing has been stored" in declined.text
    assert (await newcomer_en.send("/new")).texts == [
        "Please send /start and agree to the privacy notice first. "
        "Until then only /help is available."
    ]
    await newcomer_en.send("/start")
    agreed = await newcomer_en.press("I agree")
    assert "Choose your language" in agreed.text
    assert agreed.buttons() == ["中文", "English"]
