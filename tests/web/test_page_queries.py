"""Pages ask the database a fixed number of questions, however large the plan.

A page that loads each engagement's request, coach and sessions one by one asks three
more questions per engagement: the draft page did, 182 statements for the demo's 57
engagements, most of a request's time under load. Here each page is read with a small
draft and again with four times as many engagements, coachees and coaches: the count
of SQL statements must not grow with them.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from flask.testing import FlaskClient
from sqlalchemy import event
from sqlalchemy.orm import Session

from scheduler.db import Database
from scheduler.models import Engagement, EngagementStatus, Programme
from tests.web.conftest import make_request, propose
from tests.web.supervisor_builders import days_ahead, quick_coach

pytest_plugins = ["tests.web.conftest_supervisor"]

PAGES = [
    "/supervisor/", "/supervisor/draft", "/supervisor/load", "/supervisor/calendar", "/supervisor/supervision",
    "/supervisor/coaches",
]  # fmt: skip


@contextmanager
def counted(database: Database) -> Iterator[list[int]]:
    seen = [0]

    def count(*_: object) -> None:
        seen[0] += 1

    event.listen(database.engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(database.engine, "before_cursor_execute", count)


def _grow(db: Session, programme: Programme, start: int, stop: int) -> list[str]:
    """Engagements `start`..`stop`: half in the draft, half approved, each with its own coach and
    two sessions; returns the coachees' status tokens."""
    tokens = []
    for n in range(start, stop):
        coach_id = quick_coach(db, programme, f"coach{n}@coaches.example")
        request_, token = make_request(db, programme, coachee_email=f"coachee{n}@coachees.example")
        status = EngagementStatus.DRAFT if n % 2 else EngagementStatus.APPROVED
        propose(db, request_, coach_id, [days_ahead(8 + n % 5, hour=14), days_ahead(15 + n % 5, hour=14)],
                status=status.value)  # fmt: skip
        tokens.append(token)
    db.commit()
    return tokens


def _statements(client: FlaskClient, database: Database, url: str) -> int:
    client.get(url)  # the first read may fill per-process caches
    with counted(database) as seen:
        assert client.get(url).status_code == 200, url
    return seen[0]


def test_pages_ask_the_same_number_of_questions_for_a_larger_plan(
    supervisor_client: FlaskClient, db: Session, programme: Programme, web_database: Database
) -> None:
    small_tokens = _grow(db, programme, 0, 4)
    small = {url: _statements(supervisor_client, web_database, url) for url in PAGES}
    coachee = supervisor_client.application.test_client()
    small_status = _statements(coachee, web_database, f"/r/{small_tokens[0]}")
    _grow(db, programme, 4, 16)
    large = {url: _statements(supervisor_client, web_database, url) for url in PAGES}
    assert large == small, {url: (small[url], large[url]) for url in PAGES if small[url] != large[url]}
    assert _statements(coachee, web_database, f"/r/{small_tokens[0]}") == small_status
    assert small["/supervisor/draft"] <= 20


def test_the_count_sees_a_page_that_asks_once_per_engagement(
    db: Session, programme: Programme, web_database: Database
) -> None:
    _grow(db, programme, 0, 6)
    with counted(web_database) as seen, Session(web_database.engine) as fresh:
        for engagement in fresh.query(Engagement).all():
            _ = engagement.request.coachee_name  # one lazy load each
    assert seen[0] >= 7



def test_a_new_coachees_first_look_reuses_the_coaches_calendars(
    client: FlaskClient, db: Session, programme: Programme, web_database: Database
) -> None:
    """"Is any coach free at my times?" needs every coach's hours: the first waiting coachee's
    look reads them, the next coachee's first look (another request, other times) does not."""
    for n in range(3):
        quick_coach(db, programme, f"coach{n}@coaches.example")
    _first, first_token = make_request(db, programme, coachee_email="first@coachees.example")
    _next, next_token = make_request(
        db, programme, coachee_email="next@coachees.example", windows={"tue": [["08:00", "11:00"]]}
    )
    db.commit()
    with counted(web_database) as first:
        page = client.get(f"/r/{first_token}")
    assert page.status_code == 200 and "waiting" in page.get_data(as_text=True).lower()
    with counted(web_database) as later:
        assert client.get(f"/r/{next_token}").status_code == 200
    assert later[0] <= first[0] - 3, (first[0], later[0])  # coaches, their hours, their date exceptions
