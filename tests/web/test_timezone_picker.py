"""The timezone picker: canonical zones only, each with its UTC offset, on every form asking a timezone."""

from __future__ import annotations

import datetime as dt
import re

from flask.testing import FlaskClient

from scheduler.models import Programme
from tests.web.conftest import Person, sign_in
from web.choices import timezone_names, timezone_options, utc_offset_label


def test_only_canonical_zones_are_offered() -> None:
    names = timezone_names()
    for current in ("Asia/Kolkata", "Europe/Kyiv", "America/New_York", "Europe/Amsterdam", "Asia/Tokyo", "UTC"):
        assert current in names
    for alias in ("Asia/Calcutta", "Europe/Kiev", "US/Eastern", "EST5EDT", "Etc/GMT+3", "GB", "Japan"):
        assert alias not in names
    assert len(names) < 507


def test_offsets_follow_daylight_saving_time() -> None:
    winter = dt.datetime(2027, 1, 15, 12, tzinfo=dt.UTC)
    summer = dt.datetime(2027, 7, 15, 12, tzinfo=dt.UTC)
    assert utc_offset_label("Europe/Brussels", winter) == "UTC+01:00"
    assert utc_offset_label("Europe/Brussels", summer) == "UTC+02:00"
    assert utc_offset_label("America/St_Johns", winter) == "UTC-03:30"
    assert utc_offset_label("Asia/Kolkata", summer) == "UTC+05:30"
    labels = dict(timezone_options(winter))
    assert labels["America/New_York"] == "America/New York (UTC-05:00)"


def _picker(html: str) -> tuple[str, list[str]]:
    field = re.search(r'<input id="timezone" name="timezone" list="timezone-zones" value="([^"]*)"', html)
    assert field is not None, "no timezone picker on the page"
    return field.group(1), re.findall(r'<option value="([^"]+)" label="[^"]+\(UTC[+-]\d\d:\d\d\)">', html)


def test_the_request_form_uses_the_picker_with_detection(client: FlaskClient, programme: Programme) -> None:
    html = client.get("/request").get_data(as_text=True)
    value, zones = _picker(html)
    assert value == programme.timezone
    assert tuple(zones) == timezone_names()
    assert "data-detect-timezone" in html
    assert '<select id="timezone"' not in html


def test_coach_and_supervisor_forms_use_the_picker(
    client: FlaskClient, coach: Person, supervisor: Person, programme: Programme
) -> None:
    sign_in(client, coach)
    _value, zones = _picker(client.get("/coach/profile").get_data(as_text=True))
    assert zones and "Asia/Calcutta" not in zones
    client.post("/logout")
    sign_in(client, supervisor)
    for page in ("/supervisor/settings", "/supervisor/coaches", "/supervisor/calendar"):
        html = client.get(page).get_data(as_text=True)
        _value, zones = _picker(html)
        assert tuple(zones) == timezone_names(), page
