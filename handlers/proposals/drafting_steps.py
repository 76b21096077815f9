"""The /propose dialogue's steps: which question comes next, and how each step and the
preview are shown (the router in `handlers.proposals.drafting` decides which update leads
where)."""

from __future__ import annotations

from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message

from bot.core.context import Turn
from bot.domain.workflow import MAX_ATTACHMENTS
from bot.proposals import keyboards as kbs
from bot.proposals.core import PART_MAX, PART_MIN, TITLE_MAX, TITLE_MIN
from bot.proposals.representative_views import DraftPreview, draft_preview

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


def markup(keyboard: dict[str, object] | None) -> InlineKeyboardMarkup | None:
    return InlineKeyboardMarkup.model_validate(keyboard) if keyboard else None


async def reply(target: Target, text: str, keyboard: dict[str, object] | None = None) -> None:
    message = target.message if isinstance(target, CallbackQuery) else target
    if isinstance(message, Message):
        await message.answer(text, reply_markup=markup(keyboard))


async def ask(
    target: Target, state: FSMContext, turn: Turn, field: str, *, error: bool = False
) -> None:
    """Put the question of one step (again, with `error`)."""
    await state.set_state(getattr(ProposalInput, field))
    renderer = turn.services.renderer
    keyboard = {
        "category": kbs.categories,
        "department": kbs.departments,
        "files": kbs.files_done,
    }.get(field)
    minimum, maximum = (TITLE_MIN, TITLE_MAX) if field == "title" else (PART_MIN, PART_MAX)
    if field == "files":
        maximum = MAX_ATTACHMENTS
    text = renderer.render(
        turn.locale, "proposal/ask.html", field=field, error=error, minimum=minimum, maximum=maximum
    )
    await reply(target, text, keyboard(renderer, turn.locale) if keyboard else None)


async def next_step(target: Target, state: FSMContext, turn: Turn, answered: str) -> None:
    """After a step: the following one, or the preview once it has been seen (an edit)."""
    data = await state.get_data()
    later = ORDER[ORDER.index(answered) + 1 :]
    if later and not data.get("seen"):
        await ask(target, state, turn, later[0])
        return
    draft = await draft_preview(session=turn.session, case_id=int(data["case_id"]))
    await preview(target, state, turn, draft)


async def resume(target: Target, state: FSMContext, turn: Turn) -> None:
    """A draft taken up again: at its first unanswered step, or at the preview if complete."""
    data = await state.get_data()
    draft = await draft_preview(session=turn.session, case_id=int(data["case_id"]))
    if draft.missing:
        await ask(target, state, turn, draft.missing[0])
        return
    await preview(target, state, turn, draft)


async def preview(target: Target, state: FSMContext, turn: Turn, draft: DraftPreview) -> None:
    await state.set_state(ProposalInput.preview)
    await state.update_data(seen=True)
    loaded = draft.loaded
    text = turn.render(
        "proposal/preview.html",
        case=loaded.case,
        congress=loaded.congress,
        proposal=loaded.proposal,
        category=turn.services.org.category(loaded.case.category_code),
        suggested=turn.services.org.department(loaded.proposal.suggested_department),
        attachments=draft.attachments,
        required=loaded.congress.cosigners_required,
    )
    await reply(target, text, kbs.preview(turn.services.renderer, turn.locale))
