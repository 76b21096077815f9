"""The 转办单 as an A4 PDF, with the CJK font of `bot.core.fonts` (mplfonts
ships Noto Sans CJK SC, which the digest's chart uses too): nothing is fetched at run time, and
the letter looks the same on every machine. The font is embedded as a subset."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fpdf import FPDF
from fpdf.enums import WrapMode, XPos, YPos
from fpdf.fonts import TTFFont

from bot.core.fonts import cjk_font_path, common_cjk_font

FONT = "cjk"
MARGIN = 20  # mm, as a printed letter has
LINE = 7
ANSWER_LINES = 6


@dataclass(frozen=True)
class LetterText:
    """Every word of the letter, already in its language; the HTML and the PDF lay it out."""

    organisation: str
    title: str
    to: str
    intro: str
    rows: list[tuple[str, str]]
    text_label: str
    text: str
    slip: str
    slip_intro: str
    slip_fields: list[str]
    answer: str
    signature: str
    stamp: str
    issued: str
    colon: str = "："


def as_data(letter: LetterText) -> dict[str, object]:
    """The letter's words as JSON takes them, for `render_data` to lay out later."""
    return dataclasses.asdict(letter)


def render_data(data: dict[str, Any]) -> bytes:
    """`render` of what `as_data` gave: what a delivery's document process is handed."""
    rows = [(str(label), str(value)) for label, value in data["rows"]]
    return render(LetterText(**(data | {"rows": rows})))


def render(letter: LetterText) -> bytes:
    pdf = FPDF(orientation="portrait", unit="mm", format="A4")
    pdf.set_margins(MARGIN, MARGIN, MARGIN)
    pdf.set_auto_page_break(auto=True, margin=MARGIN)
    pdf.add_font(FONT, fname=str(_font_for(letter)))
    # The subset keeps the whole font's bounding boxes (they enclose its glyphs all the same):
    # measuring every glyph's outline again was a third of the letter's font work.
    font = pdf.fonts[FONT]
    assert isinstance(font, TTFFont)
    font.ttfont.recalcBBoxes = False
    pdf.set_title(f"{letter.title} {letter.rows[0][1] if letter.rows else ''}".strip())
    pdf.set_creator(letter.organisation)
    pdf.add_page()
    width = pdf.epw

    def para(text: str, size: float = 11, align: str = "L", height: float = LINE) -> None:
        pdf.set_font(FONT, size=size)
        # Chinese has no spaces to break at; breaking at any character wraps both languages.
        pdf.multi_cell(
            width,
            height,
            text,
            align=align,
            wrapmode=WrapMode.CHAR,
            new_x=XPos.LMARGIN,
            new_y=YPos.NEXT,
        )

    para(letter.organisation, size=13, align="C")
    para(letter.title, size=20, align="C", height=12)
    pdf.ln(4)
    para(letter.to, size=12)
    para(letter.intro)
    pdf.ln(3)
    label_width = 42
    pdf.set_font(FONT, size=11)
    for label, value in letter.rows:
        pdf.multi_cell(
            label_width,
            LINE,
            label,
            border=1,
            new_x=XPos.RIGHT,
            new_y=YPos.TOP,
            wrapmode=WrapMode.CHAR,
        )
        pdf.multi_cell(
            width - label_width,
            LINE,
            value,
            border=1,
            new_x=XPos.LMARGIN,
            new_y=YPos.NEXT,
            wrapmode=WrapMode.CHAR,
        )
    pdf.ln(3)
    para(letter.text_label, size=12)
    pdf.set_font(FONT, size=11)
    pdf.multi_cell(
        width,
        LINE,
        letter.text,
        border=1,
        padding=2,
        wrapmode=WrapMode.CHAR,
        new_x=XPos.LMARGIN,
        new_y=YPos.NEXT,
    )
    pdf.ln(2)
    para(letter.issued, align="R")
    _reply_slip(pdf, letter, width)
    return bytes(pdf.output())


def _font_for(letter: LetterText) -> Path:
    """The common characters' cut of the font when the letter needs no other: the whole font
    takes several times longer to parse and subset, for every letter."""
    common = common_cjk_font()
    words = "".join(_strings(dataclasses.astuple(letter)))
    return common.path if common is not None and common.covers(words) else cjk_font_path()


def _strings(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, (tuple, list)):
        return [text for item in value for text in _strings(item)]
    return []


def _reply_slip(pdf: FPDF, letter: LetterText, width: float) -> None:
    """回执: cut off along the dashed line and returned; its own page when this one is full."""
    needed = LINE * (len(letter.slip_fields) + ANSWER_LINES + 8)
    if pdf.get_y() + needed > pdf.h - MARGIN:
        pdf.add_page()
    pdf.ln(6)
    pdf.set_dash_pattern(dash=2, gap=2)
    pdf.line(MARGIN, pdf.get_y(), MARGIN + width, pdf.get_y())
    pdf.set_dash_pattern()
    pdf.ln(4)
    pdf.set_font(FONT, size=16)
    pdf.cell(width, 10, letter.slip, align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font(FONT, size=11)
    pdf.multi_cell(
        width,
        LINE,
        letter.slip_intro,
        wrapmode=WrapMode.CHAR,
        new_x=XPos.LMARGIN,
        new_y=YPos.NEXT,
    )
    pdf.ln(2)
    for field in letter.slip_fields:
        pdf.cell(
            width,
            LINE + 2,
            f"{field}{letter.colon}",
            border="B",
            new_x=XPos.LMARGIN,
            new_y=YPos.NEXT,
        )
    pdf.cell(width, LINE + 2, f"{letter.answer}{letter.colon}", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    for _ in range(ANSWER_LINES):
        pdf.cell(width, LINE + 2, "", border="B", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(8)
    half = width / 2
    pdf.cell(
        half,
        LINE,
        f"{letter.signature}{letter.colon}",
        border="B",
        new_x=XPos.RIGHT,
        new_y=YPos.TOP,
    )
    pdf.cell(
        half,
        LINE,
        f"  {letter.stamp}{letter.colon}",
        border="B",
        new_x=XPos.LMARGIN,
        new_y=YPos.NEXT,
    )
