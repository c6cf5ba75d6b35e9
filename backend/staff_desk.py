"""The backend as a staff member's chat sees it: their cases and what they may do with them.

Access: a mediator sees the cases assigned to them (a case merely offered to them shows its
minimised summary); an administrator or supervisor also sees every case of their
organisation. Anyone else's case answers exactly like a case that does not exist. Every view
that shows personal data is a case event.
"""

from __future__ import annotations

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from backend import aftercare, assignments, cases, lifecycle, residents
from backend.assignments import ANSWERABLE, IN_HAND, WAITING
from backend.clock import Clock
from backend.masking import mask_personal_data
from backend.models import Assignment, Case, CaseMessage, Mediator, Organization, Resident
from backend.notify import notify_resident
from backend.records import CaseDraft, SubmittedCase
from backend.routing import liaison_judge
from backend.staff_records import (
    CaseNote,
    Handover,
    Refused,
    StaffCaseLine,
    StaffCaseView,
    StaffProfile,
    TimelineEntry,
)
from backend.statuses import OPEN_STATUSES, CaseStatus

OVERSEERS = ("admin", "supervisor")
OUTCOMES = ("agreement", "failed", "withdrawn")
SHOWN_CASES = 10


class StaffDesk:
    def __init__(
        self, session: AsyncSession, clock: Clock, staff: Mediator, channel: str = "staff"
    ) -> None:
        self.session, self.clock, self.staff, self.channel = session, clock, staff, channel

    # --- who and what ---------------------------------------------------------------

    async def profile(self) -> StaffProfile:
        org = await self.session.get(Organization, self.staff.organization_id)
        assert org is not None
        s = self.staff
        return StaffProfile(s.code, s.name, s.role, org.code, org.name)

    def _oversees(self, case: Case) -> bool:
        return self.staff.role in OVERSEERS and case.organization_id == self.staff.organization_id

    async def _offered_to_me(self, case: Case) -> bool:
        offer = await assignments.current_offer(self.session, case)
        if offer is None:
            return False
        if offer.mediator_id == self.staff.id:
            return True
        return offer.mediator_id is None and self._oversees(case)

    async def _case(self, number: str) -> tuple[Case, bool] | None:
        """The case and whether its personal data may be shown; None if not this person's."""
        case = await self.session.scalar(
            select(Case)
            .filter_by(number=number.strip())
            .options(
                selectinload(Case.parties),
                selectinload(Case.events),
                selectinload(Case.organization),
                selectinload(Case.mediator),
            )
        )
        if case is None:
            return None
        mine = case.mediator_id == self.staff.id and case.status not in ANSWERABLE
        if mine or self._oversees(case):
            return case, True
        if case.mediator_id == self.staff.id or await self._offered_to_me(case):
            return case, False
        return None

    async def _require(self, number: str, *, full: bool = True) -> Case:
        found = await self._case(number)
        if found is None or (full and not found[1]):
            raise Refused("staff.error.no_such_case")
        return found[0]

    async def open_cases(self) -> list[StaffCaseLine]:
        offered = select(Assignment.case_id).where(
            Assignment.status == "offered",
            or_(
                Assignment.mediator_id == self.staff.id,
                Assignment.organization_id == self.staff.organization_id
                if self.staff.role in OVERSEERS
                else Assignment.mediator_id == self.staff.id,
            ),
        )
        mine = or_(Case.mediator_id == self.staff.id, Case.id.in_(offered))
        if self.staff.role in OVERSEERS:
            mine = or_(mine, Case.organization_id == self.staff.organization_id)
        stmt = (
            select(Case)
            .where(mine, Case.status.in_([s.value for s in OPEN_STATUSES]))
            .options(selectinload(Case.organization))
            .order_by((Case.risk_level == "high").desc(), Case.created_at)  # risk cases kept
            .limit(SHOWN_CASES * 5)
        )
        lines = []
        for case in await self.session.scalars(stmt):
            offer = await assignments.current_offer(self.session, case)
            to_me = offer is not None and (
                offer.mediator_id == self.staff.id
                or (offer.mediator_id is None and self._oversees(case))
            )
            due = offer.respond_by if offer is not None else case.mediation_due_at
            lines.append(
                StaffCaseLine(
                    case.number,
                    case.category,
                    case.status,
                    case.organization.name if case.organization else None,
                    due,
                    to_me,
                )
            )
        lines.sort(key=lambda c: (not c.offered_to_me, c.due is None, c.due or self.clock.now()))
        return lines

    async def case_view(self, number: str) -> StaffCaseView | None:
        found = await self._case(number)
        if found is None:
            return None
        case, full = found
        respondent = next((p for p in case.parties if p.side == "respondent"), None)
        notes: list[CaseNote] = []
        if full:
            rows = await self.session.scalars(
                select(CaseMessage).filter_by(case_id=case.id).order_by(CaseMessage.id)
            )
            notes = [CaseNote(m.kind, m.body, m.evidence_id is not None) for m in rows]
            lifecycle.record_event(
                self.session,
                case,
                "personal_data_read",
                at=self.clock.now(),
                actor_kind="mediator",
                actor_id=self.staff.id,
                data={"viewer": self.staff.code},
            )
        text = (lambda s: s) if full else (lambda s: mask_personal_data(s) if s else s)
        return StaffCaseView(
            number=case.number,
            category=case.category,
            status=case.status,
            organization_name=case.organization.name if case.organization else None,
            mediator_name=case.mediator.name if case.mediator else None,
            place=case.place_text if full else None,
            description=text(case.description) or "",
            other_party=respondent.name if respondent and full else None,
            other_party_role=respondent.role if respondent else None,
            amount_yuan=case.amount_yuan,
            started_text=case.started_text,
            desired_outcome=case.desired_outcome if full else None,
            phone=case.contact_phone if full else None,
            phone_hidden=not full,
            risk_level=case.risk_level,
            reported_by=case.reported_by,
            outcome=case.outcome,
            mediation_due_at=case.mediation_due_at,
            timeline=[
                TimelineEntry(e.at, e.kind, e.to_status, (e.data or {}).get("reason"))
                for e in case.events
            ]
            if full
            else [],
            notes=notes,
        )

    # --- answering an offer -----------------------------------------------------------

    async def accept(self, number: str) -> StaffCaseView:
        case = await self._require(number, full=False)
        await assignments.accept(self.session, case, self.staff, at=self.clock.now())
        view = await self.case_view(number)
        assert view is not None
        return view

    async def decline(self, number: str, reason: str) -> Handover:
        case = await self._require(number, full=False)
        went = await assignments.decline(
            self.session, case, self.staff, reason=reason, at=self.clock.now()
        )
        return Handover(
            went.organization.name, went.mediator.name if went.mediator else None, went.escalated
        )

    # --- cases registered for a resident ----------------------------------------------

    async def register_on_behalf(self, draft: CaseDraft, mode: str) -> SubmittedCase:
        """A grid worker's proxy report is routed like any other; an offline case is the
        registering mediator's own (a grid worker does not mediate, so theirs is a proxy)."""
        if mode not in ("proxy", "offline") or not draft.consent_version:
            raise Refused("staff.error.bad_registration")
        if self.staff.role == "grid_worker":
            mode = "proxy"
        now = self.clock.now()
        resident = Resident(display_name=draft.resident_name, locale="zh", created_at=now)
        self.session.add(resident)
        if draft.phone:
            residents.remember_phone(resident, draft.phone)
        await self.session.flush()
        residents.record_consent(
            self.session,
            resident,
            version=draft.consent_version,
            accepted=True,
            channel=mode,
            at=now,
        )
        return await cases.submit_case(
            self.session,
            resident,
            draft,
            channel=self.channel,
            at=now,
            staff=self.staff,
            reported_by=mode,
        )

    # --- working a case ---------------------------------------------------------------

    def _message(self, case: Case, kind: str, body: str) -> None:
        self.session.add(
            CaseMessage(
                case_id=case.id,
                kind=kind,
                author_kind="mediator",
                author_id=self.staff.id,
                body=body,
                created_at=self.clock.now(),
            )
        )

    async def add_note(self, number: str, text: str) -> None:
        case = await self._require(number)
        self._message(case, "note", text)
        lifecycle.record_event(
            self.session,
            case,
            "note_added",
            at=self.clock.now(),
            actor_kind="mediator",
            actor_id=self.staff.id,
        )

    async def contact_resident(self, number: str, text: str) -> bool:
        """Relayed by the bot, so the mediator's own number stays private."""
        case = await self._require(number)
        self._message(case, "to_resident", text)
        lifecycle.record_event(
            self.session,
            case,
            "resident_contacted",
            at=self.clock.now(),
            actor_kind="mediator",
            actor_id=self.staff.id,
        )
        return await notify_resident(
            self.session,
            case,
            "push.resident_message_from_mediator",
            {"number": case.number, "mediator": self.staff.name, "text": text},
            purpose="relay",
            at=self.clock.now(),
            options=[{"label_key": "option.reply", "payload": f"mycase:add:{case.number}"}],
        )

    async def record_outcome(self, number: str, outcome: str, text: str | None) -> None:
        if outcome not in OUTCOMES:
            raise Refused("staff.error.bad_outcome")
        case = await self._require(number)
        if case.status not in {s.value for s in IN_HAND}:
            raise Refused("staff.error.not_in_hand")
        now = self.clock.now()
        actor = {"actor_kind": "mediator", "actor_id": self.staff.id}
        if outcome == "withdrawn":
            lifecycle.change_status(self.session, case, CaseStatus.WITHDRAWN, at=now, **actor)
        else:
            if case.status != CaseStatus.IN_MEDIATION:
                lifecycle.change_status(
                    self.session, case, CaseStatus.IN_MEDIATION, at=now, **actor
                )
            final = CaseStatus.RESOLVED if outcome == "agreement" else CaseStatus.FAILED
            lifecycle.change_status(self.session, case, final, at=now, **actor)
        case.outcome, case.outcome_text, case.mediation_due_at = outcome, text, None
        await notify_resident(
            self.session,
            case,
            f"push.resident_outcome_{outcome}",
            {"number": case.number, "text": text or ""},
            purpose="outcome",
            at=now,
        )
        await aftercare.outcome_recorded(self.session, case, at=now)  # survey, follow-up

    async def refer_to_court(self, number: str) -> str:
        """Pre-litigation mediation at the tribunal covering the case's town."""
        case = await self._require(number)
        if case.status not in {s.value for s in (*IN_HAND, *WAITING, CaseStatus.FAILED)}:
            raise Refused("staff.error.not_in_hand")
        tribunal = await _tribunal_for(self.session, case.town_code)
        if tribunal is None:
            raise Refused("staff.error.no_tribunal")
        now = self.clock.now()
        standing = await self.session.scalars(
            select(Assignment).where(
                Assignment.case_id == case.id, Assignment.status.in_(("offered", "accepted"))
            )
        )
        for assignment in standing:  # the committee's offer or its mediator's case ends here
            assignments.end_offer(assignment, at=now, reason="referred_to_court")
        case.mediation_due_at = None
        lifecycle.change_status(
            self.session,
            case,
            CaseStatus.REFERRED_TO_COURT,
            at=now,
            actor_kind="mediator",
            actor_id=self.staff.id,
            data={"tribunal": tribunal.code},
        )
        judge = await liaison_judge(self.session, case.village_code) if case.village_code else None
        await assignments.offer(self.session, case, tribunal, judge, at=now)
        await notify_resident(
            self.session,
            case,
            "push.resident_referred_to_court",
            {"number": case.number, "tribunal": tribunal.name},
            purpose="referral",
            at=now,
        )
        return tribunal.name

    async def request_confirmation(self, number: str) -> str:
        """Judicial confirmation (司法确认) makes an agreement enforceable."""
        case = await self._require(number)
        if case.outcome != "agreement":
            raise Refused("staff.error.no_agreement")
        tribunal = await _tribunal_for(self.session, case.town_code)
        if tribunal is None:
            raise Refused("staff.error.no_tribunal")
        lifecycle.record_event(
            self.session,
            case,
            "judicial_confirmation_requested",
            at=self.clock.now(),
            actor_kind="mediator",
            actor_id=self.staff.id,
            data={"tribunal": tribunal.code},
        )
        return tribunal.name


async def _tribunal_for(session: AsyncSession, town_code: str | None) -> Organization | None:
    tribunals = await session.scalars(
        select(Organization).filter_by(kind="court_tribunal", active=True).order_by(Organization.id)
    )
    listed = list(tribunals)
    for tribunal in listed:
        if town_code and town_code in (tribunal.covers or []):
            return tribunal
    return listed[0] if listed else None
