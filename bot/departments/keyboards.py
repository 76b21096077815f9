"""The buttons on a department's part of a case, as Bot API dicts (storable in the outbox)."""

from __future__ import annotations

from typing import Any

from bot.core.callbacks import LiaisonCB, PartCB
from bot.core.markup import one_row
from bot.core.render import Renderer
from bot.domain.text import N_

REPLY_TO_LIAISON = N_("Reply to the liaison")
# Each (icon, label, callback action): the officers' review of an answer and their reply to a
# question; the liaison's own.
REVIEW = (("✅", N_("Publish the answer"), "ok"), ("↩️", N_("Send back"), "back"))
ANSWER_LIAISON = (("💬", REPLY_TO_LIAISON, "reply"),)
LIAISON = (("📝", N_("Write the answer"), "answer"), ("❓", N_("Ask the rights department"), "ask"))
# A forwarded case (转办) may be the wrong department's; a proposal's 交办 is the committee's.
DECLINE = (("↪️", N_("Not for our department"), "decline"),)
LIAISON_SUBMIT = (("📤", N_("Submit for review"), "submit"),)


def review(renderer: Renderer, locale: str, part_id: int) -> dict[str, Any]:
    return _part_row(renderer, locale, PartCB, part_id, REVIEW)


def answer_liaison(renderer: Renderer, locale: str, part_id: int) -> dict[str, Any]:
    return _part_row(renderer, locale, PartCB, part_id, ANSWER_LIAISON)


def liaison(
    renderer: Renderer, locale: str, part_id: int, *, may_decline: bool = False
) -> dict[str, Any]:
    return _part_row(
        renderer, locale, LiaisonCB, part_id, LIAISON + (DECLINE if may_decline else ())
    )


def liaison_submit(renderer: Renderer, locale: str, part_id: int) -> dict[str, Any]:
    return _part_row(renderer, locale, LiaisonCB, part_id, LIAISON_SUBMIT)


def _part_row(
    renderer: Renderer,
    locale: str,
    callback: type[PartCB] | type[LiaisonCB],
    part_id: int,
    buttons: tuple[tuple[str, str, str], ...],
) -> dict[str, Any]:
    _ = renderer.translator(locale)
    return one_row(
        *(
            (f"{icon} {_(label)}", callback(action=action, part_id=part_id))
            for icon, label, action in buttons
        )
    )
