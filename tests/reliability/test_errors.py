"""A handler's bug: the person gets a short apology with a reference, the admins the reference
and the traceback in private (not one per error), and the bot goes on."""

from __future__ import annotations

import re

import pytest

from bot.cases import actions as cases_service
from storage.crud import inbox as inbox_crud
from tests.support.harness import ADMIN_ID, Harness
from tests.support.officer_helpers import (
    ACCEPT,
    alice_with_case,
    card,
    case_of,
    seed_case,
)

REFERENCE = re.compile(r"E-[0-9A-F]{6}")


async def test_a_crashing_press_is_apologised_for_and_reported_once(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    h = harness
    assert h.officer is not None and h.admin is not None and h.app is not None
    h.admin.profile.started = True  # an admin who has a private chat with the bot
    alice, number = await alice_with_case(h)
    other = await seed_case(h, alice, "宿舍楼热水供应不稳定，经常没有热水。")

    async def broken(**_: object) -> None:
        raise ValueError("秘密内容 that must not be logged")

    monkeypatch.setattr(cases_service, "apply_action", broken)
    for target in (number, other):
        query = await h.officer.press(card(h, target), ACCEPT)
        await h.settle()
        toast, alert = h.emu.callback_answers[query]
        assert alert and toast is not None and "系统出错" in toast
        assert REFERENCE.search(toast)

    reports = [m.text or "" for m in h.emu.bot_messages(ADMIN_ID)]
    assert len(reports) == 1, "one report, not one per error"
    assert REFERENCE.search(reports[0]) and "ValueError" in reports[0]
    assert "Traceback" in reports[0]
    assert (await case_of(h, number)).state == "submitted"  # nothing half-done

    monkeypatch.undo()  # the next press works: the bot went on, the update is not retried
    await h.officer.press(card(h, number), ACCEPT)
    await h.settle()
    assert (await case_of(h, number)).state == "accepted"
    async with h.app.session_factory() as session:
        assert await inbox_crud.waiting(session=session) == []


async def test_a_crashing_message_gets_an_apology_in_the_chat(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    h = harness
    student = await h.student(2001, "Bea")

    def broken(*_: object, **__: object) -> str:
        raise RuntimeError("template exploded")

    monkeypatch.setattr(h.app.services.renderer, "render", broken)  # type: ignore[union-attr]
    await student.send("/help")
    await h.settle()
    monkeypatch.undo()
    apology = h.last(student).text or ""
    assert "系统出错" in apology and REFERENCE.search(apology)
