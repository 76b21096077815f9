"""What a board page takes from its address: only values the list offers, a page number in
range; and the links to the board the bot and the channel give."""

from __future__ import annotations

from bot.board.query import BoardQuery
from bot.core.config import Category, Department
from bot.proposals.core import board_link

CATEGORIES = [Category(code="teaching", name_zh="教学教务", name_en="Teaching")]
DEPARTMENTS = [Department(code="library", name_zh="图书馆", name_en="Library")]


def query(**params: str) -> BoardQuery:
    return BoardQuery.from_params(
        params, states=("accepted", "closed"), categories=CATEGORIES, departments=DEPARTMENTS
    )


def test_only_offered_values_are_kept() -> None:
    q = query(state="closed", category="teaching", department="library", page="3")
    assert (q.state, q.category, q.department, q.page) == ("closed", "teaching", "library", 2)
    q = query(state="draft", category="wellbeing", department="x", page="-1")
    assert (q.state, q.category, q.department, q.page) == (None, None, None, 0)
    assert query(page="0").page == 0 and query(page="abc").page == 0


def test_search_words_are_split_as_find_splits_them() -> None:
    q = query(q="  宿舍，空调  state:closed ")
    assert q.terms == ("宿舍", "空调")
    assert query(q="！！").terms == ()
    assert len(query(q="x" * 500).text) == 100


def test_links_keep_the_filters_and_drop_what_is_unset() -> None:
    q = query(state="closed", q="图书馆")
    assert q.params() == {"state": "closed", "q": "图书馆"}
    assert q.params(page=2, state=None) == {"q": "图书馆", "page": "2"}


def test_board_links() -> None:
    assert board_link(None, "P2026-0001") is None
    assert (
        board_link("https://u.edu/board/", "P2026-0001")
        == "https://u.edu/board/proposals/P2026-0001"
    )
    assert board_link("https://u.edu/board", locale="en") == "https://u.edu/board/proposals?lang=en"
