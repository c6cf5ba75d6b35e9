"""case numbers from per-year sequences on PostgreSQL

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-06

Years already counted in `case_number_counters` go on from where they stood, so no number is
given twice. SQLite keeps counting in the table (backend/case_numbers.py).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _counted_years() -> list[tuple[int, int]]:
    rows = op.get_bind().execute(sa.text("SELECT year, last_value FROM case_number_counters"))
    return [(int(year), int(last)) for year, last in rows]


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for year, last in _counted_years():
        op.execute(
            f"CREATE SEQUENCE IF NOT EXISTS case_numbers_{year} START WITH {last + 1} "
            "OWNED BY case_number_counters.last_value"
        )


def downgrade() -> None:
    """The counters take the sequences' positions back, then the sequences go."""
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    names = bind.execute(
        sa.text(
            "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE c.relkind = 'S' AND c.relname ~ '^case_numbers_[0-9]+$' "
            "AND n.nspname = current_schema()"
        )
    ).scalars()
    for name in list(names):
        year = int(name.rsplit("_", 1)[1])
        op.execute(
            f"INSERT INTO case_number_counters (year, last_value) "
            f"SELECT {year}, CASE WHEN is_called THEN last_value ELSE last_value - 1 END "
            f"FROM {name} ON CONFLICT (year) DO UPDATE SET last_value = EXCLUDED.last_value"
        )
        op.execute(f"DROP SEQUENCE {name}")
