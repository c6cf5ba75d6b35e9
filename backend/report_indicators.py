"""The five figures the county is judged on, for one month (a UTC interval [start, end)).

Each figure is a ratio of whole cases (or offers, or surveys) so a reader can check it by hand;
docs/report.md gives the same definitions in words. A case or offer is counted in the month in
which its result became known, so a month's figures stop changing once the month is over and
nothing is counted in two months.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import load_only

from backend.models import Assignment, Case, CaseEvent
from backend.models_scheduling import Survey
from backend.statuses import CaseStatus

INDICATORS = ("answered_48h", "finished_30d", "mediation_success", "satisfaction", "self_applied")
FINISH_DAYS = 30
# An offer nobody answered is passed on by the deadline sweep (every minute); passed on within
# this much of its deadline it still counts as re-routed in time (a short outage is forgiven).
REROUTE_SLACK = timedelta(hours=1)
SATISFIED_FROM = 4  # overall score 1-5: 4 and 5 count as satisfied
OUTCOME_STATUSES = (CaseStatus.RESOLVED, CaseStatus.FAILED, CaseStatus.WITHDRAWN)
FINISHED_STATUSES = (*OUTCOME_STATUSES, CaseStatus.CLOSED)
_OFFER_COLUMNS = (
    Assignment.id,
    Assignment.case_id,
    Assignment.mediator_id,
    Assignment.status,
    Assignment.offered_at,
    Assignment.respond_by,
    Assignment.answered_at,
)


@dataclass(frozen=True)
class Ratio:
    numerator: int
    denominator: int

    @property
    def value(self) -> float | None:
        """None when there is nothing to count (shown as "—", never as 0 %)."""
        return self.numerator / self.denominator if self.denominator else None


@dataclass(frozen=True)
class Indicators:
    answered_48h: Ratio
    answered_by_person: int  # of answered_48h.numerator: accepted or declined by a person
    finished_30d: Ratio
    mediation_success: Ratio
    satisfaction: Ratio
    self_applied: Ratio

    def ratio(self, key: str) -> Ratio:
        return getattr(self, key)


def _within(moment: datetime | None, start: datetime, end: datetime) -> bool:
    return moment is not None and start <= moment < end


async def outcome_times(session: AsyncSession, case_ids: Iterable[int]) -> dict[int, datetime]:
    """When each case last reached an outcome (agreement, failed, withdrawn)."""
    ids = list(case_ids)
    if not ids:
        return {}
    stmt = (
        select(CaseEvent.case_id, func.max(CaseEvent.at))
        .where(
            CaseEvent.case_id.in_(ids),
            CaseEvent.kind == "status_changed",
            CaseEvent.to_status.in_([s.value for s in OUTCOME_STATUSES]),
        )
        .group_by(CaseEvent.case_id)
    )
    return {case_id: moment for case_id, moment in await session.execute(stmt)}


async def _acceptances(
    session: AsyncSession, case_ids: set[int]
) -> dict[int, list[tuple[datetime, int | None]]]:
    """When each case was accepted and by whom (an accepted offer that later ended keeps no
    answer time of its own)."""
    if not case_ids:
        return {}
    stmt = select(CaseEvent.case_id, CaseEvent.at, CaseEvent.actor_id).where(
        CaseEvent.case_id.in_(list(case_ids)),
        CaseEvent.kind == "status_changed",
        CaseEvent.to_status == CaseStatus.ACCEPTED.value,
    )
    found: dict[int, list[tuple[datetime, int | None]]] = {}
    for case_id, at, actor_id in await session.execute(stmt):
        found.setdefault(case_id, []).append((at, actor_id))
    return found


async def answered_within_window(
    session: AsyncSession, start: datetime, end: datetime, *, at: datetime
) -> tuple[Ratio, int]:
    """Offers answered (accepted or declined) by their deadline, or passed on by the system
    when nobody answered, out of the offers decided in the month; and how many of those in
    time were answered by a person. An offer is decided when it is answered, or at its
    deadline; offers withdrawn or redirected before their deadline are left out."""
    stmt = (
        select(Assignment)
        .options(load_only(*_OFFER_COLUMNS))
        .where(Assignment.respond_by >= start, Assignment.offered_at < end)
    )
    offers = list(await session.scalars(stmt))
    ended = {o.case_id for o in offers if o.status == "ended"}
    accepted_at = await _acceptances(session, ended)
    in_time = by_person = total = 0
    for offer in offers:
        deadline, answered = offer.respond_by, offer.answered_at
        if offer.status in ("accepted", "declined") and answered is not None:
            decided, ok, person = min(answered, deadline), answered <= deadline, True
        elif offer.status == "expired" and answered is not None:
            decided, ok, person = deadline, answered <= deadline + REROUTE_SLACK, False
        elif offer.status == "ended":
            taken = [
                t
                for t, who in accepted_at.get(offer.case_id, [])
                if who == offer.mediator_id and offer.offered_at <= t <= deadline
            ]
            if taken:
                decided, ok, person = min(taken), True, True
            elif answered is not None and answered <= deadline:
                continue  # withdrawn or moved before anyone had to answer
            else:
                decided, ok, person = deadline, False, False
        else:  # still offered: late once the sweep should have passed it on
            if deadline + REROUTE_SLACK > at:
                continue
            decided, ok, person = deadline, False, False
        if not _within(decided, start, end) or decided > at:
            continue
        total += 1
        in_time += ok
        by_person += ok and person
    return Ratio(in_time, total), by_person


async def finished_within_days(
    session: AsyncSession, start: datetime, end: datetime, *, at: datetime
) -> Ratio:
    """Accepted cases with an outcome within 30 days of acceptance, out of the accepted cases
    whose result became known in the month: they got an outcome, or their 30 days ran out."""
    period = timedelta(days=FINISH_DAYS)
    stmt = select(Case.id, Case.accepted_at, Case.status, Case.outcome).where(
        Case.accepted_at >= start - period, Case.accepted_at < end
    )
    rows = (await session.execute(stmt)).all()
    outcomes = await outcome_times(session, (r.id for r in rows))
    finished_values = {s.value for s in FINISHED_STATUSES}
    done = total = 0
    for row in rows:
        due = row.accepted_at + period
        outcome_at = outcomes.get(row.id) if row.outcome and row.status in finished_values else None
        decided = min(outcome_at, due) if outcome_at else due
        if not _within(decided, start, end) or decided > at:
            continue
        total += 1
        done += outcome_at is not None and outcome_at <= due
    return Ratio(done, total)


async def mediation_success(session: AsyncSession, start: datetime, end: datetime) -> Ratio:
    """Agreements out of the mediated cases (accepted by someone) whose outcome was recorded
    in the month: agreement, failed or withdrawn."""
    last = (
        select(CaseEvent.case_id, func.max(CaseEvent.at).label("at"))
        .where(
            CaseEvent.kind == "status_changed",
            CaseEvent.to_status.in_([s.value for s in OUTCOME_STATUSES]),
        )
        .group_by(CaseEvent.case_id)
        .subquery()
    )
    stmt = (
        select(Case.outcome)
        .join(last, last.c.case_id == Case.id)
        .where(
            last.c.at >= start,
            last.c.at < end,
            Case.accepted_at.is_not(None),
            Case.outcome.is_not(None),
            Case.status.in_([s.value for s in FINISHED_STATUSES]),
        )
    )
    outcomes = list(await session.scalars(stmt))
    return Ratio(sum(o == "agreement" for o in outcomes), len(outcomes))


async def satisfaction(session: AsyncSession, start: datetime, end: datetime) -> Ratio:
    """Answered surveys with an overall score of 4 or 5, out of surveys answered in the month."""
    stmt = select(Survey.overall).where(
        Survey.status == "answered",
        Survey.overall.is_not(None),
        Survey.answered_at >= start,
        Survey.answered_at < end,
    )
    scores = list(await session.scalars(stmt))
    return Ratio(sum(s >= SATISFIED_FROM for s in scores), len(scores))


async def self_applied(session: AsyncSession, start: datetime, end: datetime) -> Ratio:
    """Cases the resident reported themselves (not by staff on their behalf or offline), out
    of all cases created in the month."""
    stmt = select(Case.reported_by).where(Case.created_at >= start, Case.created_at < end)
    sources = list(await session.scalars(stmt))
    return Ratio(sum(s == "self" for s in sources), len(sources))


async def indicators(
    session: AsyncSession, start: datetime, end: datetime, *, at: datetime
) -> Indicators:
    answered, by_person = await answered_within_window(session, start, end, at=at)
    return Indicators(
        answered_48h=answered,
        answered_by_person=by_person,
        finished_30d=await finished_within_days(session, start, end, at=at),
        mediation_success=await mediation_success(session, start, end),
        satisfaction=await satisfaction(session, start, end),
        self_applied=await self_applied(session, start, end),
    )
