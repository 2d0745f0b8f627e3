"""attendance, group supervision sessions, feedback and private session notes

Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from scheduler.migrations.columns import WHEN, id_column, reference

revision = "year_0001"
down_revision = "privacy_0001"


def upgrade() -> None:
    op.create_table(
        "session_attendance",
        reference("session_id", "coaching_session", primary_key=True),
        sa.Column("outcome", sa.String(20), nullable=False),
        sa.Column("recorded_by", sa.String(20), nullable=False),
        sa.Column("recorded_at", WHEN, nullable=False),
        sa.CheckConstraint("outcome in ('held', 'no_show', 'cancelled_late')", name="attendance_outcome"),
    )
    op.create_table(
        "attendance_link",
        id_column(),
        reference("session_id", "coaching_session", unique=True),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("created_at", WHEN, nullable=False),
        sa.Column("expires_at", WHEN, nullable=False),
        sa.Column("reminded_at", WHEN, nullable=True),
    )
    op.create_table(
        "supervision_settings",
        reference("supervisor_id", "supervisor", primary_key=True),
        sa.Column("timezone", sa.String(64), nullable=False),
        sa.Column("weekly", sa.JSON(), nullable=False),
        sa.Column("session_minutes", sa.Integer(), nullable=False),
        sa.Column("max_group_size", sa.Integer(), nullable=False),
        sa.CheckConstraint("session_minutes between 15 and 480", name="supervision_length"),
        sa.CheckConstraint("max_group_size between 1 and 20", name="supervision_group_size"),
    )
    op.create_table(
        "supervision_session",
        id_column(),
        reference("supervisor_id", "supervisor"),
        sa.Column("start_utc", WHEN, nullable=False),
        sa.Column("end_utc", WHEN, nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("calendar_uid", sa.String(80), nullable=False, unique=True),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("created_at", WHEN, nullable=False),
        sa.Column("approved_at", WHEN, nullable=True),
        sa.CheckConstraint("start_utc < end_utc", name="supervision_order"),
    )
    op.create_table(
        "supervision_participant",
        id_column(),
        reference("supervision_session_id", "supervision_session"),
        reference("coach_id", "coach"),
        sa.Column("attended", sa.Boolean(), nullable=True),
        sa.Column("recorded_at", WHEN, nullable=True),
        sa.UniqueConstraint("supervision_session_id", "coach_id", name="supervision_participant_once"),
    )
    op.create_table(
        "feedback",
        id_column(),
        sa.Column("kind", sa.String(20), nullable=False),
        reference("engagement_id", "engagement", nullable=True, unique=True),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("created_at", WHEN, nullable=False),
        sa.Column("expires_at", WHEN, nullable=False),
        sa.Column("submitted_at", WHEN, nullable=True),
        sa.Column("rating", sa.Integer(), nullable=True),
        sa.Column("would_recommend", sa.Boolean(), nullable=True),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.CheckConstraint("rating is null or rating between 1 and 5", name="feedback_rating"),
    )
    op.create_table(
        "session_note",
        id_column(),
        reference("session_id", "coaching_session"),
        reference("coach_id", "coach"),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("updated_at", WHEN, nullable=False),
        sa.UniqueConstraint("session_id", "coach_id", name="session_note_once"),
    )


def downgrade() -> None:
    for table in (
        "session_note",
        "feedback",
        "supervision_participant",
        "supervision_session",
        "supervision_settings",
        "attendance_link",
        "session_attendance",
    ):
        op.drop_table(table)
