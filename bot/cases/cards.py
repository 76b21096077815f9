"""The officer side of a case: its card (and forum topic) and where its thread lives."""

from __future__ import annotations

import math
from typing import Any

from aiogram.exceptions import TelegramBadRequest
from aiogram.methods import (
    CloseForumTopic,
    CreateForumTopic,
    EditForumTopic,
    EditMessageText,
    ReopenForumTopic,
    SendMessage,
    TelegramMethod,
)
from aiogram.types import Message
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.cases.assignment import officer_name
from bot.casework import keyboards
from bot.casework.chats import binding_for, unions_bound
from bot.core.context import Services
from bot.delivery.errors import ThreadUnavailable
from bot.delivery.kinds import Publisher
from bot.delivery.notify import watch_card_row
from bot.departments import views as department_views
from bot.domain import labels
from bot.domain.intake import OFFLINE_SOURCES, SOURCE_LABEL
from bot.domain.publication import CLOSED_TO_SUPPORT, Status, may_publish
from bot.domain.workflow import OPEN_STATES, UNSUBMITTED, Kind, Role, State
from bot.proposals import views as proposal_views
from storage.crud import cases as cases_crud
from storage.crud import concerns as concerns_crud
from storage.crud import mutes as mutes_crud
from storage.crud import outbox as outbox_crud
from storage.crud import users as users_crud
from storage.db import READ_ONLY
from storage.models import Case, ChatBinding

TOPIC_TITLE_LIMIT = 128
# A case's topic is closed while it is over; 复核 (or 不满意) opens it again.
TOPIC_CLOSED_STATES = frozenset({State.CLOSED, State.REJECTED, State.MERGED})
PARKED_SECONDS = 7 * 24 * 3600


