"""Sending a lane's next row (or a batch of new cases) and acting on the outcome."""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Callable, Sequence
from typing import Any

from aiogram.methods import SendMessage

from bot.delivery import batching
from bot.delivery.errors import (
    LOST_CHAT_PAUSE,
    Outcome,
    attempts_for,
    classify,
    request_result,
)
from bot.delivery.gate import Pacer, Paused, SendContext, current_send
from bot.delivery.kinds import Context
from bot.delivery.lanes import ChatLane, Job
from bot.delivery.ledger import Ledger
from storage.crud.outbox import FAILED, LISTED, SENT
from storage.models import OutboxMessage


class Probe:
    """Timing hooks for benchmarks; the default does nothing."""

    def before_request(self, row: OutboxMessage) -> None:
        return None


# Told each request's result (ok, 429, 403, error): the app's metrics, which delivery cannot
# import.
ResultHook = Callable[[str], None]


class Sender:
    def __init__(
        self,
        context: Context,
        pacer: Pacer,
        ledger: Ledger,
        probe: Probe,
        on_result: ResultHook | None = None,
    ) -> None:
        self.context = context
        self.pacer = pacer
        self.limiter = pacer.limiter
        self.ledger = ledger
        self.probe = probe
        self.on_result = on_result

    async def next(self, lane: ChatLane) -> None:
        """Send the lane's first row (with the refreshes of the same card queued behind it), or
        list the waiting new cases in one message when the group cannot take them one by one."""
        send = SendContext(priority=lane.jobs[0].row.priority)
        try:
            choice, listing = await self._choose(lane, send)
            if not choice:
                return
            if listing:
                lane.take(choice)
                lane.current = choice
                call = self._send_batch(lane, choice)
                outcome = await self._attempt(lane, send, choice[0], call)
                await self.settle(lane, choice, outcome, success=LISTED)
                return
            job = choice[0]
            lane.take([job])
            same = lane.same_card(job.row)
            lane.take(same)
            lane.current = [job, *same]
            if send.grants is None and not await self._take_slots(lane, send):
                return
            call = self.context.kinds[job.row.kind].send(job.row, self.context)
            outcome = await self._attempt(lane, send, job, call)
            await self.settle(lane, lane.current, outcome)
        except BaseException:
            # Cancelled (stopping), or a bug: rows not yet sent go back to the lane (and from
            # there to the queue); a row whose request went out is left to go stale and be
            # sent again, its fate being unknown.
            if not lane.in_request:
                for job in lane.current:
                    lane.add(job)
            raise
        finally:
            lane.current, lane.send = [], None
            if send.grants is not None:  # taken for a request that was never made
                await self.pacer.release(send.grants, used=False)

    async def _take_slots(self, lane: ChatLane, send: SendContext) -> bool:
        """The slots first, then the request: a claim places a hundred rows at once, and
        building all their requests before they queue for the gate would hold the event loop
        for as long, in front of whatever a student is waiting for. False: the chat is
        paused, and the rows being sent wait with it."""
        try:
            send.grants = await self.pacer.acquire(lane.chat_id, send.priority)
        except Paused as exc:
            await self.settle(lane, lane.current, self.classify(exc, lane.current[0].row))
            return False
        return True

    async def _choose(self, lane: ChatLane, send: SendContext) -> tuple[list[Job], bool]:
        """The row(s) to send now — the first one, a single new card, or new cases to list
        (then True) — or none when the lane is to wait instead."""
        waiting = [job for job in lane.jobs if job.batchable]
        now = time.monotonic()
        oldest = now - min((job.claimed for job in waiting), default=now)
        scope = f"group:{lane.chat_id}"
        rate = self.limiter.limits.rate(scope)
        if not waiting or not (lane.jobs[0].batchable or oldest >= rate.window / 2):
            return [lane.jobs[0]], False
        # Take the group's slot first and decide then, on everything that arrived meanwhile.
        try:
            send.grants = await self.pacer.acquire(lane.chat_id, send.priority)
        except Paused as exc:
            job = lane.jobs[0]
            lane.take([job])
            await self.settle(lane, [job], self.classify(exc, job.row))
            return [], False
        lane.arrived.clear()
        waiting = [job for job in lane.jobs if job.batchable]
        oldest = time.monotonic() - min((job.claimed for job in waiting), default=now)
        decided = batching.plan(
            head_new=lane.jobs[0].batchable,
            waiting=len(waiting),
            oldest_age=oldest,
            available=await self.limiter.available(scope),
            limit=rate.limit,
            window=rate.window,
        )
        if decided.action == "other":
            return [lane.jobs[0]], False
        if decided.action == "card":
            return [waiting[0]], False
        if decided.action == "batch":
            return waiting[: batching.MAX_BATCH], True
        others = [job for job in lane.jobs if not job.batchable]
        if others:  # the new cases wait for a fuller list; the slot serves the rest
            return [others[0]], False
        await self.pacer.release(send.grants, used=False)
        send.grants = None
        await lane.arrival(decided.hold)
        return [], False

    async def _attempt(self, lane: ChatLane, send: SendContext, job: Job, call: Any) -> Outcome:
        lane.send = send
        token = current_send.set(send)
        try:
            self.probe.before_request(job.row)
            outcome = Outcome("sent", result=await call)
            self._count("ok")
            return outcome
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            self._count(request_result(exc))
            return self.classify(exc, job.row)
        finally:
            current_send.reset(token)

    def _count(self, result: str | None) -> None:
        if result is not None and self.on_result is not None:
            self.on_result(result)

    def classify(self, exc: BaseException, row: OutboxMessage) -> Outcome:
        hours = self.context.services.settings.delivery_retry_hours
        return classify(exc, row.attempts, attempts_for(hours))

    async def _send_batch(self, lane: ChatLane, jobs: list[Job]) -> Any:
        context = self.context
        async with context.session_factory() as session:
            cases = await batching.load_cases(session, [job.row.case_id or 0 for job in jobs])
        for job in jobs[1:]:
            self.probe.before_request(job.row)
        payload = batching.compose(context.services, cases) | {"chat_id": lane.chat_id}
        return await context.bot(
            SendMessage.model_validate(payload), request_timeout=math.ceil(context.request_timeout)
        )

    async def settle(
        self, lane: ChatLane, jobs: list[Job], outcome: Outcome, *, success: str = SENT
    ) -> None:
        """Record the outcome for the row(s) just tried; hold back what must wait with them."""
        for job in jobs:
            if job.urgency is not None:
                self.pacer.urgency.end(job.urgency)
        ledger, row = self.ledger, jobs[0].row
        if outcome.kind == "sent":
            result = outcome.result
            message_id = result.message_id if success == LISTED else None
            for job in jobs:
                ledger.finish(
                    job.row,
                    success,
                    error=outcome.error,
                    result=result,
                    message_id=message_id,
                    chat_id=lane.chat_id,
                )
        elif outcome.kind == "failed":
            for job in jobs:
                if job.row.report_failure and job.row.case_id is not None:
                    # Refused for good (a 400, or retries given up): the officers who wrote
                    # it believe it arrived unless they hear otherwise, as after a 403.
                    error = outcome.error or "failed"
                    await ledger.forbidden(job.row, error, unreachable=False, rejected=True)
                else:
                    ledger.finish(job.row, FAILED, error=outcome.error)
        elif outcome.kind == "retry":
            until = ledger.later(outcome.delay)
            # Each row tried counts the attempt (a batch's too: a failing batch must end).
            counted = jobs if success == LISTED else jobs[:1]
            for job in counted:
                await ledger.postpone([job.row], until=until, error=outcome.error, attempt=True)
            rest = [j.row for j in jobs if j not in counted] + self._hold(lane, row, chat=False)
            await ledger.postpone(rest, until=until, error=outcome.error)
        elif outcome.kind == "wait":
            until = outcome.until or ledger.later(outcome.delay)
            chat = outcome.whole_chat
            rows = [j.row for j in jobs] + self._hold(lane, row, chat=chat)
            await ledger.postpone(rows, until=until, error=outcome.error)
            if chat:
                await ledger.hold_chat(lane.chat_id, until)
        elif outcome.kind in ("forbidden", "gone"):
            error = outcome.error or outcome.kind
            # Groups and channels have negative ids: only they can be bound chats.
            if lane.chat_id < 0 and await ledger.chat_lost(lane.chat_id, error):
                # Nothing for that chat is tried until it is bound again (a new chat, maybe).
                rows = [j.row for j in jobs] + self._hold(lane, row, chat=True)
                await ledger.postpone(
                    rows, until=ledger.later(LOST_CHAT_PAUSE.total_seconds()), error=error
                )
            else:
                # A 403 is the recipient's (blocked, left): none of their rows can go. A chat
                # not found fails this row; the others learn it for themselves.
                gone = outcome.kind == "gone"
                blocked = jobs + ([] if gone else lane.same_recipient(row))
                lane.take([j for j in blocked if j in lane.jobs])
                for job in blocked:
                    await ledger.forbidden(job.row, error, unreachable=not gone)
        elif outcome.kind == "migrated":
            assert outcome.migrate_to is not None
            await ledger.migrated(row, lane.chat_id, outcome.migrate_to)
            # The rest was moved in the database; it is claimed again under the new id.
            others = [j.row for j in jobs[1:] + lane.jobs]
            lane.jobs.clear()
            await ledger.unclaim(others)

    def _hold(self, lane: ChatLane, row: OutboxMessage, *, chat: bool) -> list[OutboxMessage]:
        """Take out what must wait with `row`: its whole chat (told to wait) or its lane."""
        held = list(lane.jobs) if chat else lane.same_lane(row)
        lane.take(held)
        return [job.row for job in held]

    async def settle_alone(self, alone: Sequence[tuple[OutboxMessage, Outcome]]) -> None:
        """Rows that never reached a lane (no chat to send to yet, or it was lost; recipient
        unreachable); those told to wait alike, together."""
        waiting: dict[Outcome, list[OutboxMessage]] = {}
        for row, outcome in alone:
            if outcome.kind == "wait":
                waiting.setdefault(outcome, []).append(row)
            elif outcome.kind == "forbidden":
                await self.ledger.forbidden(row, outcome.error or "forbidden")
            else:
                self.ledger.finish(row, FAILED, error=outcome.error)
        for outcome, rows in waiting.items():
            until = outcome.until or self.ledger.later(outcome.delay)
            await self.ledger.postpone(rows, until=until, error=outcome.error)
