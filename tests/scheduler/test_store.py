"""The job store reaches the case store's database through a synchronous driver."""

from __future__ import annotations

from scheduler.store import sync_url


def test_the_job_store_uses_the_same_database_through_a_sync_driver() -> None:
    assert sync_url("sqlite+aiosqlite:////srv/jiefen/var/jiefen.db") == (
        "sqlite:////srv/jiefen/var/jiefen.db"
    )
    assert sync_url("postgresql+asyncpg://jf:secret@db.example:5432/jiefen") == (
        "postgresql+psycopg://jf:secret@db.example:5432/jiefen"
    )
