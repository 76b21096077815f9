"""A congress session's implementation report (提案落实情况): every proposal, its departments,
their answers and the proposer's evaluation, as HTML and as an XLSX workbook."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.core import exports
from bot.core.context import Services
from bot.domain import labels
from bot.domain.text import N_
from bot.domain.workflow import State
from bot.proposals import views as proposal_views
from bot.proposals.views import ProposalView
from storage.crud import proposals as crud
from storage.models import CongressSession

# Never submitted: written, co-signed in part, or withdrawn; counted, not listed.
UNLISTED = frozenset({State.DRAFT, State.COSIGNING, State.WITHDRAWN})
# The same words as the card's and the HTML report's.
ERASED_COSIGNERS = N_("%(n)s who erased their data")
COLUMNS = (
    N_("Number"),
    N_("Title"),
    N_("Proposer"),
    N_("Co-signers"),
    N_("Category"),
    N_("Status"),
    N_("Responsible departments"),
    N_("Answers"),
    N_("Evaluation"),
    N_("Comment"),
)


@dataclass
class Report:
    congress: CongressSession
    proposals: list[ProposalView]
    counts: dict[str, int]
    unlisted: int
    generated_at: datetime


class UnknownSession(Exception):
    pass


async def collect(*, session: AsyncSession, services: Services, session_id: int) -> Report:
    congress = await crud.get_session(session=session, session_id=session_id)
    if congress is None:
        raise UnknownSession(session_id)
    rows, _ = await crud.proposals_of_session(session=session, session_id=session_id)
    views: list[ProposalView] = []
    counts: dict[str, int] = {}
    unlisted = 0
    for case, _proposal in rows:
        counts[case.state] = counts.get(case.state, 0) + 1
        if case.state in UNLISTED:
            unlisted += 1
            continue
        views.append(await proposal_views.build(session=session, services=services, case=case))
    return Report(congress, views, counts, unlisted, services.now())


def render_html(services: Services, locale: str, report: Report) -> str:
    return services.renderer.render(
        locale,
        "proposal/report.html",
        r=report,
        states=[state for state in State if state in report.counts],
        state_names={
            state: labels.PROPOSAL_STATE.get(state, labels.STATE[state]) for state in State
        },
    )


def _cells(services: Services, locale: str, view: ProposalView) -> list[str]:
    renderer = services.renderer
    _ = renderer.translator(locale)
    answers = "\n\n".join(
        f"{renderer.name_of(part.department, locale)}: {part.part.answer}"
        for part in view.parts
        if part.part.status == "published" and part.part.answer
    )
    return [
        view.case.number,
        view.proposal.title,
        view.proposer.name if view.proposer else "",
        "、".join(
            [*view.cosigners, renderer.gettext(locale, ERASED_COSIGNERS, n=view.erased_cosigners)]
            if view.erased_cosigners
            else view.cosigners
        ),
        renderer.name_of(view.category, locale),
        _(view.state_label),
        "、".join(renderer.name_of(d, locale) for d in view.departments),
        answers,
        _(labels.RATING[view.case.rating]) if view.case.rating else "",
        view.case.rating_comment or "",
    ]


def render_xlsx(services: Services, locale: str, report: Report) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    _ = services.renderer.translator(locale)
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = _("Implementation")[:31]
    exports.append_row(sheet, [report.congress.name])
    exports.append_row(sheet, [_(name) for name in COLUMNS])
    for cell in sheet[2]:
        cell.font = Font(bold=True)
    for view in report.proposals:
        exports.append_row(sheet, _cells(services, locale, view))
    widths = (14, 30, 12, 20, 14, 12, 20, 60, 12, 30)
    for index, width in enumerate(widths):
        sheet.column_dimensions[chr(ord("A") + index)].width = width
    for row in sheet.iter_rows(min_row=3):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    sheet.freeze_panes = "A3"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
