"""CSV import and export of coaches and requests (the spreadsheets a programme starts from).

Import is all or nothing: every row is checked first, and one bad cell means nothing is
imported; each problem is reported as `row N, column NAME: what is wrong`.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Mapping
from typing import Any, TextIO

from sqlalchemy import select
from sqlalchemy.orm import Session

from scheduler.models import Coach, CoachingRequest, Programme, Supervisor, utcnow
from scheduler.services.coaches.roster import add_coach, parse_coach_input, weekly_text
from scheduler.services.errors import InvalidInput, ServiceError
from scheduler.services.requests.intake import parse_request_input, submit_request
from scheduler.weekly import format_weekly

COACH_COLUMNS = [
    "name", "email", "timezone", "languages", "topics", "level", "supervisor_email", "organisation",
    "max_active_coachees", "max_sessions_per_week", "max_sessions_per_day", "buffer_minutes", "availability",
]
REQUEST_COLUMNS = [
    "coachee_name", "coachee_email", "timezone", "languages", "topics", "organisation", "sessions_wanted",
    "windows", "earliest_start", "priority", "sensitive", "consent", "status",
]
REQUIRED = {
    "coaches": {"name", "email", "timezone", "languages"},
    "requests": {"coachee_name", "coachee_email", "timezone", "languages", "topics", "windows", "consent"},
}


def _rows(source: TextIO, kind: str) -> list[dict[str, str]]:
    reader = csv.DictReader(source)
    header = set(reader.fieldnames or [])
    if missing := REQUIRED[kind] - header:
        raise InvalidInput(f"header: missing column(s) {', '.join(sorted(missing))}", {"header": "missing columns"})
    return [{k: (v or "") for k, v in row.items() if k is not None} for row in reader]


def _check_all(rows: list[dict[str, str]], parse: Callable[[Mapping[str, Any]], Any]) -> list[Any]:
    problems: list[str] = []
    parsed = []
    for number, row in enumerate(rows, start=2):  # row 1 is the header
        try:
            parsed.append(parse(row))
        except InvalidInput as exc:
            problems.extend(f"row {number}, column {field}: {message}" for field, message in exc.fields.items())
    if problems:
        raise InvalidInput("\n".join(problems), {"rows": f"{len(problems)} problem(s); nothing was imported"})
    return parsed


def import_coaches(db: Session, programme: Programme, source: TextIO) -> list[Coach]:
    """Add every coach of the CSV, or none if any row is bad."""
    rows = _rows(source, "coaches")
    values = _check_all(rows, lambda row: parse_coach_input(db, programme, row))
    emails = [v["email"].lower() for v in values]
    if duplicates := sorted({e for e in emails if emails.count(e) > 1}):
        raise InvalidInput(f"column email: {', '.join(duplicates)} appear(s) more than once", {"email": "duplicate"})
    coaches = []
    for number, value in enumerate(values, start=2):
        try:
            coaches.append(add_coach(db, programme, value))
        except ServiceError as exc:
            raise InvalidInput(f"row {number}, column email: {exc.message}", exc.fields) from exc
    return coaches


def import_requests(db: Session, programme: Programme, source: TextIO, *, link_days: int = 60) -> list[CoachingRequest]:
    """Add every request of the CSV (each coachee is sent their private link), or none if any row is bad."""
    rows = _rows(source, "requests")
    today = utcnow().date()
    _check_all(rows, lambda row: parse_request_input(programme, row, today=today))
    return [submit_request(db, programme, row, link_days=link_days, one_per_address=False).request for row in rows]


# A cell starting with one of these is run as a formula by spreadsheets (OWASP "CSV injection").
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise_cell(value: Any) -> Any:
    """The value as a spreadsheet shows it as text: a leading quote before a formula character."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def csv_text(columns: list[str], records: list[dict[str, Any]]) -> str:
    """CSV with a header row; every cell neutralised against formula injection."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    writer.writerows({k: neutralise_cell(v) for k, v in record.items()} for record in records)
    return out.getvalue()


def export_coaches(db: Session, programme: Programme) -> str:
    """All coaches as CSV, in the columns `import_coaches` reads."""
    supervisors = {s.id: s.email for s in db.scalars(select(Supervisor).where(Supervisor.programme_id == programme.id))}
    coaches = db.scalars(select(Coach).where(Coach.programme_id == programme.id).order_by(Coach.id))
    return csv_text(
        COACH_COLUMNS,
        [
            {
                "name": c.name, "email": c.email, "timezone": c.timezone, "languages": ",".join(c.languages),
                "topics": ",".join(c.topics), "level": c.level,
                "supervisor_email": supervisors.get(c.supervisor_id or 0, ""), "organisation": c.organisation or "",
                "max_active_coachees": c.max_active_coachees, "max_sessions_per_week": c.max_sessions_per_week,
                "max_sessions_per_day": c.max_sessions_per_day, "buffer_minutes": c.buffer_minutes,
                "availability": weekly_text(c),
            }
            for c in coaches
        ],
    )


def export_requests(db: Session, programme: Programme) -> str:
    """All requests as CSV, in the columns `import_requests` reads (plus their status)."""
    requests = db.scalars(
        select(CoachingRequest).where(CoachingRequest.programme_id == programme.id).order_by(CoachingRequest.id)
    )
    return csv_text(
        REQUEST_COLUMNS,
        [
            {
                "coachee_name": r.coachee_name, "coachee_email": r.coachee_email, "timezone": r.timezone,
                "languages": ",".join(r.languages), "topics": ",".join(r.topics), "organisation": r.organisation or "",
                "sessions_wanted": r.sessions_wanted, "windows": format_weekly(r.windows),
                "earliest_start": r.earliest_start.isoformat(), "priority": r.priority,
                "sensitive": "yes" if r.sensitive else "no", "consent": "yes" if r.consent else "no", "status": r.status,
            }
            for r in requests
        ],
    )