class CardPublisher(Publisher):
    async def _call(self, method: TelegramMethod[Any]) -> Any:
        # A card waits for Telegram no longer than any other send: a hung request would hold
        # the officers' chat up for the client's default minute.
        timeout = math.ceil(self.services.settings.delivery_request_timeout)
        return await self.bot(method, request_timeout=timeout)

    async def _load(self, case_id: int) -> tuple[Case, ChatBinding | None, str, bool]:
        """The case, its chat, its card's text and whether college unions are bound: one read."""
        async with self.session_factory(execution_options={READ_ONLY: True}) as session:
            case = await cases_crud.get_case(session=session, case_id=case_id)
            if case is None:
                raise ThreadUnavailable("case vanished", 3600)
            binding = await binding_for(session=session, services=self.services, case=case)
            actor = await last_officer(session=session, case=case)
            text = await card_text(session=session, services=self.services, case=case, actor=actor)
            unions = await unions_bound(session=session)
        return case, binding, text, unions

    async def publish(self, case_id: int) -> Message | bool:
        """Posts or edits the case's card; then the chat that held the case before (校院两级)
        sees its read-only card follow."""
        case, binding, text, unions = await self._load(case_id)
        result = await self._post(case, binding, text, unions)
        if case.watch_card_message_id is not None:
            await self._follow_watch(case_id)
        return result

    async def _post(
        self, case: Case, binding: ChatBinding | None, text: str, unions: bool
    ) -> Message | bool:
        if case.state in UNSUBMITTED:
            return True  # a proposal still being written or co-signed is not the officers' yet
        if binding is None:
            raise ThreadUnavailable("no officers chat is bound", 30)
        locale = self.services.group_locale
        chat_id = case.chat_id or binding.chat_id
        title = self.topic_title(case)
        if binding.is_forum and case.topic_id is None:
            topic = await self._call(CreateForumTopic(chat_id=chat_id, name=title))
            case.topic_id, case.card_title = topic.message_thread_id, title
            await self._save(case, chat_id=chat_id, topic_id=case.topic_id, card_title=title)
        markup = keyboards.card(self.services.renderer, locale, case, unions=unions)
        if case.card_message_id is None:
            message = await self._call(
                SendMessage.model_validate(
                    {
                        "chat_id": chat_id,
                        "text": text,
                        "parse_mode": "HTML",
                        "message_thread_id": case.topic_id,
                        "reply_markup": markup,
                    }
                )
            )
            await self._save(case, chat_id=chat_id, card_message_id=message.message_id)
            async with self.session_factory.begin() as session:
                assert case.id is not None
                await cases_crud.link_message(
                    session=session, chat_id=chat_id, message_id=message.message_id, case_id=case.id
                )
            return message
        if case.topic_id is not None and case.card_title != title:
            await self._rename(chat_id, case, title)
            await self._open_or_close(chat_id, case)
        try:
            return await self._call(
                EditMessageText.model_validate(
                    {
                        "chat_id": chat_id,
                        "message_id": case.card_message_id,
                        "text": text,
                        "parse_mode": "HTML",
                        "reply_markup": markup,
                    }
                )
            )
        except TelegramBadRequest as exc:
            if "not modified" in exc.message:
                return True
            raise

    async def publish_watch(self, case_id: int) -> Message | bool:
        """The card in the chat that held the case before: the case as it is now, without
        buttons, saying which level holds it."""
        async with self.session_factory(execution_options={READ_ONLY: True}) as session:
            case = await cases_crud.get_case(session=session, case_id=case_id)
            if case is None or case.watch_chat_id is None or case.watch_card_message_id is None:
                return True
            actor = await last_officer(session=session, case=case)
            text = await card_text(
                session=session, services=self.services, case=case, actor=actor, watching=True
            )
        try:
            return await self._call(
                EditMessageText.model_validate(
                    {
                        "chat_id": case.watch_chat_id,
                        "message_id": case.watch_card_message_id,
                        "text": text,
                        "parse_mode": "HTML",
                        "reply_markup": {"inline_keyboard": []},
                    }
                )
            )
        except TelegramBadRequest as exc:
            if "not modified" in exc.message:
                return True
            raise

    async def _follow_watch(self, case_id: int) -> None:
        """After the live card, the watching chat's card is drawn again (its own row: the
        limits are per chat)."""
        async with self.session_factory.begin() as session:
            case = await cases_crud.get_case(session=session, case_id=case_id)
            if case is not None and case.watch_card_message_id is not None:
                await outbox_crud.enqueue(session=session, messages=[watch_card_row(case_id)])

    async def watch_target(self, case_id: int) -> dict[str, Any]:
        """Where a note goes in the watching chat: its topic, or a reply to its card there."""
        async with self.session_factory(execution_options={READ_ONLY: True}) as session:
            case = await cases_crud.get_case(session=session, case_id=case_id)
        if case is None or case.watch_chat_id is None:
            raise ThreadUnavailable("the case has no watching chat", 3600)
        if case.watch_topic_id is not None:
            return {"chat_id": case.watch_chat_id, "message_thread_id": case.watch_topic_id}
        if case.watch_card_message_id is not None:
            return {
                "chat_id": case.watch_chat_id,
                "reply_parameters": {
                    "message_id": case.watch_card_message_id,
                    "allow_sending_without_reply": True,
                },
            }
        return {"chat_id": case.watch_chat_id}

    async def _rename(self, chat_id: int, case: Case, title: str) -> None:
        try:
            await self._call(
                EditForumTopic(chat_id=chat_id, message_thread_id=case.topic_id or 0, name=title)
            )
        except TelegramBadRequest as exc:
            if "NOT_MODIFIED" not in exc.message:
                raise
        await self._save(case, card_title=title)

    async def _open_or_close(self, chat_id: int, case: Case) -> None:
        # The title carries the state, so it changes with every move: only then may the
        # topic's being closed need to follow.
        thread = case.topic_id or 0
        method: TelegramMethod[Any]
        if case.state in TOPIC_CLOSED_STATES:
            method = CloseForumTopic(chat_id=chat_id, message_thread_id=thread)
        elif case.state == State.REOPENED:
            method = ReopenForumTopic(chat_id=chat_id, message_thread_id=thread)
        else:
            return
        try:
            await self._call(method)
        except TelegramBadRequest as exc:
            if "NOT_MODIFIED" not in exc.message:
                raise

    async def _save(self, case: Case, **values: Any) -> None:
        async with self.session_factory.begin() as session:
            await session.execute(update(Case).where(Case.id == case.id).values(**values))  # type: ignore[arg-type]

    def topic_title(self, case: Case) -> str:
        locale = self.services.group_locale
        state = self.services.renderer.gettext(locale, labels.STATE[State(case.state)])
        title = f"{labels.STATE_ICON[State(case.state)]} {case.number} · {state}"
        return title[:TOPIC_TITLE_LIMIT]

    async def thread_target(self, case_id: int) -> dict[str, Any]:
        """Where a note about the case goes: its topic, or a reply to its card."""
        async with self.session_factory(execution_options={READ_ONLY: True}) as session:
            case = await cases_crud.get_case(session=session, case_id=case_id)
            if case is None:
                raise ThreadUnavailable("case vanished", 3600)
            binding = await binding_for(session=session, services=self.services, case=case)
            if binding is None:
                raise ThreadUnavailable("no officers chat is bound", 30)
            card_pending = await outbox_crud.has_pending(
                session=session, coalesce_key=f"card:{case_id}"
            )
            listed = not card_pending and await outbox_crud.card_listed(
                session=session, case_id=case_id
            )
        chat_id = case.chat_id or binding.chat_id
        if case.topic_id is not None:
            return {"chat_id": chat_id, "message_thread_id": case.topic_id}
        if case.card_message_id is not None:
            return {
                "chat_id": chat_id,
                "reply_parameters": {
                    "message_id": case.card_message_id,
                    "allow_sending_without_reply": True,
                },
            }
        if card_pending:
            raise ThreadUnavailable("card not posted yet", 1)
        if listed:
            # The case was listed in a batch message: its notes wait for its card, posted when
            # an officer opens it (which wakes them), rather than crowd the chat meanwhile.
            raise ThreadUnavailable("card listed in a batch, not opened yet", PARKED_SECONDS)
        return {"chat_id": chat_id}


