"""outbox pause state, meeting places, calendar answers

Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "mail_0001"
down_revision = "hostile_0001"

_PLACE = ("meeting_url", "meeting_address", "meeting_note")


def upgrade() -> None:
    op.create_table(
        "outbox_state",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("paused_since", sa.DateTime(timezone=True), nullable=True),
        sa.Column("next_probe_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
    )
    for table in ("coach", "engagement"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            for column in _PLACE:
                batch_op.add_column(sa.Column(column, sa.String(500), nullable=True))
    with op.batch_alter_table("coaching_session", schema=None) as batch_op:
        batch_op.add_column(sa.Column("coach_answer", sa.String(20), nullable=True))
        batch_op.add_column(sa.Column("coachee_answer", sa.String(20), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("coaching_session", schema=None) as batch_op:
        batch_op.drop_column("coachee_answer")
        batch_op.drop_column("coach_answer")
    for table in ("engagement", "coach"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            for column in reversed(_PLACE):
                batch_op.drop_column(column)
    op.drop_table("outbox_state")
