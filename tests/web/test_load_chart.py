"""The load view's chart: bars per ISO week against the cap, drawn on the server, beside its table."""

from __future__ import annotations

import re

from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from scheduler.models import Coach, Programme
from scheduler.services.planning import supervision
from tests.web.conftest import Person, make_request, propose
from tests.web.supervisor_builders import days_ahead
from web.supervisor import load_chart

pytest_plugins = ["tests.web.conftest_supervisor"]


def _one_week(db: Session, programme: Programme, coach: Person, cap: int, hours: list[int]) -> None:
    """The coach's weekly cap, and sessions at `hours` on one day two weeks ahead."""
    db.get_one(Coach, coach.coach_id).max_sessions_per_week = cap
    request, _ = make_request(db, programme)
    propose(db, request, coach.coach_id or 0, [days_ahead(14, hour=hour) for hour in hours])
    db.commit()


def test_bars_scale_to_the_cap_and_a_week_over_it_is_marked(
    supervisor_client: FlaskClient, db: Session, programme: Programme, coach: Person
) -> None:
    _one_week(db, programme, coach, cap=1, hours=[15, 17])

    chart = supervision.coach_load(db, programme)
    (panel,) = load_chart.panels(chart)
    busy = [bar for bar in panel.bars if bar.draft_height or bar.scheduled_height]
    assert len(busy) == 1 and busy[0].over
    # Two sessions against a cap of one: the bar reaches the top, the cap line halfway.
    assert busy[0].scheduled_y == load_chart.TOP and busy[0].draft_height == 0
    assert panel.cap_y == load_chart.TOP + load_chart.PLOT / 2
    assert all(not bar.over for bar in panel.bars if bar is not busy[0])
    assert "over the cap in 1 week" in panel.summary

    page = supervisor_client.get("/supervisor/load").get_data(as_text=True)
    svg = re.findall(r"<svg .*?</svg>", page, re.S)
    assert len(svg) == 1
    assert 'role="img"' in svg[0] and "over the cap in 1 week" in svg[0]
    assert '<g class="week over">' in svg[0]
    assert re.search(r"<title>Week \d+: 2 of 1 sessions, over the cap</title>", svg[0])
    assert "http" not in svg[0]
    # The table with the same figures stays for screen readers.
    assert "<caption" in page and "2 of 1 sessions" in page


def test_a_week_under_the_cap_is_not_marked(
    supervisor_client: FlaskClient, db: Session, programme: Programme, coach: Person
) -> None:
    _one_week(db, programme, coach, cap=3, hours=[15])
    (panel,) = load_chart.panels(supervision.coach_load(db, programme))
    assert not any(bar.over for bar in panel.bars)
    assert panel.cap_y == load_chart.TOP
    page = supervisor_client.get("/supervisor/load").get_data(as_text=True)
    assert "week over" not in page
