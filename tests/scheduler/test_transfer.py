"""CSV import/export: all rows or none, each problem named by row and column."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from sqlalchemy import func, select

from scheduler.db import Database
from scheduler.demo import load_demo
from scheduler.models import Coach, CoachingRequest, Programme
from scheduler.services.errors import InvalidInput
from scheduler.services.programmes import transfer

COACHES = """name,email,timezone,languages,topics,level,supervisor_email,availability
Ada Peeters,ada@coaches.example,Europe/Brussels,"nl,en",leadership,accredited,,mon 18:00-21:00; sat 09:00-12:00
Bob Smith,bob@coaches.example,Europe/London,en,career-change,trainee,supervisor@programme.example,wed 17:00-20:00
"""


@pytest.fixture
def programme(sqlite_url: str) -> tuple[Database, Programme]:
    database = Database(sqlite_url)
    with database.sessions() as db, db.begin():
        load_demo(db, password="demo-password-1", today=dt.date(2026, 11, 23))
        return database, db.scalars(select(Programme)).one()


def _count(database: Database, model: type) -> int:
    with database.sessions() as db:
        return int(db.scalar(select(func.count()).select_from(model)) or 0)


def test_import_coaches_adds_every_row(programme: tuple[Database, Programme]) -> None:
    database, prog = programme
    with database.sessions() as db, db.begin():
        added = transfer.import_coaches(db, prog, io.StringIO(COACHES))
        assert [c.email for c in added] == ["ada@coaches.example", "bob@coaches.example"]
    with database.sessions() as db:
        bob = db.scalars(select(Coach).where(Coach.email == "bob@coaches.example")).one()
        assert bob.level == "trainee" and bob.supervisor_id is not None
        ada = db.scalars(select(Coach).where(Coach.email == "ada@coaches.example")).one()
        assert [(r.weekday, r.start.isoformat(), r.end.isoformat()) for r in ada.availability] == [
            (0, "18:00:00", "21:00:00"), (5, "09:00:00", "12:00:00")]


def test_one_bad_cell_imports_nothing_and_names_row_and_column(programme: tuple[Database, Programme]) -> None:
    database, prog = programme
    before = _count(database, Coach)
    bad = COACHES + "Cy,cy@coaches.example,Atlantis/Nowhere,en,leadership,accredited,,mon 09:00-08:00\n"
    with database.sessions() as db, db.begin(), pytest.raises(InvalidInput) as caught:
        transfer.import_coaches(db, prog, io.StringIO(bad))
    assert "row 4, column timezone" in caught.value.message
    assert "row 4, column availability: Monday: end 08:00 is not after start 09:00" in caught.value.message
    assert _count(database, Coach) == before


def test_missing_column_is_named(programme: tuple[Database, Programme]) -> None:
    database, prog = programme
    with database.sessions() as db, pytest.raises(InvalidInput, match=r"missing column.*email"):
        transfer.import_coaches(db, prog, io.StringIO("name,timezone,languages\nA,Europe/Brussels,en\n"))


def test_requests_round_trip_through_export_and_import(programme: tuple[Database, Programme]) -> None:
    database, prog = programme
    with database.sessions() as db:
        exported = transfer.export_requests(db, prog)
    assert exported.count("\n") == 61  # header + 60 demo requests
    before = _count(database, CoachingRequest)
    with database.sessions() as db, db.begin():
        transfer.import_requests(db, prog, io.StringIO(exported))
    assert _count(database, CoachingRequest) == before + 60
    with database.sessions() as db:
        assert transfer.export_requests(db, prog).splitlines()[1:61] == exported.splitlines()[1:61]
