"""A resident's own cases: what /status shows, withdrawing one, and messages or evidence for
the mediator.

Access: only cases whose resident is the sender. Any other number, someone else's case
included, answers exactly like a number that does not exist. Every change leaves a case event,
and its pushes are written to the outbox in the caller's transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from backend import assignments, lifecycle, resident_choice
from backend.clock import Clock
from backend.models import Assignment, Case, CaseMessage, Evidence
from backend.models_scheduling import Appointment
from backend.resident_records import (
    WITHDRAW_REASONS,
    CaseUnavailable,
    EvidenceFile,
    HandlerChoice,
    MyCase,
    Relay,
)
from backend.resident_relay import masked_preview, push_to, reachable_admins, reachable_staff
from backend.routing import DEFAULT_RESPONSE_HOURS
from backend.statuses import OPEN_STATUSES, CaseStatus, can_transition

# Statuses in which a case waits for an organisation or mediator to take it on.
WAITING = frozenset({CaseStatus.NEW, CaseStatus.ROUTED, CaseStatus.ESCALATED})
IN_HAND = frozenset({CaseStatus.ACCEPTED, CaseStatus.SCHEDULED, CaseStatus.IN_MEDIATION})


def next_date(
    case: Case, offer: Assignment | None, appointment: datetime | None = None
) -> tuple[datetime | None, str | None]:
    """The one date the resident should know about next, and what kind of date it is;
    `appointment` is the start of the case's next booked mediation hour."""
    if offer is not None:
        return offer.respond_by, "respond_by"
    if case.status == CaseStatus.ROUTED and case.routed_at and case.organization:
        # routed before offers were recorded: the organisation's answer deadline
        hours = case.organization.response_deadline_hours or DEFAULT_RESPONSE_HOURS
        return case.routed_at + timedelta(hours=hours), "respond_by"
    if appointment is not None:
        return appointment, "appointment"
    if case.status in IN_HAND and case.mediation_due_at is not None:
        return case.mediation_due_at, "mediation_due"
    return None, None


def _view(case: Case, offer: Assignment | None, appointment: datetime | None = None) -> MyCase:
    waiting = offer is not None or case.status in WAITING
    moment, kind = next_date(case, offer, appointment)
    org = case.organization
    return MyCase(
        number=case.number,
        category=case.category,
        status=case.status,
        waiting=waiting,
        organization_name=org.name if org else None,
        organization_name_en=(org.name_en or None) if org else None,
        mediator_name=case.mediator.name if case.mediator and not waiting else None,
        next_date=moment,
        next_date_kind=kind,
        can_withdraw=can_transition(CaseStatus(case.status), CaseStatus.WITHDRAWN),
        can_add=case.status in OPEN_STATUSES,
        created_at=case.created_at,
    )


async def _offers(session: AsyncSession, case_ids: Sequence[int]) -> dict[int, Assignment]:
    """The current (latest) open offer of each case."""
    if not case_ids:
        return {}
    rows = await session.scalars(
        select(Assignment)
        .where(Assignment.case_id.in_(case_ids), Assignment.status == "offered")
        .order_by(Assignment.id)
    )
    return {a.case_id: a for a in rows}


async def _next_appointments(
    session: AsyncSession, case_ids: Sequence[int], now: datetime
) -> dict[int, datetime]:
    """The start of each case's next booked appointment that has not begun yet."""
    if not case_ids:
        return {}
    rows = await session.execute(
        select(Appointment.case_id, func.min(Appointment.starts_at))
        .where(
            Appointment.case_id.in_(case_ids),
            Appointment.status == "booked",
            Appointment.starts_at > now,
        )
        .group_by(Appointment.case_id)
    )
    return {case_id: starts for case_id, starts in rows if case_id is not None}


