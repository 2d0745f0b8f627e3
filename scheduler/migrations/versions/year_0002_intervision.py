"""intervision rounds, sign-ups and groups; feedback from intervision participants

Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from scheduler.migrations.columns import WHEN, id_column, reference

revision = "year_0002"
down_revision = "year_0001"


def upgrade() -> None:
    op.create_table(
        "intervision_round",
        id_column(),
        reference("programme_id", "programme"),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=False),
        sa.Column("session_minutes", sa.Integer(), nullable=False),
        sa.Column("min_group_size", sa.Integer(), nullable=False),
        sa.Column("max_group_size", sa.Integer(), nullable=False),
        sa.Column("slots", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("public_ref", sa.String(32), nullable=False, unique=True),
        sa.Column("left_out", sa.JSON(), nullable=False),
        sa.Column("created_at", WHEN, nullable=False),
    )
    op.create_table(
        "intervision_sign_up",
        id_column(),
        reference("round_id", "intervision_round"),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("email", sa.String(254), nullable=False),
        sa.Column("organisation", sa.String(200), nullable=True),
        sa.Column("languages", sa.JSON(), nullable=False),
        sa.Column("experience", sa.String(20), nullable=False),
        sa.Column("facilitator", sa.Boolean(), nullable=False),
        sa.Column("slots", sa.JSON(), nullable=False),
        sa.Column("created_at", WHEN, nullable=False),
    )
    op.create_table(
        "intervision_group",
        id_column(),
        reference("round_id", "intervision_round"),
        sa.Column("start_utc", WHEN, nullable=False),
        sa.Column("end_utc", WHEN, nullable=False),
        sa.Column("language", sa.String(10), nullable=False),
        reference("facilitator_id", "intervision_sign_up", nullable=True),
        sa.Column("member_ids", sa.JSON(), nullable=False),
        sa.Column("calendar_uid", sa.String(80), nullable=False, unique=True),
    )


    with op.batch_alter_table("feedback", schema=None) as batch_op:
        batch_op.add_column(sa.Column("intervision_sign_up_id", sa.Integer(), nullable=True))
        batch_op.create_unique_constraint("feedback_intervision_once", ["intervision_sign_up_id"])
        batch_op.create_foreign_key(
            "feedback_intervision_sign_up", "intervision_sign_up", ["intervision_sign_up_id"], ["id"]
        )


def downgrade() -> None:
    with op.batch_alter_table("feedback", schema=None) as batch_op:
        batch_op.drop_constraint("feedback_intervision_sign_up", type_="foreignkey")
        batch_op.drop_constraint("feedback_intervision_once", type_="unique")
        batch_op.drop_column("intervision_sign_up_id")
    op.drop_table("intervision_group")
    op.drop_table("intervision_sign_up")
    op.drop_table("intervision_round")
