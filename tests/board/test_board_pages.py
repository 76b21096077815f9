"""The public board's pages over real HTTP, without a browser: the list and its filters and
search, one proposal, the public concerns and the town halls, English, 404s, and nothing
personal, internal or sensitive anywhere."""

from __future__ import annotations

import re

import aiohttp
import pytest
from sqlalchemy import update
from sqlmodel import col

from storage.models import Proposal
from tests.support import board_lists_helpers as lists
from tests.support.board_helpers import (
    ANSWER,
    CANTEEN_TITLE,
    DRAFT_TITLE,
    LIBRARY_TITLE,
    PERSONAL,
    SENSITIVE_TITLE,
    seed_board,
    serving_board,
)
from tests.support.officer_helpers import OfficerHarness, seed_student
from tests.support.student_helpers import settle

pytestmark = pytest.mark.harness(board_enabled=True)


async def get(url: str) -> tuple[int, str]:
    async with aiohttp.ClientSession() as client, client.get(url) as response:
        return response.status, await response.text()


def assert_public_only(body: str) -> None:
    for secret in (*PERSONAL, DRAFT_TITLE, SENSITIVE_TITLE):
        assert secret not in body, secret


def listed(body: str) -> list[str]:
    return re.findall(r'data-number="([^"]+)"', body)


async def test_the_board_lists_registered_proposals_and_filters_them(
    harness: OfficerHarness,
) -> None:
    seeded = await seed_board(harness)
    async with serving_board(harness) as base:
        status, body = await get(f"{base}/board")
        assert status == 200
        assert sorted(listed(body)) == sorted([seeded.library, seeded.canteen])
        assert LIBRARY_TITLE in body and CANTEEN_TITLE in body and "已立案" in body
        assert "心理健康" not in body  # a sensitive category is not even a filter
        assert_public_only(body)
        # The same list under its own name.
        assert listed((await get(f"{base}/board/proposals"))[1]) == listed(body)

        async def numbers(query: str) -> list[str]:
            status, body = await get(f"{base}/board/proposals?{query}")
            assert status == 200
            assert_public_only(body)
            return listed(body)

        assert await numbers("category=logistics") == [seeded.canteen]
        assert await numbers("department=library") == [seeded.library]
        assert await numbers("state=answered") == [seeded.library]
        assert await numbers("state=accepted") == [seeded.canteen]
        assert await numbers("department=library&category=logistics") == []
        # A value the board does not offer is dropped, never searched for.
        assert sorted(await numbers("category=wellbeing&state=draft")) == sorted(
            [seeded.library, seeded.canteen]
        )
        # Search: a long word (the trigram index), a two-character one, and none found.
        assert await numbers("q=考试周开放") == [seeded.library]
        assert await numbers("q=夜宵") == [seeded.canteen]
        assert await numbers("q=热水") == []
        assert await numbers("q=心理咨询") == []
        assert await numbers("q=夜宵&department=library") == []


async def test_a_proposal_page_shows_its_answer_and_public_timeline_only(
    harness: OfficerHarness,
) -> None:
    seeded = await seed_board(harness)
    async with serving_board(harness) as base:
        status, body = await get(f"{base}/board/proposals/{seeded.library}")
        assert status == 200
        assert LIBRARY_TITLE in body and ANSWER in body
        assert "图书馆" in body  # the handling department
        assert "支持" in body and "办理进程" in body
        assert_public_only(body)

        status, body = await get(f"{base}/board/proposals/{seeded.canteen}")
        assert status == 200 and CANTEEN_TITLE in body
        assert_public_only(body)


async def test_english_pages_keep_their_language_in_links(harness: OfficerHarness) -> None:
    seeded = await seed_board(harness)
    async with serving_board(harness) as base:
        status, body = await get(f"{base}/board?lang=en")
        assert status == 200
        assert "Registered proposals" in body and "lang=en" in body
        assert f"/board/proposals/{seeded.library}?lang=en" in body
        status, body = await get(f"{base}/board/proposals/{seeded.library}?lang=en")
        assert status == 200 and "Timeline" in body and 'lang="en"' in body
        assert_public_only(body)
        # An unknown language falls back to Chinese.
        assert "已立案" in (await get(f"{base}/board?lang=xx"))[1]


async def test_what_is_not_public_is_not_found(harness: OfficerHarness) -> None:
    seeded = await seed_board(harness)
    async with serving_board(harness) as base:
        for path in (
            f"/board/proposals/{seeded.unregistered}",
            f"/board/proposals/{seeded.sensitive}",
            "/board/proposals/P-0000-9999",
            "/board/nothing",
            f"/board/nothing/{seeded.library}",
        ):
            status, body = await get(base + path)
            assert status == 404, path
            assert_public_only(body)


@pytest.mark.harness(board_enabled=False)
async def test_the_board_is_served_only_when_enabled(harness: OfficerHarness) -> None:
    async with serving_board(harness) as base:
        assert (await get(f"{base}/board"))[0] == 404
        assert (await get(f"{base}/healthz"))[0] == 200


