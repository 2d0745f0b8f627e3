"""The API for coaches (their own record, with their token) and for coachees (no account).

A coachee's private status token, the one in their e-mailed link, goes in the
`X-Status-Token` header: it never appears in a URL, so no log or referrer keeps it.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import current_app, g, jsonify, request
from flask.typing import ResponseReturnValue

from scheduler.models import AvailabilityException, Coach, CoachingSession, Engagement, RequestStatus, utc_text
from scheduler.queries import record_id
from scheduler.services import boundary
from scheduler.services.coaches import self_service
from scheduler.services.errors import InvalidInput, NotFound
from scheduler.services.requests import self_service as requests_self_service
from scheduler.services.requests import status as request_status
from scheduler.services.requests.intake import accept_proposal, cancel_request, decline_proposal, submit_request
from web.api.supervisor import bp, coach_json, declared, engagement_json, public
from web.errors import error_response
from web.helpers import current_programme, local
from web.rate_limits import mail_sending_limits
from web.security import role_required
from web.unit_of_work import db_session

F = TypeVar("F", bound=Callable[..., Any])


def coach_session_json(session: CoachingSession, timezone: str) -> dict[str, Any]:
    item = session.engagement.request
    return {
        "id": session.id,
        "start": utc_text(session.start_utc),
        "end": utc_text(session.end_utc),
        "local_start": local(session.start_utc, timezone).isoformat(),
        "local_end": local(session.end_utc, timezone).isoformat(),
        "timezone": timezone,
        "engagement_id": session.engagement_id,
        "coachee_name": item.coachee_name,
        "topics": item.topics,
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
@role_required("coach")
def my_sessions() -> ResponseReturnValue:
    coach: Coach = g.coach
    upcoming = self_service.upcoming_sessions(db_session(), coach)
    return jsonify({"timezone": coach.timezone, "sessions": [coach_session_json(s, coach.timezone) for s in upcoming]})


@bp.get("/me/engagements")
@role_required("coach")
def my_engagements() -> ResponseReturnValue:
    waiting = self_service.engagements_to_answer(db_session(), g.coach)
    return jsonify({"engagements": [engagement_json(e, []) for e in waiting]})


@bp.post("/me/engagements/<int:engagement_id>/accept", defaults={"answer": "accept"})
@bp.post("/me/engagements/<int:engagement_id>/decline", defaults={"answer": "decline"})
@role_required("coach")
def answer_engagement(engagement_id: int, answer: str) -> ResponseReturnValue:
    if record_id(engagement_id) is None:
        raise NotFound("That engagement is not one of yours.")
    engagement: Engagement = self_service.respond_to_engagement(
        db_session(), g.coach, engagement_id, accept=answer == "accept"
    )
    return jsonify(engagement_json(engagement, []))


@bp.get("/me/profile")
@role_required("coach")
def my_profile() -> ResponseReturnValue:
    return jsonify(coach_json(g.coach))


@bp.put("/me/profile")
@role_required("coach")
def put_profile() -> ResponseReturnValue:
    self_service.update_profile(db_session(), g.coach, current_programme(), declared(boundary.CoachProfile))
    return jsonify(coach_json(g.coach))


@bp.put("/me/capacity")
@role_required("coach")
def put_capacity() -> ResponseReturnValue:
    self_service.update_capacity(db_session(), g.coach, declared(boundary.Capacity))
    return jsonify(coach_json(g.coach))


@bp.get("/me/availability")
@role_required("coach")
def my_availability() -> ResponseReturnValue:
    return jsonify(availability_json(g.coach))


@bp.put("/me/availability")
@role_required("coach")
def put_availability() -> ResponseReturnValue:
    # PUT replaces: the whole documented shape is required, so a misspelt key or null never wipes it.
    self_service.set_weekly_availability(db_session(), g.coach, declared(boundary.WeeklyAvailability)["weekly"])
    return jsonify(availability_json(g.coach))


@bp.post("/me/availability/exceptions")
@role_required("coach")
def add_exception() -> ResponseReturnValue:
    data = declared(boundary.DateException)
    data = {**data, "available": "yes" if data["available"] else "no", "date": data["date"].isoformat()}
    self_service.add_exception(db_session(), g.coach, data)
    response = jsonify(availability_json(g.coach))
    response.status_code = 201
    return response


@bp.delete("/me/availability/exceptions/<int:exception_id>")
@role_required("coach")
def remove_exception(exception_id: int) -> ResponseReturnValue:
    self_service.remove_exception(db_session(), g.coach, exception_id)
    return jsonify(availability_json(g.coach))


# --- coachees ------------------------------------------------------------------------------


@bp.post("/coaching-requests")
@public
@mail_sending_limits
def submit_coaching_request() -> ResponseReturnValue:
    settings = current_app.config["SETTINGS"]
    submitted = submit_request(db_session(), current_programme(), declared(boundary.NewCoachingRequest), link_days=settings.coachee_link_days)
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


def _without_token() -> ResponseReturnValue:
    return error_response(401, "unauthorized", "Send the token of your private link in the X-Status-Token header.")


def _status_json(item: Any) -> ResponseReturnValue:
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
                {"id": s.id, "local_start": local(s.start_utc, tz).isoformat(), "local_end": local(s.end_utc, tz).isoformat()}
                for s in view.sessions
            ],
            # What they sent, as it stands now (they may change it while waiting).
            "topics": list(item.topics),
            "languages": list(item.languages),
            "sessions_wanted": item.sessions_wanted,
            "windows": item.windows,
            "no_coach_at_these_times": view.no_coach_at_these_times,
            "can_respond": view.can_respond,
            "can_cancel": view.can_cancel,
            "can_change": view.status == RequestStatus.WAITING,
        }
    )


def coachee_action(view: Callable[[Any], None]) -> Callable[..., ResponseReturnValue]:
    """A coachee's call with their status token: 401 without it, else the request as it now stands."""

    @public
    @wraps(view)
    def wrapper(**kwargs: Any) -> ResponseReturnValue:
        item = _status_request()
        if item is None:
            return _without_token()
        view(item, **kwargs)
        return _status_json(item)

    return wrapper


@bp.get("/coaching-requests/status")
@coachee_action
def coaching_request_status(item: Any) -> None:
    """Nothing changes: the request as it stands."""


@bp.patch("/coaching-requests/status")
@coachee_action
def change_coaching_request(item: Any) -> None:
    changes = declared(boundary.RequestChange, only_sent=True)
    if not changes:
        raise InvalidInput("Send at least one field to change.", {"body": "names no field to change"})
    requests_self_service.edit_waiting_request(db_session(), item, changes)


@bp.post("/coaching-requests/status/accept")
@coachee_action
def accept_coaching_proposal(item: Any) -> None:
    accept_proposal(db_session(), item)


@bp.post("/coaching-requests/status/decline")
@coachee_action
def decline_coaching_proposal(item: Any) -> None:
    decline_proposal(db_session(), item)


@bp.post("/coaching-requests/status/cancel")
@coachee_action
def cancel_coaching_request(item: Any) -> None:
    cancel_request(db_session(), item)


@bp.post("/coaching-requests/status/sessions/<int:session_id>/cancel")
@coachee_action
def cancel_coaching_session(item: Any, session_id: int) -> None:
    requests_self_service.cancel_one_session(db_session(), item, request_status.session_of_request(item, session_id))


@bp.post("/coaching-requests/status/another-coach")
@coachee_action
def ask_for_another_coach(item: Any) -> None:
    requests_self_service.ask_for_another_coach(db_session(), item)
