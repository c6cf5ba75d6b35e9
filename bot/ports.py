"""The seams between the dialogue and what it stands on, as small typed Protocols."""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from datetime import date, datetime
from typing import Any, Protocol

from backend.aftercare_records import FollowUpReceipt, SurveyProgress
from backend.booking_records import (
    AppointmentView,
    BookingTarget,
    ExceptionView,
    HoursView,
    SlotView,
)
from backend.records import (
    CallbackReceipt,
    CaseDraft,
    Conversation,
    ResidentProfile,
    SubmittedCase,
)
from backend.resident_records import EvidenceFile, HandlerChoice, MyCase, Relay
from backend.staff_records import Handover, StaffCaseLine, StaffCaseView, StaffProfile


class DialogueBackend(Protocol):
    """The backend for one incoming message; its changes commit together."""

    conversation: Conversation

    async def claim_message(self, dedup_key: str) -> list[Any] | None: ...

    async def record_replies(self, replies: list[Any]) -> None: ...

    def push_replies(self, replies: list[Any]) -> None: ...

    @property
    def resident(self) -> ResidentProfile: ...

    async def record_consent(self, *, version: str, accepted: bool) -> None: ...

    async def set_locale(self, locale: str) -> None: ...

    async def submit_case(self, draft: CaseDraft) -> SubmittedCase: ...

    @property
    def my_cases_desk(self) -> ResidentCasesPort: ...

    async def staff_desk(self) -> StaffPort | None: ...

    @property
    def booking_desk(self) -> BookingPort: ...

    async def staff_booking_desk(self) -> StaffBookingPort | None: ...

    @property
    def aftercare_desk(self) -> AftercarePort: ...

    async def raise_risk_alert(
        self, text: str, reasons: list[str], town_code: str | None
    ) -> int: ...

    async def redeem_invite(self, code: str) -> StaffProfile: ...

    async def request_callback(
        self, *, phone: str, reason: str, town_code: str | None, context: str | None
    ) -> CallbackReceipt: ...


class ResidentCasesPort(Protocol):
    """The sender's own cases; anyone else's case number answers like an unknown one
    (CaseUnavailable("not_found"))."""

    async def cases(self) -> list[MyCase]: ...

    async def case(self, number: str) -> MyCase | None: ...

    async def withdraw(self, number: str, reason: str) -> MyCase: ...

    async def add_message(self, number: str, text: str) -> Relay: ...

    async def add_evidence(self, number: str, file: EvidenceFile, caption: str | None) -> Relay: ...

    async def handler_choices(self, number: str) -> list[HandlerChoice]: ...

    async def choose_handler(self, number: str, code: str) -> HandlerChoice: ...


class AftercarePort(Protocol):
    """The sender's answers to the satisfaction survey and the agreement follow-up."""

    async def answer_survey(
        self, number: str, question: str, value: str | None
    ) -> SurveyProgress: ...

    async def answer_follow_up(self, number: str, answer: str) -> FollowUpReceipt: ...


class BookingPort(Protocol):
    """The sender's appointments (backend/booking.py); refusals are BookingRefused."""

    async def target(self, village_code: str | None = None) -> BookingTarget | None: ...

    async def slots(
        self, mediator_code: str, *, after: datetime | None = None, limit: int = 6
    ) -> list[SlotView]: ...

    async def book(
        self, target: BookingTarget, starts_at: datetime, mode: str
    ) -> AppointmentView: ...

    async def upcoming(self) -> list[AppointmentView]: ...

    async def appointment(self, appointment_id: int) -> AppointmentView: ...

    async def reschedule(
        self, appointment_id: int, starts_at: datetime, mode: str
    ) -> AppointmentView: ...

    async def cancel(self, appointment_id: int) -> AppointmentView: ...


class StaffBookingPort(Protocol):
    """A judge's or mediator's hours and appointments (backend/booking_staff.py)."""

    async def hours(self) -> HoursView: ...

    async def open_days(self) -> list[date]: ...

    async def close_day(self, on_date: date, note: str | None = None) -> list[AppointmentView]: ...

    async def add_hours(self, on_date: date, start: str, end: str) -> ExceptionView: ...

    async def appointments(self) -> list[AppointmentView]: ...

    async def record_attendance(self, appointment_id: int, outcome: str) -> AppointmentView: ...

    async def cancel(self, appointment_id: int) -> AppointmentView: ...


class StaffPort(Protocol):
    """What a staff member (mediator, administrator, judge, grid worker) can do in chat."""

    async def profile(self) -> StaffProfile: ...

    async def open_cases(self) -> list[StaffCaseLine]: ...

    async def case_view(self, number: str) -> StaffCaseView | None: ...

    async def accept(self, number: str) -> StaffCaseView: ...

    async def decline(self, number: str, reason: str) -> Handover: ...

    async def add_note(self, number: str, text: str) -> None: ...

    async def contact_resident(self, number: str, text: str) -> bool: ...

    async def record_outcome(self, number: str, outcome: str, text: str | None) -> None: ...

    async def refer_to_court(self, number: str) -> str: ...

    async def request_confirmation(self, number: str) -> str: ...

    async def register_on_behalf(self, draft: CaseDraft, mode: str) -> SubmittedCase: ...


class CaseStorePort(Protocol):
    def dialogue_session(
        self, channel: str, user_id: str
    ) -> AbstractAsyncContextManager[DialogueBackend]: ...
