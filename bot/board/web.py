"""The board's pages on the bot's aiohttp application: /board and, for each list, /board/<list>
and /board/<list>/<number>. Read-only, server-rendered (no script), in the reader's language
(?lang=en; Chinese by default).

A list is one `BoardList`: its templates and its two data-access functions (registered
proposals, public concerns, town halls); the navigation between them follows `LISTS`.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from aiogram import Bot
from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.board import concerns, proposals, townhalls
from bot.board.query import BoardQuery, Listing
from bot.core.context import Services
from bot.core.i18n import LOCALES
from bot.domain.text import N_

PREFIX = "/board"
DEFAULT_LOCALE = "zh_Hans"
log = logging.getLogger(__name__)
# Pages hold no script and load nothing from elsewhere; a browser is told so, which also makes
# an injected tag inert should escaping ever fail.
HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; "
        "form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
    ),
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "public, max-age=60",
}

ListFetch = Callable[..., Awaitable[Listing]]
ItemFetch = Callable[..., Awaitable[Any | None]]


@dataclass(frozen=True)
class BoardList:
    slug: str
    title: str
    list_template: str
    item_template: str
    # (session=, services=, query=) -> Listing
    fetch_list: ListFetch
    # (session=, services=, number=) -> the item, or None when the public may not see it
    fetch_item: ItemFetch
    states: tuple[str, ...]


LISTS: tuple[BoardList, ...] = (
    BoardList(
        slug="proposals",
        title=N_("Proposals"),
        list_template="board/proposals.html",
        item_template="board/proposal.html",
        fetch_list=proposals.proposal_list,
        fetch_item=proposals.proposal_page,
        states=proposals.STATES,
    ),
    BoardList(
        slug="concerns",
        title=N_("Public concerns"),
        list_template="board/concerns.html",
        item_template="board/concern.html",
        fetch_list=concerns.concern_list,
        fetch_item=concerns.concern_page,
        states=concerns.STATES,
    ),
    BoardList(
        slug="townhalls",
        title=N_("Town halls"),
        list_template="board/townhalls.html",
        item_template="board/townhall.html",
        fetch_list=townhalls.session_list,
        fetch_item=townhalls.session_page,
        states=townhalls.STATES,
    ),
)


@dataclass
class Board:
    services: Services
    session_factory: async_sessionmaker[AsyncSession]
    lists: tuple[BoardList, ...] = LISTS
    # The bot, for the links that open it (voting happens there, one person one vote).
    bot: Bot | None = None
    _username: str | None = field(default=None, init=False)

    async def bot_username(self) -> str | None:
        """The bot's @username once Telegram has told it; None while it cannot be asked, and
        the page is shown without the links into the bot."""
        if self._username is None and self.bot is not None:
            try:
                self._username = (await self.bot.me()).username
            except Exception:  # the board still reads, whatever Telegram answers
                log.warning("board: the bot's username is not known yet", exc_info=True)
        return self._username

    def find(self, slug: str) -> BoardList | None:
        return next((board_list for board_list in self.lists if board_list.slug == slug), None)


BOARD_KEY: web.AppKey[Board] = web.AppKey("studentvoice_board", Board)


def add_board_routes(web_app: web.Application, board: Board) -> None:
    web_app[BOARD_KEY] = board
    web_app.router.add_get(PREFIX, list_page)
    web_app.router.add_get(PREFIX + "/", list_page)
    web_app.router.add_get(PREFIX + "/{list}", list_page)
    web_app.router.add_get(PREFIX + "/{list}/{number}", item_page)


def locale_of(request: web.Request) -> str:
    lang = request.query.get("lang", "")
    return lang if lang in LOCALES else DEFAULT_LOCALE


async def list_page(request: web.Request) -> web.Response:
    board = request.app[BOARD_KEY]
    locale = locale_of(request)
    board_list = board.find(request.match_info.get("list", board.lists[0].slug))
    if board_list is None:
        return not_found(board, locale, request)
    org = board.services.org
    query = BoardQuery.from_params(
        request.query,
        states=board_list.states,
        categories=[c for c in org.categories if not c.sensitive],
        departments=list(org.departments),
    )
    async with board.session_factory() as session:
        listing = await board_list.fetch_list(session=session, services=board.services, query=query)
    return page(
        board,
        locale,
        request,
        board_list.list_template,
        current=board_list,
        listing=listing,
        query=query,
    )


async def item_page(request: web.Request) -> web.Response:
    board = request.app[BOARD_KEY]
    locale = locale_of(request)
    board_list = board.find(request.match_info["list"])
    if board_list is None:
        return not_found(board, locale, request)
    async with board.session_factory() as session:
        item = await board_list.fetch_item(
            session=session, services=board.services, number=request.match_info["number"]
        )
    if item is None:
        return not_found(board, locale, request, current=board_list)
    return page(
        board,
        locale,
        request,
        board_list.item_template,
        current=board_list,
        item=item,
        bot_username=await board.bot_username(),
    )


def not_found(
    board: Board, locale: str, request: web.Request, current: BoardList | None = None
) -> web.Response:
    return page(
        board, locale, request, "board/not_found.html", status=404, current=current or LISTS[0]
    )


def page(
    board: Board,
    locale: str,
    request: web.Request,
    template: str,
    *,
    current: BoardList,
    status: int = 200,
    **context: Any,
) -> web.Response:
    def link(path: str = "", lang: str = locale, **params: Any) -> str:
        """A link within the board, keeping the reader's language."""
        query = {key: str(value) for key, value in params.items() if value not in (None, "")}
        if lang != DEFAULT_LOCALE:
            query = {"lang": lang, **query}
        return PREFIX + path + ("?" + urlencode(query) if query else "")

    other = "en" if locale == DEFAULT_LOCALE else DEFAULT_LOCALE
    params = {key: value for key, value in request.query.items() if key != "lang"}
    text = board.services.renderer.render(
        locale,
        template,
        lists=board.lists,
        current=current,
        link=link,
        other_lang=other,
        other_lang_link=link(request.path.removeprefix(PREFIX), lang=other, **params),
        **context,
    )
    return web.Response(
        text="<!DOCTYPE html>\n" + text,
        status=status,
        content_type="text/html",
        charset="utf-8",
        headers={**HEADERS, "Content-Language": "en" if locale == "en" else "zh-Hans"},
    )
