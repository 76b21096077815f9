"""/mydata: everything stored about a person, as two files sent from the outbox.

`mydata-<date>.json` is for machines (stable keys, ISO 8601 times, codes rather than names);
`mydata-<date>.html` is the same content to read on a phone, in the person's language. Both
are made from `storage.crud.personal_rows.collect`, whose registry says where every row that
can name the person is. Other people stay out: an officer appears by role, never by name or
id; officers' internal notes are not the student's; a representative's 附议 on the student's
proposal shows that it happened, not whose it was.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.cases import mutes
from bot.core.context import Services
from bot.delivery import notify
from bot.domain import labels
from bot.domain.text import N_
from bot.domain.workflow import Role
from storage.crud import files as files_crud
from storage.crud import outbox as outbox_crud
from storage.crud.personal_rows import OwnCase, PersonalRows, collect
from storage.models import CaseEvent, HeldMessage, OutboxMessage, User

FORMAT = "studentvoice.mydata/1"


# A held message's case (None: a new case) and content, opened from its seal.
OpenHeld = Callable[[HeldMessage], tuple[int | None, dict[str, Any]]]


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def _event(event: CaseEvent, user_id: int) -> dict[str, Any]:
    mine = event.actor_id == user_id
    # A representative's event carries their roster name: on someone else's it is theirs.
    named = event.actor_role == Role.REPRESENTATIVE and not mine
    return {
        "id": event.id,
        "at": _iso(event.created_at),
        "action": event.action,
        "from_state": event.from_state,
        "to_state": event.to_state,
        "by": "you" if mine else event.actor_role,
        "text": None if named else event.text,
    }


def _case(own: OwnCase, user_id: int) -> dict[str, Any]:
    case, proposal = own.case, own.proposal
    return {
        "id": case.id,
        "number": case.number,
        "kind": case.kind,
        "category": case.category_code,
        "college": case.college_code,
        "text": case.text,
        "anonymous": case.anonymous,
        "state": case.state,
        "department": case.department_code,
        "rating": case.rating,
        "rating_comment": case.rating_comment,
        "reopen_count": case.reopen_count,
        "created_at": _iso(case.created_at),
        "updated_at": _iso(case.updated_at),
        "first_response_at": _iso(case.first_response_at),
        "answered_at": _iso(case.answered_at),
        "closed_at": _iso(case.closed_at),
        "proposal": None
        if proposal is None
        else {
            "title": proposal.title,
            "problem": proposal.problem,
            "reasons": proposal.reasons,
            "measures": proposal.measures,
            "suggested_department": proposal.suggested_department,
            "accepted_at": _iso(proposal.accepted_at),
        },
        "attachments": [
            {"id": a.id, "kind": a.kind, "file_name": a.file_name, "file_id": a.file_id}
            for a in own.attachments
        ],
        "timeline": [_event(event, user_id) for event in own.events],
    }


def _message_text(row: OutboxMessage) -> str | None:
    for key in ("text", "caption"):
        value = row.payload.get(key)
        if isinstance(value, str):
            return value
    return None


def _held(
    message: HeldMessage, open_held: OpenHeld, own_numbers: dict[int | None, str]
) -> dict[str, Any]:
    case_id, content = open_held(message)
    return {
        "at": _iso(message.created_at),
        "case": own_numbers.get(case_id) if case_id is not None else None,
        "text": content.get("text") or content.get("draft", {}).get("text"),
    }


def document(
    rows: PersonalRows, *, notice_version: str, now: datetime, open_held: OpenHeld
) -> dict[str, Any]:
    """The export as plain data: what the JSON file holds, and what the HTML file shows."""
    user = rows.user
    own_numbers = {own.case.id: own.case.number for own in rows.cases}
    return {
        "format": FORMAT,
        "generated_at": _iso(now),
        "notice_version_in_force": notice_version,
        "profile": {
            "telegram_id": user.id,
            "first_name": user.first_name,
            "last_name": user.last_name,
            "username": user.username,
            "language_code": user.language_code,
            "locale": user.locale,
            "college": user.college_code,
            "consent_at": _iso(user.consent_at),
            "consent_version": user.consent_version,
            "unreachable_at": _iso(user.unreachable_at),
            "created_at": _iso(user.created_at),
        },
        "consent": [
            {"id": r.id, "version": r.version, "decision": r.decision, "at": _iso(r.at)}
            for r in rows.consent
        ],
        "roles": [
            {
                "id": g.id,
                "role": g.role,
                "department": g.department_code or None,
                "granted_at": _iso(g.created_at),
            }
            for g in rows.roles
        ],
        "roster": [
            {
                "id": rep.id,
                "congress": congress.name,
                "name": rep.name,
                "student_no": rep.student_no,
                "college": rep.college_code,
                "delegation": rep.delegation,
                "phone": rep.phone,
                "linked_at": _iso(rep.linked_at),
            }
            for rep, congress in rows.roster
        ],
        "review_seats": [
            {
                "id": seat.id,
                "semester": review.semester,
                "name": seat.name,
                "unit": seat.unit,
                "voted": seat.voted,
            }
            for seat, review in rows.review_seats
        ],
        "cases": [_case(own, user.id) for own in rows.cases],
        "actions": [
            {
                "id": event.id,
                "case": number,
                "at": _iso(event.created_at),
                "action": event.action,
                "role": event.actor_role,
                # An internal note is the officers' record of the case, not the person's.
                "text": event.text if event.public else None,
            }
            for event, number in rows.actions
        ],
        "follows": [{"case": number, "since": _iso(f.created_at)} for f, number in rows.follows],
        "college_follows": [
            {"case": number, "since": _iso(f.created_at)} for f, number in rows.college_follows
        ],
        "mutes": [
            {
                "id": mute.id,
                "from": _iso(mute.created_at),
                "until": _iso(mute.until),
                "ended": _iso(mute.ended_at),
                "reason": mute.reason,
                # What the person sent while muted and the officers have not yet received.
                "held": [_held(message, open_held, own_numbers) for message in held],
            }
            for mute, held in rows.mutes
        ],
        "cosignatures": [
            {"id": c.id, "case": number, "agreed": c.agreed, "at": _iso(c.created_at)}
            for c, number in rows.cosignatures
        ],
        "supports": [{"case": number, "at": _iso(s.created_at)} for s, number in rows.supports],
        "town_hall_questions": [
            {
                "id": q.id,
                "town_hall": q.town_hall_id,
                "text": q.text,
                "anonymous": q.anonymous,
                "status": q.status,
                "asked_at": _iso(q.created_at),
            }
            for q in rows.town_hall_questions
        ],
        "town_hall_votes": [
            {"question": v.question_id, "at": _iso(v.created_at)} for v in rows.town_hall_votes
        ],
        "town_hall_optin": [
            {"user_id": o.user_id, "since": _iso(o.created_at)} for o in rows.town_hall_optin
        ],
        "liaison_parts": [
            {
                "id": part.id,
                "case": number,
                "department": part.department_code,
                "status": part.status,
                "drafted_at": _iso(part.drafted_at),
                "published_at": _iso(part.published_at),
            }
            for part, number in rows.liaison_parts
        ],
        "pending_inputs": [
            {
                "id": p.id,
                "case": number,
                "action": p.action,
                "status": p.status,
                "text": p.text,
                "created_at": _iso(p.created_at),
            }
            for p, number in rows.pending_inputs
        ],
        # About their own cases in full; the rest (menus, public lists, prompts, others'
        # proposals, which may name other people) by when it was sent.
        "messages": [
            {
                "id": m.id,
                "case": own_numbers.get(m.case_id),
                "method": m.method,
                "status": m.status,
                "created_at": _iso(m.created_at),
                "sent_at": _iso(m.sent_at),
                "text": _message_text(m) if m.case_id in own_numbers else None,
            }
            for m in rows.messages
        ],
        "message_links": [
            {"message_id": link.message_id, "case": number} for link, number in rows.message_links
        ],
    }


async def send_export(
    *, session: AsyncSession, services: Services, user: User, summary: dict[str, Any]
) -> list[OutboxMessage]:
    """The summary message and the two files, queued for the person in that order."""
    now = services.now()
    data = document(
        await collect(
            session=session,
            user=user,
            tags=services.sealer.tags(user.id),
            stand_ins=services.sealer.pseudonyms(user.id),
        ),
        notice_version=services.org.privacy.notice_version,
        now=now,
        open_held=lambda message: mutes.held_content(services, message),
    )
    locale = notify.user_locale(user)
    stem = f"mydata-{services.renderer.format_time(now, '%Y-%m-%d')}"
    readable = services.renderer.render(
        locale,
        "privacy/mydata_file.html",
        data=data,
        at=lambda iso: services.renderer.format_time(datetime.fromisoformat(iso) if iso else None),
        events=labels.EVENT,
        states=labels.STATE,
    )
    rows = notify.to_user(services=services, user=user, template="student/mydata.html", **summary)
    caption = services.renderer.gettext(locale, N_("Everything StudentVoice stores about you"))
    for suffix, content_type, body in (
        ("json", "application/json", json.dumps(data, ensure_ascii=False, indent=2)),
        ("html", "text/html", readable),
    ):
        stored = await files_crud.store_file(
            session=session,
            filename=f"{stem}.{suffix}",
            content_type=content_type,
            data=body.encode("utf-8"),
            owner_id=user.id,
        )
        rows.append(
            OutboxMessage(
                method="sendDocument",
                chat_id=user.id,
                recipient_user_id=user.id,
                payload={
                    "chat_id": user.id,
                    "document": {"stored_file": stored.id},
                    "caption": caption,
                },
                priority=notify.INTERACTIVE,
            )
        )
    await outbox_crud.enqueue(session=session, messages=rows)
    return rows
