"""The outbox and its worker: nothing lost in a crash, Telegram's errors handled as they mean."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from bot.delivery.errors import BACKOFF_CAP, JITTER, attempts_for
from bot.devkit.emulator import BotAPIEmulator, FaultPolicy, SimUser
from bot.devkit.scenario import CASE_NUMBER
from storage.crud import claims as claims_crud
from storage.crud import outbox as outbox_crud
from storage.models import OutboxMessage
from storage.types import utcnow
from tests.support.harness import DEFAULT_TEXT, OFFICERS_CHAT, Harness
from tests.support.officer_helpers import (
    ACCEPT,
    SIGNATURE,
    advance,
    alice_with_case,
    card,
    freeze_clock,
    officer_harness,
    outbox,
    press,
    received,
    reply_to_card,
    requests_to,
    seed_case,
    seed_student,
    sends_to,
)


@pytest.fixture
def faults(emulator: BotAPIEmulator) -> FaultPolicy:
    policy = FaultPolicy()
    emulator.policy = policy
    return policy


async def follow_retries(
    h: Harness,
    clock: list[datetime],
    user_id: int,
    at_most: int,
    *,
    done: Callable[[OutboxMessage], bool],
) -> tuple[OutboxMessage, list[float]]:
    """Move the clock to each retry of the user's latest outbox row (at most `at_most` times)
    until `done` says so; the row as last seen, and the waits before each retry."""
    waits: list[float] = []
    for _ in range(at_most):
        row = (await outbox(h, recipient_user_id=user_id))[-1]
        if done(row):
            break
        waits.append((row.next_attempt_at - clock[0]).total_seconds())
        advance(clock, seconds=waits[-1])
        await h.settle()
    return row, waits


async def _submit_with_delivery_down(h: Harness, student: SimUser) -> None:
    """The /new dialogue up to its preview, then 提交 pressed while nothing is delivered: the
    case commits, everything said about it stays in the outbox."""
    await student.send("/new")
    await h.settle()
    for button in ("权益诉求", "后勤餐饮"):
        await student.press(h.last(student), button)
        await h.settle()
    await student.send(DEFAULT_TEXT)
    await h.settle()
    await student.press(h.last(student), 0)  # no attachments
    await h.settle()
    await student.press(h.last(student), 0)  # under my name
    await h.settle()
    await h.driver.close()  # the delivery worker goes down
    h.driver.delivering = False
    await student.press(h.last(student), 0)  # 提交
    await h.settle()


async def test_a_crash_between_commit_and_send_loses_nothing(
    emulator: BotAPIEmulator, database_url: str
) -> None:
    async with officer_harness(emulator, database_url) as h:
        alice = await h.student(1001, "Alice")
        await _submit_with_delivery_down(h, alice)
        assert not any(CASE_NUMBER.search(t) for t in received(h, alice))
        # The confirmation, the card, the press's answer and the preview's keyboard removed.
        pending = [r for r in await outbox(h) if r.status == "pending"]
        assert {(r.kind, r.method) for r in pending} >= {
            ("send", "sendMessage"),
            ("card", "card"),
            ("send", "answerCallbackQuery"),
        }

    async with officer_harness(emulator, database_url, reset=False, grant_officer=False) as h:
        await h.settle()
        found = CASE_NUMBER.search(h.last(alice).text or "")
        assert found is not None, "the student is told the case number after the restart"
        number = found.group(0)
        assert "待受理" in (card(h, number).text or "")
        assert {r.status for r in await outbox(h)} == {"sent"}
        await press(h, number, ACCEPT)  # and the restarted bot works the case as usual
        assert "已受理" in (card(h, number).text or "")


async def test_a_row_claimed_by_a_process_that_died_is_sent_after_restart(
    emulator: BotAPIEmulator, database_url: str
) -> None:
    async with officer_harness(emulator, database_url) as h:
        alice = await h.student(1001, "Alice")
        await _submit_with_delivery_down(h, alice)
        assert h.app is not None
        async with h.app.session_factory.begin() as session:
            claimed = await claims_crud.claim_due(
                session=session,
                limit=10,
                now=h.app.services.now(),
                worker="dead",
                heartbeat=utcnow() - timedelta(minutes=5),
            )
        assert len(claimed) >= 2
        assert {r.status for r in await outbox(h) if r.id in {c.id for c in claimed}} == {"sending"}
        # ... and the process dies before sending anything, its claims going stale.

    async with officer_harness(emulator, database_url, reset=False, grant_officer=False) as h:
        await h.settle()
        confirmations = [t for t in received(h, alice) if "编号" in t]
        assert len(confirmations) == 1
        cards = [m for m in h.emu.bot_messages(OFFICERS_CHAT) if "待受理" in (m.text or "")]
        assert len(cards) == 1
        assert {r.status for r in await outbox(h)} == {"sent"}


async def test_restart_releases_only_what_a_dead_process_had_claimed(
    emulator: BotAPIEmulator, database_url: str
) -> None:
    """Claims renewed recently belong to a live worker (this one, or another instance): taking
    them back would send their messages twice. Only stale claims are released."""
    async with officer_harness(emulator, database_url, worker=False) as h:
        assert h.app is not None
        students = [await seed_student(h, 1001 + n, f"S{n}") for n in range(3)]
        async with h.app.session_factory.begin() as session:
            await outbox_crud.enqueue(
                session=session,
                messages=[
                    OutboxMessage(chat_id=s.id, payload={"chat_id": s.id, "text": "x"})
                    for s in students
                ],
            )
        claims = {}
        for worker, age in (("dead", 60), ("alive", 0), (h.app.worker.id, 0)):
            async with h.app.session_factory.begin() as session:
                (row,) = await claims_crud.claim_due(
                    session=session,
                    limit=1,
                    now=h.app.services.now(),
                    worker=worker,
                    heartbeat=utcnow() - timedelta(seconds=age),
                )
            claims[worker] = row.id

        assert await h.app.worker.recover() == 1
        statuses = {r.id: r.status for r in await outbox(h)}
        assert statuses[claims["dead"]] == "pending"
        assert statuses[claims["alive"]] == statuses[claims[h.app.worker.id]] == "sending"


async def test_rate_limit_retry_after_is_respected_and_order_kept(
    harness: Harness, faults: FaultPolicy
) -> None:
    h = harness
    alice, number = await alice_with_case(h)
    clock = freeze_clock(h)
    await press(h, number, ACCEPT)
    since = len(h.emu.requests)
    faults.rate_limit("sendMessage", retry_after=7)

    await reply_to_card(h, number, "第一段。" + "很长的回复。" * 700)  # two messages

    attempts = sends_to(h, alice.id, since)
    assert [r.error_code for r in attempts] == [429]
    rows = [r for r in await outbox(h, recipient_user_id=alice.id) if r.status == "pending"]
    assert len(rows) == 2  # the second part waits too, or it would arrive first
    assert min(r.next_attempt_at for r in rows) >= clock[0] + timedelta(seconds=7)

    advance(clock, seconds=6)
    await h.settle()
    assert len(sends_to(h, alice.id, since)) == 1  # not a second earlier

    advance(clock, seconds=1)
    await h.settle()
    delivered = [m.text or "" for m in h.emu.bot_messages(alice.id) if m.created_mark >= since]
    assert len(delivered) == 2
    assert "第一段。" in delivered[0] and SIGNATURE in delivered[1]
    assert all(r.ok for r in sends_to(h, alice.id, since)[1:])
    assert {r.status for r in await outbox(h, recipient_user_id=alice.id)} == {"sent"}


async def test_server_errors_are_retried_with_backoff_then_given_up(
    emulator: BotAPIEmulator, database_url: str, faults: FaultPolicy
) -> None:
    """Given up once the configured horizon (here 36 s) has passed, not before."""
    hours = 0.01
    async with officer_harness(emulator, database_url, delivery_retry_hours=hours) as h:
        alice, number = await alice_with_case(h)
        clock = freeze_clock(h)
        since = len(h.emu.requests)
        tries = attempts_for(hours)
        faults.fail("sendMessage", times=tries + 5, code=500, description="Internal Server Error")

        await reply_to_card(h, number, "这条消息送不到。")

        row, delays = await follow_retries(
            h, clock, alice.id, tries + 3, done=lambda row: row.status == "failed"
        )
        attempts = sends_to(h, alice.id, since)
        assert [r.error_code for r in attempts] == [500] * tries  # bounded
        assert row.status == "failed" and row.attempts == tries - 1
        assert sum(delays) >= hours * 3600  # not before the horizon
        assert delays == sorted(delays) and delays[0] > 0 and delays[-1] > 4 * delays[0]
        assert "这条消息送不到。" not in "".join(received(h, alice))


async def test_an_outage_of_an_hour_loses_nothing(harness: Harness, faults: FaultPolicy) -> None:
    """Telegram answers 5xx for over an hour (17 tries; six used to be the end, 15 s in): the
    waits grow to ten minutes at most, and the message arrives once it is back."""
    h = harness
    alice, number = await alice_with_case(h)
    clock = freeze_clock(h)
    since = len(h.emu.requests)
    faults.fail("sendMessage", times=17, code=500, description="Internal Server Error")

    await reply_to_card(h, number, "已整改。")
    row, waited = await follow_retries(
        h, clock, alice.id, 25, done=lambda row: row.status != "pending"
    )

    assert row.status == "sent"
    assert [r.error_code for r in sends_to(h, alice.id, since)] == [500] * 17 + [None]
    assert sum(waited) > 3600 and max(waited) <= BACKOFF_CAP * JITTER[1]
    assert len([t for t in received(h, alice) if "已整改。" in t]) == 1


async def test_a_transient_server_error_is_retried_until_it_goes_through(
    harness: Harness, faults: FaultPolicy
) -> None:
    h = harness
    alice, number = await alice_with_case(h)
    clock = freeze_clock(h)
    since = len(h.emu.requests)
    faults.fail("sendMessage", times=2, code=502, description="Bad Gateway")

    await reply_to_card(h, number, "已整改。")
    for _ in range(2):
        advance(clock, seconds=60)
        await h.settle()

    assert [r.error_code for r in sends_to(h, alice.id, since)] == [502, 502, None]
    answers = [t for t in received(h, alice) if "已整改。" in t]
    assert len(answers) == 1


async def test_message_is_not_modified_is_harmless(harness: Harness, faults: FaultPolicy) -> None:
    h = harness
    alice, number = await alice_with_case(h)
    faults.fail(
        "editMessageText",
        description="Bad Request: message is not modified: specified new message content and "
        "reply markup are exactly the same as a current content and reply markup of the message",
    )
    await press(h, number, ACCEPT)

    refresh = (await outbox(h, kind="card"))[-1]
    assert refresh.status == "sent" and refresh.attempts == 0
    assert faults.injected == [("editMessageText", 400)]
    assert len([r for r in requests_to(h, OFFICERS_CHAT) if r.method == "editMessageText"]) == 1
    assert "受理" in received(h, alice)[-1]  # the rest of the move is unaffected


async def test_a_request_telegram_rejects_is_not_retried(
    harness: Harness, faults: FaultPolicy
) -> None:
    h = harness
    alice, number = await alice_with_case(h)
    since = len(h.emu.requests)
    faults.fail("sendMessage", description="Bad Request: chat not found")
    await reply_to_card(h, number, "你好")
    await h.settle()
    assert [r.error_code for r in sends_to(h, alice.id, since)] == [400]
    row = (await outbox(h, recipient_user_id=alice.id))[-1]
    assert (row.status, row.last_error) == ("failed", "Bad Request: chat not found")
    # The officers hear of it in the case's thread.
    warning = h.last(h.group)
    assert number in (warning.text or "") and "chat not found" in (warning.text or "")
    assert warning.reply_to_message_id == card(h, number).message_id


async def test_a_403_to_a_student_stops_at_once_and_the_thread_says_so(harness: Harness) -> None:
    """Blocked without the bot being told: the first refusal ends it, no retry."""
    h = harness
    alice, number = await alice_with_case(h)
    alice.profile.blocked = True
    since = len(h.emu.requests)

    await reply_to_card(h, number, "请问是哪一天？")
    assert [r.error_code for r in sends_to(h, alice.id, since)] == [403]
    row = (await outbox(h, recipient_user_id=alice.id))[-1]
    assert (row.status, row.attempts) == ("failed", 0)
    warning = h.last(h.group)
    assert number in (warning.text or "") and "bot was blocked by the user" in (warning.text or "")
    assert warning.reply_to_message_id == card(h, number).message_id


async def test_rows_are_due_by_the_apps_clock_even_when_it_is_behind(harness: Harness) -> None:
    """Queued rows are stamped by the clock the worker goes by: with the app's clock set back
    (tests, a replayed day), what is queued now goes now, not when real time catches up."""
    h = harness
    alice = await seed_student(h, 1001, "Alice")
    freeze_clock(h, at=datetime(2026, 1, 5, 9, 0, tzinfo=UTC))
    number = await seed_case(h, alice)
    assert "待受理" in (card(h, number).text or "")
    assert {r.status for r in await outbox(h)} == {"sent"}
