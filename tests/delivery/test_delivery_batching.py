"""The officers' group under load: every new case is shown within a minute, edits coalesce."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from sqlalchemy import select
from sqlmodel import col

from bot.app.runtime import App
from bot.cases.actions import Draft, submit_case
from bot.delivery import batching, notify
from bot.delivery.limiter import GLOBAL, Limits, MemoryLimiter, Rate, chat_scopes
from bot.devkit.emulator import BotAPIEmulator
from storage.crud import outbox as outbox_crud
from storage.models import Case, OutboxMessage
from storage.types import utcnow
from tests.support.delivery_helpers import eventually, limits, refused, strict
from tests.support.harness import OFFICERS_CHAT
from tests.support.officer_helpers import (
    ACCEPT,
    card,
    officer_harness,
    seed_case,
    seed_student,
    user_of,
)

TELEGRAM = Limits(global_rate=Rate(30, 1.0), chat=Rate(3, 3.0), group=Rate(20, 60.0))
GROUP = -1001000000001
ANSWER_TIME = 0.2


async def simulate(
    arrivals: Sequence[float], edits: Sequence[float] = ()
) -> dict[str, list[float]]:
    """The group's lane in virtual time, deciding as the worker does (`batching.plan`, with the
    group's slot in hand). Edits (officers at work) sort before cases that came after them.
    When each case was first shown, and when each message went out."""
    now = [0.0]
    limiter = MemoryLimiter(TELEGRAM, clock=lambda: now[0])
    scopes = (*chat_scopes(GROUP), GLOBAL)
    group = TELEGRAM.group
    pending = sorted(
        [(t, "case", n) for n, t in enumerate(arrivals)] + [(t, "edit", -1) for t in edits]
    )
    waiting: list[tuple[float, str, int]] = []
    shown = [float("inf")] * len(arrivals)
    sent: list[float] = []

    def arrive() -> None:
        while pending and pending[0][0] <= now[0]:
            waiting.append(pending.pop(0))

    while pending or waiting:
        if not waiting:
            now[0] = max(now[0], pending[0][0])
        arrive()
        grant = await limiter.try_acquire(scopes, app_now=utcnow())
        if not grant.ok:
            now[0] += grant.wait
            continue
        arrive()
        cases = [w for w in waiting if w[1] == "case"]
        decided = batching.plan(
            head_new=waiting[0][1] == "case",
            waiting=len(cases),
            oldest_age=now[0] - cases[0][0] if cases else 0.0,
            available=await limiter.available(f"group:{GROUP}"),
            limit=group.limit,
            window=group.window,
        )
        edits_waiting = [w for w in waiting if w[1] == "edit"]
        if decided.action == "hold" and not edits_waiting:
            await limiter.release(grant, used=False)
            now[0] = min(now[0] + decided.hold, pending[0][0] if pending else float("inf"))
            continue
        chosen = {
            "other": waiting[:1],
            "card": cases[:1],
            "batch": cases[: batching.MAX_BATCH],
            "hold": edits_waiting[:1],
        }[decided.action]
        for item in chosen:
            waiting.remove(item)
            if item[1] == "case":
                shown[item[2]] = now[0] + ANSWER_TIME
        sent.append(now[0])
        now[0] += ANSWER_TIME
        await limiter.release(grant)
    return {"shown": shown, "sent": sent}


async def test_ten_new_cases_a_second_are_all_shown_within_a_minute() -> None:
    """Five minutes of 10 new cases a second, with officers editing a card every 10 seconds,
    at Telegram's real limits: nobody waits a minute, and the group never gets more than 20
    messages in a minute."""
    arrivals = [n / 10 for n in range(3000)]
    result = await simulate(arrivals, edits=[10.0 * n for n in range(1, 30)])
    waits = [shown - arrived for shown, arrived in zip(result["shown"], arrivals, strict=True)]
    assert max(waits) < 60
    sent = result["sent"]
    assert all(sent[k + 20] - sent[k] >= 60 for k in range(len(sent) - 20))
    assert len(sent) > 80  # it used the group's capacity rather than sitting on it


async def test_a_quiet_day_gets_a_card_for_every_case() -> None:
    arrivals = [7.0 * n for n in range(40)]
    result = await simulate(arrivals)
    assert len(result["sent"]) == 40  # one message per case: no batches


async def test_a_flood_of_new_cases_is_listed_and_a_listed_case_opens(
    emulator: BotAPIEmulator, database_url: str
) -> None:
    """60 cases at once against the group's real 20 messages a minute (other limits scaled
    up): every case appears in the officers' chat, nothing is refused, and a listed case's
    card — with the photo that waited for it — comes when an officer asks for it."""
    settings = limits(10, group_per_minute=20)
    emulator.policy = strict(settings)
    async with officer_harness(emulator, database_url, **settings) as h:
        assert h.app is not None
        students = [await seed_student(h, 5000 + n, f"S{n}") for n in range(60)]
        numbers = []
        async with h.app.session_factory.begin() as session:
            for n, student in enumerate(students):
                user = await user_of(session, student)
                draft = Draft(
                    kind="grievance",
                    category="logistics",
                    text=f"第{n}号：食堂二楼的饭菜出现异物，希望加强检查。",
                    anonymous=False,
                    attachments=[{"kind": "photo", "file_id": f"photo-{n}"}] if n % 10 == 5 else [],
                )
                case = await submit_case(
                    session=session, services=h.app.services, submitter=user, draft=draft
                )
                numbers.append(case.number)
        h.app.worker.wake()
        await h.settle()

        group = [m.text or m.caption or "" for m in h.emu.bot_messages(OFFICERS_CHAT)]
        assert all(any(number in text for text in group) for number in numbers)
        batches = [t for t in group if t.startswith("📥")]
        assert batches, "a flood this size is listed, not carded one by one"
        assert refused(h.emu) == []

        # A listed case with a photo: the photo waits for the card, which comes on request.
        listed = next(numbers[n] for n in range(5, 60, 10) if any(numbers[n] in t for t in batches))
        assert not [t for t in group if t == listed]  # no photo captioned with its number yet
        batch = next(m for m in h.emu.bot_messages(OFFICERS_CHAT) if listed in (m.text or ""))
        assert h.officer is not None
        await h.officer.press(batch, listed)
        await h.settle()
        opened = card(h, listed)
        assert "待受理" in (opened.text or "")
        photo = next(m for m in h.emu.bot_messages(OFFICERS_CHAT) if m.caption == listed)
        assert photo.reply_to_message_id == opened.message_id
        assert refused(h.emu) == []


class SlowEdits:
    """Holds the first edit of a card until told, so changes can queue behind it."""

    def __init__(self) -> None:
        self.held = asyncio.Event()
        self.release = asyncio.Event()

    async def before(self, method: str, params: dict[str, object]) -> dict[str, object] | None:
        if method == "editMessageText" and not self.held.is_set():
            self.held.set()
            await self.release.wait()
        return None


async def test_changes_queued_behind_a_card_edit_go_out_as_one_edit(
    emulator: BotAPIEmulator, database_url: str
) -> None:
    slow = SlowEdits()
    emulator.policy = slow
    async with officer_harness(emulator, database_url) as h:
        app = h.app
        assert app is not None and h.officer is not None
        number = await seed_case(h, await seed_student(h, 1001, "Alice"))
        await h.officer.press(card(h, number), ACCEPT)  # the card's edit hangs
        await h.driver.fetch()
        await h.driver.handle()
        await eventually(slow.held.is_set, what="the first edit")
        async with app.session_factory() as session:
            case = (await session.scalars(select(Case).where(col(Case.number) == number))).one()

        for _ in range(3):  # three more changes of the card meanwhile
            async with app.session_factory.begin() as session:
                await outbox_crud.enqueue(session=session, messages=[notify.card_refresh(case)])
            app.worker.wake()
            await eventually(lambda: _claimed(app, case.id), what="the worker taking it")
        slow.release.set()
        await h.settle()

        edits = [r for r in h.emu.requests if r.method == "editMessageText"]
        assert len(edits) == 2  # the one held, and one for all three changes behind it
        assert "已受理" in (card(h, number).text or "")


async def _claimed(app: App, case_id: int | None) -> bool:
    """No refresh of the card waits in the outbox: the worker has them all."""
    async with app.session_factory() as session:
        found = await session.scalar(
            select(col(OutboxMessage.id)).where(
                col(OutboxMessage.coalesce_key) == f"card:{case_id}",
                col(OutboxMessage.status) == "pending",
            )
        )
    return found is None
