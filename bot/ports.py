"""The seams between the dialogue and what it stands on, as small typed Protocols."""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from typing import Any, Protocol

from backend.records import (
    CallbackReceipt,
    CaseDraft,
    CaseSummary,
    Conversation,
    ResidentProfile,
    SubmittedCase,
)


class DialogueBackend(Protocol):
    """The backend for one incoming message; its changes commit together."""

    conversation: Conversation

    async def claim_message(self, dedup_key: str) -> list[Any] | None: ...

    def record_replies(self, replies: list[Any]) -> None: ...

    @property
    def resident(self) -> ResidentProfile: ...

    async def record_consent(self, *, version: str, accepted: bool) -> None: ...

    async def set_locale(self, locale: str) -> None: ...

    async def submit_case(self, draft: CaseDraft) -> SubmittedCase: ...

    async def my_cases(self) -> list[CaseSummary]: ...

    async def request_callback(
        self, *, phone: str, reason: str, town_code: str | None, context: str | None
    ) -> CallbackReceipt: ...


class CaseStorePort(Protocol):
    def dialogue_session(
        self, channel: str, user_id: str
    ) -> AbstractAsyncContextManager[DialogueBackend]: ...
