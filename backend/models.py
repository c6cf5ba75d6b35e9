"""The case store's tables (SQLAlchemy 2.0 typed models).

Personal data (names, phones, ID numbers, free-text accounts, conversation drafts) is held in
encrypted columns; `*_hash` columns beside some of them allow lookup by value.
Times are stored in UTC.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

from backend.crypto import EncryptedJSON, EncryptedText


class UtcDateTime(TypeDecorator[datetime]):
    """SQLite forgets the zone; every datetime we hand out is aware and in UTC."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the case store; use an aware UTC time")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UtcDateTime,
        dict[str, Any]: JSON,
        list[Any]: JSON,
    }


class Place(Base):
    """A town/street or village/community of the county: the gazetteer."""

    __tablename__ = "places"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(64))
    name_en: Mapped[str] = mapped_column(String(128), default="")
    kind: Mapped[str] = mapped_column(String(16))  # town | street | village | community
    parent_code: Mapped[str | None] = mapped_column(String(64))
    aliases: Mapped[list[Any]] = mapped_column(default=list)
    liaison_judge_code: Mapped[str | None] = mapped_column(String(64))


class Organization(Base):
    __tablename__ = "organizations"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(128))
    name_en: Mapped[str] = mapped_column(String(160), default="")
    kind: Mapped[str] = mapped_column(String(40))
    tier: Mapped[str] = mapped_column(String(16))  # village | town | county
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("organizations.id"))
    town_code: Mapped[str | None] = mapped_column(String(64))
    village_code: Mapped[str | None] = mapped_column(String(64))
    trade: Mapped[str | None] = mapped_column(String(32))
    covers: Mapped[list[Any]] = mapped_column(default=list)
    response_deadline_hours: Mapped[int | None] = mapped_column(Integer)
    mediation_deadline_days: Mapped[int | None] = mapped_column(Integer)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class Resident(Base):
    """A person who talks to the bot; staff who chat have a resident row too."""

    __tablename__ = "residents"
    id: Mapped[int] = mapped_column(primary_key=True)
    display_name: Mapped[str | None] = mapped_column(EncryptedText)
    phone: Mapped[str | None] = mapped_column(EncryptedText)
    phone_hash: Mapped[str | None] = mapped_column(String(64), index=True)
    locale: Mapped[str] = mapped_column(String(8), default="zh")
    consent_version: Mapped[str | None] = mapped_column(String(32))
    consent_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
    identities: Mapped[list[ChannelIdentity]] = relationship(back_populates="resident")


