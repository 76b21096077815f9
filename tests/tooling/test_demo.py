"""`studentvoice demo`, the README's first command: its four acts play to the end and show
what each side saw."""

from __future__ import annotations

import pytest

from bot.devkit import demo, demo_college, demo_townhall


async def test_the_demo_plays_its_four_acts(capsys: pytest.CaptureFixture[str]) -> None:
    assert await demo.run_demo() == 0
    out = capsys.readouterr().out
    first, rest = out.split(demo.COLLEGE_TITLE)
    second, rest = rest.split(demo.PROPOSAL_TITLE)
    third, fourth = rest.split(demo.TOWNHALL_TITLE)
    # A grievance: forwarded to a department without a liaison (its 转办单), answered, rated.
    assert "转办单" in first and "presses [满意]" in first
    # The college union escalates; the university forwards; the liaison's answer, approved,
    # reaches the student, who rates the one case they saw.
    assert "🏫 赵干事: presses [上报]" in second
    assert "已上报至校级权益部" in second
    assert "📱 周老师: presses [📤 提交审核]" in second
    assert "✅ 发布答复" in second
    assert demo_college.ANSWER[:20] in second.split("📱 陈明: presses [满意]")[0]
    assert "📱 陈明: presses [满意]" in second
    # The proposal: co-signed, answered by the library's liaison, evaluated.
    assert "附议" in third and "提案人评价: 满意" in third
    # The town hall: announced to the student who opted in, asked, approved, upvoted,
    # exported, answered (the asker and the upvoter told), the other question made a case.
    assert "新的面对面活动" in fourth and "presses [👍 #" in fourth
    assert "[document] 共 2 个问题，按票数排序。" in fourth
    assert demo_townhall.ANSWER.split(" | ")[1][:12] in fourth
    assert "已转为诉求" in fourth
    assert "匿名提问" in fourth and "提交人: 🕶 匿名" in fourth
