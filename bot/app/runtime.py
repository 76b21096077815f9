"""Assembling the running bot from settings: engine, Bot, renderer, dispatcher, delivery worker."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import signal
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from importlib.metadata import version

from aiogram import Bot, Dispatcher, Router
from aiogram.client.default import DefaultBotProperties
from aiogram.client.telegram import PRODUCTION, TelegramAPIServer
from aiogram.enums import ParseMode
from aiogram.exceptions import TelegramMigrateToChat
from aiogram.fsm.storage.base import BaseStorage
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.app import affordances
from bot.app.bot_session import BotSession
from bot.app.dispatcher import build_dispatcher, check_filters_in_place
from bot.app.http import serving_http
from bot.app.metrics import Metrics
from bot.app.response_types import KeepResponseTypes
from bot.app.scheduler import Jobs, build_scheduler, warn_stale_calendar
from bot.app.sealed_fsm import SealedStorage
from bot.cases import conversation, lost_chats
from bot.cases.cards import CardPublisher
from bot.cases.outbox_kinds import case_kinds
from bot.core import logctx, logs
from bot.core.config import Settings
from bot.core.context import Services
from bot.core.sealing import IdentitySeal
from bot.delivery.deferred import DeferCalls
from bot.delivery.documents import Documents
from bot.delivery.kinds import Kind, SendKind
from bot.delivery.reactions import Reactions
from bot.delivery.sealed import SealedKind
from bot.delivery.sending import Probe
from bot.delivery.worker import DeliveryWorker
from bot.departments import letter_pdf, letters
from bot.domain.chats import CHANNEL, COMMITTEE, OFFICERS, SENSITIVE
from bot.ingest.failures import FailureReport
from bot.ingest.inbox import Inbox
from bot.ingest.notice import Notice
from bot.ingest.polling import Poller
from bot.ingest.processor import Processor
from bot.proposals.channel import ChannelKind
from handlers.officers import delivery as delivery_handlers
from storage.crud import chat_rows
from storage.crud import users as users_crud
from storage.crud.outbox import SEALED
from storage.db import create_engine, create_session_factory

log = logging.getLogger(__name__)
# Start and stop, under the program's own name (`studentvoice run` logs it at INFO).
LIFECYCLE = "studentvoice"
lifecycle = logging.getLogger(LIFECYCLE)
WORKER_RESTART_FIRST, WORKER_RESTART_MAX = 1.0, 30.0


@dataclass
class App:
    settings: Settings
    services: Services
    engine: AsyncEngine
    session_factory: async_sessionmaker[AsyncSession]
    bot: Bot
    dispatcher: Dispatcher
    worker: DeliveryWorker
    processor: Processor
    inbox: Inbox
    poller: Poller
    metrics: Metrics
    jobs: Jobs | None = None


def build_bot(settings: Settings) -> Bot:
    session = None
    if settings.telegram_api_base or settings.telegram_proxy:
        server = (
            TelegramAPIServer.from_base(settings.telegram_api_base)
            if settings.telegram_api_base
            else PRODUCTION
        )
        session = BotSession(api=server, proxy=settings.telegram_proxy)
    bot = Bot(
        settings.bot_token,
        session=session,
        default=DefaultBotProperties(parse_mode=ParseMode.HTML, link_preview_is_disabled=True),
    )
    # First, so what a handler says is queued before any limit or request is involved.
    bot.session.middleware(DeferCalls())
    bot.session.middleware(KeepResponseTypes())
    return bot


def build_fsm_storage(settings: Settings, seal: IdentitySeal) -> BaseStorage | None:
    """Redis, shared by instances, with the data sealed; None: the process's own memory."""
    if not settings.redis_url:
        return None
    from aiogram.fsm.storage.redis import RedisStorage

    return SealedStorage(RedisStorage.from_url(settings.redis_url), seal)


def outbox_kinds(
    bot: Bot, services: Services, session_factory: async_sessionmaker[AsyncSession]
) -> dict[str, Kind]:
    """Every kind of outbox row the worker sends: delivery's own, and the features'."""
    cards = CardPublisher(bot, services, session_factory)
    return {
        "send": SendKind(),
        SEALED: SealedKind(),
        **case_kinds(cards),
        CHANNEL: ChannelKind(),
    }


