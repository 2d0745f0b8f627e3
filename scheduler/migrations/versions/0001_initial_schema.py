"""initial schema

Create Date: 2026-11-23

On PostgreSQL the database itself refuses two scheduled sessions of one coach that
overlap (exclusion constraint over a tstzrange per coach, btree_gist for the equality).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from scheduler.migrations.columns import WHEN, references

revision = "0001"
down_revision = None


def upgrade() -> None:
    op.create_table(
        "programme",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("horizon_start", sa.Date(), nullable=False),
        sa.Column("horizon_end", sa.Date(), nullable=False),
        sa.Column("slot_minutes", sa.Integer(), nullable=False),
        sa.Column("session_minutes", sa.Integer(), nullable=False),
        sa.Column("min_notice_hours", sa.Integer(), nullable=False),
        sa.Column("min_gap_days", sa.Integer(), nullable=False),
        sa.Column("max_gap_days", sa.Integer(), nullable=False),
        sa.Column("topics", sa.JSON(), nullable=False),
        sa.Column("sensitive_topics", sa.JSON(), nullable=False),
        sa.Column("languages", sa.JSON(), nullable=False),
        sa.Column("max_hours_trainee", sa.Float(), nullable=False),
        sa.Column("max_hours_accredited", sa.Float(), nullable=False),
        sa.Column("max_hours_senior", sa.Float(), nullable=False),
        sa.Column("organiser_email", sa.String(length=254), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "user_account",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=True),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("api_token_hash", sa.String(length=64), nullable=True),
        sa.Column("created_at", WHEN, nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("api_token_hash"),
        sa.UniqueConstraint("email"),
    )
    op.create_table(
        "solve_run",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("programme_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("started_at", WHEN, nullable=False),
        sa.Column("finished_at", WHEN, nullable=True),
        sa.Column("solver_status", sa.String(length=20), nullable=True),
        sa.Column("served_weight", sa.Integer(), nullable=True),
        sa.Column("served_weight_bound", sa.Integer(), nullable=True),
        sa.Column("elapsed_seconds", sa.Float(), nullable=True),
        sa.Column("unassigned", sa.JSON(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        references("programme_id", "programme"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "supervisor",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("programme_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("max_trainee_engagements", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        references("programme_id", "programme"),
        references("user_id", "user_account"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "coach",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("programme_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("languages", sa.JSON(), nullable=False),
        sa.Column("topics", sa.JSON(), nullable=False),
        sa.Column("level", sa.String(length=20), nullable=False),
        sa.Column("supervisor_id", sa.Integer(), nullable=True),
        sa.Column("organisation", sa.String(length=200), nullable=True),
        sa.Column("max_active_coachees", sa.Integer(), nullable=False),
        sa.Column("max_sessions_per_week", sa.Integer(), nullable=False),
        sa.Column("max_sessions_per_day", sa.Integer(), nullable=False),
        sa.Column("buffer_minutes", sa.Integer(), nullable=False),
        sa.Column("coaching_hours_since_supervision", sa.Float(), nullable=False),
        sa.Column("next_supervision", WHEN, nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("feed_token_hash", sa.String(length=64), nullable=True),
        sa.CheckConstraint(
            "level in ('trainee', 'accredited', 'senior')", name="coach_level"
        ),
        sa.CheckConstraint(
            "max_active_coachees >= 0 and max_sessions_per_week >= 0", name="coach_caps"
        ),
        references("programme_id", "programme"),
        references("supervisor_id", "supervisor"),
        references("user_id", "user_account"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("email"),
        sa.UniqueConstraint("feed_token_hash"),
    )
    op.create_table(
        "availability_exception",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("coach_id", sa.Integer(), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("start", sa.Time(), nullable=True),
        sa.Column("end", sa.Time(), nullable=True),
        references("coach_id", "coach", ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "availability_rule",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("coach_id", sa.Integer(), nullable=False),
        sa.Column("weekday", sa.Integer(), nullable=False),
        sa.Column("start", sa.Time(), nullable=False),
        sa.Column("end", sa.Time(), nullable=False),
        sa.CheckConstraint('"start" < "end"', name="availability_order"),
        sa.CheckConstraint("weekday between 0 and 6", name="availability_weekday"),
        references("coach_id", "coach", ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "busy_time",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("coach_id", sa.Integer(), nullable=False),
        sa.Column("start_utc", WHEN, nullable=False),
        sa.Column("end_utc", WHEN, nullable=False),
        references("coach_id", "coach", ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "coaching_request",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("programme_id", sa.Integer(), nullable=False),
        sa.Column("coachee_name", sa.String(length=200), nullable=False),
        sa.Column("coachee_email", sa.String(length=254), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("languages", sa.JSON(), nullable=False),
        sa.Column("topics", sa.JSON(), nullable=False),
        sa.Column("organisation", sa.String(length=200), nullable=True),
        sa.Column("sessions_wanted", sa.Integer(), nullable=False),
        sa.Column("session_minutes", sa.Integer(), nullable=False),
        sa.Column("min_gap_days", sa.Integer(), nullable=False),
        sa.Column("max_gap_days", sa.Integer(), nullable=False),
        sa.Column("earliest_start", sa.Date(), nullable=False),
        sa.Column("windows", sa.JSON(), nullable=False),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("sensitive", sa.Boolean(), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("consent", sa.Boolean(), nullable=False),
        sa.Column("preferred_coach_ids", sa.JSON(), nullable=False),
        sa.Column("excluded_coach_ids", sa.JSON(), nullable=False),
        sa.Column("pinned_coach_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("submitted_at", WHEN, nullable=False),
        sa.Column("public_ref", sa.String(length=32), nullable=False),
        sa.CheckConstraint("priority between 1 and 3", name="request_priority"),
        sa.CheckConstraint("sessions_wanted between 1 and 6", name="request_sessions"),
        references("pinned_coach_id", "coach"),
        references("programme_id", "programme"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("public_ref"),
    )
    with op.batch_alter_table("coaching_request", schema=None) as batch_op:
        batch_op.create_index("ix_request_status", ["status"], unique=False)

    op.create_table(
        "access_token",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("purpose", sa.String(length=30), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=True),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("created_at", WHEN, nullable=False),
        sa.Column("expires_at", WHEN, nullable=False),
        sa.Column("revoked_at", WHEN, nullable=True),
        references("request_id", "coaching_request"),
        references("user_id", "user_account"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token_hash"),
    )
    op.create_table(
        "engagement",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("coach_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("coach_response", sa.String(length=20), nullable=True),
        sa.Column("solve_run_id", sa.Integer(), nullable=True),
        sa.Column("score", sa.JSON(), nullable=False),
        sa.Column("created_at", WHEN, nullable=False),
        sa.Column("approved_at", WHEN, nullable=True),
        references("coach_id", "coach"),
        references("request_id", "coaching_request"),
        references("solve_run_id", "solve_run"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("engagement", schema=None) as batch_op:
        batch_op.create_index("ix_engagement_status", ["status"], unique=False)

    op.create_table(
        "coaching_session",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("engagement_id", sa.Integer(), nullable=False),
        sa.Column("coach_id", sa.Integer(), nullable=False),
        sa.Column("start_utc", WHEN, nullable=False),
        sa.Column("end_utc", WHEN, nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("calendar_uid", sa.String(length=80), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("reminder_sent_at", WHEN, nullable=True),
        sa.CheckConstraint("start_utc < end_utc", name="session_order"),
        references("coach_id", "coach"),
        references("engagement_id", "engagement"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("calendar_uid"),
    )
    with op.batch_alter_table("coaching_session", schema=None) as batch_op:
        batch_op.create_index(
            "ix_session_coach_start", ["coach_id", "start_utc"], unique=False
        )
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")
        op.execute(
            "ALTER TABLE coaching_session ADD CONSTRAINT session_no_overlap EXCLUDE USING gist "
            "(coach_id WITH =, tstzrange(start_utc, end_utc) WITH &&) WHERE (status = 'scheduled')"
        )

    op.create_table(
        "outbox_message",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=True),
        sa.Column("request_id", sa.Integer(), nullable=True),
        sa.Column("recipient", sa.String(length=254), nullable=False),
        sa.Column("recipient_role", sa.String(length=20), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", WHEN, nullable=False),
        sa.Column("claimed_at", WHEN, nullable=True),
        sa.Column("sent_at", WHEN, nullable=True),
        sa.Column("message_id", sa.String(length=200), nullable=True),
        sa.Column("dedupe_key", sa.String(length=400), nullable=False),
        references("request_id", "coaching_request"),
        references("session_id", "coaching_session"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("dedupe_key"),
    )
    with op.batch_alter_table("outbox_message", schema=None) as batch_op:
        batch_op.create_index("ix_outbox_status", ["status"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("outbox_message", schema=None) as batch_op:
        batch_op.drop_index("ix_outbox_status")

    op.drop_table("outbox_message")
    with op.batch_alter_table("coaching_session", schema=None) as batch_op:
        batch_op.drop_index("ix_session_coach_start")

    op.drop_table("coaching_session")
    with op.batch_alter_table("engagement", schema=None) as batch_op:
        batch_op.drop_index("ix_engagement_status")

    op.drop_table("engagement")
    op.drop_table("access_token")
    with op.batch_alter_table("coaching_request", schema=None) as batch_op:
        batch_op.drop_index("ix_request_status")

    op.drop_table("coaching_request")
    op.drop_table("busy_time")
    op.drop_table("availability_rule")
    op.drop_table("availability_exception")
    op.drop_table("coach")
    op.drop_table("supervisor")
    op.drop_table("solve_run")
    op.drop_table("user_account")
    op.drop_table("programme")
