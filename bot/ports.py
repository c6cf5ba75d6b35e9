"""The seams between the dialogue and what it stands on, as small typed Protocols."""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from typing import Any, Protocol

from backend.aftercare_records import FollowUpReceipt, SurveyProgress
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

    def record_replies(self, replies: list[Any]) -> None: ...

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
