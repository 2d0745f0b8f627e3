"""Reasons in the reader's timezone: weekly times and instants as they fall where the reader is.

A supervisor in Brussels reads a Tokyo coachee's evening as Brussels mornings; the same
reason read in New York or Kolkata moves with the reader, splits at the reader's midnight,
and follows the clock changes of the week it speaks of. Reasons that name no time of day
read the same everywhere.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import solver
from solver import Reason, parse_instance
from solver.domain import WEEKDAYS
from solver.explanations import _pattern_in
from tests.solver import builders
from tests.solver.test_properties import programmes
from tests.solver.test_reason_words import check_plain_words

READERS = ("Europe/Brussels", "America/New_York", "Asia/Kolkata", "Asia/Tokyo", "Pacific/Auckland")


def _no_common_time(frm: str = "2027-01-11") -> Reason:
    return Reason(
        "no_common_time",
        "stored words",
        {
            "coaches": ["c1"],
            "from": frm,
            "until": "2027-06-30",
            "availability": {"mon": [["09:00", "12:00"]]},
            "coach_timezone": "Europe/Brussels",
            "windows": {"tue": [["06:00", "08:00"]]},
            "coachee_timezone": "Asia/Tokyo",
        },
    )


def test_weekly_times_move_to_the_readers_zone_and_split_at_their_midnight() -> None:
    text = solver.for_reader(_no_common_time(), "Europe/Brussels").text
    # Tokyo 06:00-08:00 on Tuesdays is 22:00-24:00 on Mondays in Brussels in January (8 hours behind).
    assert "c1 is available Mondays 09:00-12:00 and the coachee can meet Mondays 22:00-24:00" in text
    assert "(both in Europe/Brussels time)" in text
    tokyo = solver.for_reader(_no_common_time(), "Asia/Tokyo").text
    assert "available Mondays 17:00-20:00 and the coachee can meet Tuesdays 06:00-08:00" in tokyo
    kolkata = solver.for_reader(_no_common_time(), "Asia/Kolkata").text
    assert "Mondays 13:30-16:30" in kolkata and "Tuesdays 02:30-04:30" in kolkata


def test_the_week_the_reason_speaks_of_decides_the_clock_change() -> None:
    # From April on Brussels keeps summer time: 7 hours behind Tokyo, one less than in January.
    summer = solver.for_reader(_no_common_time("2027-04-05"), "Europe/Brussels").text
    assert "the coachee can meet Mondays 23:00-24:00, Tuesdays 00:00-01:00" in summer
    new_york = solver.for_reader(_no_common_time("2027-04-05"), "America/New_York").text
    assert "available Mondays 03:00-06:00" in new_york and "Mondays 17:00-19:00" in new_york


def test_without_a_reader_each_side_keeps_its_own_zone_named() -> None:
    instance = parse_instance(_programme_without_common_time())
    (unserved,) = solver.greedy(instance).unassigned
    (detail,) = unserved.details
    assert detail.code == "no_common_time"
    assert "Mondays 09:00-12:00 (Europe/Brussels)" in detail.text
    assert "Tuesdays 06:00-08:00 (Asia/Tokyo)" in detail.text
    reader = solver.for_reader(detail, "Europe/Brussels")
    assert "Mondays 22:00-24:00" in reader.text and reader.params == detail.params


def test_an_instant_at_the_cap_is_told_at_the_readers_hour() -> None:
    full = Reason("coach_full_until", "stored", {"coaches": ["c3"], "engagements": 2, "until": "2027-04-12T22:30:00Z"})
    brussels = solver.for_reader(full, "Europe/Brussels").text
    assert "c3 is at two coachees at once until 13 April 2027 at 00:30 (Europe/Brussels)" in brussels
    assert "until 12 April 2027 at 18:30 (America/New_York)" in solver.for_reader(full, "America/New_York").text
    supervisor = Reason("supervisor_full_until", "stored", {**full.params})
    assert "the supervisor of c3 is at two trainee engagements" in solver.for_reader(supervisor, "Asia/Tokyo").text


def test_reasons_without_a_time_of_day_and_old_stored_ones_read_unchanged() -> None:
    plain = Reason("coach_full", "c1 has as many coachees as they take", {"coaches": ["c1"]})
    assert solver.for_reader(plain, "Asia/Tokyo") == plain
    old = Reason("no_common_time", "words stored before parameters were kept", {"coaches": ["c1"]})
    assert solver.for_reader(old, "Asia/Tokyo") == old


@settings(max_examples=60, deadline=None, derandomize=True)
@given(
    st.sampled_from(WEEKDAYS),
    st.integers(0, 47),
    st.integers(1, 48),
    st.sampled_from(READERS),
    st.sampled_from(READERS),
    st.dates(date(2027, 1, 4), date(2027, 12, 20)),
)
def test_a_moved_week_keeps_every_minute_within_the_readers_days(
    day: str, start: int, length: int, source: str, reader: str, week_of: date
) -> None:
    end = min(48, start + length)

    def hhmm(half_hours: int) -> str:
        return f"{half_hours // 2:02d}:{30 * (half_hours % 2):02d}"

    pattern = {day: [[hhmm(start), hhmm(end)]]}
    moved = _pattern_in(pattern, source, reader, week_of)
    spans = [span for day_spans in moved.values() for span in day_spans]
    # A clock change inside the interval is the only way to gain or lose time: an hour at most.
    assert abs(sum(b - a for a, b in spans) - 30 * (end - start)) in (0, 60)
    assert all(0 <= a < b <= 1440 for a, b in spans)
    assert _pattern_in(pattern, source, source, week_of) == {day: ((30 * start, 30 * end),)}


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True)
@given(st.booleans().flatmap(lambda flag: programmes(max_coaches=3, max_requests=6, tiny=False, over_time=flag)))
def test_reasons_worded_for_any_reader_read_as_plain_words(data: dict[str, Any]) -> None:
    for reader in READERS:
        check_plain_words(data, reader)


def _programme_without_common_time() -> dict[str, Any]:
    """One Brussels coach free on Monday mornings, one Tokyo coachee free early on Tuesdays."""
    return builders.instance(
        coaches=[builders.coach(weekly={"mon": [["09:00", "12:00"]]})],
        requests=[builders.request(timezone="Asia/Tokyo", windows={"tue": [["06:00", "08:00"]]})],
    )