async def last_officer(*, session: AsyncSession, case: Case) -> str:
    """Officers are named to each other; a student never is (anonymity applies here too)."""
    assert case.id is not None
    events = await cases_crud.events_of(session=session, case_id=case.id, public_only=False)
    last = next((e for e in reversed(events) if e.to_state is not None), None)
    if last is None or last.actor_role not in (Role.OFFICER, Role.ADMIN) or last.actor_id is None:
        return ""
    user = await users_crud.get_user(session=session, user_id=last.actor_id)
    return officer_name(user) if user is not None else ""


async def card_text(
    *, session: AsyncSession, services: Services, case: Case, actor: str, watching: bool = False
) -> str:
    """The officers' card of a case, as posted in their chat and shown by `/case`; `actor`:
    who acted last (`last_officer`); `watching`: the read-only card of the chat that held
    the case before (校院两级)."""
    org, renderer = services.org, services.renderer
    assert case.id is not None
    attachments = await cases_crud.attachments_of(session=session, case_id=case.id)
    submitter = None
    if not case.anonymous and case.submitter_id is not None:
        submitter = await users_crud.get_user(session=session, user_id=case.submitter_id)
    merged_into = None
    if case.merged_into_id is not None:
        merged_into = await cases_crud.get_case(session=session, case_id=case.merged_into_id)
    proposal, parts = None, []
    if case.kind == Kind.PROPOSAL:
        proposal = await proposal_views.build(session=session, services=services, case=case)
    else:
        parts = await department_views.parts_of(session=session, services=services, case=case)
    mute = await mutes_crud.shown_on(session=session, case_id=case.id)
    public, supporters = await publication_of(session=session, services=services, case=case)
    assignee = None
    if case.assignee_id is not None:
        assignee = await users_crud.get_user(session=session, user_id=case.assignee_id)
    now = services.now()
    due = case.first_response_due_at if case.first_response_at is None else case.answer_due_at
    department_due = (
        case.department_due_at
        if case.department_code and case.state in (State.IN_PROGRESS, State.REOPENED)
        else None
    )
    return renderer.render(
        services.group_locale,
        "group/card.html",
        case=case,
        state_label=proposal.state_label if proposal else labels.STATE[State(case.state)],
        kind_label=labels.KIND[case.kind],  # type: ignore[index]
        category=org.category(case.category_code),
        college=org.college(case.college_code),
        department=org.department(case.department_code),
        attachments=len(attachments),
        submitter=submitter,
        # Registered by an officer from a paper form, the mailbox, a session or a call.
        source_label=SOURCE_LABEL.get(case.source) if case.source in OFFLINE_SOURCES else None,
        actor=actor,
        assignee=officer_name(assignee) if assignee is not None else None,
        age_hours=int((now - case.created_at).total_seconds() // 3600),
        due=due if case.state in OPEN_STATES else None,
        overdue=case.state in OPEN_STATES and due is not None and due < now,
        paused=case.state == State.NEEDS_INFO,
        department_due=department_due,
        department_overdue=department_due is not None and department_due < now,
        merged_into=merged_into,
        proposal=proposal,
        parts=parts,
        # A mute decided on this case, while it lasts (never one decided on another case of the
        # same author: that would tell who wrote an anonymous one).
        mute=mute if mute and mute.action == "mute" and (mute.until or now) > now else None,
        watching=watching,
        public=public,
        supporters=supporters,
    )


async def publication_of(
    *, session: AsyncSession, services: Services, case: Case
) -> tuple[str | None, int]:
    """Where the case's public version stands (`bot.domain.publication.Status`; "none" when
    its student did not ask, "ended" when published but no longer shown) and its supporters;
    (None, 0) for a case that can never be public (a proposal, a sensitive category's, one
    not the student's to ask) and never was."""
    assert case.id is not None
    row = await concerns_crud.get(session=session, case_id=case.id)
    if row is None:
        category = services.org.category(case.category_code)
        sensitive = category is not None and category.sensitive
        # Asked only by the student, at submission: never for a representative's 代提交 nor
        # for a case an officer registered.
        offered = not case.on_behalf and case.source not in OFFLINE_SOURCES
        return ("none" if offered and may_publish(case.kind, sensitive=sensitive) else None), 0
    if row.status == Status.PUBLISHED and case.state in CLOSED_TO_SUPPORT:
        return "ended", 0  # merged, rejected, withdrawn: off the board and closed to +1
    counts = await concerns_crud.support_counts(session=session, case_ids=[case.id])
    return row.status, counts.get(case.id, 0)
