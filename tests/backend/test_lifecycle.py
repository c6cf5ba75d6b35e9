from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from backend.db import open_database
from backend.lifecycle import IllegalTransition, change_status, open_case
from backend.models import Case, CaseEvent, Resident
from backend.statuses import CaseStatus
from tests.conftest import TEST_KEY

T0 = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)


async def _new_case(session) -> Case:
    resident = Resident(created_at=T0)
    session.add(resident)
    await session.flush()
    case = Case(
        number="2026-000001",
        category="neighbour",
        description="隔壁装修太吵",
        channel="console",
        resident_id=resident.id,
    )
    open_case(session, case, at=T0, actor_kind="resident", actor_id=resident.id)
    await session.flush()
    return case


async def test_status_changes_leave_an_event_trail(database_url: str, tmp_path) -> None:
    db = open_database(database_url, secret_key=TEST_KEY, var_dir=tmp_path)
    try:
        async with db.sessions() as session, session.begin():
            case = await _new_case(session)
            for step, status in enumerate(
                [
                    CaseStatus.ROUTED,
                    CaseStatus.ACCEPTED,
                    CaseStatus.IN_MEDIATION,
                    CaseStatus.RESOLVED,
                    CaseStatus.CLOSED,
                ],
                start=1,
            ):
                change_status(
                    session, case, status, at=T0 + timedelta(hours=step), actor_kind="system"
                )
        async with db.sessions() as session:
            events = (await session.scalars(select(CaseEvent).order_by(CaseEvent.id))).all()
            stored = await session.scalar(select(Case))
        assert [e.kind for e in events] == ["created"] + ["status_changed"] * 5
        assert [e.to_status for e in events] == [
            "new",
            "routed",
            "accepted",
            "in_mediation",
            "resolved",
            "closed",
        ]
        assert stored is not None and stored.status == "closed"
        assert stored.routed_at == T0 + timedelta(hours=1)
        assert stored.closed_at == T0 + timedelta(hours=5)
    finally:
        await db.dispose()


async def test_illegal_transition_is_refused_and_changes_nothing(
    database_url: str, tmp_path
) -> None:
    db = open_database(database_url, secret_key=TEST_KEY, var_dir=tmp_path)
    try:
        async with db.sessions() as session, session.begin():
            case = await _new_case(session)
            with pytest.raises(IllegalTransition):
                change_status(session, case, CaseStatus.RESOLVED, at=T0, actor_kind="system")
            assert case.status == "new"
            events = (await session.scalars(select(CaseEvent))).all()
            assert [e.kind for e in events] == ["created"]
    finally:
        await db.dispose()
