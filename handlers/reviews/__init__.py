"""Semester reviews (述职评议): a panel member's ballot in private (/review, the invitation's
button, /start review_<token> for staff), and /review status | results for the committee."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command, CommandObject, CommandStart, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message

from bot.core.callbacks import ReviewCB
from bot.core.context import Turn
from bot.core.render import Translate
from bot.domain.roles import ADMIN, READER
from bot.reviews import ballot, report
from bot.reviews.ballot import Outcome
from bot.reviews.rules import COMMENT_LIMIT, INVITE_PREFIX
from handlers.common import private_router, send_privacy_notice

# Who may read a round's status and results outside the committee chat.
READERS = frozenset({ADMIN, READER})


class Commenting(StatesGroup):
    text = State()


def build_router() -> Router:
    router = Router(name="reviews")
    router.message.register(committee, Command("review", magic=F.args))
    router.message.register(committee, Command("review"), F.chat.type != "private")
    private = private_router("reviews_ballot")
    private.message.register(
        joined, CommandStart(deep_link=True, magic=F.args.startswith(INVITE_PREFIX))
    )
    private.message.register(my_ballot, Command("review"))
    # A command is not a comment: it goes on to its own handler.
    private.message.register(
        commented, StateFilter(Commenting.text), F.text, ~F.text.startswith("/")
    )
    private.callback_query.register(pressed, ReviewCB.filter())
    router.include_router(private)
    return router


async def committee(message: Message, command: CommandObject, turn: Turn, _: Translate) -> None:
    """/review status | results: in the committee chat, or for an admin or a reader."""
    what = (command.args or "").strip().lower()
    if what not in ("status", "results"):
        if message.chat.type == "private":
            await my_ballot(message, turn)
        else:
            await message.reply(_("Use /review status or /review results."))
        return
    chat = await report.committee_chat(session=turn.session, services=turn.services)
    if message.chat.id != chat and not READERS & turn.roles:
        await message.reply(
            _("Only the committee chat, a committee reader or an admin can ask for this.")
        )
        return
    review = await report.latest(session=turn.session)
    if review is None:
        await message.reply(_("No review round has been opened yet."))
        return
    found = await report.turnout(session=turn.session, review=review)
    if what == "status":
        await message.reply(turn.render("reviews/status.html", r=found, now=turn.services.now()))
        return
    if review.closed_at is None:
        await message.reply(_("The results are shown only after the round has closed."))
    elif not found.quorum_met:
        await message.reply(turn.render("reviews/summary.html", r=found, min_voters=0))
    else:
        await report.queue_report(
            session=turn.session, services=turn.services, review=review, chat_id=message.chat.id
        )


async def my_ballot(message: Message, turn: Turn) -> None:
    outcome = await ballot.load(
        session=turn.session, services=turn.services, user_id=turn.sender.id, round_id=None
    )
    await _show(message, turn, outcome)


async def joined(message: Message, command: CommandObject, state: FSMContext, turn: Turn) -> None:
    await state.clear()
    if turn.sender.consent_at is None:
        # A seat is bound to someone who has agreed to how the bot keeps their data.
        await message.answer(turn.render(ballot.REFUSED, outcome="consent_first"))
        await send_privacy_notice(message, turn)
        return
    outcome = await ballot.join(
        session=turn.session,
        services=turn.services,
        user=turn.sender,
        payload=(command.args or "").strip(),
    )
    await _show(message, turn, outcome)


async def pressed(
    query: CallbackQuery, callback_data: ReviewCB, state: FSMContext, turn: Turn, _: Translate
) -> None:
    data, services, uid = callback_data, turn.services, turn.sender.id
    if data.op == "noop":
        await query.answer(_("Tap a number from 1 to 5 on this row."))
        return
    if data.op == "score":
        outcome = await ballot.tap(session=turn.session, services=services, user_id=uid, data=data)
    elif data.op == "submit":
        outcome = await ballot.submit(
            session=turn.session, services=services, user_id=uid, round_id=data.round_id
        )
    else:
        outcome = await ballot.load(
            session=turn.session,
            services=services,
            user_id=uid,
            round_id=data.round_id,
            at=data.at,
        )
        if data.op == "comment" and outcome.ballot is not None:
            await state.set_state(Commenting.text)
            await state.update_data(round_id=data.round_id, at=outcome.ballot.at)
            await query.answer()
            if isinstance(query.message, Message):
                await query.message.answer(
                    turn.render(
                        "reviews/comment_prompt.html",
                        person=outcome.ballot.person,
                        limit=COMMENT_LIMIT,
                    )
                )
            return
    if outcome.ballot is None or outcome.status == "submitted_now":
        await state.clear()
        await query.answer()
        if isinstance(query.message, Message):
            await query.message.edit_reply_markup(reply_markup=None)
            await query.message.answer(_told(turn, outcome))
        return
    text, keyboard = ballot.view(services.renderer, turn.locale, outcome.ballot)
    await query.answer()
    if isinstance(query.message, Message):
        await query.message.edit_text(
            text, reply_markup=InlineKeyboardMarkup.model_validate(keyboard)
        )


async def commented(message: Message, state: FSMContext, turn: Turn) -> None:
    data = await state.get_data()
    outcome = await ballot.comment(
        session=turn.session,
        services=turn.services,
        user_id=turn.sender.id,
        round_id=int(data.get("round_id", 0)),
        at=int(data.get("at", 0)),
        text=message.text or "",
    )
    if outcome.status == "too_long":
        await message.answer(_told(turn, outcome))
        return  # still waiting for a shorter one
    await state.clear()
    await _show(message, turn, outcome)


async def _show(message: Message, turn: Turn, outcome: Outcome) -> None:
    if outcome.ballot is None:
        await message.answer(_told(turn, outcome))
        return
    text, keyboard = ballot.view(turn.services.renderer, turn.locale, outcome.ballot)
    await message.answer(text, reply_markup=InlineKeyboardMarkup.model_validate(keyboard))


def _told(turn: Turn, outcome: Outcome) -> str:
    return turn.render(ballot.REFUSED, outcome=outcome.status, **outcome.extra)
