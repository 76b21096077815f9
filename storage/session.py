"""The session every transaction of the app runs in, and what it carries beside SQL."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session, SessionTransaction

if TYPE_CHECKING:
    from storage.crud.handoff import Claimer, Queued
    from storage.crud.outbox import ChatSealer, Erased
    from storage.models import ChatBinding, OutboxMessage


class AppSession(Session):
    """`clock` and `claimer` come from the session factory (`create_session_factory`); the rest
    is what the current transaction did that its commit, or its next flush, must act on."""

    def __init__(
        self,
        *args: Any,
        clock: Callable[[], datetime] | None = None,
        claimer: Claimer | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        # The app's clock, the one the delivery worker goes by (tests move it).
        self.clock = clock
        # The delivery worker of this process, which takes over what a transaction queues.
        self.claimer = claimer
        # What the claimer took over in the open transaction, told to it on commit.
        self.queued: Queued | None = None
        # Outbox rows added but not yet flushed (`outbox.stage`).
        self.staged: list[OutboxMessage] = []
        # People erased in the open transaction: what is queued for them is forgotten once sent.
        self.erased: list[Erased] = []
        # People known in this transaction not to have blocked the bot (the update's sender):
        # what is queued for them in private needs no check that it can be delivered.
        self.reachable: set[int] = set()
        # Private chats whose rows this transaction seals (`outbox.seal_chat`): the author's,
        # while it deals with their anonymous case.
        self.sealed_chats: dict[int, ChatSealer] = {}
        # Chat bindings by purpose, as found in this transaction (None: bound to no chat). They
        # are asked for several times an update (each officers' router's filter, the case's
        # chat, its card), and the identity map, holding objects weakly, would forget them
        # between two asks.
        self.bindings: dict[str, ChatBinding | None] = {}


def forget_transaction(session: Session, transaction: SessionTransaction) -> None:
    """What a session kept for one transaction is read anew in the next: another instance may
    have bound a chat meanwhile."""
    if transaction.parent is None:
        app_session(session).bindings.clear()


def app_session(session: AsyncSession | Session) -> AppSession:
    sync = session.sync_session if isinstance(session, AsyncSession) else session
    if not isinstance(sync, AppSession):
        raise TypeError("sessions come from storage.db.create_session_factory")
    return sync
