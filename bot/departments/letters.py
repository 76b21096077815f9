"""转办单: the formal letter a case forwarded to a department with no liaison on Telegram goes
out with, by e-mail or on paper, and its reply slip (回执) for the department's answer.

One entry point builds it (`forwarding_letter`), as HTML from a template and as a PDF with the
same words; `letter_rows` queues both for the case's thread, where the officers find them.
The letter never names the student: a department sees a case, not who wrote it (an anonymous
one says so; a named one says the rights department knows who it is).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.casework import deadlines as sla
from bot.core.config import Department
from bot.core.context import Services
from bot.delivery import notify
from bot.departments import letter_pdf
from bot.departments.letter_pdf import LetterText
from bot.domain import labels
from bot.domain.text import N_
from bot.domain.workflow import Kind
from storage.crud import files as files_crud
from storage.models import Case, OutboxMessage

# The name the delivery's documents know the letter's PDF layout by (the wiring maps it).
LAYOUT = "forwarding_letter"
TITLE = N_("Case forwarding letter")
TO = N_("To: %(department)s")
INTRO = N_(
    "The %(organisation)s has received the following case from a student and forwards it to "
    "your department for handling. Please send your written answer to the rights department "
    "by %(due)s (%(days)s working days), using the reply slip below."
)
NUMBER, KIND, CATEGORY, COLLEGE = N_("Case number"), N_("Type"), N_("Category"), N_("College")
SUBMITTER, FORWARDED, DUE = N_("Submitted by"), N_("Date forwarded"), N_("Answer due by")
ANONYMOUS = N_("Anonymous")
NAMED = N_("A named student (known to the rights department; not given in this letter)")
CASE_TEXT, TEXT_DELETED = N_("What the student wrote"), N_("(deleted after the retention period)")
SLIP = N_("Reply slip")
SLIP_INTRO = N_("Case %(number)s: to be filled in by the department and returned.")
SLIP_FIELDS = (
    N_("Department"),
    N_("Person handling it"),
    N_("Telephone"),
    N_("Date of answer"),
)
ANSWER = N_("Answer")
SIGNATURE, STAMP = N_("Signature of the person in charge"), N_("Department stamp")
ISSUED = N_("%(organisation)s, rights department — %(date)s")


@dataclass(frozen=True)
class Letter:
    """The letter in both forms, and the name its files go by (without the extension)."""

    text: LetterText
    html: str
    pdf: bytes
    stem: str


def letter_text(
    *, services: Services, case: Case, department: Department, forwarded_at: datetime, locale: str
) -> LetterText:
    """The letter's words in `locale`, shared by the HTML and the PDF."""
    r = services.renderer
    _ = r.translator(locale)
    organisation = r.name_of(services.org, locale)
    due = case.department_due_at
    due_text = r.format_time(due, "%Y-%m-%d") if due is not None else "—"
    days = sla.policy_for(services.org, case.category_code).department_days
    college = services.org.college(case.college_code)
    rows = [
        (_(NUMBER), case.number),
        (_(KIND), _(labels.KIND[Kind(case.kind)])),
        (_(CATEGORY), r.name_of(services.org.category(case.category_code), locale)),
        (_(COLLEGE), r.name_of(college, locale) if college is not None else "—"),
        (_(SUBMITTER), _(ANONYMOUS) if case.anonymous else _(NAMED)),
        (_(FORWARDED), r.format_time(forwarded_at, "%Y-%m-%d")),
        (_(DUE), due_text),
    ]
    return LetterText(
        organisation=organisation,
        title=_(TITLE),
        to=r.gettext(locale, TO, department=r.name_of(department, locale)),
        intro=r.gettext(locale, INTRO, organisation=organisation, due=due_text, days=f"{days:g}"),
        rows=rows,
        text_label=_(CASE_TEXT),
        text=case.text if case.text or case.purged_at is None else _(TEXT_DELETED),
        slip=_(SLIP),
        slip_intro=r.gettext(locale, SLIP_INTRO, number=case.number),
        slip_fields=[_(field) for field in SLIP_FIELDS],
        answer=_(ANSWER),
        signature=_(SIGNATURE),
        stamp=_(STAMP),
        issued=r.gettext(
            locale, ISSUED, organisation=organisation, date=r.format_time(forwarded_at, "%Y-%m-%d")
        ),
        colon=": " if locale == "en" else "：",
    )


def forwarding_letter(
    *,
    services: Services,
    case: Case,
    department: Department,
    forwarded_at: datetime,
    locale: str | None = None,
) -> Letter:
    """The 转办单 of `case` to `department`, in the officers' language unless told."""
    text, html = _words(services, case, department, forwarded_at, locale or services.group_locale)
    return Letter(text=text, html=html, pdf=letter_pdf.render(text), stem=_stem(case, department))


def _words(
    services: Services, case: Case, department: Department, forwarded_at: datetime, locale: str
) -> tuple[LetterText, str]:
    text = letter_text(
        services=services,
        case=case,
        department=department,
        forwarded_at=forwarded_at,
        locale=locale,
    )
    return text, services.renderer.render(locale, "letters/forwarding.html", letter=text)


def _stem(case: Case, department: Department) -> str:
    return f"{case.number}-{department.code}"


async def letter_rows(
    *, session: AsyncSession, services: Services, case: Case, department: Department
) -> list[OutboxMessage]:
    """转办 to a department nobody answers for on Telegram: its letter, as PDF and HTML files
    for the case's thread, queued in the caller's transaction with the 转办 itself. The HTML is
    stored as it is; the PDF is laid out from the same words when it is sent (`LAYOUT`), so its
    font work holds up neither this transaction nor the handlers."""
    locale = services.group_locale
    text, html = _words(services, case, department, services.now(), locale)
    stem = _stem(case, department)
    page = await files_crud.store_file(
        session=session,
        filename=f"{stem}.html",
        content_type="text/html",
        data=html.encode("utf-8"),
    )
    caption = services.renderer.render(
        locale, "group/note_letter.html", case=case, department=department
    )
    pdf = {"layout": LAYOUT, "data": letter_pdf.as_data(text), "filename": f"{stem}.pdf"}
    documents: list[dict[str, Any]] = [
        {"document": pdf, "caption": caption, "parse_mode": "HTML"},
        {"document": {"stored_file": page.id}},
    ]
    return [
        OutboxMessage(
            kind="thread",
            method="sendDocument",
            case_id=case.id,
            payload=payload,
            priority=notify.NORMAL,
        )
        for payload in documents
    ]
