"""/propose: a representative writes a proposal step by step (saved after each step), checks
it in a preview, and sends it out for co-signing."""

from __future__ import annotations

from aiogram import Bot, F, Router
from aiogram.filters import Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message

from bot.core.callbacks import ProposeCB
from bot.core.context import Turn
from bot.core.render import Renderer, Translate
from bot.domain.text import N_
from bot.domain.workflow import MAX_ATTACHMENTS, TransitionError
from bot.proposals import cosign as proposal_cosign
from bot.proposals import drafts
from bot.proposals import keyboards as kbs
from bot.proposals.core import load
from bot.proposals.representative_views import ProposeEntry, propose_entry
from handlers.common import (
    SUBMITS,
    Refused,
    close_buttons,
    consented_router,
    end_dialogue,
    error_text,
    finish_unless_refused,
    free_input,
    say_unsupported,
    stored_id,
    unless_refused,
)
from handlers.media import attachment_of
from handlers.proposals import drafting_steps as steps
from handlers.proposals.drafting_steps import ProposalInput

STALE = N_("This step is over; send /propose to continue.")


def build_router(renderer: Renderer) -> Router:
    router = consented_router("proposals")
    free = free_input(renderer)
    router.message.register(propose, Command("propose"), flags=SUBMITS)
    router.callback_query.register(fresh, ProposeCB.filter(F.step == "fresh"), flags=SUBMITS)
    router.callback_query.register(resume, ProposeCB.filter(F.step == "resume"), flags=SUBMITS)
    router.message.register(got_text, StateFilter(*steps.TEXT_STATES), F.text, free, flags=SUBMITS)
    router.message.register(text_expected, StateFilter(*steps.TEXT_STATES), free)
    router.callback_query.register(
        chosen, ProposalInput.department, ProposeCB.filter(F.step == "dept")
    )
    router.callback_query.register(
        chosen, ProposalInput.category, ProposeCB.filter(F.step == "cat")
    )
    router.message.register(got_file, ProposalInput.files, F.photo | F.document, flags=SUBMITS)
    router.message.register(buttons_expected, ProposalInput.files, free)
    router.message.register(
        buttons_expected,
        StateFilter(ProposalInput.category, ProposalInput.department, ProposalInput.preview),
        free,
    )
    router.callback_query.register(
        files_done, ProposalInput.files, ProposeCB.filter(F.step == "files_done")
    )
    router.callback_query.register(edit, ProposalInput.preview, ProposeCB.filter(F.step == "edit"))
    router.callback_query.register(
        save, ProposalInput.preview, ProposeCB.filter(F.step == "save"), flags=SUBMITS
    )
    router.callback_query.register(
        send, ProposalInput.preview, ProposeCB.filter(F.step == "send"), flags=SUBMITS
    )
    router.callback_query.register(
        withdraw, ProposalInput.preview, ProposeCB.filter(F.step == "withdraw")
    )
    router.callback_query.register(stale, ProposeCB.filter())
    return router


async def propose(message: Message, state: FSMContext, turn: Turn) -> None:
    await state.clear()
    entry = await propose_entry(
        session=turn.session, services=turn.services, user_id=turn.sender.id
    )
    if not entry.is_open:
        await message.answer(_status(turn, entry))
    elif entry.draft is not None:
        case, proposal = entry.draft
        await state.update_data(case_id=case.id)
        await message.answer(
            turn.render("proposal/resume.html", case=case, proposal=proposal),
            reply_markup=steps.markup(kbs.resume(turn.services.renderer, turn.locale)),
        )
    else:
        await steps.ask(message, state, turn, "title")


def _status(turn: Turn, entry: ProposeEntry) -> str:
    return turn.render(
        "proposal/status.html",
        representative=entry.representative,
        congress=entry.congress,
        is_open=False,
        now=turn.services.now(),
    )


async def fresh(query: CallbackQuery, state: FSMContext, turn: Turn) -> None:
    await close_buttons(query)
    await state.set_data({})
    await steps.ask(query, state, turn, "title")


async def resume(query: CallbackQuery, state: FSMContext, turn: Turn, _: Translate) -> None:
    if "case_id" not in await state.get_data():  # an old prompt, pressed after /cancel
        await query.answer(_(STALE), show_alert=True)
        return
    await close_buttons(query)
    await steps.resume(query, state, turn)


