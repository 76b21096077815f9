"""What the proposal services share: moving a proposal through the table, and who hears of it.

A proposal is a case of kind "proposal" with a `proposals` row beside it; every change of its
state goes through `bot.domain.workflow.resolve`, here, with the facts only a proposal has (missing
co-signatures, the department part acted on).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from urllib.parse import quote

from sqlalchemy.ext.asyncio import AsyncSession

# Kept with the other deliveries: departments' answers, below this package, refresh it too.
from bot.delivery.notify import channel_rows as channel_rows
from bot.domain.workflow import (
    Kind,
    TransitionError,
)
from storage.crud import cases as cases_crud
from storage.crud import proposals as crud
from storage.models import Case, CongressSession, Proposal

TITLE_MIN, TITLE_MAX = 4, 80
PART_MIN, PART_MAX = 10, 1000


@dataclass
class Loaded:
    case: Case
    proposal: Proposal
    congress: CongressSession


async def load(*, session: AsyncSession, case_id: int, for_update: bool = True) -> Loaded:
    case = await cases_crud.get_case(session=session, case_id=case_id, for_update=for_update)
    if case is None or case.kind != Kind.PROPOSAL:
        raise TransitionError("not_found")
    proposal = await crud.get_proposal(session=session, case_id=case_id)
    assert proposal is not None, "a proposal case without its proposal row"
    congress = await crud.get_session(session=session, session_id=proposal.session_id)
    assert congress is not None
    return Loaded(case, proposal, congress)


def window_open(congress: CongressSession, now: datetime) -> bool:
    return congress.opens_at <= now < congress.closes_at


def check_title(text: str) -> str | None:
    length = len(text.strip())
    return None if TITLE_MIN <= length <= TITLE_MAX else "bad_length"


def check_part(text: str) -> str | None:
    length = len(text.strip())
    return None if PART_MIN <= length <= PART_MAX else "bad_length"


def case_text(proposal: Proposal) -> str:
    """The case's own text: what lists, timelines and the digest show of a proposal."""
    return f"{proposal.title}\n{proposal.problem}".strip()


def start_link(username: str | None, payload: str) -> str:
    """A deep link that opens the bot with /start <payload>."""
    return f"https://t.me/{username or '<bot>'}?start={payload}"


def cosign_payload(case_id: int) -> str:
    return f"cosign_{case_id}"


# Roster invite codes begin with "r", so neither prefix can be mistaken for one.
PUBLIC_PREFIX = "proposal_"


def board_link(
    board_url: str | None, number: str | None = None, locale: str = "zh_Hans"
) -> str | None:
    """The web board's page of the proposals, or of proposal `number`, in `locale` (Chinese,
    the board's default, needs no parameter); None without BOARD_URL."""
    if not board_url:
        return None
    link = board_url.rstrip("/") + "/proposals" + (f"/{quote(number)}" if number else "")
    return link + ("?lang=en" if locale == "en" else "")


def public_payload(case_id: int) -> str:
    """The link under a proposal's channel post: its public view in the bot."""
    return f"{PUBLIC_PREFIX}{case_id}"
