"""The digest in words: the chat summary and the full HTML report, in the committee's language."""

from __future__ import annotations

import base64
from datetime import timedelta
from typing import Any

from bot.core.render import Renderer
from bot.digest.figures import Digest
from bot.digest.periods import Period
from bot.domain import labels
from bot.domain.intake import SOURCE_LABEL
from bot.domain.text import N_
from bot.domain.workflow import State

REPORT_TEMPLATE = "digest/report.html"
SUMMARY_TEMPLATE = "digest/summary.html"
SEASON = {"spring": N_("Spring semester %(year)s"), "fall": N_("Fall semester %(year)s")}


def period_title(renderer: Renderer, locale: str, period: Period) -> str:
    if period.kind == "week":
        year, week = period.code.split("-W")
        return renderer.gettext(locale, N_("Week %(week)s, %(year)s"), week=int(week), year=year)
    if period.kind == "month":
        year, month = period.code.split("-")
        return renderer.gettext(locale, N_("%(month)s/%(year)s"), month=int(month), year=year)
    year, term = period.code.split("-")
    return renderer.gettext(locale, SEASON[term], year=year)


def period_dates(period: Period, last: Any = None) -> str:
    end = last or period.last
    return f"{period.first:%Y-%m-%d} – {end:%Y-%m-%d}"


def signed(change: int) -> str:
    """+4, −2, ±0: the change against the period before."""
    if change > 0:
        return f"+{change}"
    if change < 0:
        return f"−{-change}"
    return "±0"


def percent(share: float | None) -> str:
    return "—" if share is None else f"{share * 100:.0f}%"


def _helpers(renderer: Renderer, locale: str, digest: Digest) -> dict[str, Any]:
    org = renderer.org

    def duration(seconds: float | None) -> str:
        if seconds is None:
            return "—"
        hours = seconds / 3600
        if hours < 48:
            return renderer.gettext(locale, N_("%(n)s h"), n=f"{hours:.1f}")
        return renderer.gettext(locale, N_("%(n)s d"), n=f"{hours / 24:.1f}")

    def category(code: str | None) -> str:
        found = org.category(code)
        return renderer.name_of(found, locale) if found else (code or "—")

    def source(code: str) -> str:
        label = SOURCE_LABEL.get(code)
        return renderer.gettext(locale, label) if label else code

    def college(code: str | None) -> str:
        found = org.college(code)
        if found is None:
            return code or renderer.gettext(locale, N_("No college given"))
        return renderer.name_of(found, locale)

    def department(code: str | None) -> str:
        found = org.department(code)
        return renderer.name_of(found, locale) if found else (code or "—")

    def state(value: str) -> str:
        return renderer.gettext(locale, labels.STATE[State(value)])

    def days_late(due: Any) -> int:
        return max(0, (digest.as_of - due) // timedelta(days=1))

    def age_days(created: Any) -> int:
        return max(0, (digest.as_of - created) // timedelta(days=1))

    return {
        "d": digest,
        "title": period_title(renderer, locale, digest.period),
        "previous_title": period_title(renderer, locale, digest.previous),
        "dates": period_dates(
            digest.period, (digest.end - timedelta(microseconds=1)).astimezone(renderer.tz).date()
        ),
        "signed": signed,
        "percent": percent,
        "duration": duration,
        "category": category,
        "college": college,
        "source": source,
        "department": department,
        "state": state,
        "days_late": days_late,
        "age_days": age_days,
        "states_order": [s.value for s in State],
        "rating_label": lambda value: renderer.gettext(locale, labels.RATING[value]),
        "sensitive": lambda code: bool(org.category(code) and org.category(code).sensitive),  # type: ignore[union-attr]
    }


def render_summary(
    renderer: Renderer,
    locale: str,
    digest: Digest,
    *,
    late_since: Any = None,
    so_far: bool = False,
) -> str:
    """The chat message: the figures a reader needs at a glance (under Telegram's 4096)."""
    context = _helpers(renderer, locale, digest)
    return renderer.render(
        locale, SUMMARY_TEMPLATE, late_since=late_since, so_far=so_far, **context
    )


def render_report(
    renderer: Renderer,
    locale: str,
    digest: Digest,
    *,
    chart_png: bytes | None,
    organisation: str,
    generated: Any,
    late_since: Any = None,
    so_far: bool = False,
) -> str:
    """The full report: one self-contained HTML file, the chart inlined."""
    chart = base64.b64encode(chart_png).decode("ascii") if chart_png else None
    context = _helpers(renderer, locale, digest)
    return renderer.render(
        locale,
        REPORT_TEMPLATE,
        chart=chart,
        organisation=organisation,
        generated=generated,
        late_since=late_since,
        so_far=so_far,
        **context,
    )


def file_stem(digest: Digest) -> str:
    return f"studentvoice-digest-{digest.period.code}"
