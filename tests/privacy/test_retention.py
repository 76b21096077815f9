"""Retention as the people of a case notice it: a year after it was finished, the student's case
is gone from their list, its old buttons say why, and the officers' card no longer shows who
wrote it or what; live and recently finished cases, and messages still to be sent, stay."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlmodel import col

from bot.devkit.emulator.models import SimMessage
from storage.models import Attachment, CaseEvent, MessageLink, OutboxMessage
from storage.types import utcnow
from tests.support.cli_runner import run_cli_in_process as run_cli
from tests.support.digest_fixture import CST
from tests.support.harness import Harness
from tests.support.officer_helpers import advance, case_of, freeze_clock
from tests.support.student_helpers import (
    ANSWER_TEXT,
    Talk,
    answer,
    officer_press,
    seed_cases,
    student,
)

PURGED_NOTE = "内容已按保留期限删除"
COMMENT = "处理很及时，谢谢王老师！"


async def rated(h: Harness, talk: Talk) -> str:
    """A case of `talk`'s, accepted, answered and rated 满意 with a comment: closed."""
    (number,) = await seed_cases(h, talk, 1)
    await officer_press(h, number, "受理")
    await talk.photo("补充的照片", reply_to=talk.message_with(number))
    await answer(h, number)
    await talk.press("满意", talk.message_with("的答复"))
    await talk.send(COMMENT)
    return number


def list_button(talk: Talk, number: str) -> SimMessage:
    for message in reversed(talk.h.emu.bot_messages(talk.user.id)):
        if number in [text for text, _ in message.buttons()]:
            return message
    raise AssertionError(f"no list with {number}")


async def test_a_case_finished_a_year_ago_loses_its_people_and_text(harness: Harness) -> None:
    h = harness
    assert h.app is not None and h.app.jobs is not None
    # Mid-morning: the daily purge runs from 03:00 on.
    tomorrow = (utcnow() + timedelta(days=2)).astimezone(CST).date()
    clock = freeze_clock(h, datetime.combine(tomorrow, time(10), CST))
    alice = await student(h, 1001, "Alice")
    old = await rated(h, alice)
    await alice.send("/my")
    old_list = list_button(alice, old)
    assert h.card(old).content.count("Alice") >= 1 and COMMENT in h.card(old).content

    # Ten months on, Carol's case is finished; Bob's is still being handled.
    advance(clock, days=300)
    carol = await student(h, 1003, "Carol")
    recent = await rated(h, carol)
    bob = await student(h, 1002, "Bob")
    (live,) = await seed_cases(h, bob, 1)
    await officer_press(h, live, "受理")
    # A message about the old case still waiting for its chat (never sent, never deleted).
    async with h.app.session_factory.begin() as session:
        waiting = OutboxMessage(
            chat_id=-1009999,
            case_id=(await case_of(h, old)).id,
            payload={"text": "x"},
            next_attempt_at=clock[0] + timedelta(days=3650),
        )
        session.add(waiting)
    advance(clock, days=70)

    done = await h.app.jobs.retention(clock[0])
    assert done is not None and done.cases == 1
    await h.settle()

    gone = await case_of(h, old)
    assert (gone.submitter_id, gone.last_actor_id, gone.rating_comment, gone.text) == (
        None,
        None,
        None,
        "",
    )
    assert (gone.state, gone.rating, gone.purged_at) == ("closed", 3, clock[0])
    card = h.card(old).content
    assert PURGED_NOTE in card and "Alice" not in card and COMMENT not in card
    assert "王老师" not in card and "满意" in card  # the rating stays, who acted does not
    async with h.app.session_factory() as session:
        events = list(
            await session.scalars(select(CaseEvent).where(col(CaseEvent.case_id) == gone.id))
        )
        assert events and all(e.actor_id is None and e.text is None for e in events)
        assert not list(
            await session.scalars(select(Attachment).where(col(Attachment.case_id) == gone.id))
        )
        assert not list(
            await session.scalars(select(MessageLink).where(col(MessageLink.case_id) == gone.id))
        )
        about = list(
            await session.scalars(
                select(OutboxMessage).where(col(OutboxMessage.case_id) == gone.id)
            )
        )
    # Only what is still to be sent: the waiting message, and the card's redraw once sent is
    # gone with the next purge (it names nobody).
    assert [r.id for r in about if r.status == "pending"] == [waiting.id]
    assert all(ANSWER_TEXT not in str(r.payload) for r in about)

    # Alice's list no longer has it; her old button says why.
    listed = await alice.send("/my")
    assert old not in listed.text and "办结超过 365 天的反馈" in listed.text
    opened = await alice.press(old, old_list)
    assert opened.alert and opened.toast == "该反馈已超过保留期限，内容已删除。"

    # Bob's live case and Carol's, finished 70 days ago, keep everything.
    for number, who in ((live, 1002), (recent, 1003)):
        kept = await case_of(h, number)
        assert (kept.submitter_id, kept.purged_at) == (who, None) and kept.text
    assert (await case_of(h, recent)).rating_comment == COMMENT
    assert "Carol" in h.card(recent).content

    # Once a day: the same day again does nothing; the next day finds nothing left.
    assert await h.app.jobs.retention(clock[0] + timedelta(hours=1)) is None
    again = await h.app.jobs.retention(clock[0] + timedelta(days=1))
    assert again is not None and again.cases == 0
    assert (await case_of(h, old)).purged_at == clock[0]


@pytest.mark.harness(retention_days=200)
async def test_the_privacy_notice_states_the_period_from_the_setting(harness: Harness) -> None:
    h = harness
    alice = Talk(h, h.emu.add_user(1001, "Alice", language_code="zh-hans"))
    notice = await alice.send("/start")
    assert "反馈办结 200 天后，其中的个人信息将被删除" in notice.text


def test_purge_dry_run_changes_nothing_then_purge_does_it_once(
    tmp_path: Path, database_url: str
) -> None:
    import asyncio

    from tests.digest.test_digest_cli import prepare

    asyncio.run(prepare(database_url))
    env = {"DATABASE_URL": database_url, "RETENTION_DAYS": "1"}
    dry = run_cli(tmp_path, "purge", "--dry-run", **env)
    assert dry.returncode == 0, dry.stderr
    assert dry.stdout.startswith("would purge 3 cases") and "case_events: " in dry.stdout
    real = run_cli(tmp_path, "purge", **env)
    assert real.returncode == 0, real.stderr
    assert real.stdout.startswith("purged 3 cases")
    # The dry run's counts were exactly what went.
    assert real.stdout.splitlines()[1:] == dry.stdout.splitlines()[1:]
    assert run_cli(tmp_path, "purge", **env).stdout.startswith("purged 0 cases")
