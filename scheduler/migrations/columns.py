"""Column shapes the migrations share, so a table in a migration says only what is its own.

An applied revision must go on producing the schema it produced when it was written:
never change what a helper here returns; add a new helper instead.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

# Every timestamp is stored with its zone (UTC in practice), in every table.
WHEN = sa.DateTime(timezone=True)


def id_column() -> sa.Column[Any]:
    """The integer primary key every table but the one-to-one extensions has."""
    return sa.Column("id", sa.Integer(), primary_key=True)


def reference(name: str, table: str, *, nullable: bool = False, **options: Any) -> sa.Column[Any]:
    """An integer column pointing at `table`.id, declared inline (a named column constraint)."""
    return sa.Column(name, sa.Integer(), sa.ForeignKey(f"{table}.id"), nullable=nullable, **options)


def references(column: str, table: str, **options: Any) -> sa.ForeignKeyConstraint:
    """A table-level foreign key from `column` to `table`.id (the initial schema's form)."""
    return sa.ForeignKeyConstraint([column], [f"{table}.id"], **options)
