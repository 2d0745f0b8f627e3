"""session version per user (sign-out and a new password end every copy of a session); no lock per account

Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "hostile_0001"
down_revision = "year_0002"


def upgrade() -> None:
    with op.batch_alter_table("user_account", schema=None) as batch_op:
        batch_op.add_column(sa.Column("session_version", sa.Integer(), nullable=False, server_default="0"))
        # Failed sign-ins are throttled per client now (Flask-Limiter), never by locking the account.
        batch_op.drop_column("locked_until")
        batch_op.drop_column("failed_sign_ins")


def downgrade() -> None:
    with op.batch_alter_table("user_account", schema=None) as batch_op:
        batch_op.add_column(sa.Column("failed_sign_ins", sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True))
        batch_op.drop_column("session_version")
