"""The review's plain rules (quorum, the figures of a reviewee) and its texts in both
languages."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from fractions import Fraction

import pytest

from bot.core.config import DEFAULT_ORG_FILE, load_organisation
from bot.core.render import Renderer
from bot.reviews.ballot import Ballot, view
from bot.reviews.report import Results
from bot.reviews.rules import figures, needed, parse_quorum, quorum_met
from storage.models_reviews import PanelMember, ReviewDraft, Reviewee, ReviewRound


@pytest.fixture(scope="module")
def renderer() -> Renderer:
    from zoneinfo import ZoneInfo

    return Renderer(load_organisation(DEFAULT_ORG_FILE), ZoneInfo("Asia/Shanghai"))


def test_quorum() -> None:
    assert parse_quorum("2/3") == Fraction(2, 3) and parse_quorum("60%") == Fraction(3, 5)
    with pytest.raises(ValueError):
        parse_quorum("3/2")
    assert needed(4, Fraction(2, 3)) == 3 and needed(3, Fraction(2, 3)) == 2
    assert quorum_met(2, 3, Fraction(2, 3)) and not quorum_met(1, 3, Fraction(2, 3))
    assert not quorum_met(0, 0, Fraction(2, 3))


def test_figures_hide_a_person_scored_by_fewer_than_three() -> None:
    rows: list[dict[str, int | str | None]] = [
        {"political": 4, "comment": "好"},
        {"political": 5, "moral": 3, "comment": None},
    ]
    few = figures("赵一鸣", "主席团成员", rows, random.Random(1))
    assert few.scorers == 2 and not few.shown
    more = figures(
        "赵一鸣", "主席团成员", [*rows, {"political": 5, "comment": None}], random.Random(1)
    )
    assert more.shown and more.dimensions[0].average == 4.67
    assert more.dimensions[0].distribution == {1: 0, 2: 0, 3: 0, 4: 1, 5: 2}
    assert more.dimensions[1].count == 1 and more.comments == ["好"]


@pytest.mark.parametrize("locale", ["zh_Hans", "en"])
def test_every_review_text_renders(renderer: Renderer, locale: str) -> None:
    now = datetime(2026, 12, 7, tzinfo=UTC)
    review = ReviewRound(
        id=1, semester="2026-fall", deadline=now + timedelta(days=3), opened_at=now
    )
    person = Reviewee(id=1, round_id=1, position=0, name="赵一鸣", post="主席团成员")
    seat = PanelMember(id=1, round_id=1, kind="staff", name="王老师")
    draft = ReviewDraft(member_id=1, scores={"1": {"political": 4}}, comments={"1": "<b>好</b>"})
    text, keyboard = view(renderer, locale, Ballot(review, seat, [person, person], draft))
    assert "&lt;b&gt;好" in text and "[4]" in str(keyboard)
    if locale == "en":
        assert "Political attitude: <b>4</b>" in text and "Submit" in str(keyboard)
    else:
        assert "政治态度: <b>4</b>" in text and "提交" in str(keyboard)
    found = Results(review, 4, 3, 3, [])
    for template in ("reviews/invited.html", "reviews/reminder.html"):
        assert "2026-fall" in renderer.render(locale, template, review=review)
    assert "3" in renderer.render(locale, "reviews/status.html", r=found, now=now)
    assert renderer.render(locale, "reviews/summary.html", r=found, min_voters=3)
    for outcome in ("closed", "submitted", "not_panel", "used", "invalid", "consent_first"):
        assert renderer.render(locale, "reviews/refused.html", outcome=outcome)
