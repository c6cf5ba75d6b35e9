"""The backend as the dialogue sees it: one unit of work per incoming message.

Everything a message changes (conversation state, resident, case, events, outbox rows)
commits together or not at all, so a failure never leaves half a report behind.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from backend import cases, conversations, inbound, invites, outbox, residents
from backend.aftercare_desk import AftercareDesk
from backend.booking import BookingDesk
from backend.booking_common import BookingConfig
from backend.booking_staff import StaffBookingDesk
from backend.clock import Clock
from backend.db import Database
from backend.models import CallbackRequest, Resident
from backend.records import (
    CallbackReceipt,
    CaseDraft,
    Conversation,
    ResidentProfile,
    SubmittedCase,
)
from backend.resident_cases import ResidentCaseDesk
from backend.risk_alerts import alert_duty_staff
from backend.routing import RULES_KEY
from backend.routing_rules import RoutingRules
from backend.staff_desk import StaffDesk
from backend.staff_records import StaffProfile


@dataclass
class DialogueSession:
    """Bound to the sender of the message being handled."""

    session: AsyncSession
    clock: Clock
    channel: str
    user_id: str
    _resident: Resident
    conversation: Conversation

    _claim_id: int | None = None
    booking_config: BookingConfig = field(default_factory=BookingConfig)

    async def claim_message(self, dedup_key: str) -> list[Any] | None:
        """None when the message is new (and now claimed); otherwise the replies it got."""
        self._claim_id = await inbound.claim(
            self.session, self.channel, dedup_key, self.user_id, at=self.clock.now()
        )
        if self._claim_id is not None:
            return None
        return await inbound.earlier_replies(self.session, self.channel, dedup_key)

    async def record_replies(self, replies: list[Any]) -> None:
        if self._claim_id is not None:
            await inbound.record_replies(self.session, self._claim_id, replies)

    def push_replies(self, replies: list[Any]) -> None:
        """Sends the replies through the outbox, committed with this unit (a message handled
        late, when nobody waits for the answer)."""
        for reply in replies:
            outbox.enqueue_reply(
                self.session,
                channel=self.channel,
                recipient=self.user_id,
                reply=reply,
                at=self.clock.now(),
            )

    @property
    def resident(self) -> ResidentProfile:
        r = self._resident
        return ResidentProfile(r.id, r.locale, r.consent_version, r.phone)

    async def record_consent(self, *, version: str, accepted: bool) -> None:
        residents.record_consent(
            self.session,
            self._resident,
            version=version,
            accepted=accepted,
            channel=self.channel,
            at=self.clock.now(),
        )

    async def set_locale(self, locale: str) -> None:
        self._resident.locale = locale
        self.conversation.locale = locale

    async def submit_case(self, draft: CaseDraft) -> SubmittedCase:
        if draft.phone:
            residents.remember_phone(self._resident, draft.phone)
        return await cases.submit_case(
            self.session, self._resident, draft, channel=self.channel, at=self.clock.now()
        )

    async def staff_desk(self) -> StaffDesk | None:
        """The sender's staff desk when their chat account is linked to a staff record."""
        staff = await invites.staff_for_resident(self.session, self._resident.id)
        if staff is None:
            return None
        return StaffDesk(self.session, self.clock, staff, self.channel)

    async def redeem_invite(self, code: str) -> StaffProfile:
        staff = await invites.redeem_invite(self.session, code, self._resident, at=self.clock.now())
        return await StaffDesk(self.session, self.clock, staff).profile()

    async def raise_risk_alert(self, text: str, reasons: list[str], town_code: str | None) -> int:
        """Danger in a report still being written: duty staff hear of it now, once a day."""
        now = self.clock.now()
        return await alert_duty_staff(
            self.session,
            text=text,
            reasons=reasons,
            town_code=town_code,
            at=now,
            dedup=f"risk:{self._resident.id}:{now.date().isoformat()}",
        )

    @property
    def my_cases_desk(self) -> ResidentCaseDesk:
        """The sender's own cases: list, withdraw, add a message or evidence."""
        return ResidentCaseDesk(self.session, self.clock, self._resident.id)

    @property
    def aftercare_desk(self) -> AftercareDesk:
        """The sender's answers to the survey and the agreement follow-up."""
        return AftercareDesk(self.session, self.clock, self._resident.id)

    @property
    def booking_desk(self) -> BookingDesk:
        """The sender's appointments with their village's judge or their mediator."""
        return BookingDesk(self.session, self.clock, self._resident.id, self.booking_config)

    async def staff_booking_desk(self) -> StaffBookingDesk | None:
        """The sender's hours and appointments when they are staff."""
        staff = await invites.staff_for_resident(self.session, self._resident.id)
        if staff is None:
            return None
        return StaffBookingDesk(self.session, self.clock, staff, self.booking_config)

    async def request_callback(
        self, *, phone: str, reason: str, town_code: str | None, context: str | None
    ) -> CallbackReceipt:
        org = await cases.organization_for_callback(self.session, town_code)
        residents.remember_phone(self._resident, phone)
        self.session.add(
            CallbackRequest(
                resident_id=self._resident.id,
                organization_id=org.id if org else None,
                phone=phone,
                reason=reason,
                context=context,
                channel=self.channel,
                created_at=self.clock.now(),
            )
        )
        return CallbackReceipt(org.name if org else "", org.name_en if org else "")


class CaseStore:
    """Opens one DialogueSession per incoming message."""

    def __init__(
        self,
        db: Database,
        clock: Clock,
        default_locale: str = "zh",
        *,
        rules: RoutingRules | None = None,
        booking: BookingConfig | None = None,
    ) -> None:
        self.db, self.clock, self.default_locale = db, clock, default_locale
        self.rules = rules  # the routing rules, loaded once at start (jiefen.app)
        self.booking = booking or BookingConfig()

    @asynccontextmanager
    async def dialogue_session(self, channel: str, user_id: str) -> AsyncIterator[DialogueSession]:
        async with self.db.sessions() as session, session.begin():
            if self.rules is not None:
                session.info[RULES_KEY] = self.rules
            now = self.clock.now()
            # Lock the conversation first: it serialises this user's messages across processes.
            locked, conversation = await conversations.lock_conversation(
                session, channel, user_id, at=now, locale=self.default_locale
            )
            resident = await residents.resident_for(
                session, channel, user_id, at=now, locale=self.default_locale
            )
            conversation.locale = resident.locale
            unit = DialogueSession(session, self.clock, channel, user_id, resident, conversation)
            unit.booking_config = self.booking
            yield unit
            await conversations.store_conversation(
                session, locked, unit.conversation, self.clock.now()
            )
