"""`studentvoice keys rotate`: everything sealed under the old key is re-sealed under the new
one, the old key can go, and the author of an anonymous case is still reached."""

from __future__ import annotations

import asyncio
import json

import pytest
from aiogram.fsm.storage.base import StorageKey
from aiogram.fsm.storage.redis import RedisStorage
from sqlalchemy import update
from sqlmodel import col

from bot.app.sealed_fsm import SealedStorage, reseal_stored
from bot.cli.entry import main
from bot.core.sealing import IdentitySeal, SealError, new_key
from storage.models import Case, CaseEvent, TownHall, TownHallQuestion
from storage.types import utcnow
from tests.support import anonymity
from tests.support.delivery_helpers import redis_url
from tests.support.harness import IDENTITY_KEY, Harness
from tests.support.officer_helpers import case_of, events_of
from tests.support.student_helpers import Talk, answer, officer_press, officer_reply, student

REPLY = "请问具体是哪一天？"
FSM_DB = 14  # a Redis database of this module's own, emptied first


def rotate_with(h: Harness, keys: str, monkeypatch: pytest.MonkeyPatch) -> None:
    assert h.app is not None
    monkeypatch.setenv("DATABASE_URL", str(h.app.settings.database_url))
    monkeypatch.setenv("IDENTITY_KEY", keys)
    monkeypatch.setenv("BOT_TOKEN", "123456:TEST-TOKEN")
    monkeypatch.delenv("REDIS_URL", raising=False)


def use_only(h: Harness, seal: IdentitySeal) -> None:
    """The running bot (and the test's own check of group messages) with the new key alone."""
    assert h.app is not None
    h.app.services.seal = seal
    for watched in anonymity.WATCHED:
        if watched.emu is h.emu:
            watched.seal = seal


async def test_after_a_rotation_the_old_key_goes_and_the_student_is_still_reached(
    harness: Harness, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    h = harness
    me: Talk = await student(h, 5_310_772_941, "Ruoxi")
    number = await h.submit(me.user, anonymous=True)
    await officer_press(h, number, "受理")
    await officer_reply(h, number, REPLY)
    before = (await case_of(h, number)).author_sealed
    assert before is not None
    # And a question they asked anonymously at a town hall (面对面).
    assert h.app is not None
    async with h.app.session_factory.begin() as session:
        now = utcnow()
        town_hall = TownHall(
            title="面对面", held_at=now, place="礼堂", attendees="校长", opens_at=now, closes_at=now
        )
        session.add(town_hall)
        await session.flush()
        sealer = h.app.services.sealer
        question = TownHallQuestion(
            town_hall_id=town_hall.id or 0,
            text="宿舍热水什么时候改造？",
            anonymous=True,
            asker_sealed=sealer.seal(me.user.id),
            asker_tag=sealer.tag(me.user.id),
        )
        session.add(question)
        await session.flush()
        question_id = question.id

    newer = new_key()
    # The old key dropped too early: nothing is touched, and the operator is told.
    rotate_with(h, newer, monkeypatch)
    assert await asyncio.to_thread(main, ["keys", "rotate"]) == 1
    assert "put the old key back" in capsys.readouterr().err
    assert (await case_of(h, number)).author_sealed == before

    rotate_with(h, f"{newer},{IDENTITY_KEY}", monkeypatch)
    assert await asyncio.to_thread(main, ["keys", "rotate"]) == 0
    rotated = capsys.readouterr().out
    assert "re-sealed 1 case(s)" in rotated and "1 town hall question(s)" in rotated
    assert await asyncio.to_thread(main, ["keys", "rotate"]) == 0  # nothing left to do
    again = capsys.readouterr().out
    assert (
        "re-sealed 0 case(s), 0 outbox row(s) and 0 held message(s), moved 0 message link(s)"
        in again
    )

    case = await case_of(h, number)
    assert case.author_sealed is not None and case.author_sealed != before
    only_new = IdentitySeal([newer])
    assert only_new.open(case.author_sealed) == me.user.id
    with pytest.raises(SealError):
        IdentitySeal([IDENTITY_KEY]).open(case.author_sealed)
    assert case.author_tag == only_new.tag(me.user.id)
    async with h.app.session_factory() as session:
        asked = await session.get(TownHallQuestion, question_id)
    assert asked is not None and asked.asker_sealed is not None
    assert only_new.open(asked.asker_sealed) == me.user.id
    assert asked.asker_tag == only_new.tag(me.user.id)

    use_only(h, only_new)
    # A reply to the officer's message still finds the case (its link was moved over) ...
    await me.send("上周三中午。", reply_to=me.message_with(REPLY))
    assert "上周三中午。" in "\n".join(h.texts(h.group))
    # ... the answer reaches the student, and their rating is theirs.
    await answer(h, number)
    rated = await me.press("满意", me.message_with("的答复"))
    assert f"感谢您的评价，反馈 {number} 已办结。" in rated.text
    listing = (await me.send("/my")).text
    assert number in listing


async def test_rotate_seals_an_anonymous_case_stored_before_identities_were_sealed(
    harness: Harness, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    h = harness
    assert h.app is not None
    me: Talk = await student(h, 5_310_772_942, "Yutong")
    number = await h.submit(me.user, anonymous=True)
    case = await case_of(h, number)
    # As a database from before sealing holds it: the author by id, beside the case.
    async with h.app.session_factory.begin() as session:
        await session.execute(
            update(Case)
            .where(col(Case.id) == case.id)
            .values(submitter_id=me.user.id, author_sealed=None, author_tag=None)
        )
        await session.execute(
            update(CaseEvent).where(col(CaseEvent.case_id) == case.id).values(actor_id=me.user.id)
        )

    rotate_with(h, IDENTITY_KEY, monkeypatch)
    assert await asyncio.to_thread(main, ["keys", "rotate"]) == 0
    assert "sealed 1 anonymous case(s) that named their author" in capsys.readouterr().out
    sealed = await case_of(h, number)
    assert sealed.submitter_id is None and sealed.author_sealed is not None
    assert h.app.services.sealer.open(sealed.author_sealed) == me.user.id
    assert [e.actor_id for e in await events_of(h, number)] == [None]

    await answer(h, number)
    assert "的答复" in me.message_with("的答复").content
    assert number in (await me.send("/my")).text


async def test_rotate_reseals_the_conversations_kept_in_redis() -> None:
    url = await redis_url(FSM_DB)
    older, newer = IdentitySeal([IDENTITY_KEY]), new_key()
    sealed_key = StorageKey(bot_id=1, chat_id=5_310_772_943, user_id=5_310_772_943)
    plain_key = StorageKey(bot_id=1, chat_id=5_310_772_944, user_id=5_310_772_944)
    before = SealedStorage(RedisStorage.from_url(url), older)
    plain = RedisStorage.from_url(url)
    try:
        await before.set_data(sealed_key, {"case_id": 7})
        await plain.set_data(plain_key, {"case_id": 8})  # stored before data was sealed
    finally:
        await before.close()
        await plain.close()

    both = IdentitySeal([newer, IDENTITY_KEY])
    assert await reseal_stored(url, both) == 2
    assert await reseal_stored(url, both) == 0

    after = SealedStorage(RedisStorage.from_url(url), IdentitySeal([newer]))
    try:
        assert await after.get_data(sealed_key) == {"case_id": 7}
        assert await after.get_data(plain_key) == {"case_id": 8}
        raw = await after.inner.get_data(plain_key)  # type: ignore[attr-defined]
        assert "case_id" not in json.dumps(raw)
    finally:
        await after.close()
