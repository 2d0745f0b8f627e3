"""Pins place, and every reason a person reads is in their words, over the demo programme.

The demo is solved once per test module; a request the plain solve leaves out for want of
room is then pinned to a coach who could take it, and the re-solve places it there; a
request pinned to a coach who cannot take it gets a reason naming what blocks it and who
else could. No text shown to a person carries a rule number, a field name of the solver's
file format or an internal id.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator

import pytest
from sqlalchemy import select

import solver
from config import Settings
from scheduler.db import Database
from scheduler.demo import load_demo
from scheduler.models import Coach, Engagement, EngagementStatus, Programme, utcnow
from scheduler.services.planning import adjustments, review
from scheduler.services.planning.solving import solve_now
from scheduler.translator import build_instance, coach_pk, request_ref
from solver.calendar import Calendar
from solver.engagements import static_blocks
from tests.scheduler.conftest import make_settings

# Every key of coaching-instance/1 and coaching-solution/1 that is not also plain English.
FIELD_NAMES = (
    "earliest_start", "max_active_coachees", "active_coachees", "max_sessions_per_week", "max_sessions_per_day",
    "buffer_minutes", "coaching_hours_since_supervision", "next_supervision", "excluded_requests",
    "excluded_coaches", "preferred_coaches", "pinned_coach", "session_minutes", "min_gap_days", "max_gap_days",
    "submitted_at", "max_trainee_engagements", "active_trainee_engagements", "max_hours_between", "slot_minutes",
    "min_notice_hours", "capacity_over_time", "served_weight", "required_served", "active_engagements_end",
)  # fmt: skip
RULE_NUMBER = re.compile(r"\brule\s*\d+", re.IGNORECASE)
INTERNAL_ID = re.compile(r"\b[crs]\d+\b")


def assert_for_people(text: str) -> None:
    assert not RULE_NUMBER.search(text), text
    assert not INTERNAL_ID.search(text), text
    for name in FIELD_NAMES:
        assert name not in text, (name, text)


@pytest.fixture(scope="module")
def solved(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Database, Settings, int]]:
    from scheduler.schema import upgrade_to_head

    folder = tmp_path_factory.mktemp("pins")
    url = f"sqlite:///{folder / 'demo.db'}"
    upgrade_to_head(url)
    database = Database(url)
    settings = make_settings(folder, url, solver_time_limit=5.0, solver_workers=1)
    with database.sessions() as db, db.begin():
        load_demo(db, password="demo-password-1")
        programme_id = db.scalars(select(Programme.id)).one()
    solve_now(database, programme_id, settings)
    yield database, settings, programme_id
    database.dispose()


def _texts(database: Database, programme_id: int, reader: str | None = None) -> list[str]:
    with database.sessions() as db:
        programme = db.get_one(Programme, programme_id)
        draft = review.draft_review(db, programme, reader)
        texts = [reason for item in draft.unserved for reason in item.reasons]
        texts += [d["text"] for item in draft.unserved for d in item.details]
        texts += [line for item in draft.assignments for line in item.explanation]
        return texts


def test_every_reason_of_the_demo_reads_as_plain_words(solved: tuple[Database, Settings, int]) -> None:
    database, _settings, programme_id = solved
    texts = _texts(database, programme_id)
    assert len(texts) > 20
    for text in texts:
        assert_for_people(text)


def test_reasons_are_worded_in_the_readers_timezone(solved: tuple[Database, Settings, int]) -> None:
    database, _settings, programme_id = solved
    with database.sessions() as db:
        programme = db.get_one(Programme, programme_id)
        run = review.latest_run(db, programme)
        assert run is not None
        stored = [d for item in run.unassigned for d in item.get("details", [])]
        in_tokyo = [d for item in review.run_unserved(db, run, "Asia/Tokyo") for d in item["details"]]
        at_home = [d for item in review.run_unserved(db, run) for d in item["details"]]
    timed = [k for k, d in enumerate(stored) if d["code"] == "no_common_time"]
    assert timed, "the demo has a request no coach shares a time with"
    for k in timed:
        assert "Asia/Tokyo time" in in_tokyo[k]["text"] and f"{programme.timezone} time" in at_home[k]["text"]
        assert in_tokyo[k]["text"] != at_home[k]["text"]
        assert in_tokyo[k]["params"] == stored[k]["params"]  # codes and parameters kept for programs
    for text in _texts(database, programme_id, "America/New_York"):
        assert_for_people(text)


def test_the_word_check_catches_what_it_forbids() -> None:
    for bad in ("full (rule 5)", "no earliest_start fits", "c12 is full", "request r9"):
        with pytest.raises(AssertionError):
            assert_for_people(bad)
    assert_for_people("Ada Coach is full until 3 February 2027; a higher limit of coachees would make room")


def test_a_pinned_request_is_placed_with_its_full_coach(solved: tuple[Database, Settings, int]) -> None:
    """The newest drafted request is pinned to another coach who could take it but is full:
    its weight alone would never win that coach's room, the pin does."""
    database, settings, programme_id = solved
    with database.sessions() as db, db.begin():
        programme = db.get_one(Programme, programme_id)
        drafts = review.draft_review(db, programme).assignments
        lightest = max((a.engagement for a in drafts), key=lambda e: (-e.request.priority, e.request.submitted_at))
        instance = solver.parse_instance(build_instance(db, programme, utcnow()))
        load = Counter(a.engagement.coach_id for a in drafts)
        asked = instance.request_by_id[request_ref(lightest.request_id)]
        calendar = Calendar(instance)
        full_coach = next(
            coach_pk(other.id)
            for other in instance.coaches
            if coach_pk(other.id) != lightest.coach_id
            and load[coach_pk(other.id)] > 0
            and not static_blocks(instance, asked, other)
            and calendar.pair_times(asked, other).slots()
        )
        coach = db.get_one(Coach, full_coach)
        coach.max_active_coachees = load[full_coach]  # full with the draft as it stands
        adjustments.pin(db, programme, lightest.request_id, full_coach)
        request_id = lightest.request_id
    solve_now(database, programme_id, settings)
    with database.sessions() as db:
        placed = db.scalars(
            select(Engagement).where(
                Engagement.request_id == request_id, Engagement.status == EngagementStatus.DRAFT.value
            )
        ).all()
        assert [e.coach_id for e in placed] == [full_coach]


def test_a_pin_that_cannot_place_says_why_and_who_else_could(solved: tuple[Database, Settings, int]) -> None:
    database, settings, programme_id = solved
    with database.sessions() as db, db.begin():
        programme = db.get_one(Programme, programme_id)
        draft = review.draft_review(db, programme)
        # A drafted request, pinned to another coach who (from now on) speaks none of its languages.
        request = draft.assignments[0].engagement.request
        mute = next(c for c in db.scalars(select(Coach)) if c.id != draft.assignments[0].engagement.coach_id)
        mute.languages = ["sw"]
        adjustments.pin(db, programme, request.id, mute.id)
        request_id, mute_name = request.id, mute.name
    solve_now(database, programme_id, settings)
    with database.sessions() as db:
        draft = review.draft_review(db, db.get_one(Programme, programme_id))
        unserved = next(u for u in draft.unserved if u.request.id == request_id)
        text = " ".join(unserved.reasons)
        assert mute_name in text and "languages" in text
        assert "pinned" in {d["code"] for d in unserved.details}
        assert "unpinning it would let" in text and "take it" in text
        for reason in unserved.reasons:
            assert_for_people(reason)
