"""APScheduler's SQLAlchemyJobStore on the case store's database (table `apscheduler_jobs`,
created by the migrations). APScheduler 3 is synchronous: the store gets a sync driver for the
same database (psycopg for PostgreSQL, sqlite3 for SQLite) and the scheduler calls it from a
worker thread, never on the event loop."""

from __future__ import annotations

import pickle
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from apscheduler.job import Job
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.util import datetime_to_utc_timestamp
from sqlalchemy import event, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import make_url

SYNC_DRIVERS = {"sqlite+aiosqlite": "sqlite", "postgresql+asyncpg": "postgresql+psycopg"}


def sync_url(async_url: str) -> str:
    """The same database through a synchronous driver."""
    url = make_url(async_url)
    driver = SYNC_DRIVERS.get(url.drivername, url.drivername)
    return url.set(drivername=driver).render_as_string(hide_password=False)


def _sqlite_wait(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA busy_timeout=10000")  # wait for the other writers, as they do
    cursor.close()


class JobStore(SQLAlchemyJobStore):
    """The stock store plus a bounded due-jobs query (a burst of 10,000 reminders is read a
    batch at a time) and the job's pickled state, for claiming a run in the job's own
    transaction (backend/job_runs.py)."""

    def __init__(self, database_url: str) -> None:
        url = sync_url(database_url)
        options: dict[str, Any] = {}
        if not url.startswith("sqlite"):
            options = {"pool_pre_ping": True, "pool_size": 2, "max_overflow": 2}
        super().__init__(url=url, engine_options=options)
        if url.startswith("sqlite"):
            event.listen(self.engine, "connect", _sqlite_wait)
        self._batch = threading.local()

    @contextmanager
    def batched_writes(self) -> Iterator[None]:
        """Jobs added or replaced by this thread inside the block are written together at its
        end, in one transaction (an upsert), instead of one transaction each: the planner adds
        a job for nearly every filed case, and each transaction of its own cost the server
        more CPU than the filing's reply (docs/benchmarks.md). Nothing is written if the block
        fails."""
        self._batch.rows = {}
        try:
            yield
            rows = list(self._batch.rows.values())
        finally:
            del self._batch.rows
        if rows:
            self._upsert(rows)

    def add_job(self, job: Job) -> None:
        if not self._keep_for_batch(job):
            super().add_job(job)

    def update_job(self, job: Job) -> None:
        if not self._keep_for_batch(job):
            super().update_job(job)

    def _keep_for_batch(self, job: Job) -> bool:
        rows: dict[str, dict[str, Any]] | None = getattr(self._batch, "rows", None)
        if rows is None:
            return False
        rows[job.id] = {
            "id": job.id,
            "next_run_time": datetime_to_utc_timestamp(job.next_run_time),
            "job_state": self.state_of(job),
        }
        return True

    def _upsert(self, rows: list[dict[str, Any]]) -> None:
        dialect = postgresql if self.engine.dialect.name == "postgresql" else sqlite
        insert = dialect.insert(self.jobs_t)
        stmt = insert.on_conflict_do_update(
            index_elements=[self.jobs_t.c.id],
            set_={
                "next_run_time": insert.excluded.next_run_time,
                "job_state": insert.excluded.job_state,
            },
        )
        with self.engine.begin() as connection:
            connection.execute(stmt, rows)

    def due_jobs(self, now: datetime, limit: int) -> list[Job]:
        """At most `limit` jobs due at `now`, earliest first (a blocking call)."""
        c = self.jobs_t.c
        stmt = (
            select(c.id, c.job_state)
            .where(c.next_run_time <= datetime_to_utc_timestamp(now))
            .order_by(c.next_run_time, c.id)
            .limit(limit)
        )
        jobs = []
        with self.engine.begin() as connection:
            for row in connection.execute(stmt):
                try:
                    jobs.append(self._reconstitute_job(row.job_state))
                except Exception:  # code that moved away: keep the row, say which
                    self._logger.exception("job %s cannot be restored; left in the store", row.id)
        return jobs

    def ids_starting(self, prefix: str) -> list[str]:
        """Ids of the stored jobs whose id starts with `prefix` (without unpickling them all)."""
        c = self.jobs_t.c
        with self.engine.begin() as connection:
            return list(connection.scalars(select(c.id).where(c.id.startswith(prefix))))

    def state_of(self, job: Job) -> bytes:
        """The row's job_state for `job`, exactly as the store writes it."""
        return pickle.dumps(job.__getstate__(), self.pickle_protocol)


def timestamp(moment: datetime | None) -> float | None:
    """A run time as the store keeps it (UTC seconds)."""
    return datetime_to_utc_timestamp(moment)
