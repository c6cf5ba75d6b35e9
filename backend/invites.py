"""Invite codes: how a staff member links their chat account to their record.

The administrator runs `jiefen mediators invite CODE` and hands the code over in person; the
staff member sends it to the bot. Only a hash is stored; a code works once, within its days.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.models import Mediator, MediatorInvite, Resident
from backend.staff_records import Refused

# No 0/O, 1/I/L: codes are read aloud and typed on small phones.
ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 8
DEFAULT_DAYS = 7


def normalise_code(text: str) -> str:
    return "".join(ch for ch in text.upper() if ch.isalnum())


def _hash(code: str) -> str:
    return hashlib.sha256(normalise_code(code).encode()).hexdigest()


def looks_like_code(text: str) -> bool:
    code = normalise_code(text)
    return len(code) == CODE_LENGTH and all(ch in ALPHABET for ch in code)


async def create_invite(
    session: AsyncSession, mediator_code: str, *, at: datetime, days: int = DEFAULT_DAYS
) -> str:
    mediator = await session.scalar(select(Mediator).filter_by(code=mediator_code, active=True))
    if mediator is None:
        raise Refused("invite.error.unknown_mediator")
    code = "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))
    session.add(
        MediatorInvite(
            mediator_id=mediator.id,
            code_hash=_hash(code),
            created_at=at,
            expires_at=at + timedelta(days=days),
        )
    )
    return f"{code[:4]}-{code[4:]}"


async def redeem_invite(
    session: AsyncSession, code: str, resident: Resident, *, at: datetime
) -> Mediator:
    """Links the sender's chat account (its resident row) to the staff record."""
    invite = await session.scalar(
        select(MediatorInvite).filter_by(code_hash=_hash(code)).with_for_update()
    )
    if invite is None:
        raise Refused("invite.error.unknown")
    if invite.used_at is not None:
        if invite.used_by_resident_id == resident.id:  # sent twice: already done
            mediator = await session.get(Mediator, invite.mediator_id)
            assert mediator is not None
            return mediator
        raise Refused("invite.error.used")
    if invite.expires_at <= at:
        raise Refused("invite.error.expired")
    mediator = await session.get(Mediator, invite.mediator_id)
    if mediator is None or not mediator.active:
        raise Refused("invite.error.unknown")
    previous = await session.scalars(select(Mediator).filter_by(resident_id=resident.id))
    for other in previous:  # one chat account speaks for one staff record
        other.resident_id = None
    mediator.resident_id = resident.id
    invite.used_at, invite.used_by_resident_id = at, resident.id
    return mediator


async def staff_for_resident(session: AsyncSession, resident_id: int) -> Mediator | None:
    return await session.scalar(
        select(Mediator).filter_by(resident_id=resident_id, active=True).order_by(Mediator.id)
    )
