"""Cases received offline (paper forms, the mailbox 意见箱, a 面对面座谈, the phone): where
they came from, and the rules their registration is checked against. Plain Python."""

from __future__ import annotations

import re
from datetime import date, timedelta

from bot.domain.text import N_

TELEGRAM = "telegram"
# What an officer can register with /intake or the import, in the order the buttons show.
OFFLINE_SOURCES = ("paper", "mailbox", "session", "phone")
SOURCE_LABEL = {
    TELEGRAM: N_("Telegram"),
    "proposal": N_("Converted proposal"),
    "paper": N_("Paper form"),
    "mailbox": N_("Mailbox"),
    "session": N_("Face-to-face session"),
    "phone": N_("Phone"),
}
# How far back a received date may be: a paper form found in a drawer after a year is history,
# not a case with deadlines.
MAX_AGE_DAYS = 365
INVITE_DAYS = 30
# The deep link's payload: t.me/<bot>?start=intake_<token> (64 characters at most).
INVITE_PREFIX = "intake_"
_DATE = re.compile(r"^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?$")


def parse_day(text: str) -> date | None:
    """2026-12-01, 2026/12/1, 2026.12.01, 2026年12月1日; None for anything else."""
    found = _DATE.match(text.strip())
    if found is None:
        return None
    try:
        return date(*(int(part) for part in found.groups()))
    except ValueError:
        return None


def day_problem(day: date, today: date) -> str | None:
    """None if `day` can be a received date, else why not: in_future | too_old."""
    if day > today:
        return "in_future"
    if day < today - timedelta(days=MAX_AGE_DAYS):
        return "too_old"
    return None
