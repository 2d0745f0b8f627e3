"""The API for coaches (their own record, with their token) and for coachees (no account).

A coachee's private status token, the one in their e-mailed link, goes in the
`X-Status-Token` header: it never appears in a URL, so no log or referrer keeps it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from flask import current_app, g, jsonify, request
from flask.typing import ResponseReturnValue

from scheduler.models import AvailabilityException, Coach, CoachingSession, Engagement
from scheduler.services.coaches import self_service
from scheduler.services.errors import NotFound
from scheduler.services.planning.adjustments import record_id
from scheduler.services.requests import status as request_status
from scheduler.services.requests.intake import accept_proposal, cancel_request, decline_proposal, submit_request
from web.api.views import body, bp, engagement_json, programme, public
from web.errors import error_response
from web.unit_of_work import db_session

F = TypeVar("F", bound=Callable[..., Any])


def coach_only(view: F) -> F:
    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        account = g.api_account
        if account.user.role != "coach" or account.coach is None:
            return error_response(403, "forbidden", "Only a coach may do this, with their own token.")
        g.coach = account.coach
        return view(*args, **kwargs)

    return wrapped  # type: ignore[return-value]


def _local(value: dt.datetime, timezone: str) -> str:
    return value.astimezone(ZoneInfo(timezone)).isoformat()


def coach_session_json(session: CoachingSession, timezone: str) -> dict[str, Any]:
    item = session.engagement.request
    return {
        "id": session.id,
        "start": session.start_utc.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "end": session.end_utc.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "local_start": _local(session.start_utc, timezone),
        "local_end": _local(session.end_utc, timezone),
        "timezone": timezone,
        "engagement_id": session.engagement_id,
        "coachee_name": item.coachee_name,
        "topics": item.topics,
    }


def profile_json(coach: Coach) -> dict[str, Any]:
    return {
        "id": coach.id,
        "name": coach.name,
        "email": coach.email,
        "timezone": coach.timezone,
        "languages": coach.languages,
        "topics": coach.topics,
        "level": coach.level,
        "capacity": {name: getattr(coach, name) for name in self_service.CAPACITY_FIELDS},
    }


def availability_json(coach: Coach) -> dict[str, Any]:
    def exception_json(e: AvailabilityException) -> dict[str, Any]:
        return {
            "id": e.id,
            "date": e.date.isoformat(),
            "start": e.start.strftime("%H:%M") if e.start else None,
            "end": e.end.strftime("%H:%M") if e.end else None,
        }

    return {
        "timezone": coach.timezone,
        "weekly": self_service.weekly_windows(coach),
        "exceptions": [exception_json(e) for e in coach.exceptions],
    }


# --- coaches -------------------------------------------------------------------------------


@bp.get("/me/sessions")
@coach_only
def my_sessions() -> ResponseReturnValue:
    coach: Coach = g.coach
    upcoming = self_service.upcoming_sessions(db_session(), coach)
    return jsonify({"timezone": coach.timezone, "sessions": [coach_session_json(s, coach.timezone) for s in upcoming]})


@bp.get("/me/engagements")
@coach_only
def my_engagements() -> ResponseReturnValue:
    waiting = self_service.engagements_to_answer(db_session(), g.coach)
    return jsonify({"engagements": [engagement_json(e, []) for e in waiting]})


@bp.post("/me/engagements/<int:engagement_id>/accept", defaults={"answer": "accept"})
@bp.post("/me/engagements/<int:engagement_id>/decline", defaults={"answer": "decline"})
@coach_only
def answer_engagement(engagement_id: int, answer: str) -> ResponseReturnValue:
    if record_id(engagement_id) is None:
        raise NotFound("That engagement is not one of yours.")
    engagement: Engagement = self_service.respond_to_engagement(
        db_session(), g.coach, engagement_id, accept=answer == "accept"
    )
    return jsonify(engagement_json(engagement, []))


@bp.get("/me/profile")
@coach_only
def my_profile() -> ResponseReturnValue:
    return jsonify(profile_json(g.coach))


@bp.put("/me/profile")
@coach_only
def put_profile() -> ResponseReturnValue:
    self_service.update_profile(db_session(), g.coach, programme(), body())
    return jsonify(profile_json(g.coach))


@bp.put("/me/capacity")
@coach_only
def put_capacity() -> ResponseReturnValue:
    self_service.update_capacity(db_session(), g.coach, body())
    return jsonify(profile_json(g.coach))


@bp.get("/me/availability")
@coach_only
def my_availability() -> ResponseReturnValue:
    return jsonify(availability_json(g.coach))


@bp.put("/me/availability")
@coach_only
def put_availability() -> ResponseReturnValue:
    self_service.set_weekly_availability(db_session(), g.coach, body().get("weekly"))
    return jsonify(availability_json(g.coach))


@bp.post("/me/availability/exceptions")
@coach_only
def add_exception() -> ResponseReturnValue:
    data = body()
    if "available" in data and isinstance(data["available"], bool):
        data = {**data, "available": "yes" if data["available"] else "no"}
    self_service.add_exception(db_session(), g.coach, data)
    response = jsonify(availability_json(g.coach))
    response.status_code = 201
    return response


@bp.delete("/me/availability/exceptions/<int:exception_id>")
@coach_only
def remove_exception(exception_id: int) -> ResponseReturnValue:
    self_service.remove_exception(db_session(), g.coach, exception_id)
    return jsonify(availability_json(g.coach))


# --- coachees ------------------------------------------------------------------------------


@bp.post("/coaching-requests")
@public
def submit_coaching_request() -> ResponseReturnValue:
    settings = current_app.config["SETTINGS"]
    submitted = submit_request(db_session(), programme(), body(), link_days=settings.coachee_link_days)
    # The status token goes to the coachee's e-mail only: whoever calls this may not be them.
    response = jsonify(
        {
            "id": submitted.request.id,
            "status": submitted.request.status,
            "link_sent_to": submitted.request.coachee_email,
        }
    )
    response.status_code = 201
    return response


def _status_request() -> Any:
    token = request.headers.get("X-Status-Token", "").strip()
    if not token:
        return None
    return request_status.request_for_token(db_session(), token)


def _status_json() -> ResponseReturnValue:
    item = _status_request()
    if item is None:
        return error_response(401, "unauthorized", "Send the token of your private link in the X-Status-Token header.")
    view = request_status.overview(db_session(), item)
    tz = item.timezone
    return jsonify(
        {
            "id": item.id,
            "status": view.status,
            "timezone": tz,
            "waiting_days": view.waiting_for.days,
            "queue_position": view.queue_position,
            "waiting_total": view.waiting_total,
            "coach_name": view.coach.name if view.coach else None,
            "sessions": [
                {"id": s.id, "local_start": _local(s.start_utc, tz), "local_end": _local(s.end_utc, tz)}
                for s in view.sessions
            ],
            "can_respond": view.can_respond,
            "can_cancel": view.can_cancel,
        }
    )


@bp.get("/coaching-requests/status")
@public
def coaching_request_status() -> ResponseReturnValue:
    return _status_json()


@bp.post("/coaching-requests/status/accept", defaults={"action": "accept"})
@bp.post("/coaching-requests/status/decline", defaults={"action": "decline"})
@bp.post("/coaching-requests/status/cancel", defaults={"action": "cancel"})
@public
def coaching_request_action(action: str) -> ResponseReturnValue:
    item = _status_request()
    if item is None:
        return error_response(401, "unauthorized", "Send the token of your private link in the X-Status-Token header.")
    db = db_session()
    {"accept": accept_proposal, "decline": decline_proposal, "cancel": cancel_request}[action](db, item)
    return _status_json()
