"""web-chat pushes fetched by the page from the outbox

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07

The web chat's page now takes its pushes from the outbox itself (backend.delivery.take_pushes)
instead of an outbox worker moving them into one server's memory: an index finds a session's
pending pushes, and web-chat pushes a worker held under a lease at the upgrade go back to
pending, since no worker claims them any more.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_outbox_recipient", "outbox", ["channel", "recipient", "status"])
    op.execute(
        "UPDATE outbox SET status = 'pending', lease_until = NULL "
        "WHERE channel = 'webchat' AND status = 'sending'"
    )


def downgrade() -> None:
    op.drop_index("ix_outbox_recipient", table_name="outbox")
