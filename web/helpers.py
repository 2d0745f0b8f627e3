"""Small things every blueprint needs once: the programme a page works on, where a person
starts, and instants shown on a person's wall clock."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from flask import current_app, url_for
from markupsafe import Markup

from scheduler.models import Programme
from scheduler.services.programmes.current import current_programme as _current_programme
from web.unit_of_work import db_session


def current_programme() -> Programme:
    """The programme this app serves (`PROGRAMME_ID`, else the first)."""
    return _current_programme(db_session(), current_app.config.get("PROGRAMME_ID"))


def home_for(role: str) -> str:
    """Where a signed-in person of `role` starts."""
    endpoint = {"coach": "coach.dashboard", "supervisor": "supervisor.index"}.get(role)
    if endpoint and endpoint in current_app.view_functions:
        return url_for(endpoint)
    return url_for("requests.new_request")


# How an instant reads on a wall clock, unless a page asks for less (`localtime`, `when`).
WALL_CLOCK = "%a %d %b %Y, %H:%M"


def localtime(value: dt.datetime, timezone: str, fmt: str = WALL_CLOCK) -> str:
    """An instant shown on the wall clock of `timezone` (the `localtime` template filter)."""
    return local(value, timezone).strftime(fmt)


def zone_abbreviation(value: dt.datetime, timezone: str) -> str:
    """The zone's abbreviation at that instant (CET or CEST, EST or EDT)."""
    return local(value, timezone).strftime("%Z")


def when(value: dt.datetime, timezone: str) -> Markup:
    """An instant as a <time> on the wall clock of `timezone`, with the zone's abbreviation and
    name (the `when` template filter; a filter, not a macro: the draft page shows hundreds)."""
    wall = local(value, timezone)
    return Markup('<time datetime="{}">{} {}</time> <span class="zone">({})</span>').format(
        value.isoformat(), wall.strftime(WALL_CLOCK), wall.strftime("%Z"), timezone
    )


def local(value: dt.datetime, timezone: str) -> dt.datetime:
    """The same instant on the wall clock of `timezone` (the API writes it with `.isoformat()`)."""
    return value.astimezone(ZoneInfo(timezone))