async def test_pages_escape_what_people_wrote(harness: OfficerHarness) -> None:
    seeded = await seed_board(harness)
    assert harness.app is not None
    async with harness.app.session_factory.begin() as session:
        await session.execute(
            update(Proposal)
            .where(col(Proposal.title) == CANTEEN_TITLE)
            .values(problem='<script>alert("x")</script>')
        )
    async with (
        serving_board(harness) as base,
        aiohttp.ClientSession() as client,
        client.get(f"{base}/board/proposals/{seeded.canteen}") as response,
    ):
        body = await response.text()
        headers = response.headers
        assert "<script>" not in body and "&lt;script&gt;" in body
        # Should escaping ever fail, the browser still runs no script of the page's.
        assert "default-src 'none'" in headers["Content-Security-Policy"]
        assert headers["Content-Type"].startswith("text/html")


def assert_no_one_in(body: str) -> None:
    for secret in lists.PERSONAL:
        assert secret not in body, secret
    assert "SENS-1200" not in body and "拒绝了的公开措辞" not in body


async def test_the_public_concerns_are_listed_filtered_and_searched_by_public_wording(
    harness: OfficerHarness,
) -> None:
    seeded = await lists.seed_lists(harness)
    async with serving_board(harness) as base:
        status, body = await get(f"{base}/board/concerns")
        assert status == 200
        # The latest published first; nothing requested, declined or sensitive.
        assert listed(body) == [seeded.rice, seeded.vending]
        assert lists.VENDING_PUBLIC in body and lists.RICE_PUBLIC in body
        assert "心理健康" not in body
        assert_no_one_in(body)

        async def numbers(query: str) -> list[str]:
            status, body = await get(f"{base}/board/concerns?{query}")
            assert status == 200
            assert_no_one_in(body)
            return listed(body)

        assert await numbers("category=dormitory") == [seeded.vending]
        assert await numbers("state=answered") == [seeded.vending]
        assert await numbers("state=submitted") == [seeded.rice]
        assert await numbers("category=wellbeing") == [seeded.rice, seeded.vending]
        assert await numbers("q=售货机") == [seeded.vending]
        assert await numbers("q=夹生&category=logistics") == [seeded.rice]
        assert await numbers(f"q={seeded.rice}") == [seeded.rice]
        # The students' own words are never searched: that would tell what the public wording
        # left out.
        # (The search box echoes what was typed, so only the list is looked at.)
        for words in ("吞钱", "PRIV-8812", "吃坏了肚子", "SENS-1200"):
            status, body = await get(f"{base}/board/concerns?q={words}")
            assert status == 200 and listed(body) == [], words


async def test_a_concern_page_shows_its_public_wording_answer_and_timeline_only(
    harness: OfficerHarness,
) -> None:
    seeded = await lists.seed_lists(harness)
    async with serving_board(harness) as base:
        status, body = await get(f"{base}/board/concerns/{seeded.vending}")
        assert status == 200
        assert lists.VENDING_PUBLIC in body and lists.CONCERN_ANSWER in body
        assert "后勤" in body and "宿舍住宿" in body  # its department and category
        assert "办理进程" in body and "已公开" in body
        assert 'class="state state-answered"' in body and ": 2<" in body
        assert_no_one_in(body)
        status, body = await get(f"{base}/board/concerns/{seeded.vending}?lang=en")
        assert status == 200 and "Timeline" in body and "Made public" in body
        assert "Dormitory" in body
        assert_no_one_in(body)
        for number in (seeded.requested, seeded.declined, seeded.sensitive, "G-0000-9999"):
            status, body = await get(f"{base}/board/concerns/{number}")
            assert status == 404, number
            assert_no_one_in(body)


async def test_town_halls_show_approved_questions_by_votes_and_never_an_asker(
    harness: OfficerHarness,
) -> None:
    seeded = await lists.seed_lists(harness)
    async with serving_board(harness) as base:
        status, body = await get(f"{base}/board/townhalls")
        assert status == 200
        assert listed(body) == [str(seeded.town_hall)]
        assert lists.TOWNHALL_TITLE in body and "行政楼三楼报告厅" in body and "教务处" in body
        assert_no_one_in(body)

        status, body = await get(f"{base}/board/townhalls/{seeded.town_hall}")
        assert status == 200
        first, second = (body.index(question) for question in lists.QUESTIONS)
        assert first < second  # three votes before one
        assert lists.TOWNHALL_ANSWER in body and lists.LEADER in body
        assert "3 票" in body
        assert "sealed-asker-blob" not in body and "tag-" not in body
        assert_no_one_in(body)
        assert "Answered by" in (await get(f"{base}/board/townhalls/{seeded.town_hall}?lang=en"))[1]
        # Votes are cast in the bot, one per person: the page links into it.
        link = re.search(r'href="https://t\.me/(\w+)\?start=(townhall_\d+)"', body)
        assert link is not None and link.group(2) == f"townhall_{seeded.town_hall}"
        for path in ("/board/townhalls/999999", "/board/townhalls/x1", "/board/townhalls/-1"):
            assert (await get(base + path))[0] == 404, path
    student = await seed_student(harness, 3101, "Wendy")
    await student.send(f"/start {link.group(2)}")
    await settle(harness)
    shown = harness.last(student)
    assert lists.QUESTIONS[0] in shown.content and lists.QUESTIONS[1] in shown.content
    assert any("👍" in label for label, _ in shown.buttons())