class ChannelIdentity(Base):
    __tablename__ = "channel_identities"
    __table_args__ = (UniqueConstraint("channel", "external_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))
    external_id: Mapped[str] = mapped_column(String(128))
    resident_id: Mapped[int] = mapped_column(ForeignKey("residents.id"), index=True)
    created_at: Mapped[datetime]
    last_seen_at: Mapped[datetime]
    resident: Mapped[Resident] = relationship(back_populates="identities")


class Consent(Base):
    """Every answer to the privacy notice, kept as history."""

    __tablename__ = "consents"
    id: Mapped[int] = mapped_column(primary_key=True)
    resident_id: Mapped[int] = mapped_column(ForeignKey("residents.id"), index=True)
    notice_version: Mapped[str] = mapped_column(String(32))
    accepted: Mapped[bool] = mapped_column(Boolean)
    channel: Mapped[str] = mapped_column(String(16))
    at: Mapped[datetime]


class Mediator(Base):
    __tablename__ = "mediators"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(64))
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    # role: mediator | admin | supervisor | judge | grid_worker
    role: Mapped[str] = mapped_column(String(16))
    skills: Mapped[list[Any]] = mapped_column(default=list)
    languages: Mapped[list[Any]] = mapped_column(default=list)
    on_duty: Mapped[bool] = mapped_column(Boolean, default=True)
    phone: Mapped[str | None] = mapped_column(EncryptedText)
    resident_id: Mapped[int | None] = mapped_column(ForeignKey("residents.id"))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Fairness: among equally loaded mediators the one who waited longest gets the next case.
    last_assigned_at: Mapped[datetime | None]
    # Weekly hours residents can book (judges' and mediators' 接待日), from the network file:
    # [{"weekday": 1-7, "start": "09:00", "end": "11:30", "slot_minutes": 30, "place": "..."}]
    office_hours: Mapped[list[Any]] = mapped_column(default=list)
    organization: Mapped[Organization] = relationship()


class CaseNumberCounter(Base):
    """The year's last case number on SQLite; on PostgreSQL the year's sequences hang off
    `last_value` (backend/case_numbers.py) and these rows are left as they were."""

    __tablename__ = "case_number_counters"
    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    last_value: Mapped[int] = mapped_column(Integer, default=0)


class Case(Base):
    __tablename__ = "cases"
    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(16), unique=True)
    category: Mapped[str] = mapped_column(String(32), index=True)
    category_confirmed_by: Mapped[str] = mapped_column(String(16), default="resident")
    nlu_category: Mapped[str | None] = mapped_column(String(32))
    nlu_confidence: Mapped[float | None] = mapped_column(Float)
    description: Mapped[str] = mapped_column(EncryptedText)
    town_code: Mapped[str | None] = mapped_column(String(64), index=True)
    village_code: Mapped[str | None] = mapped_column(String(64), index=True)
    place_text: Mapped[str | None] = mapped_column(EncryptedText)
    amount_yuan: Mapped[int | None] = mapped_column(BigInteger)
    started_on: Mapped[str | None] = mapped_column(String(10))  # ISO date, month or year
    started_text: Mapped[str | None] = mapped_column(String(200))
    desired_outcome: Mapped[str | None] = mapped_column(EncryptedText)
    channel: Mapped[str] = mapped_column(String(16))
    reported_by: Mapped[str] = mapped_column(String(16), default="self")  # self | proxy | offline
    # The staff member who registered a proxy or offline case.
    reported_by_mediator_id: Mapped[int | None] = mapped_column(ForeignKey("mediators.id"))
    # Facts the routing rules look at besides category, risk and amount.
    group_size: Mapped[int | None] = mapped_column(Integer)  # people on the resident's side
    scope: Mapped[str | None] = mapped_column(String(16))  # village | cross_village | cross_town
    wish: Mapped[str | None] = mapped_column(String(16))  # mediation | court
    routing_rule: Mapped[str | None] = mapped_column(String(64))
    mediation_due_at: Mapped[datetime | None]
    outcome: Mapped[str | None] = mapped_column(String(16))  # agreement | failed | withdrawn
    outcome_text: Mapped[str | None] = mapped_column(EncryptedText)  # terms or reason
    status: Mapped[str] = mapped_column(String(24), index=True)
    tier: Mapped[str | None] = mapped_column(String(16))
    risk_level: Mapped[str] = mapped_column(String(8), default="none")
    risk_reasons: Mapped[list[Any]] = mapped_column(default=list)
    resident_id: Mapped[int] = mapped_column(ForeignKey("residents.id"), index=True)
    contact_phone: Mapped[str | None] = mapped_column(EncryptedText)
    organization_id: Mapped[int | None] = mapped_column(ForeignKey("organizations.id"), index=True)
    mediator_id: Mapped[int | None] = mapped_column(ForeignKey("mediators.id"), index=True)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    routed_at: Mapped[datetime | None]
    accepted_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]

    organization: Mapped[Organization | None] = relationship()
    mediator: Mapped[Mediator | None] = relationship(foreign_keys=[mediator_id])
    resident: Mapped[Resident] = relationship()
    parties: Mapped[list[Party]] = relationship(back_populates="case", order_by="Party.id")
    evidence: Mapped[list[Evidence]] = relationship(back_populates="case", order_by="Evidence.id")
    events: Mapped[list[CaseEvent]] = relationship(back_populates="case", order_by="CaseEvent.id")


class Party(Base):
    __tablename__ = "parties"
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    side: Mapped[str] = mapped_column(String(16))  # applicant | respondent | third_party
    role: Mapped[str | None] = mapped_column(String(32))  # neighbour, employer, hospital, ...
    name: Mapped[str | None] = mapped_column(EncryptedText)
    contact: Mapped[str | None] = mapped_column(EncryptedText)
    id_number: Mapped[str | None] = mapped_column(EncryptedText)
    case: Mapped[Case] = relationship(back_populates="parties")


class Evidence(Base):
    __tablename__ = "evidence"
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # photo | document | voice | video | note
    note: Mapped[str | None] = mapped_column(EncryptedText)
    storage_path: Mapped[str | None] = mapped_column(String(512))
    mime_type: Mapped[str | None] = mapped_column(String(96))
    size_bytes: Mapped[int | None] = mapped_column(BigInteger)
    sha256: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime]
    case: Mapped[Case] = relationship(back_populates="evidence")


