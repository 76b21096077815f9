"""/propose: a representative writes a proposal step by step (saved after each step), checks
it in a preview, and sends it out for co-signing."""

from __future__ import annotations

from collections.abc import Callable

from aiogram import Bot, F, Router
from aiogram.filters import Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot import proposal_keyboards as kbs
from bot.callbacks import ProposeCB
from bot.i18n import N_
from bot.render import Renderer
from bot.services import proposals
from bot.services.cases import MAX_ATTACHMENTS
from bot.services.context import Services
from bot.services.proposal_core import (
    PART_MAX,
    PART_MIN,
    TITLE_MAX,
    TITLE_MIN,
    Loaded,
    load,
    window_open,
)
from bot.workflow import TransitionError
from handlers.common import ConsentGate, error_text, free_input
from handlers.media import attachment_of
from storage.crud import cases as cases_crud
from storage.crud import proposals as crud
from storage.models import User

Translate = Callable[[str], str]
Target = Message | CallbackQuery


class ProposalInput(StatesGroup):
    title = State()
    problem = State()
    reasons = State()
    measures = State()
    category = State()
    department = State()
    files = State()
    preview = State()


TEXT_STATES = (
    ProposalInput.title,
    ProposalInput.problem,
    ProposalInput.reasons,
    ProposalInput.measures,
)
ORDER = ("title", "problem", "reasons", "measures", "category", "department", "files")
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
                reply_markup=_markup(kbs.resume(services.renderer, locale)),
            )
            return
        await _ask(message, state, services, locale, "title")

    @router.callback_query(ProposeCB.filter(F.step == "fresh"))
    async def fresh(
        query: CallbackQuery, state: FSMContext, services: Services, locale: str
    ) -> None:
        await _done_with(query)
        await state.set_data({})
        await _ask(query, state, services, locale, "title")

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
        await _done_with(query)
        await _resume(query, state, session, services, locale)

    @router.message(StateFilter(*TEXT_STATES), F.text, free)
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
                await _ask(message, state, services, locale, field, error=True)
            else:
                await state.clear()
                await message.answer(error_text(_, exc))
            return
        await _next(message, state, session, services, locale, field)

    @router.message(StateFilter(*TEXT_STATES), free)
    async def text_expected(
        message: Message, state: FSMContext, services: Services, locale: str
    ) -> None:
        field = (await state.get_state() or "").rsplit(":", 1)[-1]
        await _ask(message, state, services, locale, field)

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
        await _done_with(query)
        await _next(query, state, session, services, locale, field)

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
        await message.answer(text, reply_markup=_markup(kbs.files_done(services.renderer, locale)))

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
        await _done_with(query)
        await _next(query, state, session, services, locale, "files")

    @router.callback_query(ProposalInput.preview, ProposeCB.filter(F.step == "edit"))
    async def edit(
        query: CallbackQuery,
        callback_data: ProposeCB,
        state: FSMContext,
        services: Services,
        locale: str,
    ) -> None:
        if callback_data.value not in ORDER:
            await query.answer()
            return
        await _done_with(query)
        await _ask(query, state, services, locale, callback_data.value)

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
        await _done_with(query)
        loaded = await load(session=session, case_id=case_id, for_update=False)
        await _reply(
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
                await proposals.send_for_cosign(
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
        await _done_with(query)

    @router.callback_query(ProposeCB.filter())
    async def stale(query: CallbackQuery, _: Translate) -> None:
        # A button of a step already left (an old preview, say): nothing to do with it now.
        await query.answer(_(STALE), show_alert=True)

    return router


def _markup(keyboard: dict[str, object] | None) -> InlineKeyboardMarkup | None:
    return InlineKeyboardMarkup.model_validate(keyboard) if keyboard else None


async def _reply(target: Target, text: str, keyboard: dict[str, object] | None = None) -> None:
    message = target.message if isinstance(target, CallbackQuery) else target
    if isinstance(message, Message):
        await message.answer(text, reply_markup=_markup(keyboard))


async def _done_with(query: CallbackQuery) -> None:
    """The pressed message loses its buttons, so an old step cannot be pressed again."""
    await query.answer()
    if isinstance(query.message, Message):
        await query.message.edit_reply_markup(reply_markup=None)


async def _ask(
    target: Target,
    state: FSMContext,
    services: Services,
    locale: str,
    field: str,
    *,
    error: bool = False,
) -> None:
    """Put the question of one step (again, with `error`)."""
    await state.set_state(getattr(ProposalInput, field))
    renderer = services.renderer
    keyboard = {
        "category": kbs.categories,
        "department": kbs.departments,
        "files": kbs.files_done,
    }.get(field)
    minimum, maximum = (TITLE_MIN, TITLE_MAX) if field == "title" else (PART_MIN, PART_MAX)
    if field == "files":
        maximum = MAX_ATTACHMENTS
    text = renderer.render(
        locale, "proposal/ask.html", field=field, error=error, minimum=minimum, maximum=maximum
    )
    await _reply(target, text, keyboard(renderer, locale) if keyboard else None)


async def _next(
    target: Target,
    state: FSMContext,
    session: AsyncSession,
    services: Services,
    locale: str,
    answered: str,
) -> None:
    """After a step: the following one, or the preview once it has been seen (an edit)."""
    data = await state.get_data()
    later = ORDER[ORDER.index(answered) + 1 :]
    if later and not data.get("seen"):
        await _ask(target, state, services, locale, later[0])
        return
    loaded = await load(session=session, case_id=int(data["case_id"]), for_update=False)
    await _preview(target, state, session, services, locale, loaded)


async def _resume(
    target: Target, state: FSMContext, session: AsyncSession, services: Services, locale: str
) -> None:
    """A draft taken up again: at its first unanswered step, or at the preview if complete."""
    data = await state.get_data()
    loaded = await load(session=session, case_id=int(data["case_id"]), for_update=False)
    missing = proposals.missing_fields(loaded)
    if missing:
        await _ask(target, state, services, locale, missing[0])
        return
    await _preview(target, state, session, services, locale, loaded)


async def _preview(
    target: Target,
    state: FSMContext,
    session: AsyncSession,
    services: Services,
    locale: str,
    loaded: Loaded,
) -> None:
    await state.set_state(ProposalInput.preview)
    await state.update_data(seen=True)
    case = loaded.case
    assert case.id is not None
    attachments = await cases_crud.attachments_of(session=session, case_id=case.id)
    text = services.renderer.render(
        locale,
        "proposal/preview.html",
        case=case,
        congress=loaded.congress,
        proposal=loaded.proposal,
        category=services.org.category(case.category_code),
        suggested=services.org.department(loaded.proposal.suggested_department),
        attachments=len(attachments),
        required=loaded.congress.cosigners_required,
    )
    await _reply(target, text, kbs.preview(services.renderer, locale))