def build_app(
    settings: Settings,
    *,
    engine: AsyncEngine | None = None,
    probe: Probe | None = None,
    storage: BaseStorage | None = None,
    routers: Sequence[Router] | None = None,
) -> App:
    services = Services.for_settings(settings)
    engine = engine or create_engine(settings.database_url)
    # Rows queued in any session are due by the app's clock, the one the worker goes by.
    session_factory = create_session_factory(engine, clock=services.now)
    bot = build_bot(settings)
    metrics = Metrics()
    worker = DeliveryWorker(
        bot,
        session_factory,
        services,
        kinds=outbox_kinds(bot, services, session_factory),
        reactions=Reactions(
            delivery_failed=conversation.delivery_failed,
            chat_lost=lost_chats.lose,
            chat_migrated=lost_chats.migrated,
        ),
        probe=probe,
        on_send_result=metrics.send_result,
        documents=Documents(
            {letters.LAYOUT: letter_pdf.render_data}, workers=settings.document_workers
        ),
    )
    # The worker needs the factory, and what a session queues is told to the worker once
    # committed.
    session_factory.configure(claimer=worker)
    dispatcher = build_dispatcher(
        services=services,
        session_factory=session_factory,
        urgency=worker.urgency,
        storage=storage or build_fsm_storage(settings, services.sealer),
        metrics=metrics,
        routers=routers,
    )
    if routers is None:
        dispatcher.include_router(delivery_handlers.build_router())
    check_filters_in_place(dispatcher)
    logctx.watch(session_factory)
    notice = Notice(bot, services.renderer, after=settings.inbox_notice_seconds)
    processor = Processor(dispatcher, bot, FailureReport(services, session_factory), notice)
    inbox = Inbox(session_factory, processor, notice)
    poller = Poller(bot, inbox, dispatcher.resolve_used_update_types())
    jobs = Jobs(services=services, session_factory=session_factory, on_run=metrics.scheduler_run)
    return App(
        settings,
        services,
        engine,
        session_factory,
        bot,
        dispatcher,
        worker,
        processor,
        inbox,
        poller,
        metrics,
        jobs,
    )


async def bind_configured_chats(app: App) -> None:
    """Chats named in the settings become bindings, with what Telegram says about them. Telegram
    not answering (the network, a 5xx, a proxy's error page) is no reason not to start: the
    chat is bound as it was, or without details."""
    for purpose, chat_id in (
        (OFFICERS, app.settings.officers_chat_id),
        (SENSITIVE, app.settings.sensitive_chat_id),
        (COMMITTEE, app.settings.committee_chat_id),
    ):
        if chat_id is None:
            continue
        try:
            chat = await app.bot.get_chat(chat_id)
            is_forum, title = bool(chat.is_forum), chat.title
        except TelegramMigrateToChat as exc:
            # The group became a supergroup: follow it rather than bind the dead id again.
            log.warning(
                "%s chat %s migrated to %s: update the setting",
                purpose,
                chat_id,
                exc.migrate_to_chat_id,
            )
            async with app.session_factory.begin() as session:
                await chat_rows.move_chat(session=session, old=chat_id, new=exc.migrate_to_chat_id)
            chat_id, is_forum, title = exc.migrate_to_chat_id, False, None
        except Exception as exc:
            async with app.session_factory() as session:
                known = await users_crud.get_binding(session=session, purpose=purpose)
            # What was learnt about it on an earlier start still holds.
            kept = known is not None and known.chat_id == chat_id
            log.warning(
                "%s chat %s could not be looked up (%s); %s",
                purpose,
                chat_id,
                logs.exception_text(exc),
                "bound as before" if kept else "bound without details",
            )
            if kept:
                continue
            is_forum, title = False, None
        async with app.session_factory.begin() as session:
            await users_crud.set_binding(
                session=session, purpose=purpose, chat_id=chat_id, is_forum=is_forum, title=title
            )


