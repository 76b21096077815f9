"""Breaking things on purpose: a bot whose Bot API calls can be made to fail one by one
(`FaultPolicy` in the emulator), whose update transactions can be made to fail at the commit
(`CommitFault`), and that is driven until everything postponed has been delivered."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import event
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import ORMExecuteState, Session

from bot.app.runtime import App
from bot.devkit.emulator import BotAPIEmulator, FaultPolicy
from storage.models import InboxUpdate
from tests.support.officer_helpers import OfficerHarness, officer_harness

# The bot gives up on a request after this (rounded up to whole seconds by the Bot API client);
# a timed-out call is held by the emulator for longer, then answered 504, never carried out.
# Well above a loaded machine's slowest answer: an ordinary call that timed out after the
# emulator carried it out would arrive twice, and the test would be about the machine.
REQUEST_TIMEOUT = 3
HOLD = 4
# The processor's first pause before it tries an update again after a transient failure.
RETRY_FIRST = 0.01

_HANDLING = "fault_helpers.handling"


class CommitFault:
    """Makes the commit of an update's transaction fail with an OperationalError (a database
    that went away at that moment): the processor takes that for transient and tries the
    update again.

    An update's transaction is told by what only it does: it deletes the update from the inbox
    (`storage.crud.inbox.finish`). `bot.delivery.deferred.current` cannot tell it: the middleware
    resets it before the commit, so that what the commit sets going is not deferred again.
    `seen` counts those commits (failed ones included), `failed` the ones made to fail.
    """

    def __init__(self, app: App) -> None:
        self.session_class: type[Session] = app.session_factory.kw["sync_session_class"]
        self.seen = 0
        self.failed = 0
        self._plan: list[bool] = []
        event.listen(self.session_class, "do_orm_execute", self._executed)
        event.listen(self.session_class, "before_commit", self._committing)
        event.listen(self.session_class, "after_transaction_end", self._ended)

    def fail(self, nth: int = 1) -> CommitFault:
        """The `nth` update commit from now fails (once); the others go through."""
        self._plan = [False] * (nth - 1) + [True]
        return self

    def close(self) -> None:
        event.remove(self.session_class, "do_orm_execute", self._executed)
        event.remove(self.session_class, "before_commit", self._committing)
        event.remove(self.session_class, "after_transaction_end", self._ended)

    def _executed(self, state: ORMExecuteState) -> None:
        table = getattr(state.statement, "table", None)
        if state.is_delete and getattr(table, "name", None) == InboxUpdate.__tablename__:
            state.session.info[_HANDLING] = True

    def _committing(self, session: Session) -> None:
        if not session.info.pop(_HANDLING, False):
            return
        self.seen += 1
        if self._plan and self._plan.pop(0):
            self.failed += 1
            raise OperationalError("COMMIT", None, ConnectionError("injected: database gone"))

    def _ended(self, session: Session, transaction: Any) -> None:
        session.info.pop(_HANDLING, None)


@dataclass
class Faulty:
    """A bot with its faults at hand; `h.settle()` delivers what is postponed too."""

    h: OfficerHarness
    faults: FaultPolicy
    commits: CommitFault


@contextlib.asynccontextmanager
async def faulty_harness(
    emulator: BotAPIEmulator, database_url: str, **overrides: Any
) -> AsyncIterator[Faulty]:
    faults = FaultPolicy()
    overrides.setdefault("delivery_request_timeout", REQUEST_TIMEOUT)
    async with officer_harness(emulator, database_url, **overrides) as h:
        assert h.app is not None
        h.app.processor.retry_first = RETRY_FIRST
        # Every helper settles through `h.settle`: here that waits for retries too.
        h.settle = h.driver.settle_all  # type: ignore[method-assign]
        commits = CommitFault(h.app)
        emulator.policy = faults
        # A button's answer retried after a fault is on time by the app's clock however long
        # the run takes on a busy machine: Telegram's deadline in real seconds would make a
        # slow run fail where a fast one passes.
        emulator.world.callback_query_ttl = None
        try:
            yield Faulty(h, faults, commits)
        finally:
            commits.close()
