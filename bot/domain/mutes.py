"""How long an officer may mute a student for, as they type it: `3d`, `12h`, `30m`."""

from __future__ import annotations

import re
from datetime import timedelta

# Longer than a term's worth of silence is no longer a pause but a ban, which a mute is not.
LONGEST = timedelta(days=90)
_UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
_DURATION = re.compile(r"^(\d{1,4})([mhdw])$", re.IGNORECASE)


def parse_duration(text: str) -> timedelta | None:
    """The duration, or None when it is not one (or zero, or longer than `LONGEST`)."""
    found = _DURATION.match(text.strip())
    if found is None:
        return None
    length = timedelta(**{_UNITS[found[2].lower()]: int(found[1])})
    return length if timedelta(0) < length <= LONGEST else None
