from __future__ import annotations

from bot.domain.workflow import CaseFacts, Kind, State
from storage.models import Case


def facts(case: Case) -> CaseFacts:
    resume = State(case.resume_state) if case.resume_state else None
    return CaseFacts(
        state=State(case.state),
        reopen_count=case.reopen_count,
        resume_state=resume,
        kind=Kind(case.kind),
    )
