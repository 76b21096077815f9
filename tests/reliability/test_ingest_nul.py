"""What people send is stored whatever it holds: characters a database refuses (NUL, which
PostgreSQL takes neither in text nor in JSON) are removed where updates come in."""

from __future__ import annotations

from sqlalchemy import func, select

from storage.crud import cases as cases_crud
from storage.models import InboxUpdate, User
from tests.support.harness import Harness

TEXT = "食堂二楼的饭菜连续一周出现异物，希望后勤加强检查。"


async def test_a_nul_byte_is_removed_and_the_case_is_submitted(harness: Harness) -> None:
    h = harness
    assert h.app is not None
    student = await h.student(5_200_001, name="小\x00明")
    number = await h.submit(student, TEXT[:6] + "\x00" + TEXT[6:])

    async with h.app.session_factory() as session:
        case = await cases_crud.get_case_by_number(session=session, number=number)
        user = await session.get(User, student.id)
        stuck = await session.scalar(select(func.count()).select_from(InboxUpdate))
    assert case is not None and case.text == TEXT
    assert user is not None and user.first_name == "小明"
    assert stuck == 0
    assert number in h.last(student).text
