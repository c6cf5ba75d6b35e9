"""Tables for booking mediation hours, timed jobs and after-care (follow-ups, surveys).

Split from backend/models.py to keep each module small; models.py imports this one, so the
tables are always on the same metadata.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Table,
    Unicode,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from backend.crypto import EncryptedJSON, EncryptedText
from backend.models import Base, Case, Mediator


class AvailabilityException(Base):
    """A change to someone's weekly hours on one day: closed (leave, a hearing) or extra hours,
    set by the mediator in chat or from the network file."""

    __tablename__ = "availability_exceptions"
    id: Mapped[int] = mapped_column(primary_key=True)
    mediator_id: Mapped[int] = mapped_column(ForeignKey("mediators.id"), index=True)
    on_date: Mapped[str] = mapped_column(String(10))  # ISO date in the county's zone
    kind: Mapped[str] = mapped_column(String(16))  # closed | extra
    start: Mapped[str | None] = mapped_column(String(5))  # "HH:MM" local; None = whole day
    end: Mapped[str | None] = mapped_column(String(5))
    note: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime]


class Appointment(Base):
    """A booked mediation hour with a village's judge or mediator. The partial unique index
    makes double booking impossible even when two residents tap the same slot at once."""

    __tablename__ = "appointments"
    __table_args__ = (
        Index(
            "uq_appointments_booked_slot",
            "mediator_id",
            "starts_at",
            unique=True,
            postgresql_where=text("status = 'booked'"),
            sqlite_where=text("status = 'booked'"),
        ),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), index=True)
    resident_id: Mapped[int] = mapped_column(ForeignKey("residents.id"), index=True)
    mediator_id: Mapped[int] = mapped_column(ForeignKey("mediators.id"), index=True)
    village_code: Mapped[str | None] = mapped_column(String(64))
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    mode: Mapped[str] = mapped_column(String(16))  # in_person | video
    place: Mapped[str | None] = mapped_column(String(200))
    video_link: Mapped[str | None] = mapped_column(String(300))
    # booked | cancelled | rescheduled | held | no_show
    status: Mapped[str] = mapped_column(String(16), default="booked")
    booked_by: Mapped[str] = mapped_column(String(16), default="resident")  # resident | staff
    rescheduled_from_id: Mapped[int | None] = mapped_column(ForeignKey("appointments.id"))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    mediator: Mapped[Mediator] = relationship(foreign_keys=[mediator_id])
    case: Mapped[Case | None] = relationship()


class JobRequest(Base):
    """The scheduler's outbox: backend code asks for a timed job in the same transaction as the
    change behind it (a booking, a closed case); the scheduler's planner turns each request into
    a persistent APScheduler job with the same id. Job functions check the current state when
    they run, so a request made stale by a later change does nothing."""

    __tablename__ = "job_requests"
    __table_args__ = (Index("ix_job_requests_unplanned", "planned_at", "id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    job_id: Mapped[str] = mapped_column(String(160), unique=True)
    kind: Mapped[str] = mapped_column(String(48))  # a key of scheduler.jobs.JOB_KINDS
    args: Mapped[list[Any]] = mapped_column(default=list)  # plain ints and strings
    run_at: Mapped[datetime]
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), index=True)
    created_at: Mapped[datetime]
    planned_at: Mapped[datetime | None]


class Survey(Base):
    """The satisfaction survey of one closed case: sent once, reminded at most once."""

    __tablename__ = "surveys"
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), unique=True)
    resident_id: Mapped[int] = mapped_column(ForeignKey("residents.id"), index=True)
    status: Mapped[str] = mapped_column(String(16))  # sent | answered | expired
    sent_at: Mapped[datetime]
    reminded_at: Mapped[datetime | None]
    answered_at: Mapped[datetime | None]
    # {"overall": 1-5, "fair": "yes"|"partly"|"no", "fast": ..., "comment": "..."}
    answers: Mapped[dict[str, Any]] = mapped_column(EncryptedJSON, default=dict)
    overall: Mapped[int | None] = mapped_column(Integer)  # in clear: the reports count it
    fair: Mapped[str | None] = mapped_column(String(8))
    fast: Mapped[str | None] = mapped_column(String(8))
    case: Mapped[Case] = relationship()


class FollowUp(Base):
    """A check after the fact: is the agreement being kept (15 days on)? One per case and kind."""

    __tablename__ = "follow_ups"
    __table_args__ = (UniqueConstraint("case_id", "kind"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    kind: Mapped[str] = mapped_column(String(32))  # agreement_kept
    status: Mapped[str] = mapped_column(String(16))  # sent | answered | expired
    sent_at: Mapped[datetime]
    answered_at: Mapped[datetime | None]
    answer: Mapped[str | None] = mapped_column(String(16))  # kept | partly | not_kept
    comment: Mapped[str | None] = mapped_column(EncryptedText)


# APScheduler's job store table (apscheduler.jobstores.sqlalchemy), declared here so that the
# migrations create it and the migration check knows it; APScheduler reads and writes it.
apscheduler_jobs = Table(
    "apscheduler_jobs",
    Base.metadata,
    Column("id", Unicode(191), primary_key=True),
    Column("next_run_time", Float(25), index=True),
    Column("job_state", LargeBinary, nullable=False),
)
