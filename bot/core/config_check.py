"""Every problem of the settings and the organisation file at once, each with where it is (the
organisation file's line), and the effective configuration with its secrets masked."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from pydantic_core import ErrorDetails
from pydantic_settings import BaseSettings

from bot.core.config import DEFAULT_ORG_FILE, Organisation, Settings

ENVIRONMENT = "environment"
SECRET_NAME = re.compile(r"TOKEN|KEY|PASSWORD|SECRET|IDENTITY")
URL_PASSWORD = re.compile(r"(://[^/@:]*:)[^/@]+@")
QUERY_PASSWORD = re.compile(r"\b((?:password|passwd|pwd)=)[^&]+", re.IGNORECASE)
TOML_POSITION = re.compile(r"\s*\(at (?:line (\d+), column \d+|end of document)\)$")
HEADER = re.compile(r"^\s*(\[\[?)\s*([^\]]+?)\s*\]\]?\s*(?:#.*)?$")
KEY = re.compile(r"^\s*([A-Za-z0-9_.\-\"' ]+?)\s*=(.*)$")
STRING = re.compile(r"\"(?:[^\"\\]|\\.)*\"|'[^']*'")
DUPLICATE = re.compile(r"^duplicate code '(.+)'$")

KeyPath = tuple[str | int, ...]


@dataclass(frozen=True)
class Problem:
    where: str
    what: str

    def __str__(self) -> str:
        return f"{self.where}: {self.what}"


class _OrganisationFileSetting(BaseSettings):
    """Read like Settings, alone: the organisation file is checked even when another setting
    is wrong."""

    model_config = Settings.model_config
    organisation_file: Path = DEFAULT_ORG_FILE


def check_settings() -> tuple[Settings | None, list[Problem]]:
    try:
        settings = Settings()
    except ValidationError as exc:
        return None, [
            Problem(ENVIRONMENT, f"{_dotted(e['loc']).upper()}: {_message(e)}")
            for e in exc.errors()
        ]
    if not settings.bot_token:
        return settings, [Problem(ENVIRONMENT, "BOT_TOKEN: not set (the bot needs it to run)")]
    return settings, []


def organisation_file(settings: Settings | None) -> Path:
    if settings is not None:
        return settings.organisation_file
    return _OrganisationFileSetting().organisation_file


def check_organisation(path: Path) -> tuple[Organisation | None, list[Problem]]:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return None, [Problem(str(path), f"cannot be read ({exc}); set ORGANISATION_FILE")]
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        message = str(exc)
        match = TOML_POSITION.search(message)
        line = int(match.group(1)) if match and match.group(1) else len(text.splitlines())
        what = message[: match.start()] if match else message
        return None, [Problem(f"{path}:{line}", f"not valid TOML: {what}")]
    try:
        return Organisation.model_validate(raw), []
    except ValidationError as exc:
        lines = key_lines(text)
        problems = []
        for error in exc.errors():
            loc, message = _located(tuple(error["loc"]), _message(error), raw)
            problems.append(Problem(f"{path}:{_line_of(lines, loc)}", f"{_dotted(loc)}: {message}"))
        return None, problems


def key_lines(text: str) -> dict[KeyPath, int]:
    """Where each table, array-of-tables entry, key and inline-table element begins (1-based).

    Enough of TOML for a hand-written file: headers, bare and dotted keys, and arrays that run
    over several lines with one inline table or string per element."""
    lines: dict[KeyPath, int] = {}
    table: KeyPath = ()
    entries: dict[KeyPath, int] = {}
    array: KeyPath | None = None
    depth = 0
    items = 0
    for number, line in enumerate(text.splitlines(), start=1):
        code = STRING.sub('""', line).split("#", 1)[0]
        if array is not None:
            items = _count_items(code, depth, array, items, number, lines)
            depth += code.count("[") - code.count("]")
            if depth <= 0:
                array = None
            continue
        header = HEADER.match(line)
        if header:
            name = tuple(_split_key(header.group(2)))
            if header.group(1) == "[[":
                index = entries.get(name, 0)
                entries[name] = index + 1
                lines.setdefault(name, number)
                table = (*name, index)
            else:
                table = name
            lines.setdefault(table, number)
            continue
        key = KEY.match(code)
        if key:
            path = (*table, *_split_key(key.group(1)))
            lines.setdefault(path, number)
            value = key.group(2)
            if value.lstrip().startswith("["):
                items = _count_items(value[value.index("[") + 1 :], 1, path, 0, number, lines)
                depth = value.count("[") - value.count("]")
                array = path if depth > 0 else None
    return lines


def _count_items(
    code: str, depth: int, array: KeyPath, items: int, number: int, lines: dict[KeyPath, int]
) -> int:
    # At the array's own level each element starts with a string or an inline table (the
    # strings are empty here: `code` has had their contents taken out).
    level = depth
    in_string = False
    for char in code:
        if level == 1 and char in '"{' and not in_string:
            lines.setdefault((*array, items), number)
            items += 1
        if char == '"':
            in_string = not in_string
        level += {"[": 1, "{": 1, "]": -1, "}": -1}.get(char, 0)
    return items


def _split_key(key: str) -> list[str]:
    return [part.strip().strip("\"'") for part in key.split(".")]


def _line_of(lines: dict[KeyPath, int], loc: KeyPath) -> int:
    for end in range(len(loc), 0, -1):
        if loc[:end] in lines:
            return lines[loc[:end]]
    return 1


def _located(loc: KeyPath, message: str, raw: dict[str, Any]) -> tuple[KeyPath, str]:
    """A whole-file rule says which list it is about in its message ("colleges: duplicate
    code 'x'"): point at that list, or at the entry that repeats a code."""
    if loc:
        return loc, message
    head, sep, rest = message.partition(": ")
    if not sep or head not in Organisation.model_fields:
        return loc, message
    duplicate = DUPLICATE.match(rest)
    entries = raw.get(head)
    if duplicate and isinstance(entries, list):
        same = [
            i
            for i, entry in enumerate(entries)
            if isinstance(entry, dict) and entry.get("code") == duplicate.group(1)
        ]
        if len(same) > 1:
            return (head, same[1], "code"), rest
    return (head,), rest


def _dotted(loc: KeyPath) -> str:
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text or "(file)"


def _message(error: ErrorDetails) -> str:
    return error["msg"].removeprefix("Value error, ")


def masked(name: str, value: Any) -> str:
    if value is None or value == "" or value == []:
        return "(not set)"
    if SECRET_NAME.search(name):
        return "***"
    text = ",".join(map(str, value)) if isinstance(value, list) else str(value)
    return QUERY_PASSWORD.sub(r"\1***", URL_PASSWORD.sub(r"\1***@", text))


def describe(settings: Settings, org: Organisation) -> list[str]:
    """The effective configuration, one setting a line, secrets masked."""
    out = ["settings (environment and .env):"]
    for name in Settings.model_fields:
        out.append(f"  {name.upper()}={masked(name.upper(), getattr(settings, name))}")
    years = sorted({day.year for day in org.calendar.holidays})
    sensitive = sum(category.sensitive for category in org.categories)
    deadlines = org.deadlines
    out += [
        f"organisation file {settings.organisation_file}:",
        f"  {org.name_zh} / {org.name_en}",
        f"  {len(org.colleges)} colleges, {len(org.categories)} categories "
        f"({sensitive} sensitive), {len(org.departments)} departments",
        f"  deadlines (working days): first response {deadlines.first_response_days:g}, "
        f"answer {deadlines.answer_days:g}, department {deadlines.department_days:g}",
        f"  holidays listed for: {', '.join(map(str, years)) or 'no year'}; "
        "other years: China's statutory holidays",
        f"  semesters: {', '.join(s.code for s in org.calendar.semesters) or 'none'}",
    ]
    return out