async def got_text(message: Message, state: FSMContext, turn: Turn) -> None:
    field = await _step_of(state)
    case_id = (await state.get_data()).get("case_id")
    try:
        draft_id = await drafts.answer_text(
            session=turn.session,
            services=turn.services,
            user=turn.sender,
            case_id=None if case_id is None else int(case_id),
            field=field,
            text=message.text or "",
        )
    except TransitionError as exc:
        await _text_refused(message, state, turn, field, exc)
        return
    if case_id is None:
        await state.update_data(case_id=draft_id)
    await steps.next_step(message, state, turn, field)


async def _text_refused(
    message: Message, state: FSMContext, turn: Turn, field: str, exc: TransitionError
) -> None:
    """Text of the wrong length is asked for again; any other refusal ends the dialogue."""
    if exc.reason == "bad_text":
        await steps.ask(message, state, turn, field, error=True)
        return
    await state.clear()
    await message.answer(error_text(turn.translate, exc))


async def _step_of(state: FSMContext) -> str:
    return (await state.get_state() or "").rsplit(":", 1)[-1]


async def text_expected(message: Message, state: FSMContext, turn: Turn) -> None:
    await steps.ask(message, state, turn, await _step_of(state))


async def chosen(
    query: CallbackQuery, callback_data: ProposeCB, state: FSMContext, turn: Turn, _: Translate
) -> None:
    field = "category" if callback_data.step == "cat" else "department"
    saved = drafts.save_field(
        session=turn.session,
        services=turn.services,
        case_id=await stored_id(state, "case_id"),
        user=turn.sender,
        field=field,
        value=None if callback_data.value == "-" else callback_data.value,
    )
    if await unless_refused(query, _, saved) is Refused.REFUSED:
        return
    await close_buttons(query)
    await steps.next_step(query, state, turn, field)


async def got_file(message: Message, state: FSMContext, turn: Turn, _: Translate) -> None:
    case_id = await stored_id(state, "case_id")
    try:
        count = await drafts.add_attachment(
            session=turn.session, case_id=case_id, user=turn.sender, item=attachment_of(message)
        )
    except TransitionError as exc:
        text = error_text(_, exc)
    else:
        text = turn.render("student/file_added.html", count=count, max=MAX_ATTACHMENTS)
    await message.answer(
        text, reply_markup=steps.markup(kbs.files_done(turn.services.renderer, turn.locale))
    )


async def buttons_expected(message: Message, state: FSMContext, turn: Turn) -> None:
    expecting = "files" if await state.get_state() == ProposalInput.files.state else "buttons"
    await say_unsupported(message, turn, expecting)


async def files_done(query: CallbackQuery, state: FSMContext, turn: Turn) -> None:
    await close_buttons(query)
    await steps.next_step(query, state, turn, "files")


async def edit(
    query: CallbackQuery, callback_data: ProposeCB, state: FSMContext, turn: Turn
) -> None:
    if callback_data.value not in steps.ORDER:
        await query.answer()
        return
    await close_buttons(query)
    await steps.ask(query, state, turn, callback_data.value)


async def save(query: CallbackQuery, state: FSMContext, turn: Turn) -> None:
    case_id = await end_dialogue(state, "case_id")
    await close_buttons(query)
    loaded = await load(session=turn.session, case_id=case_id, for_update=False)
    await steps.reply(
        query,
        turn.render("proposal/draft_saved.html", case=loaded.case),
    )


async def send(query: CallbackQuery, state: FSMContext, turn: Turn, bot: Bot, _: Translate) -> None:
    me = await bot.me()
    sent = proposal_cosign.send_for_cosign(
        session=turn.session,
        services=turn.services,
        case_id=await stored_id(state, "case_id"),
        user=turn.sender,
        bot_username=me.username,
    )
    await finish_unless_refused(query, state, _, sent)


async def withdraw(query: CallbackQuery, state: FSMContext, turn: Turn, _: Translate) -> None:
    withdrawn = drafts.withdraw(
        session=turn.session,
        services=turn.services,
        case_id=await stored_id(state, "case_id"),
        user=turn.sender,
    )
    await finish_unless_refused(query, state, _, withdrawn)


async def stale(query: CallbackQuery, _: Translate) -> None:
    # A button of a step already left (an old preview, say): nothing to do with it now.
    await query.answer(_(STALE), show_alert=True)
