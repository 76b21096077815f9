"""The outbox kinds of a case in the officers' chat: its card, re-rendered from the case's
current state when its turn comes, and posts into its thread (forum topic or reply chain)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.cases import recategorise
from bot.cases.cards import CardPublisher
from bot.casework.chats import binding_for
from bot.delivery.errors import Outcome
from bot.delivery.kinds import Context, Kind, Target, build_method, named_chats, with_files
from bot.delivery.notify import WATCH_CARD, WATCH_THREAD
from storage.crud import cases as cases_crud
from storage.models import OutboxMessage


class _CaseKind:
    """Rows about a case in the officers' chat (or the sensitive cases' chat)."""

    posts_cards = False

    def __init__(self, cards: CardPublisher) -> None:
        self.cards = cards

    async def targets(
        self, session: AsyncSession, rows: Sequence[OutboxMessage], ctx: Context
    ) -> dict[int, Target | Outcome]:
        found: dict[int, Target | Outcome] = {}
        for row in rows:
            assert row.id is not None and row.case_id is not None
            case = await cases_crud.get_case(session=session, case_id=row.case_id)
            if case is None:
                found[row.id] = Outcome("wait", error="case vanished", delay=3600)
                continue
            binding = await binding_for(session=session, services=ctx.services, case=case)
            if binding is None:
                found[row.id] = Outcome("wait", error="no officers chat is bound", delay=30)
                continue
            new_card = self.posts_cards and case.card_message_id is None
            found[row.id] = Target(case.chat_id or binding.chat_id, new_card=new_card)
        return found


class CardKind(_CaseKind):
    links_messages = False  # the publisher links the card itself
    posts_cards = True

    async def send(self, row: OutboxMessage, ctx: Context) -> Any:
        assert row.case_id is not None
        return await self.cards.publish(row.case_id)


class ThreadKind(_CaseKind):
    links_messages = True

    async def send(self, row: OutboxMessage, ctx: Context) -> Any:
        assert row.case_id is not None
        payload = dict(row.payload) | await self.cards.thread_target(row.case_id)
        payload = await with_files(ctx, row, payload)
        return await ctx.bot(
            build_method(row.method, payload), request_timeout=math.ceil(ctx.request_timeout)
        )


class _WatchKind:
    """Rows for the chat that held the case before (校院两级): its read-only card there and
    the timeline it keeps seeing. A case that no longer has one drops them."""

    def __init__(self, cards: CardPublisher) -> None:
        self.cards = cards

    async def targets(
        self, session: AsyncSession, rows: Sequence[OutboxMessage], ctx: Context
    ) -> dict[int, Target | Outcome]:
        found: dict[int, Target | Outcome] = {}
        for row in rows:
            assert row.id is not None and row.case_id is not None
            case = await cases_crud.get_case(session=session, case_id=row.case_id)
            watching = case.watch_chat_id if case is not None else None
            found[row.id] = (
                Target(watching)
                if watching is not None
                else Outcome("failed", error="the case has no watching chat")
            )
        return found


class WatchCardKind(_WatchKind):
    links_messages = False

    async def send(self, row: OutboxMessage, ctx: Context) -> Any:
        assert row.case_id is not None
        return await self.cards.publish_watch(row.case_id)


class WatchThreadKind(_WatchKind):
    links_messages = True

    async def send(self, row: OutboxMessage, ctx: Context) -> Any:
        assert row.case_id is not None
        payload = dict(row.payload) | await self.cards.watch_target(row.case_id)
        payload = await with_files(ctx, row, payload)
        return await ctx.bot(
            build_method(row.method, payload), request_timeout=math.ceil(ctx.request_timeout)
        )


class RetireKind:
    """A case that moved to another chat is removed from the one it left."""

    links_messages = False

    async def targets(
        self, session: AsyncSession, rows: Sequence[OutboxMessage], ctx: Context
    ) -> dict[int, Target | Outcome]:
        return named_chats(rows, lambda row: row.chat_id, "the row names no chat")

    async def send(self, row: OutboxMessage, ctx: Context) -> Any:
        return await recategorise.retire(ctx.bot, row, math.ceil(ctx.request_timeout))


def case_kinds(cards: CardPublisher) -> dict[str, Kind]:
    return {
        "card": CardKind(cards),
        "thread": ThreadKind(cards),
        recategorise.RETIRE: RetireKind(),
        WATCH_CARD: WatchCardKind(cards),
        WATCH_THREAD: WatchThreadKind(cards),
    }
