"""Jinja2 rendering, one environment per locale, and fitting text into Telegram's limits."""

from __future__ import annotations

import html
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from babel.support import Translations
from jinja2 import (
    BytecodeCache,
    Environment,
    FileSystemBytecodeCache,
    FileSystemLoader,
    StrictUndefined,
    select_autoescape,
)
from markupsafe import Markup

from bot.core.config import Organisation
from bot.core.i18n import LOCALES, load_translations
from bot.domain import labels
from bot.domain.workflow import State

TEMPLATES_DIR = Path(__file__).resolve().parents[2] / "templates" / "messages"
MESSAGE_LIMIT = 4096
CAPTION_LIMIT = 1024
ELLIPSIS = "…"


# A locale's gettext: what handlers receive as `_`.
Translate = Callable[[str], str]


class Renderer:
    def __init__(
        self,
        org: Organisation,
        tz: ZoneInfo,
        templates_dir: Path = TEMPLATES_DIR,
        translations: dict[str, Translations] | None = None,
    ) -> None:
        self.org = org
        self.tz = tz
        self._translations = translations or {loc: load_translations(loc) for loc in LOCALES}
        self._envs = {loc: self._make_env(loc, templates_dir) for loc in LOCALES}

    def _make_env(self, locale: str, templates_dir: Path) -> Environment:
        env = Environment(
            loader=FileSystemLoader(templates_dir),
            bytecode_cache=_bytecode_cache(),
            autoescape=select_autoescape(default=True, default_for_string=True),
            undefined=StrictUndefined,
            extensions=["jinja2.ext.i18n"],
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=False,
        )
        env.install_gettext_translations(self._translations[locale], newstyle=True)  # type: ignore[attr-defined]
        env.globals.update(
            locale=locale,
            name_of=lambda item: self.name_of(item, locale),
            when=self.format_time,
            short=shorten,
            short_block=shorten_block,
            icon=lambda state: labels.STATE_ICON[State(state)],
            state_label=lambda state: labels.STATE[State(state)],
            rating_label=lambda rating: labels.RATING[int(rating)],
        )
        return env

    def render(self, locale: str, template: str, **context: Any) -> str:
        text = self._envs[locale].get_template(template).render(**context)
        lines = [line.rstrip() for line in text.strip().splitlines()]
        # Optional sections leave empty lines behind; one blank line between blocks is enough.
        return "\n".join(line for i, line in enumerate(lines) if line or (i > 0 and lines[i - 1]))

    def gettext(self, locale: str, message: str, **params: Any) -> str:
        text = self._translations[locale].ugettext(message)
        return text % params if params else text

    def translator(self, locale: str) -> Translate:
        return lambda message: self.gettext(locale, message)

    def name_of(self, item: Any, locale: str) -> str:
        if item is None:
            return "—"
        return str(item.name_en if locale == "en" else item.name_zh)

    def format_time(self, moment: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
        return moment.astimezone(self.tz).strftime(fmt) if moment else "—"


def _bytecode_cache() -> BytecodeCache | None:
    """Compiled templates kept on disk, in Jinja's own per-user directory, so that a process
    started anew loads them rather than compiling each at its first use (the digest's report
    and summary take some 40 ms to compile). Keyed by the template's path and checked against
    its source, so an edited template is compiled again. None where that directory cannot be
    made safely: templates are then compiled in memory, as before."""
    try:
        return FileSystemBytecodeCache()
    except (OSError, RuntimeError):
        return None


def shorten(text: str, limit: int) -> str:
    """Plain text cut to `limit` characters on a word boundary where one is near."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    if space > limit * 0.6:
        cut = cut[:space]
    return cut + ELLIPSIS


def shorten_block(text: str, limit: int) -> str:
    """Like `shorten`, but keeps the line breaks of a longer text."""
    text = text.strip()
    return text if len(text) <= limit else text[: limit - 1].rstrip() + ELLIPSIS


def escape(text: str) -> Markup:
    return Markup(html.escape(text, quote=False))


def split_plain(text: str, limit: int) -> list[str]:
    """Split user text into pieces of at most `limit` characters, preferring line breaks."""
    pieces: list[str] = []
    rest = text
    while len(rest) > limit:
        cut = rest.rfind("\n", 0, limit)
        if cut < limit // 2:
            cut = rest.rfind(" ", 0, limit)
        if cut < limit // 2:
            cut = limit
        pieces.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip("\n ")
    if rest or not pieces:
        pieces.append(rest)
    return pieces


def fit_html(make: Callable[[str], str], text: str, limit: int = MESSAGE_LIMIT) -> list[str]:
    """Render `make(part)` for parts of the user text `text` so each message fits in `limit`.

    `make` wraps an (unescaped) part in a template; the template's own length is measured once,
    so user text is split only as much as needed and never inside an HTML entity.
    """
    whole = make(text)
    if len(whole) <= limit:
        return [whole]
    overhead = len(make(""))
    room = max(limit - overhead - 32, 200)
    # Escaping lengthens `<` and `&`; shrink the raw budget until every escaped part fits.
    budget = room
    while True:
        parts = split_plain(text, budget)
        longest = max(len(html.escape(part, quote=False)) for part in parts)
        if longest <= room or budget <= 50:
            return [make(part) for part in parts]
        budget = max(50, budget * room // longest - 1)
