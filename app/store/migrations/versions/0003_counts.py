"""The store's running totals: how many examples it keeps, kept beside them in the same
transactions, so that a write neither counts the whole table nor races another past the cap.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "counts",
        sa.Column("name", sa.String(32), primary_key=True),
        sa.Column("value", sa.BigInteger(), nullable=False),
    )
    # The examples already kept: counted once, here, inside the migration's transaction.
    op.execute("INSERT INTO counts (name, value) SELECT 'examples', count(*) FROM examples")


def downgrade() -> None:
    op.drop_table("counts")
