"""one queued or running solve per programme, kept by the database

Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "arch_0001"
down_revision = "solver_contract_0001"

ACTIVE = sa.text("status IN ('queued', 'running')")


def upgrade() -> None:
    # Older duplicates (a worker that died before the rule existed) can never finish: fail them.
    op.execute(
        "UPDATE solve_run SET status = 'failed', error = 'abandoned: a later run of the programme replaced it' "
        "WHERE status IN ('queued', 'running') AND id NOT IN "
        "(SELECT MAX(id) FROM solve_run WHERE status IN ('queued', 'running') GROUP BY programme_id)"
    )
    op.create_index(
        "uq_solve_run_one_active", "solve_run", ["programme_id"], unique=True,
        sqlite_where=ACTIVE, postgresql_where=ACTIVE,
    )


def downgrade() -> None:
    op.drop_index("uq_solve_run_one_active", table_name="solve_run")
