"""The dispatcher: middlewares in order, then the routers, most specific first."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from aiogram import Dispatcher, Router
from aiogram.dispatcher.event.handler import FilterObject
from aiogram.fsm.state import State
from aiogram.fsm.storage.base import BaseStorage
from aiogram.fsm.storage.memory import MemoryStorage
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.app.flood import FloodGate, window_for
from bot.app.metrics import Metrics, MetricsMiddleware
from bot.app.middlewares import ArrivalMiddleware, TransactionMiddleware, UserMiddleware
from bot.core.context import Services
from bot.delivery.deferred import DeferredStorage
from bot.delivery.urgency import Urgency
from handlers import fallback
from handlers.admin import reveal as admin_reveal
from handlers.admin import roles as admin_roles
from handlers.admin import setup as admin_setup
from handlers.committee import digest as committee_digest
from handlers.common import NoticeChanged
from handlers.liaison import answers as liaison_answers
from handlers.officers import desk as officers_desk
from handlers.officers import intake as officers_intake
from handlers.officers import lookup as officers_lookup
from handlers.proposals import college_cases, drafting, representatives
from handlers.proposals import officers as proposal_officers
from handlers.reviews import build_router as reviews_router
from handlers.students import (
    concern_board,
    intake_link,
    my_cases,
    privacy,
    proposal_board,
    start,
    submit,
)
from handlers.townhall import officers as townhall_officers
from handlers.townhall import students as townhall_students


def build_dispatcher(
    *,
    services: Services,
    session_factory: async_sessionmaker[AsyncSession],
    urgency: Urgency,
    storage: BaseStorage | None = None,
    metrics: Metrics | None = None,
    routers: Sequence[Router] | None = None,
) -> Dispatcher:
    """``routers``: others in place of the product's, behind the same middlewares (the
    benchmark's echo on the house: what the plumbing alone costs)."""
    # Updates of one chat come one after another (`bot.ingest.processor`); the state one leaves
    # is applied before the next is taken, so the FSM needs no lock of its own.
    fsm = DeferredStorage(storage or MemoryStorage())
    dp = Dispatcher(storage=fsm, services=services)
    if metrics is not None:
        dp.update.outer_middleware(MetricsMiddleware(metrics))
    dp.update.outer_middleware(ArrivalMiddleware())
    dp.update.outer_middleware(TransactionMiddleware(session_factory, urgency, fsm))
    dp.update.outer_middleware(UserMiddleware(services))
    # After the user is known (officers are exempt), inside the transaction (a dropped update
    # still leaves the inbox, and its notice is a row of the outbox).
    dp.update.outer_middleware(
        FloodGate(services, window_for(fsm.inner, services.settings.bot_token))
    )
    dp.message.outer_middleware(NoticeChanged())
    if routers is not None:
        dp.include_routers(*routers)
        return dp
    renderer = services.renderer
    dp.include_routers(
        fallback.build_cancel_router(),
        committee_digest.build_router(),
        admin_reveal.build_router(),  # before the students' routers: /reveal in private
        admin_roles.build_router(),
        proposal_board.build_link_router(),  # /start with a channel post's link
        concern_board.build_link_router(),
        intake_link.build_router(),  # /start intake_…: a case received offline
        reviews_router(),  # /start review_…, /review, the ballot's buttons and comment
        townhall_students.build_link_router(),  # /start townhall_…: from the web board
        representatives.build_router(),  # /start with an invite or co-signing link
        start.build_router(renderer),
        privacy.build_router(),
        townhall_students.build_router(),
        liaison_answers.build_router(renderer),
        drafting.build_router(renderer),
        proposal_board.build_router(),
        concern_board.build_router(),
        college_cases.build_router(),
        my_cases.build_router(renderer),
        submit.build_router(renderer),
        admin_setup.build_router(),
        proposal_officers.build_router(),
        townhall_officers.build_router(),
        officers_intake.build_router(),  # before the desk: its steps' input is not relayed
        officers_desk.build_router(),
        officers_lookup.build_private_router(),
        fallback.build_router(),
    )
    return dp


def check_filters_in_place(dispatcher: Dispatcher) -> None:
    """aiogram checks a synchronous filter in a worker thread (`asyncio.to_thread`): a trip to
    the thread pool and back for each filter of each handler tried, on every update. Magic
    filters (`F.text == …`) and states used as filters only look at the update; they are
    checked where they are. Call once every router is included.

    The filters a router sets on a whole observer (`router.message.filter(...)`) are held in
    its private `_handler`; they are tried on every update that reaches the router.
    """
    for router in dispatcher.chain_tail:
        for observer in router.observers.values():
            for handler in [*observer.handlers, observer._handler]:
                for event_filter in handler.filters or ():
                    pure = event_filter.magic is not None or isinstance(
                        event_filter.callback, State
                    )
                    if pure and not event_filter.awaitable:
                        _check_in_place(event_filter)


def _check_in_place(event_filter: FilterObject) -> None:
    check = event_filter.callback

    async def in_place(*args: Any, **kwargs: Any) -> Any:
        return check(*args, **kwargs)

    # Which arguments the filter takes was read from `check` already, and stays.
    event_filter.callback, event_filter.awaitable = in_place, True
