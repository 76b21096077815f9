"""Turning case changes into outbox rows: who hears about it, in their language."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from bot.casework import authors
from bot.core.context import Services
from bot.core.i18n import locale_for
from bot.core.render import fit_html
from bot.domain.chats import CHANNEL
from bot.domain.workflow import UNSUBMITTED
from storage.crud import cases as cases_crud
from storage.models import Case, OutboxMessage, Proposal, User

INTERACTIVE, NORMAL, BULK = 0, 10, 20
CARD_PRIORITY = 5
# A case's card and thread in the chat that held it before (`bot.cases.levels`).
WATCH_CARD, WATCH_THREAD = "watch_card", "watch_thread"
AUDIENCE_CHUNK = 5000

Keyboard = Callable[[str], dict[str, Any] | None]


def user_locale(user: User) -> str:
    return locale_for(user.locale, user.language_code)


def message_rows(
    *,
    chat_id: int,
    texts: list[str],
    case_id: int | None,
    recipient: int | None,
    priority: int,
    keyboard: dict[str, Any] | None = None,
    report_failure: bool = False,
) -> list[OutboxMessage]:
    """One row per message part; the keyboard goes on the last part.

    Only the first part reports a failed delivery: when it fails, so do the others, and the
    officers need to hear it once per message, not once per part.
    """
    rows = []
    for index, text in enumerate(texts):
        payload: dict[str, Any] = {"chat_id": chat_id, "text": text, "parse_mode": "HTML"}
        if keyboard is not None and index == len(texts) - 1:
            payload["reply_markup"] = keyboard
        rows.append(
            OutboxMessage(
                kind="send",
                method="sendMessage",
                chat_id=chat_id,
                case_id=case_id,
                recipient_user_id=recipient,
                payload=payload,
                priority=priority,
                report_failure=report_failure and index == 0,
            )
        )
    return rows


async def audience(*, session: AsyncSession, services: Services, case: Case) -> list[User]:
    """The author and everyone following the case, each once. The author of an anonymous case
    is opened from its seal, here, to be reached: what they are told is stored sealed again."""
    ids: list[int] = []
    author = authors.author_id(case, services.sealer)
    if author is not None:
        ids.append(author)
        authors.conceal(session, case, author, services.sealer)
    assert case.id is not None
    # Thousands may follow a case: their users are loaded a chunk at a time, not one by one.
    ids += [
        uid
        for uid in await cases_crud.follower_ids(session=session, case_id=case.id)
        if uid != author
    ]
    found: dict[int, User] = {}
    for start in range(0, len(ids), AUDIENCE_CHUNK):
        chunk = ids[start : start + AUDIENCE_CHUNK]
        users = await session.scalars(select(User).where(col(User.id).in_(chunk)))
        found |= {user.id: user for user in users}
    return [found[uid] for uid in ids if uid in found]


async def to_audience(
    *,
    session: AsyncSession,
    services: Services,
    case: Case,
    template: str,
    priority: int = NORMAL,
    keyboard: Keyboard | None = None,
    report_failure: bool = False,
    submitter_only: bool = False,
    include_submitter: bool = True,
    body: str = "",
    **context: Any,
) -> list[OutboxMessage]:
    """Render `template` for each person who follows the case (a proposal's co-signers follow
    what they signed); `body` is user text to fit.

    The keyboard goes to the submitter alone: followers (e.g. carried over by a merge) may not
    rate or add information, so buttons would only earn them an error. What followers get is a
    broadcast: bulk priority, so it never holds up what someone is waiting for, and rendered
    once per language however many they are.
    """
    rows: list[OutboxMessage] = []
    rendered: dict[tuple[str, bool], list[str]] = {}
    # Before submission no officer sees the case: a reply must not become information on it.
    case_id = case.id if case.state not in UNSUBMITTED else None
    people = await audience(session=session, services=services, case=case)
    author = (
        people[0].id if people and authors.is_author(case, people[0].id, services.sealer) else None
    )
    for user in people:
        is_submitter = user.id == author
        if is_submitter and not include_submitter:
            continue
        if submitter_only and not is_submitter:
            continue
        locale = user_locale(user)

        def make(part: str, locale: str = locale, is_submitter: bool = is_submitter) -> str:
            return services.renderer.render(
                locale, template, case=case, body=part, is_submitter=is_submitter, **context
            )

        texts = rendered.get((locale, is_submitter))
        if texts is None:
            texts = rendered[(locale, is_submitter)] = fit_html(make, body)
        rows += message_rows(
            chat_id=user.id,
            texts=texts,
            case_id=case_id,
            recipient=user.id,
            priority=priority if is_submitter else max(priority, BULK),
            keyboard=keyboard(locale) if keyboard is not None and is_submitter else None,
            # Officers wait on the submitter; a follower who blocked the bot is their own affair.
            report_failure=report_failure and is_submitter,
        )
    return rows


def card_refresh(case: Case, priority: int = CARD_PRIORITY) -> OutboxMessage:
    return card_row(case.id, priority)


def watch_card_row(case_id: int | None) -> OutboxMessage:
    """The read-only card in the chat that held the case before, drawn again."""
    return OutboxMessage(
        kind=WATCH_CARD,
        method="card",
        case_id=case_id,
        payload={},
        priority=CARD_PRIORITY,
        coalesce_key=f"watch:{case_id}",
    )


def card_row(case_id: int | None, priority: int = CARD_PRIORITY) -> OutboxMessage:
    return OutboxMessage(
        kind="card",
        method="card",
        case_id=case_id,
        payload={},
        priority=priority,
        coalesce_key=f"card:{case_id}",
    )


def to_thread(
    *,
    services: Services,
    case: Case,
    template: str,
    body: str = "",
    priority: int = NORMAL,
    keyboard: dict[str, Any] | None = None,
    **context: Any,
) -> list[OutboxMessage]:
    """A note in the case's thread in the officers' chat (resolved when it is sent), its
    buttons (if any) on its last part there."""
    locale = services.group_locale

    def make(part: str) -> str:
        return services.renderer.render(locale, template, case=case, body=part, **context)

    texts = fit_html(make, body)
    rows = [
        OutboxMessage(
            kind="thread",
            method="sendMessage",
            case_id=case.id,
            payload={"text": text, "parse_mode": "HTML"}
            | ({"reply_markup": keyboard} if keyboard is not None and last else {}),
            priority=priority,
        )
        for last, text in ((n == len(texts) - 1, text) for n, text in enumerate(texts))
    ]
    if case.watch_chat_id is not None:
        # The chat that held the case before (校院两级) keeps seeing its timeline, read only:
        # what is pressed is pressed where the case is held.
        rows += [
            OutboxMessage(
                kind=WATCH_THREAD,
                method="sendMessage",
                case_id=case.id,
                payload={"text": text, "parse_mode": "HTML"},
                priority=priority,
            )
            for text in texts
        ]
    return rows


def card_with_files(case: Case, items: list[dict[str, Any]]) -> list[OutboxMessage]:
    """The case's card, which counts its files, and the files in its thread under its number."""
    return [
        card_refresh(case),
        *attachments_to_thread(case=case, items=items, caption=f"<b>{case.number}</b>"),
    ]