class Assignment(Base):
    """One offer of a case to a mediator (or, when nobody is on duty, to an organisation);
    the history shows who declined and why, and who must answer by when."""

    __tablename__ = "assignments"
    __table_args__ = (Index("ix_assignments_due", "status", "respond_by"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"))
    mediator_id: Mapped[int | None] = mapped_column(ForeignKey("mediators.id"), index=True)
    status: Mapped[str] = mapped_column(String(16))  # offered|accepted|declined|expired|ended
    offered_at: Mapped[datetime]
    respond_by: Mapped[datetime]
    answered_at: Mapped[datetime | None]
    reason: Mapped[str | None] = mapped_column(String(32))
    reason_text: Mapped[str | None] = mapped_column(EncryptedText)
    chosen_by_resident: Mapped[bool] = mapped_column(Boolean, default=False)
    case: Mapped[Case] = relationship()
    mediator: Mapped[Mediator | None] = relationship()
    organization: Mapped[Organization] = relationship()


class MediatorInvite(Base):
    """A one-time code that links a staff member to the chat account that sends it."""

    __tablename__ = "mediator_invites"
    id: Mapped[int] = mapped_column(primary_key=True)
    mediator_id: Mapped[int] = mapped_column(ForeignKey("mediators.id"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    used_by_resident_id: Mapped[int | None] = mapped_column(ForeignKey("residents.id"))


class CaseMessage(Base):
    """Notes and relayed messages on a case: a staff note, a mediator's message to the resident
    (sent through the bot so the mediator's number stays private), or the resident's to staff."""

    __tablename__ = "case_messages"
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # note | to_resident | to_mediator
    author_kind: Mapped[str] = mapped_column(String(16))  # resident | mediator
    author_id: Mapped[int] = mapped_column(Integer)
    body: Mapped[str] = mapped_column(EncryptedText)
    evidence_id: Mapped[int | None] = mapped_column(ForeignKey("evidence.id"))
    created_at: Mapped[datetime]


class CaseEvent(Base):
    """Append-only audit log: who did what, when. Nothing updates or deletes rows here."""

    __tablename__ = "case_events"
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    at: Mapped[datetime]
    actor_kind: Mapped[str] = mapped_column(String(16))  # resident | mediator | system
    actor_id: Mapped[int | None] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(32))
    from_status: Mapped[str | None] = mapped_column(String(24))
    to_status: Mapped[str | None] = mapped_column(String(24))
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    case: Mapped[Case] = relationship(back_populates="events")


class CallbackRequest(Base):
    """A resident asked to talk to a person; the town centre (or county centre) sees it."""

    __tablename__ = "callback_requests"
    id: Mapped[int] = mapped_column(primary_key=True)
    resident_id: Mapped[int] = mapped_column(ForeignKey("residents.id"), index=True)
    organization_id: Mapped[int | None] = mapped_column(ForeignKey("organizations.id"), index=True)
    phone: Mapped[str | None] = mapped_column(EncryptedText)
    reason: Mapped[str] = mapped_column(String(32))
    context: Mapped[str | None] = mapped_column(EncryptedText)
    channel: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), default="open")
    created_at: Mapped[datetime]
    organization: Mapped[Organization | None] = relationship()


class ConversationState(Base):
    __tablename__ = "conversation_states"
    __table_args__ = (UniqueConstraint("channel", "external_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))
    external_id: Mapped[str] = mapped_column(String(128))
    flow: Mapped[str | None] = mapped_column(String(32))
    step: Mapped[str | None] = mapped_column(String(48))
    data: Mapped[dict[str, Any]] = mapped_column(EncryptedJSON, default=dict)
    locale: Mapped[str] = mapped_column(String(8), default="zh")
    version: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime]


class OutboxMessage(Base):
    """A push written in the same transaction as the change that caused it."""

    __tablename__ = "outbox"
    __table_args__ = (
        Index("ix_outbox_due", "status", "next_attempt_at"),
        Index("ix_outbox_recipient", "channel", "recipient", "status"),  # web-chat polls
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))
    recipient: Mapped[str] = mapped_column(String(128))
    payload: Mapped[dict[str, Any]] = mapped_column(EncryptedJSON)
    purpose: Mapped[str] = mapped_column(String(32))
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"))
    dedup_key: Mapped[str | None] = mapped_column(String(128), unique=True)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime]
    # While a worker sends, the row is `sending` until this time; a worker that died
    # mid-send leaves it to expire, and the row is sent again (at most once more).
    lease_until: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]


class InboundMessage(Base):
    """Each platform message claimed once (unique key), with the replies it got, so a platform's
    retry of the same message is answered again instead of being handled twice."""

    __tablename__ = "inbound_messages"
    __table_args__ = (UniqueConstraint("channel", "dedup_key"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))
    dedup_key: Mapped[str] = mapped_column(String(160))
    user_id: Mapped[str] = mapped_column(String(128))
    replies: Mapped[dict[str, Any]] = mapped_column(EncryptedJSON, default=dict)
    received_at: Mapped[datetime]


class PlatformToken(Base):
    """A platform's short-lived access token (WeChat's lasts 2 h), shared by every process so
    they do not refresh it over each other; the value is a credential, so it is encrypted."""

    __tablename__ = "platform_tokens"
    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(128), unique=True)
    value: Mapped[str] = mapped_column(EncryptedText)
    expires_at: Mapped[datetime]



# The booking, scheduling and after-care tables live beside this module; importing them here
# puts them on Base.metadata wherever the models are used.
from backend import models_scheduling  # noqa: E402, F401
