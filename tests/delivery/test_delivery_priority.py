"""Urgency: a running broadcast never stands between a student and the answer they wait for."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event, func, insert, select
from sqlmodel import col

from bot.app.runtime import App
from bot.cases.actions import apply_action
from bot.delivery import notify
from bot.devkit.emulator import BotAPIEmulator
from bot.domain.workflow import Action, Actor, Role
from storage.crud import cases as cases_crud
from storage.crud import outbox as outbox_crud
from storage.models import Case, OutboxMessage, User
from storage.types import utcnow
from tests.support.delivery_helpers import (
    delivered,
    eventually,
    limits,
    queue,
    refused,
    strict,
    texts,
)
from tests.support.harness import OFFICER_ID, OFFICERS_CHAT
from tests.support.officer_helpers import case_of, officer_harness, seed_case, seed_student

FOLLOWERS = 8_000_000


async def follow(app: App, emu: BotAPIEmulator, case_id: int, count: int) -> None:
    """`count` students follow the case ("我也遇到")."""
    ids = [FOLLOWERS + n for n in range(count)]
    async with app.session_factory.begin() as session:
        people = [{"id": uid, "first_name": f"F{uid}", "created_at": utcnow()} for uid in ids]
        await session.execute(insert(User), people)
        await cases_crud.add_followers(session=session, case_id=case_id, user_ids=ids)
    for uid in ids:
        emu.add_user(uid, f"F{uid}", started=True)


async def test_a_broadcast_to_thousands_is_one_transaction_of_bulk_rows(
    emulator: BotAPIEmulator, database_url: str
) -> None:
    async with officer_harness(emulator, database_url, worker=False) as h:
        app = h.app
        assert app is not None
        alice = await seed_student(h, 1001, "Alice")
        case = await case_of(h, await seed_case(h, alice))
        assert case.id is not None
        await follow(app, h.emu, case.id, 3000)
        async with app.session_factory() as session:
            queued_before = await session.scalar(select(func.max(OutboxMessage.id)))

        statements: list[str] = []
        commits: list[bool] = []

        def on_execute(*args: Any) -> None:
            statements.append(str(args[2]))

        engine = app.engine.sync_engine
        event.listen(engine, "before_cursor_execute", on_execute)
        event.listen(engine, "commit", lambda *_: commits.append(True))
        try:
            async with app.session_factory.begin() as session:
                await apply_action(
                    session=session,
                    services=app.services,
                    case_id=case.id,
                    action=Action.ACCEPT,
                    actor=Actor(OFFICER_ID, Role.OFFICER, OFFICERS_CHAT),
                )
        finally:
            event.remove(engine, "before_cursor_execute", on_execute)
        inserts = [s for s in statements if s.lstrip().upper().startswith("INSERT INTO OUTBOX")]
        assert len(commits) == 1
        assert 1 <= len(inserts) <= 5  # thousands of rows, a handful of statements

        async with app.session_factory() as session:
            accepted = select(OutboxMessage).where(col(OutboxMessage.id) > (queued_before or 0))
            rows = [r for r in await session.scalars(accepted) if r.kind == "send"]
        assert len(rows) == 3001
        by_priority = {r.recipient_user_id == alice.id: r.priority for r in rows}
        assert by_priority == {True: notify.NORMAL, False: notify.BULK}


async def test_a_confirmation_overtakes_a_running_broadcast(
    emulator: BotAPIEmulator, database_url: str
) -> None:
    """300 followers notified at twice Telegram's pace; a student's acknowledgement queued
    mid-way goes out ahead of what is left, and a student talking to the bot meanwhile gets
    answers, none refused."""
    settings = limits(2)
    emulator.policy = strict(settings)
    async with officer_harness(emulator, database_url, **settings) as h:
        app = h.app
        assert app is not None
        alice, bob = await seed_student(h, 1001, "Alice"), await seed_student(h, 1002, "Bob")
        number = await seed_case(h, alice)
        case = await case_of(h, number)
        assert case.id is not None
        await follow(app, h.emu, case.id, 300)

        async with app.session_factory.begin() as session:
            fresh = await session.get(Case, case.id)
            assert fresh is not None
            rows = await notify.to_audience(
                session=session, services=app.services, case=fresh, template="student/accepted.html"
            )
            await outbox_crud.enqueue(session=session, messages=rows)
        app.worker.wake()

        def broadcast_sent() -> int:
            return sum(1 for r in h.emu.requests if r.ok and r.chat_id and r.chat_id >= FOLLOWERS)

        await eventually(lambda: broadcast_sent() >= 50, what="the broadcast under way")
        before = broadcast_sent()
        await queue(app, texts(bob.id, ["已收到你的补充材料。"], priority=notify.INTERACTIVE))
        await eventually(lambda: "已收到你的补充材料。" in delivered(h.emu, bob.id), what="it")
        overtaken = broadcast_sent() - before
        await bob.send("/help")
        await h.driver.fetch()  # taken in and handled while the broadcast goes on
        await h.driver.handle()
        await eventually(lambda: broadcast_sent() == 300, within=30, what="the whole broadcast")

        assert overtaken <= 10  # what was already in flight, not what was queued
        assert len(delivered(h.emu, bob.id)) >= 2  # /help was answered mid-broadcast
        assert refused(h.emu) == []