def attachments_to_thread(
    *, case: Case, items: list[dict[str, Any]], caption: str
) -> list[OutboxMessage]:
    """Photos as one album, documents as another; a single file goes alone."""
    rows: list[OutboxMessage] = []
    for kind, method, media_type in (
        ("photo", "sendPhoto", "photo"),
        ("document", "sendDocument", "document"),
    ):
        files = [item for item in items if item["kind"] == kind]
        if not files:
            continue
        if len(files) == 1:
            payload = {kind: files[0]["file_id"], "caption": caption, "parse_mode": "HTML"}
            rows.append(
                OutboxMessage(kind="thread", method=method, case_id=case.id, payload=payload)
            )
            continue
        media = [{"type": media_type, "media": f["file_id"]} for f in files]
        media[0] |= {"caption": caption, "parse_mode": "HTML"}
        rows.append(
            OutboxMessage(
                kind="thread", method="sendMediaGroup", case_id=case.id, payload={"media": media}
            )
        )
    return rows


def to_user(
    *,
    services: Services,
    user: User,
    template: str,
    case: Case | None = None,
    keyboard: dict[str, Any] | None = None,
    priority: int = INTERACTIVE,
    body: str = "",
    link: bool = True,
    **context: Any,
) -> list[OutboxMessage]:
    """One person's message, sent from the outbox so a crash cannot undo what it reports;
    `body` is user text to fit. Unlinked before the case is submitted (or with `link=False`):
    a reply to it must not become information for officers who cannot see the case yet."""
    locale = user_locale(user)

    def make(part: str) -> str:
        return services.renderer.render(locale, template, case=case, body=part, **context)

    linked = link and case is not None and case.state not in UNSUBMITTED
    return message_rows(
        chat_id=user.id,
        texts=fit_html(make, body),
        case_id=case.id if linked and case is not None else None,
        recipient=user.id,
        priority=priority,
        keyboard=keyboard,
    )


def channel_rows(*, services: Services, proposal: Proposal) -> list[OutboxMessage]:
    """The public channel's post of a registered proposal, re-rendered when it is sent."""
    channel = services.settings.public_channel_id
    if channel is None or proposal.accepted_at is None:
        return []
    return [
        OutboxMessage(
            kind=CHANNEL,
            method=CHANNEL,
            chat_id=channel,
            case_id=proposal.case_id,
            payload={},
            priority=BULK,
            coalesce_key=f"{CHANNEL}:{proposal.case_id}",
        )
    ]
