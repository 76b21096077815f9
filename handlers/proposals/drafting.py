"""/propose: a representative writes a proposal step by step (saved after each step), checks
it in a preview, and sends it out for co-signing."""

from __future__ import annotations

from collections.abc import Callable

from aiogram import Bot, F, Router
from aiogram.filters import Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.callbacks import ProposeCB
from bot.core.context import Services
from bot.core.render import Renderer
from bot.domain.text import N_
from bot.domain.workflow import MAX_ATTACHMENTS, TransitionError
from bot.proposals import cosign as proposal_cosign
from bot.proposals import drafts as proposals
from bot.proposals import keyboards as kbs
from bot.proposals.core import load, window_open
from handlers.common import ConsentGate, error_text, free_input
from handlers.media import attachment_of
from handlers.proposals import drafting_steps as steps
from handlers.proposals.drafting_steps import ProposalInput
from storage.crud import proposals as crud
from storage.models import User

Translate = Callable[[str], str]
STALE = N_("This step is over; send /propose to continue.")


def build_router(renderer: Renderer) -> Router:
    router = Router(name="proposals")
    router.message.filter(F.chat.type == "private")
    router.callback_query.filter(F.message.chat.type == "private")
    router.message.middleware(ConsentGate())
    router.callback_query.middleware(ConsentGate())
    free = free_input(renderer)

    @router.message(Command("propose"))
    async def propose(
        message: Message,
        state: FSMContext,
        session: AsyncSession,
        user: User,
        services: Services,
        locale: str,
    ) -> None:
        await state.clear()
        found = await proposals.standing(session=session, services=services, user_id=user.id)
        if found is None or not window_open(found[1], services.now()):
            representative, congress = found or (None, None)
            await message.answer(
                services.renderer.render(
                    locale,
                    "proposal/status.html",
                    representative=representative,
                    congress=congress,
                    is_open=False,
                    now=services.now(),
                )
            )
            return
        draft = await crud.latest_draft(
            session=session, user_id=user.id, session_id=found[1].id or 0
        )
        if draft is not None:
            case, proposal = draft
            await state.update_data(case_id=case.id)
            await message.answer(
                services.renderer.render(
                    locale, "proposal/resume.html", case=case, proposal=proposal
                ),
                reply_markup=steps.markup(kbs.resume(services.renderer, locale)),
            )
            return
        await steps.ask(message, state, services, locale, "title")

    @router.callback_query(ProposeCB.filter(F.step == "fresh"))
    async def fresh(
        query: CallbackQuery, state: FSMContext, services: Services, locale: str
    ) -> None:
        await steps.done_with(query)
        await state.set_data({})
        await steps.ask(query, state, services, locale, "title")

    @router.callback_query(ProposeCB.filter(F.step == "resume"))
    async def resume(
        query: CallbackQuery,
        state: FSMContext,
        session: AsyncSession,
        services: Services,
        locale: str,
        _: Translate,
    ) -> None:
        if "case_id" not in await state.get_data():  # an old prompt, pressed after /cancel
            await query.answer(_(STALE), show_alert=True)
            return
        await steps.done_with(query)
        await steps.resume(query, state, session, services, locale)

    @router.message(StateFilter(*steps.TEXT_STATES), F.text, free)
    async def got_text(
        message: Message,
        state: FSMContext,
        session: AsyncSession,
        user: User,
        services: Services,
        locale: str,
        _: Translate,
    ) -> None:
        field = (await state.get_state() or "").rsplit(":", 1)[-1]
        case_id = (await state.get_data()).get("case_id")
        text = message.text or ""
        try:
            if case_id is None:
                case = await proposals.start_draft(
                    session=session, services=services, user=user, title=text
                )
                await state.update_data(case_id=case.id)
            else:
                await proposals.save_field(
                    session=session,
                    services=services,
                    case_id=int(case_id),
                    user=user,
                    field=field,
                    value=text,
                )
        except TransitionError as exc:
            if exc.reason == "bad_text":
                await steps.ask(message, state, services, locale, field, error=True)
            else:
                await state.clear()
                await message.answer(error_text(_, exc))
            return
        await steps.next_step(message, state, session, services, locale, field)

    @router.message(StateFilter(*steps.TEXT_STATES), free)
    async def text_expected(
        message: Message, state: FSMContext, services: Services, locale: str
    ) -> None:
        field = (await state.get_state() or "").rsplit(":", 1)[-1]
        await steps.ask(message, state, services, locale, field)

    @router.callback_query(ProposalInput.category, ProposeCB.filter(F.step == "cat"))
    @router.callback_query(ProposalInput.department, ProposeCB.filter(F.step == "dept"))
    async def chosen(
        query: CallbackQuery,
        callback_data: ProposeCB,
        state: FSMContext,
        session: AsyncSession,
        user: User,
        services: Services,
        locale: str,
        _: Translate,
    ) -> None:
        field = "category" if callback_data.step == "cat" else "department"
        value = None if callback_data.value == "-" else callback_data.value
        try:
            await proposals.save_field(
                session=session,
                services=services,
                case_id=int((await state.get_data())["case_id"]),
                user=user,
                field=field,
                value=value,
            )
        except TransitionError as exc:
            await query.answer(error_text(_, exc), show_alert=True)
            return
        await steps.done_with(query)
        await steps.next_step(query, state, session, services, locale, field)

    @router.message(ProposalInput.files, F.photo | F.document)
    async def got_file(
        message: Message,
        state: FSMContext,
        session: AsyncSession,
        user: User,
        services: Services,
        locale: str,
        _: Translate,
    ) -> None:
        case_id = int((await state.get_data())["case_id"])
        try:
            count = await proposals.add_attachment(
                session=session, case_id=case_id, user=user, item=attachment_of(message)
            )
        except TransitionError as exc:
            text = error_text(_, exc)
        else:
            text = services.renderer.render(
                locale, "student/file_added.html", count=count, max=MAX_ATTACHMENTS
            )
        await message.answer(
            text, reply_markup=steps.markup(kbs.files_done(services.renderer, locale))
        )

    @router.message(
        StateFilter(ProposalInput.category, ProposalInput.department, ProposalInput.preview), free
    )
    @router.message(ProposalInput.files, free)
    async def buttons_expected(
        message: Message, state: FSMContext, services: Services, locale: str
    ) -> None:
        expecting = "files" if await state.get_state() == ProposalInput.files.state else "buttons"
        await message.answer(
            services.renderer.render(locale, "student/unsupported.html", expecting=expecting)
        )

    @router.callback_query(ProposalInput.files, ProposeCB.filter(F.step == "files_done"))
    async def files_done(
        query: CallbackQuery,
        state: FSMContext,
        session: AsyncSession,
        services: Services,
        locale: str,
    ) -> None:
        await steps.done_with(query)
        await steps.next_step(query, state, session, services, locale, "files")

    @router.callback_query(ProposalInput.preview, ProposeCB.filter(F.step == "edit"))
    async def edit(
        query: CallbackQuery,
        callback_data: ProposeCB,
        state: FSMContext,
        services: Services,
        locale: str,
    ) -> None:
        if callback_data.value not in steps.ORDER:
            await query.answer()
            return
        await steps.done_with(query)
        await steps.ask(query, state, services, locale, callback_data.value)

    @router.callback_query(ProposalInput.preview, ProposeCB.filter(F.step == "save"))
    async def save(
        query: CallbackQuery,
        state: FSMContext,
        session: AsyncSession,
        services: Services,
        locale: str,
    ) -> None:
        case_id = int((await state.get_data())["case_id"])
        await state.clear()
        await steps.done_with(query)
        loaded = await load(session=session, case_id=case_id, for_update=False)
        await steps.reply(
            query, services.renderer.render(locale, "proposal/draft_saved.html", case=loaded.case)
        )

    @router.callback_query(
        ProposalInput.preview, ProposeCB.filter(F.step.in_({"send", "withdraw"}))
    )
    async def finish(
        query: CallbackQuery,
        callback_data: ProposeCB,
        state: FSMContext,
        session: AsyncSession,
        user: User,
        services: Services,
        bot: Bot,
        _: Translate,
    ) -> None:
        case_id = int((await state.get_data())["case_id"])
        try:
            if callback_data.step == "send":
                me = await bot.me()
                await proposal_cosign.send_for_cosign(
                    session=session,
                    services=services,
                    case_id=case_id,
                    user=user,
                    bot_username=me.username,
                )
            else:
                await proposals.withdraw(
                    session=session, services=services, case_id=case_id, user=user
                )
        except TransitionError as exc:
            await query.answer(error_text(_, exc), show_alert=True)
            return
        await state.clear()
        await steps.done_with(query)

    @router.callback_query(ProposeCB.filter())
    async def stale(query: CallbackQuery, _: Translate) -> None:
        # A button of a step already left (an old preview, say): nothing to do with it now.
        await query.answer(_(STALE), show_alert=True)

    return router
