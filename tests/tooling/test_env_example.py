"""`.env.example` is the IT volunteer's list of settings: every one of them, each explained."""

from __future__ import annotations

import re
from pathlib import Path

from bot.core.config import Settings

ROOT = Path(__file__).resolve().parents[2]
# `NAME=value` or `# NAME=value`, and what explains it: the text after `  # ` on the same line,
# or a comment line of its own just above.
SETTING = re.compile(r"^#?\s*([A-Z][A-Z0-9_]*)=")


def documented() -> dict[str, bool]:
    lines = (ROOT / ".env.example").read_text(encoding="utf-8").splitlines()
    found: dict[str, bool] = {}
    for number, line in enumerate(lines):
        match = SETTING.match(line)
        if match is None:
            continue
        above = lines[number - 1] if number else ""
        explained_above = above.startswith("#") and SETTING.match(above) is None
        found[match.group(1)] = "  # " in line or explained_above
    return found


def test_every_setting_is_in_env_example() -> None:
    names = {name.upper() for name in Settings.model_fields}
    assert sorted(names - documented().keys()) == []


def test_every_setting_in_env_example_has_a_comment() -> None:
    assert [name for name, explained in documented().items() if not explained] == []
