"""The chart draws its Chinese labels with a real CJK font: no missing glyphs, no tofu."""

from __future__ import annotations

import logging
import warnings

import pytest

from bot.digest.chart import ChartData, cjk_family, cjk_font_path, render_chart

LABELS = ChartData(
    title="学生之声汇报 · 2026年第47周",
    trend_title="近12周 新增与答复",
    trend_labels=["10-05", "10-12", "11-16"],
    trend_new=[3, 12, 9],
    trend_answered=[1, 10, 7],
    new_label="新增",
    answered_label="已答复",
    categories_title="各类别新增",
    categories=[("后勤餐饮", 5, 3), ("骚扰与歧视", 1, 0), ("研究生院（研究生会）", 3, 4)],
    before_label="2026年第46周",
    empty_label="本期暂无",
    footnote="医学院学生会 · 2026-11-23 09:00",
)


def test_the_font_has_every_glyph_the_chart_uses() -> None:
    from matplotlib.ft2font import FT2Font

    charmap = FT2Font(str(cjk_font_path())).get_charmap()
    texts = [LABELS.title, LABELS.trend_title, LABELS.categories_title, LABELS.footnote]
    texts += [name for name, _, _ in LABELS.categories]
    missing = {ch for text in texts for ch in text if not ch.isspace() and ord(ch) not in charmap}
    assert missing == set()
    assert cjk_family() == "Noto Sans CJK SC"


def test_the_chart_renders_without_missing_glyph_warnings(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with warnings.catch_warnings(record=True) as caught, caplog.at_level(logging.WARNING):
        warnings.simplefilter("always")
        png = render_chart(LABELS)
    complaints = [str(w.message) for w in caught] + [r.getMessage() for r in caplog.records]
    assert [c for c in complaints if "missing" in c.lower() or "findfont" in c.lower()] == []
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 20_000


def test_an_empty_period_still_draws() -> None:
    empty = ChartData(**{**LABELS.__dict__, "categories": [], "trend_new": [0, 0, 0]})
    assert render_chart(empty).startswith(b"\x89PNG")
