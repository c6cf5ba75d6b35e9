"""Test set-up around a resident's cases, made through backend functions: a staff member's
chat account, a case taken on by its mediator, and the pushes waiting in the outbox."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from backend import lifecycle, residents
from backend.delivery import Push
from backend.models import Assignment, Case, Mediator, OutboxMessage
from backend.statuses import CaseStatus
from bot.delivery import render_push
from bot.messages import OutgoingMessage

MEDIATION_DAYS = 30


async def case_row(app, number: str) -> Case:
    async with app.db.sessions() as session:
        case = await session.scalar(
            select(Case)
            .filter_by(number=number)
            .options(
                selectinload(Case.events),
                selectinload(Case.evidence),
                selectinload(Case.mediator),
            )
        )
    assert case is not None, number
    return case


async def link_chat(app, mediator_code: str, user_id: str, channel: str = "console") -> None:
    """Gives the staff member a chat account (what redeeming an invite code leaves behind)."""
    async with app.db.sessions() as session, session.begin():
        person = await session.scalar(select(Mediator).filter_by(code=mediator_code))
        assert person is not None, mediator_code
        resident = await residents.resident_for(
            session, channel, user_id, at=app.store.clock.now(), locale="zh"
        )
        person.resident_id = resident.id


async def accept(app, number: str) -> str:
    """The offered mediator takes the case on; returns their name."""
    now = app.store.clock.now()
    async with app.db.sessions() as session, session.begin():
        case = await session.scalar(
            select(Case).filter_by(number=number).options(selectinload(Case.mediator))
        )
        assert case is not None and case.mediator is not None
        for offer in await session.scalars(
            select(Assignment).filter_by(case_id=case.id, status="offered")
        ):
            offer.status, offer.answered_at = "accepted", now
        lifecycle.change_status(
            session,
            case,
            CaseStatus.ACCEPTED,
            at=now,
            actor_kind="mediator",
            actor_id=case.mediator.id,
        )
        case.mediation_due_at = now + timedelta(days=MEDIATION_DAYS)
        return case.mediator.name


async def pushes(app, purpose: str | None = None) -> list[tuple[OutboxMessage, OutgoingMessage]]:
    """Outbox rows (optionally of one purpose), each with its text as delivered in Chinese."""
    async with app.db.sessions() as session:
        stmt = select(OutboxMessage).order_by(OutboxMessage.id)
        if purpose is not None:
            stmt = stmt.filter_by(purpose=purpose)
        rows = list(await session.scalars(stmt))
    texts = app.dialogue.services.texts
    return [
        (row, render_push(Push(row.id, row.channel, row.recipient, row.payload, "zh", 0), texts))
        for row in rows
    ]
