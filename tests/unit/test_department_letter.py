"""The 转办单 of a department with no liaison: HTML and PDF with the same words, Chinese text
readable in the PDF, the department's due date, and never the student's identity."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from pypdf import PdfReader

from bot.core.config import DEFAULT_ORG_FILE, Settings, load_organisation
from bot.core.context import Services
from bot.core.render import Renderer
from bot.departments.letters import Letter, forwarding_letter
from storage.models import Case

TEXT = "食堂二楼的饭菜连续一周出现异物，希望后勤加强检查。<b>不是标签</b>"
FORWARDED = datetime(2026, 12, 7, 2, tzinfo=UTC)  # a Monday, 10:00 in Shanghai
DUE = datetime(2026, 12, 21, 2, tzinfo=UTC)


@pytest.fixture(scope="module")
def services() -> Services:
    org = load_organisation(DEFAULT_ORG_FILE)
    return Services(
        settings=Settings(bot_token="1:x"),
        org=org,
        renderer=Renderer(org, ZoneInfo("Asia/Shanghai")),
    )


def _case(anonymous: bool) -> Case:
    return Case(
        id=42,
        number="G2026-0042",
        kind="grievance",
        category_code="logistics",
        college_code="clinical",
        text=TEXT,
        anonymous=anonymous,
        submitter_id=None if anonymous else 1001,
        author_sealed="sealed-token" if anonymous else None,
        author_tag="tag-abc" if anonymous else None,
        state="in_progress",
        department_code="logistics",
        department_due_at=DUE,
    )


def _letter(
    services: Services, anonymous: bool, locale: str = "zh_Hans", text: str = TEXT
) -> Letter:
    department = services.org.department("logistics")
    assert department is not None
    case = _case(anonymous)
    case.text = text
    return forwarding_letter(
        services=services,
        case=case,
        department=department,
        forwarded_at=FORWARDED,
        locale=locale,
    )


def pdf_text(data: bytes) -> str:
    """The PDF's text as a reader extracts it, without the spacing the extraction adds."""
    pages = PdfReader(io.BytesIO(data)).pages
    return "".join("".join(page.extract_text().replace("\x00", "").split()) for page in pages)


def test_the_letter_says_what_the_department_needs_in_both_files(services: Services) -> None:
    letter = _letter(services, anonymous=True)
    assert letter.stem == "G2026-0042-logistics"
    html, text = letter.html, pdf_text(letter.pdf)
    assert letter.pdf.startswith(b"%PDF-")
    for wanted in (
        "医学院学生会",
        "学生诉求转办单",
        "G2026-0042",
        "后勤保障处",
        "权益诉求",  # the kind
        "后勤",  # the category
        "临床医学院",
        "2026-12-07",  # forwarded
        "2026-12-21",  # due: 10 working days later
        "10个工作日",
        "回执",
        "经办人",
        "负责人签字",
        "部门盖章",
        "匿名",
    ):
        assert wanted in html, wanted
        assert wanted.replace(" ", "") in text, wanted
    # The student's words, whole: escaped in the HTML, the same glyphs in the PDF.
    assert "食堂二楼的饭菜连续一周出现异物，希望后勤加强检查。" in text
    assert "&lt;b&gt;不是标签&lt;/b&gt;" in html and "<b>不是标签" not in html
    assert "@page" in html and "A4" in html  # printable


def test_the_pdf_embeds_its_cjk_font(services: Services) -> None:
    reader = PdfReader(io.BytesIO(_letter(services, anonymous=True).pdf))
    fonts = {
        str(font.get_object()["/BaseFont"])
        for page in reader.pages
        for font in page["/Resources"]["/Font"].values()
    }
    assert any("NotoSansCJK" in name for name in fonts), fonts


def test_rare_characters_are_drawn_too(services: Services) -> None:
    """Names such as 王喆 or 李堃 are beyond the common characters the letters usually need."""
    words = "辅导员王喆和李堃老师说宿舍的事会处理"
    assert words in pdf_text(_letter(services, anonymous=True, text=words).pdf)


@pytest.mark.parametrize("anonymous", [True, False])
def test_no_identity_of_the_student(services: Services, anonymous: bool) -> None:
    letter = _letter(services, anonymous)
    html, text = letter.html, pdf_text(letter.pdf)
    for secret in ("1001", "sealed-token", "tag-abc"):
        assert secret not in html and secret not in text
    if anonymous:
        assert "匿名" in html
    else:
        assert "实名学生" in html and "匿名" not in html


def test_the_letter_in_english(services: Services) -> None:
    letter = _letter(services, anonymous=True, locale="en")
    text = pdf_text(letter.pdf)
    for wanted in ("School of Medicine Student Union", "Case forwarding letter", "Reply slip"):
        assert wanted in letter.html
        assert wanted.replace(" ", "") in text
    assert "Anonymous" in letter.html and "Logistics Support Office" in letter.html
    assert "食堂二楼的饭菜" in text  # the student's words are never translated
