"""The figures of the monthly analysis and early-warning report, read from the case store.

Months are calendar months in the county's zone. Nothing personal leaves this module: no
names, phone or ID numbers, descriptions or outcome texts, and risk reasons only by their kind
("violence_threat", never the words that matched), because the report travels by e-mail and
on paper. Rendering (Markdown, HTML, charts, the ledger files) lives in jiefen/report/.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import load_only

from backend.models import Case, Organization, Place
from backend.models_scheduling import Survey
from backend.report_indicators import (
    FINISH_DAYS,
    FINISHED_STATUSES,
    Indicators,
    indicators,
    outcome_times,
)

# A village is a hotspot when it has at least this many cases in the month and at least
# HOTSPOT_FACTOR times its monthly average over the HOTSPOT_BASELINE months before.
HOTSPOT_MIN_CASES = 3
HOTSPOT_FACTOR = 2.0
HOTSPOT_BASELINE = 3
RISK_LEVELS_LISTED = ("high", "medium")
ACCEPT_HOURS = 48
TREND_MONTHS = 6


def parse_month(month: str) -> tuple[int, int]:
    """"2026-11" -> (2026, 11); ValueError for anything else."""
    year, _, number = month.partition("-")
    if len(year) != 4 or len(number) != 2 or not (year + number).isdigit():
        raise ValueError(f"not a month (YYYY-MM): {month!r}")
    if not 1 <= int(number) <= 12:
        raise ValueError(f"not a month (YYYY-MM): {month!r}")
    return int(year), int(number)


def shift_month(month: str, by: int) -> str:
    year, number = parse_month(month)
    index = year * 12 + number - 1 + by
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def month_bounds(month: str, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """The month's first instant and the next month's, in UTC."""
    year, number = parse_month(month)
    next_year, next_number = parse_month(shift_month(month, 1))
    start = datetime(year, number, 1, tzinfo=zone)
    end = datetime(next_year, next_number, 1, tzinfo=zone)
    return start.astimezone(UTC), end.astimezone(UTC)


def month_of(moment: datetime, zone: ZoneInfo) -> str:
    local = moment.astimezone(zone)
    return f"{local.year:04d}-{local.month:02d}"


@dataclass(frozen=True)
class Hotspot:
    village_code: str
    town_code: str | None
    cases: int
    baseline: float  # monthly average over the months before


@dataclass(frozen=True)
class RiskCase:
    number: str
    category: str
    town_code: str | None
    level: str
    reasons: tuple[str, ...]  # kinds only, e.g. ("violence_threat",)
    status: str


@dataclass(frozen=True)
class LedgerRow:
    """One case of the month as the ledger shows it: facts and dates, nothing personal.
    The yes/no columns are None while undecided (not accepted yet, still within the days)."""

    number: str
    created_at: datetime
    accepted_at: datetime | None
    finished_at: datetime | None
    category: str
    town_code: str | None
    village_code: str | None
    organization_code: str | None
    tier: str | None
    status: str
    outcome: str | None
    reported_by: str
    channel: str
    risk_level: str
    accepted_within_48h: bool | None
    finished_within_30d: bool | None
    satisfaction: int | None


@dataclass
class MonthReport:
    month: str
    zone: str
    generated_at: datetime
    total: int
    previous_total: int
    by_category: Counter[str]
    previous_by_category: Counter[str]
    by_town: Counter[str]
    previous_by_town: Counter[str]
    hotspots: list[Hotspot]
    risk_cases: list[RiskCase]
    indicators: Indicators
    previous_indicators: Indicators
    trend: list[tuple[str, Indicators]]  # oldest first, ending with this month
    ledger: list[LedgerRow]
    place_names: dict[str, tuple[str, str]] = field(default_factory=dict)  # code: (zh, en)
    org_names: dict[str, tuple[str, str]] = field(default_factory=dict)


# The columns the report reads: the encrypted ones are never loaded (nor decrypted).
_COLUMNS = (
    Case.id,
    Case.number,
    Case.category,
    Case.town_code,
    Case.village_code,
    Case.organization_id,
    Case.tier,
    Case.status,
    Case.outcome,
    Case.reported_by,
    Case.channel,
    Case.risk_level,
    Case.risk_reasons,
    Case.created_at,
    Case.accepted_at,
)


async def _cases_between(session: AsyncSession, start: datetime, end: datetime) -> list[Case]:
    stmt = (
        select(Case)
        .options(load_only(*_COLUMNS))
        .where(Case.created_at >= start, Case.created_at < end)
        .order_by(Case.created_at, Case.id)
    )
    return list(await session.scalars(stmt))


def find_hotspots(
    this_month: Counter[str], before: list[Counter[str]], towns: dict[str, str | None]
) -> list[Hotspot]:
    """Villages with >= HOTSPOT_MIN_CASES cases and >= HOTSPOT_FACTOR x their average of the
    months in `before` (a village new to the list has an average of 0)."""
    found = []
    for village, cases in this_month.items():
        baseline = sum(month[village] for month in before) / len(before) if before else 0.0
        if cases >= HOTSPOT_MIN_CASES and cases >= HOTSPOT_FACTOR * baseline:
            found.append(Hotspot(village, towns.get(village), cases, baseline))
    return sorted(found, key=lambda h: (-h.cases, h.village_code))


def _reason_kinds(reasons: list[str] | None) -> tuple[str, ...]:
    kinds = (str(r).split(":", 1)[0].strip() for r in reasons or ())
    return tuple(dict.fromkeys(k for k in kinds if k))


def _ledger_row(
    case: Case,
    org_code: str | None,
    finished_at: datetime | None,
    score: int | None,
    *,
    at: datetime,
) -> LedgerRow:
    accept_by = case.created_at + timedelta(hours=ACCEPT_HOURS)
    if case.accepted_at is not None:
        accepted: bool | None = case.accepted_at <= accept_by
    elif at > accept_by and case.status in ("new", "routed", "escalated"):
        accepted = False  # still waiting after 48 hours
    else:
        accepted = None
    finished: bool | None = None
    if case.accepted_at is not None:
        due = case.accepted_at + timedelta(days=FINISH_DAYS)
        if finished_at is not None:
            finished = finished_at <= due
        elif at > due:
            finished = False
    return LedgerRow(
        number=case.number,
        created_at=case.created_at,
        accepted_at=case.accepted_at,
        finished_at=finished_at,
        category=case.category,
        town_code=case.town_code,
        village_code=case.village_code,
        organization_code=org_code,
        tier=case.tier,
        status=case.status,
        outcome=case.outcome,
        reported_by=case.reported_by,
        channel=case.channel,
        risk_level=case.risk_level,
        accepted_within_48h=accepted,
        finished_within_30d=finished,
        satisfaction=score,
    )


async def _ledger(session: AsyncSession, cases: list[Case], *, at: datetime) -> list[LedgerRow]:
    ids = [c.id for c in cases]
    orgs = dict((await session.execute(select(Organization.id, Organization.code))).all())
    scores: dict[int, int | None] = {}
    if ids:
        stmt = select(Survey.case_id, Survey.overall).where(
            Survey.case_id.in_(ids), Survey.status == "answered"
        )
        scores = dict((await session.execute(stmt)).all())
    outcomes = await outcome_times(session, ids)
    finished_values = {s.value for s in FINISHED_STATUSES}
    rows = []
    for case in cases:
        done = outcomes.get(case.id) if case.outcome and case.status in finished_values else None
        org = orgs.get(case.organization_id) if case.organization_id else None
        rows.append(_ledger_row(case, org, done, scores.get(case.id), at=at))
    return rows


async def _names(
    session: AsyncSession,
) -> tuple[dict[str, tuple[str, str]], dict[str, tuple[str, str]]]:
    places = await session.execute(select(Place.code, Place.name, Place.name_en))
    orgs = await session.execute(select(Organization.code, Organization.name, Organization.name_en))
    return (
        {code: (name, name_en or name) for code, name, name_en in places},
        {code: (name, name_en or name) for code, name, name_en in orgs},
    )


async def month_indicators(
    session: AsyncSession, month: str, *, zone: ZoneInfo, at: datetime
) -> Indicators:
    start, end = month_bounds(month, zone)
    return await indicators(session, start, end, at=at)


async def month_report(
    session: AsyncSession, month: str, *, zone: ZoneInfo, at: datetime
) -> MonthReport:
    """Everything the report shows for `month`, as of `at` (figures of a month still running
    cover it up to `at`)."""
    start, end = month_bounds(month, zone)
    cases = await _cases_between(session, start, end)
    before: list[list[Case]] = []
    for back in range(1, HOTSPOT_BASELINE + 1):
        b_start, b_end = month_bounds(shift_month(month, -back), zone)
        before.append(await _cases_between(session, b_start, b_end))
    previous = before[0]
    towns = {c.village_code: c.town_code for c in [*cases, *previous] if c.village_code}
    hotspots = find_hotspots(
        Counter(c.village_code for c in cases if c.village_code),
        [Counter(c.village_code for c in month if c.village_code) for month in before],
        towns,
    )
    risk_cases = [
        RiskCase(
            c.number,
            c.category,
            c.town_code,
            c.risk_level,
            _reason_kinds(c.risk_reasons),
            c.status,
        )
        for c in cases
        if c.risk_level in RISK_LEVELS_LISTED
    ]
    risk_cases.sort(key=lambda r: (RISK_LEVELS_LISTED.index(r.level), r.number))
    trend = []
    for back in range(TREND_MONTHS - 1, -1, -1):
        name = shift_month(month, -back)
        trend.append((name, await month_indicators(session, name, zone=zone, at=at)))
    places, orgs = await _names(session)
    return MonthReport(
        month=month,
        zone=str(zone),
        generated_at=at,
        total=len(cases),
        previous_total=len(previous),
        by_category=Counter(c.category for c in cases),
        previous_by_category=Counter(c.category for c in previous),
        by_town=Counter(c.town_code or "" for c in cases),
        previous_by_town=Counter(c.town_code or "" for c in previous),
        hotspots=hotspots,
        risk_cases=risk_cases,
        indicators=trend[-1][1],
        previous_indicators=trend[-2][1],
        trend=trend,
        ledger=await _ledger(session, cases, at=at),
        place_names=places,
        org_names=orgs,
    )
