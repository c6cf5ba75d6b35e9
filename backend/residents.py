"""Residents, their channel identities, consent and language."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from backend.crypto import current_cipher
from backend.db import upsert_insert
from backend.models import ChannelIdentity, Consent, Resident


async def resident_for(
    session: AsyncSession, channel: str, external_id: str, *, at: datetime, locale: str
) -> Resident:
    """The resident behind a channel identity, created on first contact."""
    known = await _seen(session, channel, external_id, at)
    if known is not None:
        return known
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


# Built once (it runs for every message); see conversations._LOCKED.
_SEEN_POSTGRES = select(Resident).from_statement(
    update(ChannelIdentity)
    .where(
        ChannelIdentity.channel == bindparam("p_channel"),
        ChannelIdentity.external_id == bindparam("p_external_id"),
        ChannelIdentity.resident_id == Resident.id,
    )
    .values(last_seen_at=bindparam("p_at"))
    .returning(Resident)
)


async def _seen(
    session: AsyncSession, channel: str, external_id: str, at: datetime
) -> Resident | None:
    """Marks a known identity as seen now and returns its resident. This runs for every
    message: on PostgreSQL it is one statement (UPDATE ... FROM residents RETURNING
    residents.*); SQLite cannot return another table's columns, so there it is two."""
    if session.get_bind().dialect.name == "postgresql":
        params = {"p_channel": channel, "p_external_id": external_id, "p_at": at}
        return await session.scalar(_SEEN_POSTGRES, params)
    where = (ChannelIdentity.channel == channel, ChannelIdentity.external_id == external_id)
    found = (
        await session.execute(
            select(ChannelIdentity, Resident)
            .join(Resident, Resident.id == ChannelIdentity.resident_id)
            .where(*where)
        )
    ).first()
    if found is None:
        return None
    identity, resident = found
    identity.last_seen_at = at
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
