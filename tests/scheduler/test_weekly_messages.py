"""Availability and windows that cannot be read name the weekday in full."""

from __future__ import annotations

import pytest

from scheduler.weekly import WindowError, parse_weekly


def test_overlapping_times_name_the_day_and_both_times() -> None:
    with pytest.raises(WindowError) as caught:
        parse_weekly("mon 09:00-12:00; wed 10:00-12:00, 11:00-13:00")
    assert str(caught.value).startswith("Wednesday: 10:00-12:00 and 11:00-13:00 overlap")


def test_touching_times_on_one_day_are_accepted() -> None:
    assert parse_weekly("wed 10:00-12:00, 12:00-13:00") == {"wed": [["10:00", "12:00"], ["12:00", "13:00"]]}


def test_an_end_before_its_start_names_the_day() -> None:
    with pytest.raises(WindowError, match=r"^Friday: end 08:00 is not after start 09:00$"):
        parse_weekly({"fri": [["09:00", "08:00"]]})