class ResidentCaseDesk:
    """The sender's cases, bound to one unit of work."""

    def __init__(self, session: AsyncSession, clock: Clock, resident_id: int) -> None:
        self.session, self.clock, self.resident_id = session, clock, resident_id

    def _mine(self) -> Select[tuple[Case]]:
        return (
            select(Case)
            .where(Case.resident_id == self.resident_id)
            .options(selectinload(Case.organization), selectinload(Case.mediator))
        )

    async def cases(self) -> list[MyCase]:
        """Newest first."""
        rows = list(
            await self.session.scalars(
                self._mine().order_by(Case.created_at.desc(), Case.id.desc())
            )
        )
        ids = [c.id for c in rows]
        offers = await _offers(self.session, ids)
        booked = await _next_appointments(self.session, ids, self.clock.now())
        return [_view(c, offers.get(c.id), booked.get(c.id)) for c in rows]

    async def case(self, number: str) -> MyCase | None:
        case = await self.session.scalar(self._mine().where(Case.number == number.strip()))
        if case is None:
            return None
        offer = (await _offers(self.session, [case.id])).get(case.id)
        booked = await _next_appointments(self.session, [case.id], self.clock.now())
        return _view(case, offer, booked.get(case.id))

    async def _own(self, number: str) -> Case:
        """The case, locked for this unit of work; someone else's is "not found"."""
        stmt = self._mine().where(Case.number == number.strip()).with_for_update()
        case = await self.session.scalar(stmt)
        if case is None:
            raise CaseUnavailable("not_found")
        return case

    # --- choosing who handles it --------------------------------------------------------

    async def handler_choices(self, number: str) -> list[HandlerChoice]:
        return await resident_choice.choices(self.session, self.resident_id, number)

    async def choose_handler(self, number: str, code: str) -> HandlerChoice:
        return await resident_choice.choose(
            self.session, self.resident_id, number, code, at=self.clock.now()
        )

    # --- withdrawing ------------------------------------------------------------------------

    async def withdraw(self, number: str, reason: str) -> MyCase:
        if reason not in WITHDRAW_REASONS:
            raise ValueError(f"unknown withdrawal reason {reason!r}")
        case = await self._own(number)
        if not can_transition(CaseStatus(case.status), CaseStatus.WITHDRAWN):
            at_court = case.status == CaseStatus.REFERRED_TO_COURT
            raise CaseUnavailable("at_court" if at_court else "closed")
        now = self.clock.now()
        # whoever holds the case or its offer now is told, the organisation's admins otherwise
        holder = [case.mediator] if case.mediator else []
        people = await reachable_staff(self.session, holder) or await reachable_admins(
            self.session, case.organization_id
        )
        offers = await self.session.scalars(
            select(Assignment).where(Assignment.case_id == case.id, Assignment.status == "offered")
        )
        for offer in offers:
            assignments.end_offer(offer, at=self.clock.now(), reason="withdrawn")
        lifecycle.change_status(
            self.session,
            case,
            CaseStatus.WITHDRAWN,
            at=now,
            actor_kind="resident",
            actor_id=self.resident_id,
            data={"reason": reason},
        )
        case.outcome, case.mediation_due_at = "withdrawn", None
        await push_to(
            self.session,
            people,
            f"mycases.push.withdrawn_{reason}",
            {"number": case.number, "category": case.category},
            purpose="withdrawn",
            at=now,
            case=case,
            dedup=f"withdrawn:{case.number}",
        )
        return _view(case, None)

    # --- messages and evidence for the mediator ---------------------------------------------

    async def _open_case(self, number: str) -> Case:
        case = await self._own(number)
        if case.status not in OPEN_STATUSES:
            raise CaseUnavailable("closed")
        return case

    async def add_message(self, number: str, text: str) -> Relay:
        case = await self._open_case(number)
        message = await self._store(case, text, None)
        return await self._relay(case, message, "mycases.push.message", text)

    async def add_evidence(self, number: str, file: EvidenceFile, caption: str | None) -> Relay:
        """A photo or document through the same checked store as the intake's evidence."""
        case = await self._open_case(number)
        evidence = Evidence(
            case_id=case.id,
            kind=file.kind,
            note=caption,
            storage_path=file.path,
            mime_type=file.mime_type,
            size_bytes=file.size,
            sha256=file.sha256,
            created_at=self.clock.now(),
        )
        self.session.add(evidence)
        await self.session.flush()
        message = await self._store(case, caption or "", evidence.id)
        return await self._relay(case, message, "mycases.push.evidence", caption or "")

    async def _store(self, case: Case, body: str, evidence_id: int | None) -> CaseMessage:
        now = self.clock.now()
        message = CaseMessage(
            case_id=case.id,
            kind="to_mediator",
            author_kind="resident",
            author_id=self.resident_id,
            body=body,
            evidence_id=evidence_id,
            created_at=now,
        )
        self.session.add(message)
        await self.session.flush()
        case.updated_at = now
        return message

    async def _relay(self, case: Case, message: CaseMessage, key: str, text: str) -> Relay:
        """To the mediator who accepted the case; before anyone has, to the organisation's
        administrators; when none of them can be reached, the message waits on the case."""
        offer = (await _offers(self.session, [case.id])).get(case.id)
        accepted = case.mediator if offer is None and case.status not in WAITING else None
        people = await reachable_staff(self.session, [accepted] if accepted else [])
        reached = "mediator" if people else None
        if not people:
            people = await reachable_admins(self.session, case.organization_id)
            reached = "organization" if people else None
        lifecycle.record_event(
            self.session,
            case,
            "resident_message",
            at=message.created_at,
            actor_kind="resident",
            actor_id=self.resident_id,
            data={"message": message.id, "evidence": message.evidence_id, "reached": reached},
        )
        await push_to(
            self.session,
            people,
            key,
            {"number": case.number, "category": case.category, "preview": masked_preview(text)},
            purpose="resident_message",
            at=message.created_at,
            case=case,
            dedup=f"resident-message:{message.id}",
            options=[{"label_key": "mycases.push.view", "payload": f"staff:view:{case.number}"}],
        )
        org = case.organization
        return Relay(
            reached=reached,
            mediator_name=accepted.name if accepted and reached == "mediator" else None,
            organization_name=org.name if org else None,
            organization_name_en=(org.name_en or None) if org else None,
        )
