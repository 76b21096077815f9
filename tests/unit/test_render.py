"""Rendering: user text escaped for HTML, and fitted into Telegram's size limits."""

from __future__ import annotations

import html

import pytest

from bot.core.config import DEFAULT_ORG_FILE, load_organisation
from bot.core.render import MESSAGE_LIMIT, Renderer, fit_html, shorten, split_plain


@pytest.fixture(scope="module")
def renderer() -> Renderer:
    from zoneinfo import ZoneInfo

    return Renderer(load_organisation(DEFAULT_ORG_FILE), ZoneInfo("Asia/Shanghai"))


def test_user_text_is_escaped(renderer: Renderer) -> None:
    text = renderer.render(
        "zh_Hans",
        "student/preview.html",
        kind_label="Grievance",
        category=None,
        college=None,
        anonymous=False,
        attachments=0,
        body="<b>bold</b> & <script>",
        on_behalf=True,
        classmate="<i>王</i>",
        public=True,
    )
    assert "&lt;b&gt;bold&lt;/b&gt; &amp; &lt;script&gt;" in text
    assert "<script>" not in text and "&lt;i&gt;王&lt;/i&gt;" in text


def test_chinese_is_the_default_and_english_available(renderer: Renderer) -> None:
    assert "取消" in renderer.render("zh_Hans", "student/cancelled.html")
    assert "Cancelled" in renderer.render("en", "student/cancelled.html")


def test_long_text_is_split_into_messages_that_each_fit() -> None:
    body = ("很长的答复内容 <&> " * 700).strip()

    def make(part: str) -> str:
        return f"<b>答复</b>\n\n{html.escape(part, quote=False)}\n\n— 权益部"

    parts = fit_html(make, body)
    assert len(parts) >= 2
    assert all(len(p) <= MESSAGE_LIMIT for p in parts)
    rejoined = " ".join(html.unescape(p.split("\n\n")[1]) for p in parts)
    assert rejoined.split() == body.split()


def test_short_text_stays_one_message() -> None:
    assert fit_html(lambda part: f"<i>{part}</i>", "hello") == ["<i>hello</i>"]


def test_split_prefers_line_breaks() -> None:
    text = "a" * 50 + "\n" + "b" * 50
    assert split_plain(text, 60) == ["a" * 50, "b" * 50]


def test_shorten_cuts_on_a_word_and_marks_it() -> None:
    assert shorten("alpha beta gamma delta", 18) == "alpha beta gamma…"
    assert shorten("short", 12) == "short"
