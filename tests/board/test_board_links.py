"""With BOARD_URL set, the channel post of a registered proposal and the bot's own proposal
board (/proposals, and one proposal) link to its page on the web board, in the reader's
language; without it, they do not."""

from __future__ import annotations

from typing import Any

import pytest

from bot.devkit.emulator import SimMessage
from bot.domain.workflow import Action
from tests.support.officer_helpers import OfficerHarness, case_of, seed_student
from tests.support.proposal_helpers import (
    CHANNEL_ID,
    officer_act,
    seed_congress,
    seed_proposal,
    seed_representatives,
)
from tests.support.student_helpers import Talk

BOARD_URL = "https://union.example.edu/board/"
WEB = "🌐 在网页上查看"


def url_buttons(message: SimMessage) -> dict[str, Any]:
    rows = (message.reply_markup or {}).get("inline_keyboard") or []
    return {button["text"]: button.get("url") for row in rows for button in row}


async def registered(h: OfficerHarness) -> str:
    session_id = await seed_congress(h)
    alice, carol, dave = await seed_representatives(h, session_id, 1001, 1003, 1004)
    number = await seed_proposal(h, alice, cosigners=(carol, dave))
    await officer_act(h, number, Action.ACCEPT)
    return number


@pytest.mark.harness(channel=True, board_url=BOARD_URL)
async def test_the_channel_post_and_the_bot_link_to_the_web_board(
    harness: OfficerHarness,
) -> None:
    h = harness
    number = await registered(h)
    page = f"https://union.example.edu/board/proposals/{number}"
    (post,) = h.emu.bot_messages(CHANNEL_ID)
    assert url_buttons(post)[WEB] == page

    eve = Talk(h, await seed_student(h, 1005, "Eve"))
    listing = await eve.send("/proposals")
    assert url_buttons(listing.last)[WEB] == "https://union.example.edu/board/proposals"
    case_id = (await case_of(h, number)).id
    opened = await eve.send(f"/start proposal_{case_id}")
    assert url_buttons(opened.last)[WEB] == page


@pytest.mark.harness(channel=True)
async def test_without_a_board_url_there_is_no_web_link(harness: OfficerHarness) -> None:
    h = harness
    await registered(h)
    (post,) = h.emu.bot_messages(CHANNEL_ID)
    assert WEB not in url_buttons(post)
    eve = Talk(h, await seed_student(h, 1005, "Eve"))
    assert WEB not in url_buttons((await eve.send("/proposals")).last)
