"""Residents, their channel identities, consent and language."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.crypto import current_cipher
from backend.db import upsert_insert
from backend.models import ChannelIdentity, Consent, Resident


async def resident_for(
    session: AsyncSession, channel: str, external_id: str, *, at: datetime, locale: str
) -> Resident:
    """The resident behind a channel identity, created on first contact."""
    known = (
        await session.execute(
            select(ChannelIdentity, Resident)
            .join(Resident, Resident.id == ChannelIdentity.resident_id)
            .where(ChannelIdentity.channel == channel, ChannelIdentity.external_id == external_id)
        )
    ).first()
    if known is not None:  # one query for both: this runs for every message
        identity, resident = known
        identity.last_seen_at = at
        return resident
    resident = Resident(locale=locale, created_at=at)
    session.add(resident)
    await session.flush()
    insert = upsert_insert(session)
    await session.execute(
        insert(ChannelIdentity)
        .values(
            channel=channel,
            external_id=external_id,
            resident_id=resident.id,
            created_at=at,
            last_seen_at=at,
        )
        .on_conflict_do_nothing()
    )
    identity = await session.scalar(
        select(ChannelIdentity).filter_by(channel=channel, external_id=external_id)
    )
    assert identity is not None
    if identity.resident_id != resident.id:  # another process created it first
        await session.delete(resident)
        winner = await session.get(Resident, identity.resident_id)
        assert winner is not None
        return winner
    return resident


def record_consent(
    session: AsyncSession,
    resident: Resident,
    *,
    version: str,
    accepted: bool,
    channel: str,
    at: datetime,
) -> None:
    session.add(
        Consent(
            resident_id=resident.id,
            notice_version=version,
            accepted=accepted,
            channel=channel,
            at=at,
        )
    )
    if accepted:
        resident.consent_version, resident.consent_at = version, at
    else:
        resident.consent_version, resident.consent_at = None, None


def remember_phone(resident: Resident, phone: str) -> None:
    resident.phone = phone
    resident.phone_hash = current_cipher().lookup_hash(phone)
