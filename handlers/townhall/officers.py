"""The officers' /townhall: new (create a session and announce it), edit or cancel one (the
students taking part told), approve / reject / merge
a question, answer one with the leader who answered, case (an unanswered question becomes a
case), list, export (the ranked list as HTML and XLSX)."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command, CommandObject, Filter
from aiogram.types import BufferedInputFile, CallbackQuery, Message

from bot.core.context import Turn
from bot.core.markup import Keyboard
from bot.core.render import Translate
from bot.domain import townhall as rules
from bot.domain.text import N_
from bot.domain.workflow import Actor
from bot.townhall import answers, changes, export, questions, sessions
from bot.townhall.callbacks import TownHallCB
from handlers.common import Refused
from handlers.officers.chat import officers_router
from handlers.townhall.common import refusal, unless_refused

USAGE = N_(
    "/townhall new … · edit ID field value · cancel ID reason · approve ID · reject ID reason · "
    "merge ID INTO_ID · answer ID Leader | text · case ID · list ID · export ID"
)


class UnionChat(Filter):
    """Only the university union's officers' chat runs town halls."""

    async def __call__(self, event: Message | CallbackQuery, turn: Turn) -> bool:
        message = event.message if isinstance(event, CallbackQuery) else event
        if not isinstance(message, Message):
            return False
        return await sessions.is_union_chat(session=turn.session, chat_id=message.chat.id)


def build_router() -> Router:
    router = officers_router("townhall_officers")
    router.message.filter(UnionChat())
    router.callback_query.filter(UnionChat())
    router.message.register(command, Command("townhall"))
    router.callback_query.register(approve_button, TownHallCB.filter(F.action == "approve"))
    router.callback_query.register(case_button, TownHallCB.filter(F.action == "case"))
    return router


def _number(text: str) -> tuple[int, str] | None:
    first, _, rest = text.strip().partition(" ")
    return (int(first), rest.strip()) if first.isdigit() else None


async def command(
    message: Message, command: CommandObject, turn: Turn, actor: Actor, _: Translate
) -> None:
    sub, _sep, rest = (command.args or "").strip().partition(" ")
    if sub == "new":
        await _create(message, turn, actor, _, rest)
        return
    if sub in {"edit", "cancel"}:
        await _change(message, turn, _, sub, rest)
        return
    parsed = _number(rest)
    if sub not in {"approve", "reject", "merge", "answer", "case", "list", "export"}:
        await message.answer(_(USAGE))
        return
    if parsed is None:
        await message.answer(refusal(_, "townhall_question_not_found"))
        return
    number, text = parsed
    session, services = turn.session, turn.services
    if sub == "approve":
        done = questions.approve(session=session, services=services, question_id=number)
    elif sub == "reject":
        done = questions.reject(session=session, services=services, question_id=number, reason=text)
    elif sub == "merge":
        if not text.isdigit():
            await message.answer(refusal(_, "townhall_merge_itself"))
            return
        done = questions.merge(
            session=session, services=services, question_id=number, target_id=int(text)
        )
    elif sub == "answer":
        done = answers.record_answer(
            session=session, services=services, question_id=number, text=text
        )
    elif sub == "case":
        await _to_case(message, turn, _, number)
        return
    elif sub == "list":
        await _list(message, turn, _, number)
        return
    else:
        await _export(message, turn, _, number)
        return
    if await unless_refused(message, _, done) is not Refused.REFUSED:
        await message.answer(_("Done: question #%(id)s.") % {"id": number})


async def _create(message: Message, turn: Turn, actor: Actor, _: Translate, form: str) -> None:
    created = await unless_refused(
        message,
        _,
        sessions.create(session=turn.session, services=turn.services, actor=actor, form_text=form),
    )
    if created is Refused.REFUSED:
        return
    text = sessions.render_session(
        turn.services, turn.locale, created.town_hall, for_students=False
    )
    await message.answer(
        text
        + "\n\n"
        + _("Announced to %(n)s students who asked for it.") % {"n": created.announced}
    )


async def _change(message: Message, turn: Turn, _: Translate, sub: str, rest: str) -> None:
    """/townhall edit ID field value, /townhall cancel ID reason."""
    usage = "townhall_edit_usage" if sub == "edit" else "townhall_cancel_usage"
    parsed = _number(rest)
    if parsed is None:
        await message.answer(refusal(_, usage))
        return
    number, text = parsed
    session, services = turn.session, turn.services
    if sub == "edit":
        call = changes.edit(session=session, services=services, town_hall_id=number, text=text)
    else:
        call = changes.cancel(session=session, services=services, town_hall_id=number, reason=text)
    changed = await unless_refused(message, _, call)
    if changed is Refused.REFUSED:
        return
    text = sessions.render_session(
        turn.services, turn.locale, changed.town_hall, for_students=False
    )
    if changed.field == "cancelled" or changed.field in rules.NOTIFIED_FIELDS:
        told = _("%(n)s students taking part were told.") % {"n": changed.told}
        text = f"{text}\n\n{told}"
    elif changed.field == "colleges" and changed.told:
        told = _("Announced to %(n)s more students who asked to hear of sessions.") % {
            "n": changed.told
        }
        text = f"{text}\n\n{told}"
    await message.answer(text)


async def _to_case(message: Message, turn: Turn, _: Translate, number: int) -> None:
    case = await unless_refused(
        message,
        _,
        answers.to_case(session=turn.session, services=turn.services, question_id=number),
    )
    if case is not Refused.REFUSED:
        await message.answer(
            _("Question #%(id)s is now case %(number)s.") % {"id": number, "number": case.number}
        )


async def _list(message: Message, turn: Turn, _: Translate, number: int) -> None:
    ranked = await unless_refused(
        message, _, export.collect(session=turn.session, town_hall_id=number)
    )
    if ranked is Refused.REFUSED:
        return
    text = turn.render(
        "townhall/questions.html", town_hall=ranked.town_hall, questions=ranked.questions
    )
    kb = Keyboard()
    for q in ranked.questions:
        if not q.answer and q.case_id is None:
            kb.button(
                text=_("📂 Case from #%(id)s") % {"id": q.id},
                callback_data=TownHallCB(action="case", question_id=q.id),
            )
    kb.adjust(2)
    markup = kb.as_markup() if kb.buttons else None
    await message.answer(text, reply_markup=markup)


async def _export(message: Message, turn: Turn, _: Translate, number: int) -> None:
    ranked = await unless_refused(
        message, _, export.collect(session=turn.session, town_hall_id=number)
    )
    if ranked is Refused.REFUSED:
        return
    stem = export.file_stem(ranked)
    html = export.render_html(turn.services, turn.locale, ranked).encode()
    xlsx = export.render_xlsx(turn.services, turn.locale, ranked)
    caption = _("%(n)s questions, most votes first.") % {"n": len(ranked.questions)}
    await message.answer_document(BufferedInputFile(html, f"{stem}.html"), caption=caption)
    await message.answer_document(BufferedInputFile(xlsx, f"{stem}.xlsx"))


async def approve_button(
    query: CallbackQuery, callback_data: TownHallCB, turn: Turn, _: Translate
) -> None:
    approved = questions.approve(
        session=turn.session, services=turn.services, question_id=callback_data.question_id
    )
    if await unless_refused(query, _, approved) is Refused.REFUSED:
        return
    await query.answer(_("Done"))
    if isinstance(query.message, Message):
        await query.message.edit_reply_markup(reply_markup=None)


async def case_button(
    query: CallbackQuery, callback_data: TownHallCB, turn: Turn, _: Translate
) -> None:
    case = await unless_refused(
        query,
        _,
        answers.to_case(
            session=turn.session, services=turn.services, question_id=callback_data.question_id
        ),
    )
    if case is Refused.REFUSED:
        return
    await query.answer(
        _("Question #%(id)s is now case %(number)s.")
        % {"id": callback_data.question_id, "number": case.number}
    )
