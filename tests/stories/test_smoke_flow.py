from tests.support.harness import Harness


async def test_student_submits_and_officer_sees_card(harness: Harness) -> None:
    h = harness
    alice = await h.student(1001, "Alice")
    number = await h.submit(alice)
    assert number.startswith("G")
    card = h.card(number)
    assert "后勤餐饮" in card.text
