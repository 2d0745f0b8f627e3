"""programme setting: coaches take new coachees as engagements end (capacity over time)

Existing programmes keep counting coachees over the whole horizon (false); new
programmes start with the setting on (the model's default).

Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "solver_contract_0001"
down_revision = "0002"


def upgrade() -> None:
    with op.batch_alter_table("programme", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("capacity_over_time", sa.Boolean(), nullable=False, server_default=sa.false())
        )


def downgrade() -> None:
    with op.batch_alter_table("programme", schema=None) as batch_op:
        batch_op.drop_column("capacity_over_time")
