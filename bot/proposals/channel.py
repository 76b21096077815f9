"""The public channel (PUBLIC_CHANNEL_ID): one post per registered proposal, edited in place.

Outbox rows of kind "channel" carry no text: the post is rendered from the proposal as it is
when the row is sent, so several changes queued together make one edit (like the cards).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from aiogram.exceptions import TelegramBadRequest
from aiogram.methods import EditMessageText, SendMessage
from aiogram.types import InlineKeyboardMarkup, Message
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from bot.concerns import channel as concerns_channel
from bot.delivery.errors import Outcome
from bot.delivery.kinds import Context, Publisher, Target, named_chats
from bot.domain.workflow import Kind
from bot.proposals import keyboards as proposal_keyboards
from bot.proposals import views as proposal_views
from bot.proposals.core import board_link, public_payload, start_link
from storage.crud import cases as cases_crud
from storage.models import OutboxMessage, Proposal


class ChannelPublisher(Publisher):
    async def publish(self, case_id: int) -> Message | bool:
        channel = self.services.settings.public_channel_id
        if channel is None:
            return True
        async with self.session_factory() as session:
            case = await cases_crud.get_case(session=session, case_id=case_id)
            if case is None:
                return True
            is_proposal = case.kind == Kind.PROPOSAL
            if is_proposal:
                view = await proposal_views.build(
                    session=session, services=self.services, case=case
                )
        if not is_proposal:
            # A grievance or suggestion its student made public (shared concerns); after the
            # read above has ended, as SQLite's writer would wait for it.
            return await concerns_channel.publish(
                self.bot, self.services, self.session_factory, case_id
            )
        proposal = view.proposal
        locale = self.services.group_locale
        text = self.services.renderer.render(locale, "proposal/channel_post.html", v=view)
        username = self.services.settings.bot_username or (await self.bot.me()).username
        markup = InlineKeyboardMarkup.model_validate(
            proposal_keyboards.channel_post(
                self.services.renderer,
                locale,
                start_link(username, public_payload(case_id)),
                board_link(self.services.settings.board_url, case.number),
            )
        )
        if proposal.channel_message_id is not None and proposal.channel_chat_id == channel:
            try:
                return await self.bot(
                    EditMessageText(
                        chat_id=channel,
                        message_id=proposal.channel_message_id,
                        text=text,
                        parse_mode="HTML",
                        reply_markup=markup,
                    )
                )
            except TelegramBadRequest as exc:
                if "not modified" in exc.message:
                    return True
                raise
        message = await self.bot(
            SendMessage(chat_id=channel, text=text, parse_mode="HTML", reply_markup=markup)
        )
        async with self.session_factory.begin() as session:
            await session.execute(
                update(Proposal)
                .where(col(Proposal.case_id) == case_id)
                .values(channel_chat_id=channel, channel_message_id=message.message_id)
            )
        return message


class ChannelKind:
    """The delivery engine's side of it: rows of kind "channel" go to the channel they name."""

    links_messages = False  # a channel post is not a conversation about the case

    async def targets(
        self, session: AsyncSession, rows: Sequence[OutboxMessage], ctx: Context
    ) -> dict[int, Target | Outcome]:
        return named_chats(rows, lambda row: row.chat_id, "a channel row without its channel")

    async def send(self, row: OutboxMessage, ctx: Context) -> Any:
        assert row.case_id is not None
        publisher = ChannelPublisher(ctx.bot, ctx.services, ctx.session_factory)
        return await publisher.publish(row.case_id)
