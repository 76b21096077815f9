"""The ranked list for the session (HTML for the screen, XLSX for the organisers): approved
questions by votes, with their counts and answers, and never who asked."""

from __future__ import annotations

import io
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from bot.core import exports
from bot.core.context import Services
from bot.domain.text import N_
from bot.townhall import board, sessions
from storage.crud.townhall import PublicQuestion
from storage.models import TownHall

COLUMNS = (N_("Rank"), N_("Number"), N_("Question"), N_("Votes"), N_("Leader"), N_("Answer"))


@dataclass(frozen=True)
class Ranked:
    town_hall: TownHall
    questions: list[PublicQuestion]


async def collect(*, session: AsyncSession, town_hall_id: int) -> Ranked:
    town_hall = await sessions.get(session=session, town_hall_id=town_hall_id)
    listed = await board.approved_questions(session=session, town_hall_id=town_hall_id)
    return Ranked(town_hall, listed)


def file_stem(ranked: Ranked) -> str:
    return f"townhall-{ranked.town_hall.id}"


def render_html(services: Services, locale: str, ranked: Ranked) -> str:
    return services.renderer.render(
        locale, "townhall/export.html", town_hall=ranked.town_hall, questions=ranked.questions
    )


def render_xlsx(services: Services, locale: str, ranked: Ranked) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    _ = services.renderer.translator(locale)
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = _("Questions")[:31]
    exports.append_row(sheet, [ranked.town_hall.title])
    exports.append_row(sheet, [_(name) for name in COLUMNS])
    for cell in sheet[2]:
        cell.font = Font(bold=True)
    for rank, q in enumerate(ranked.questions, start=1):
        exports.append_row(
            sheet, [rank, f"#{q.id}", q.text, q.votes, q.answered_by or "", q.answer or ""]
        )
    for index, width in enumerate((6, 8, 60, 8, 16, 60)):
        sheet.column_dimensions[chr(ord("A") + index)].width = width
    for row in sheet.iter_rows(min_row=3):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    sheet.freeze_panes = "A3"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