async def bound_chat_ids(app: App) -> dict[str, int]:
    async with app.session_factory() as session:
        found = [
            (purpose, await users_crud.get_binding(session=session, purpose=purpose))
            for purpose in (OFFICERS, SENSITIVE, COMMITTEE)
        ]
    return {purpose: binding.chat_id for purpose, binding in found if binding is not None}


@contextlib.asynccontextmanager
async def running(app: App) -> AsyncIterator[asyncio.Task[None]]:
    """The delivery worker (and the scheduler) run while the body does; stopped on the way out."""
    stopping = asyncio.Event()
    worker_task = asyncio.create_task(_deliver(app, stopping), name="delivery")
    scheduler = None
    if app.jobs is not None and app.settings.scheduler_enabled:
        warn_stale_calendar(app.services)
        scheduler = build_scheduler(app.jobs)
        scheduler.start()
    try:
        yield worker_task
    finally:
        if scheduler is not None and app.jobs is not None:
            scheduler.shutdown(wait=False)
            await app.jobs.idle()
        stopping.set()
        app.worker.stop()
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.wait_for(worker_task, timeout=10)


async def _deliver(app: App, stopping: asyncio.Event) -> None:
    """The delivery worker, started again when it fails (the database away while it starts):
    a bot that takes updates in but never answers is worse than one that waits."""
    pause = WORKER_RESTART_FIRST
    while not stopping.is_set():
        try:
            await app.worker.run()
            return
        except Exception as exc:
            log.warning(
                "the delivery worker failed (%s); starting it again in %.0f s",
                logs.exception_text(exc),
                pause,
            )
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stopping.wait(), pause)
        pause = min(WORKER_RESTART_MAX, pause * 2)


def freeze_startup_heap() -> None:
    """Everything loaded by now (aiogram's models, mappers, templates) lives as long as the
    process: kept out of the garbage collector's full passes, which otherwise stop every send
    and every answer for a quarter of a second from time to time."""
    gc.collect()
    gc.freeze()


async def start_up(app: App) -> None:
    """What `run` asks of Telegram before it starts; none of it is fatal."""
    await bind_configured_chats(app)
    await affordances.present(app.bot, app.services.renderer, await bound_chat_ids(app))


async def serve(app: App) -> None:
    """Polls until `app.poller` is stopped, then lets what is being handled finish (within
    the grace period; the rest stays in the inbox for the next start)."""
    async with running(app), serving_http(app):
        await app.inbox.recover()
        await app.poller.run()
        await app.processor.stop(app.settings.shutdown_grace_seconds)


async def bound_chats(app: App) -> str:
    named = [f"{purpose} {chat_id}" for purpose, chat_id in (await bound_chat_ids(app)).items()]
    return ", ".join(named) or "none"


async def run_polling(app: App, *, handle_signals: bool = True) -> None:
    """Until SIGTERM/SIGINT (or `app.poller.stop()`): updates stored, then acknowledged, then
    handled; what is being handled at the stop finishes, the rest waits in the inbox."""
    loop = asyncio.get_running_loop()
    # From the start: a stop asked for while Telegram is probed is a clean stop too.
    signals = (signal.SIGTERM, signal.SIGINT) if handle_signals else ()
    for signum in signals:
        loop.add_signal_handler(signum, app.poller.stop)
    try:
        await start_up(app)
        freeze_startup_heap()
        await announce(app, "polling")
        await serve(app)
    finally:
        for signum in signals:
            loop.remove_signal_handler(signum)
        await close(app)


async def announce(app: App, mode: str) -> None:
    # The worker's id is what its outbox rows are claimed by: the instance, to an operator
    # with two of them on one database; every log line names it from here on.
    logs.name_instance(app.worker.id)
    lifecycle.info(
        "studentvoice %s started: %s, %s database, chats bound: %s, instance %s",
        version("studentvoice"),
        mode,
        app.engine.dialect.name,
        await bound_chats(app),
        app.worker.id,
    )


async def close(app: App) -> None:
    await app.worker.documents.close()
    await app.dispatcher.storage.close()
    await app.bot.session.close()
    await app.engine.dispose()
    lifecycle.info("studentvoice stopped: instance %s", app.worker.id)
