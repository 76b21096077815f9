"""What comes in is fit to store, and each update knows whose turn it waits for."""

from __future__ import annotations

from bot.ingest.edge import clean, lane_of


def test_nul_and_lone_surrogates_are_removed_everywhere() -> None:
    payload = {"message": {"text": "a\x00b\ud800c", "entities": [{"x\x00": "y\x00"}]}}
    assert clean(payload) == {"message": {"text": "ab\ufffdc", "entities": [{"x": "y"}]}}


def test_each_of_them_alone_is_found_and_plain_text_is_kept_as_it_is() -> None:
    assert clean({"text": "x\ud800"}) == {"text": "x\ufffd"}
    assert clean({"a\x00": ["b"]}) == {"a": ["b"]}
    written = {"text": "食堂 \\u0000 是转义的写法", "n": 1, "ok": True, "none": None}
    assert clean(written) == written


def test_a_private_chat_is_one_lane_and_a_group_one_per_member() -> None:
    private = {"update_id": 1, "message": {"chat": {"id": 42}, "from": {"id": 42}}}
    group_a = {"update_id": 2, "message": {"chat": {"id": -100}, "from": {"id": 7}}}
    group_b = {
        "update_id": 3,
        "callback_query": {"from": {"id": 8}, "message": {"chat": {"id": -100}}},
    }
    channel = {"update_id": 4, "channel_post": {"chat": {"id": -200}}}
    inline = {"update_id": 5, "inline_query": {"from": {"id": 9}}}
    assert [lane_of(p) for p in (private, group_a, group_b, channel, inline)] == [
        "c42",
        "c-100:u7",
        "c-100:u8",
        "c-200",
        "u9",
    ]
