"""A confirmation goes from the transaction that queues it straight to the running worker."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlmodel import col

from bot.app.runtime import App
from bot.delivery import notify
from bot.devkit.emulator import BotAPIEmulator
from storage.crud import outbox as outbox_crud
from storage.models import OutboxMessage
from tests.support.delivery_helpers import delivered, eventually, limits, queue, texts
from tests.support.officer_helpers import OfficerHarness, officer_harness, seed_student

FOLLOWER = 7_100_000


pytestmark = pytest.mark.harness(**limits(10))


async def rows_of(app: App, chat_id: int) -> list[OutboxMessage]:
    async with app.session_factory() as session:
        found = await session.scalars(
            select(OutboxMessage)
            .where(col(OutboxMessage.chat_id) == chat_id)
            .order_by(col(OutboxMessage.id))
        )
        return list(found)


async def test_a_confirmation_is_the_workers_the_moment_it_commits(harness: OfficerHarness) -> None:
    h = harness
    assert h.app is not None
    student = await seed_student(h, 7001, "Amy")
    async with h.app.session_factory.begin() as session:
        await outbox_crud.enqueue(
            session=session,
            messages=texts(student.id, ["已收到"], priority=notify.INTERACTIVE),
        )
    # Claimed in the transaction that queued it: in a lane as the commit returns (or, the
    # worker being quick, already on its way), before the worker could have looked for it.
    (row,) = await rows_of(h.app, student.id)
    assert row.claimed_by == h.app.worker.id
    assert h.app.worker.held == 1 or row.status != "pending"
    await eventually(lambda: delivered(h.emu, student.id) == ["已收到"], what="the answer")


async def test_a_confirmation_rolled_back_is_never_sent(harness: OfficerHarness) -> None:
    h = harness
    assert h.app is not None
    student = await seed_student(h, 7002, "Bo")
    with pytest.raises(RuntimeError):
        async with h.app.session_factory.begin() as session:
            await outbox_crud.enqueue(
                session=session,
                messages=texts(student.id, ["不该发出"], priority=notify.INTERACTIVE),
            )
            raise RuntimeError("the handler failed after queuing")
    await queue(h.app, texts(student.id, ["之后这条"], priority=notify.INTERACTIVE))
    await eventually(lambda: delivered(h.emu, student.id) == ["之后这条"], what="the answer")
    await h.settle()
    assert delivered(h.emu, student.id) == ["之后这条"]
    assert h.app.worker.held == 0


async def test_a_confirmation_waits_behind_an_earlier_message_of_its_chat(
    harness: OfficerHarness,
) -> None:
    """An earlier message told to wait (a 429, a retry): the next one queued for the same chat
    is not handed over past it, and both go out in order once it is due."""
    h = harness
    assert h.app is not None
    app = h.app
    student = await seed_student(h, 7003, "Cy")
    soon = app.services.now() + timedelta(seconds=1)
    async with app.session_factory.begin() as session:
        await outbox_crud.enqueue(
            session=session,
            messages=texts(student.id, ["第一条"], priority=notify.INTERACTIVE),
            now=soon,
        )
        await outbox_crud.enqueue(
            session=session,
            messages=texts(student.id, ["第二条"], priority=notify.INTERACTIVE),
        )
    first, second = await rows_of(app, student.id)
    # Not due yet, and behind it: both left for an ordinary claim, in lane order.
    assert first.claimed_by is None and second.claimed_by is None
    await eventually(
        lambda: delivered(h.emu, student.id) == ["第一条", "第二条"],
        what="both, in order",
    )


async def test_a_broadcast_is_claimed_in_a_few_refills_not_a_claim_per_message(
    emulator: BotAPIEmulator, database_url: str
) -> None:
    async with officer_harness(emulator, database_url, **limits(1)) as h:
        assert h.app is not None
        students = [FOLLOWER + n for n in range(100)]
        for uid in students:
            h.emu.add_user(uid, f"S{uid}", started=True)
        claims_before = h.app.worker._claims
        await queue(
            h.app,
            [r for uid in students for r in texts(uid, ["通知"], priority=notify.BULK)],
        )
        await eventually(
            lambda: all(delivered(h.emu, uid) == ["通知"] for uid in students),
            what="the broadcast",
        )
        # Lanes are refilled when half empty (the limit is 30/s: two seconds' worth held).
        assert h.app.worker._claims - claims_before <= 15
