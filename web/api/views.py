"""The JSON API, `/api/v1`: the supervisor's operations for programs, with bearer-token auth.

JSON in and out; every error is `{"error": {"code", "message", "fields"}}` (web.errors).
Tokens are issued on the supervisor's API-token page and stored hashed. There are no
cookies here, so no CSRF token either: a request without a valid bearer token gets 401.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import Blueprint, Response, current_app, g, jsonify, request, url_for
from flask.typing import ResponseReturnValue

from scheduler.models import Coach, CoachingRequest, CoachingSession, Engagement, Programme
from scheduler.services.accounts import users
from scheduler.services.coaches import staff
from scheduler.services.errors import InvalidInput, ServiceError
from scheduler.services.planning import adjustments, approval, review, supervision
from scheduler.services.programmes import settings as programme_settings
from scheduler.services.programmes.current import current_programme
from web.api.openapi import openapi_document
from web.errors import error_response
from web.extensions import csrf
from web.supervisor.jobs import run_json, start_solve
from web.unit_of_work import db_session

bp = Blueprint("api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)

F = TypeVar("F", bound=Callable[..., Any])


# --- authentication ----------------------------------------------------------------------


def _unauthorized(message: str) -> Response:
    response = error_response(401, "unauthorized", message)
    response.headers["WWW-Authenticate"] = 'Bearer realm="api"'
    return response


def public(view: F) -> F:
    """An endpoint that needs no bearer token (the document, a coachee's own request)."""
    view.api_public = True  # type: ignore[attr-defined]
    return view


@bp.before_request
def _authenticate() -> Response | None:
    g.api_account = None
    view = current_app.view_functions.get(request.endpoint or "")
    if view is None or getattr(view, "api_public", False):
        return None  # unknown paths get their 404/405 in the error format
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return _unauthorized("Send your API token as 'Authorization: Bearer <token>'.")
    account = users.user_for_api_token(db_session(), token.strip())
    if account is None:
        return _unauthorized("The API token is not valid (unknown, revoked or its account is deactivated).")
    g.api_account = account
    return None


def supervisor_only(view: F) -> F:
    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if g.api_account.user.role != "supervisor":
            return error_response(403, "forbidden", "Only the supervisor may do this.")
        return view(*args, **kwargs)

    return wrapped  # type: ignore[return-value]


class BadBody(ServiceError):
    """The request has no JSON object to read (400, unlike a readable but invalid one: 422)."""

    code = "bad_request"


def body() -> dict[str, Any]:
    """The request's JSON object, or a 400 naming the body."""
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise BadBody("Send a JSON object with Content-Type: application/json.", {"body": "must be a JSON object"})
    return data


def programme() -> Programme:
    return current_programme(db_session(), current_app.config.get("PROGRAMME_ID"))


# --- representations ---------------------------------------------------------------------


def _instant(value: dt.datetime | None) -> str | None:
    return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ") if value else None


def session_json(session: CoachingSession) -> dict[str, Any]:
    return {"id": session.id, "start": _instant(session.start_utc), "end": _instant(session.end_utc),
            "status": session.status}  # fmt: skip


def coach_json(coach: Coach) -> dict[str, Any]:
    return {
        "id": coach.id,
        "name": coach.name,
        "email": coach.email,
        "timezone": coach.timezone,
        "languages": coach.languages,
        "topics": coach.topics,
        "level": coach.level,
        "supervisor_id": coach.supervisor_id,
        "organisation": coach.organisation,
        "active": coach.active,
        "max_active_coachees": coach.max_active_coachees,
        "max_sessions_per_week": coach.max_sessions_per_week,
        "max_sessions_per_day": coach.max_sessions_per_day,
    }


def request_json(item: CoachingRequest) -> dict[str, Any]:
    return {
        "id": item.id,
        "coachee_name": item.coachee_name,
        "timezone": item.timezone,
        "languages": item.languages,
        "topics": item.topics,
        "sessions_wanted": item.sessions_wanted,
        "priority": item.priority,
        "sensitive": item.sensitive,
        "status": item.status,
        "submitted_at": _instant(item.submitted_at),
        "pinned_coach_id": item.pinned_coach_id,
        "excluded_coach_ids": list(item.excluded_coach_ids),
    }


def engagement_json(engagement: Engagement, explanation: list[str] | None = None) -> dict[str, Any]:
    return {
        "id": engagement.id,
        "request_id": engagement.request_id,
        "coach_id": engagement.coach_id,
        "coach_name": engagement.coach.name,
        "status": engagement.status,
        "score": engagement.score or {},
        "explanation": explanation if explanation is not None else review.explain_assignment(engagement),
        "sessions": [session_json(s) for s in engagement.sessions],
    }


def _adjusted(item: CoachingRequest, data: dict[str, Any]) -> ResponseReturnValue:
    """The adjusted request; with `resolve`, the re-solve too (the change stays if one is running: 409)."""
    payload: dict[str, Any] = {"request": request_json(item), "solve_run": None}
    if data.get("resolve"):
        db_session().commit()
        payload["solve_run"] = run_json(start_solve(programme()))
    return jsonify(payload)


# --- endpoints ---------------------------------------------------------------------------


@bp.get("/openapi.json")
@public
def openapi() -> ResponseReturnValue:
    return jsonify(openapi_document(url_for("api.openapi", _external=False).removesuffix("/openapi.json")))


@bp.get("/me")
def me() -> ResponseReturnValue:
    account = g.api_account
    return jsonify(
        {
            "id": account.user.id,
            "email": account.user.email,
            "role": account.user.role,
            "coach_id": account.coach.id if account.coach else None,
            "supervisor_id": account.supervisor.id if account.supervisor else None,
        }
    )


@bp.get("/programme")
@supervisor_only
def get_programme() -> ResponseReturnValue:
    prog = programme()
    return jsonify({"id": prog.id, **programme_settings.settings_of(prog)})


@bp.patch("/programme")
@supervisor_only
def patch_programme() -> ResponseReturnValue:
    prog = programme_settings.update_settings(db_session(), programme(), body(), partial=True)
    return jsonify({"id": prog.id, **programme_settings.settings_of(prog)})


@bp.get("/requests")
@supervisor_only
def list_requests() -> ResponseReturnValue:
    queue = review.request_queue(db_session(), programme())
    return jsonify(
        {
            "requests": [
                {
                    **request_json(entry.request),
                    "position": entry.position,
                    "waiting_seconds": int(entry.waiting.total_seconds()),
                    "draft_coach_id": entry.draft.coach_id if entry.draft else None,
                }
                for entry in queue
            ]
        }
    )


def _request(request_id: int) -> CoachingRequest:
    return adjustments.programme_request(db_session(), programme(), request_id)


@bp.get("/requests/<int:request_id>")
@supervisor_only
def get_request(request_id: int) -> ResponseReturnValue:
    item = _request(request_id)
    return jsonify({**request_json(item), "engagements": [engagement_json(e) for e in item.engagements]})


@bp.put("/requests/<int:request_id>/pin")
@supervisor_only
def pin_request(request_id: int) -> ResponseReturnValue:
    data = body()
    return _adjusted(adjustments.pin(db_session(), programme(), request_id, data.get("coach_id")), data)


@bp.delete("/requests/<int:request_id>/pin")
@supervisor_only
def unpin_request(request_id: int) -> ResponseReturnValue:
    return _adjusted(adjustments.unpin(db_session(), programme(), request_id), {})


@bp.post("/requests/<int:request_id>/forbidden-coaches")
@supervisor_only
def forbid_coach(request_id: int) -> ResponseReturnValue:
    data = body()
    return _adjusted(adjustments.forbid(db_session(), programme(), request_id, data.get("coach_id")), data)


@bp.delete("/requests/<int:request_id>/forbidden-coaches/<int:coach_id>")
@supervisor_only
def allow_coach(request_id: int, coach_id: int) -> ResponseReturnValue:
    return _adjusted(adjustments.allow(db_session(), programme(), request_id, coach_id), {})


@bp.post("/requests/<int:request_id>/reassign")
@supervisor_only
def reassign_request(request_id: int) -> ResponseReturnValue:
    data = body()
    return _adjusted(adjustments.reassign(db_session(), programme(), request_id, data.get("coach_id")), data)


@bp.post("/solve-runs")
@supervisor_only
def create_solve_run() -> ResponseReturnValue:
    run = start_solve(programme())
    response = jsonify(run_json(run))
    response.status_code = 202
    response.headers["Location"] = url_for("api.get_solve_run", run_id=run.id)
    return response


@bp.get("/solve-runs")
@supervisor_only
def list_solve_runs() -> ResponseReturnValue:
    return jsonify({"solve_runs": [run_json(r) for r in review.recent_runs(db_session(), programme())]})


@bp.get("/solve-runs/<int:run_id>")
@supervisor_only
def get_solve_run(run_id: int) -> ResponseReturnValue:
    run = review.programme_run(db_session(), programme(), run_id)
    return jsonify({**(run_json(run) or {}), "unassigned": run.unassigned or []})


@bp.get("/draft")
@supervisor_only
def get_draft() -> ResponseReturnValue:
    draft = review.draft_review(db_session(), programme())
    return jsonify(
        {
            "solve_run": run_json(draft.run),
            "assignments": [engagement_json(a.engagement, a.explanation) for a in draft.assignments],
            "unserved": [{"request_id": u.request.id, "reasons": u.reasons} for u in draft.unserved],
        }
    )


@bp.post("/draft/approve")
@supervisor_only
def approve_draft() -> ResponseReturnValue:
    data = body()
    ids = data.get("engagement_ids")
    if data.get("all") is True:
        chosen = None
    elif isinstance(ids, list) and ids and all(isinstance(i, int) and not isinstance(i, bool) for i in ids):
        chosen = ids
    else:
        raise InvalidInput(
            "Say which engagements to approve.",
            {"engagement_ids": "give a non-empty list of engagement ids, or set all to true"},
        )
    approved = approval.approve(db_session(), programme(), chosen)
    return jsonify({"approved": [engagement_json(e) for e in approved]})


@bp.get("/coaches")
@supervisor_only
def list_coaches() -> ResponseReturnValue:
    return jsonify({"coaches": [coach_json(c) for c in staff.list_coaches(db_session(), programme())]})


@bp.post("/coaches")
@supervisor_only
def invite_coach() -> ResponseReturnValue:
    invitation = staff.invite_coach(db_session(), programme(), body())
    response = jsonify({**coach_json(invitation.coach), "invited": True})
    response.status_code = 201
    response.headers["Location"] = url_for("api.get_coach", coach_id=invitation.coach.id)
    return response


@bp.get("/coaches/<int:coach_id>")
@supervisor_only
def get_coach(coach_id: int) -> ResponseReturnValue:
    return jsonify(coach_json(staff.get_coach(db_session(), programme(), coach_id)))


@bp.patch("/coaches/<int:coach_id>")
@supervisor_only
def patch_coach(coach_id: int) -> ResponseReturnValue:
    data = body()
    db, prog = db_session(), programme()
    coach = staff.get_coach(db, prog, coach_id)
    if unknown := sorted(set(data) - {"level", "supervisor_id", "active"}):
        raise InvalidInput(
            "Only level, supervisor_id and active can be changed.", dict.fromkeys(unknown, "cannot be changed here")
        )
    if "active" in data and not isinstance(data["active"], bool):
        raise InvalidInput("active must be true or false.", {"active": "must be true or false"})
    if "level" in data or "supervisor_id" in data:
        staff.set_level(
            db, prog, coach_id, data.get("level", coach.level), data.get("supervisor_id", coach.supervisor_id)
        )
    if data.get("active") is False and coach.active:
        staff.deactivate(db, prog, coach_id)
    elif data.get("active") is True and not coach.active:
        staff.reactivate(db, prog, coach_id)
    return jsonify(coach_json(coach))


@bp.get("/load")
@supervisor_only
def get_load() -> ResponseReturnValue:
    chart = supervision.coach_load(db_session(), programme(), include_drafts=request.args.get("drafts", "1") != "0")
    return jsonify(
        {
            "weeks": [{"week": w.label, "monday": w.monday.isoformat()} for w in chart.weeks],
            "coaches": [
                {
                    "coach_id": row.coach.id,
                    "name": row.coach.name,
                    "cap": row.coach.max_sessions_per_week,
                    "weeks": [
                        {"week": c.week.label, "scheduled": c.scheduled, "draft": c.draft, "over_cap": c.over}
                        for c in row.weeks
                    ],
                }
                for row in chart.coaches
            ],
        }
    )


@bp.get("/calendar")
@supervisor_only
def get_calendar() -> ResponseReturnValue:
    prog = programme()
    calendar = supervision.session_calendar(
        db_session(),
        prog,
        timezone=request.args.get("timezone") or None,
        start=request.args.get("start"),
        days=request.args.get("days", "28"),
        include_drafts=request.args.get("drafts") == "1",
    )
    return jsonify(
        {
            "timezone": calendar.timezone,
            "start": calendar.start.isoformat(),
            "end": calendar.end.isoformat(),
            "sessions": [
                {
                    **session_json(entry.session),
                    "local_start": entry.local_start.isoformat(),
                    "local_end": entry.local_end.isoformat(),
                    "coach_id": entry.coach.id,
                    "coach_name": entry.coach.name,
                    "request_id": entry.request.id,
                    "coachee_name": entry.request.coachee_name,
                }
                for day in calendar.days
                for entry in day.entries
            ],
        }
    )


@bp.get("/supervision")
@supervisor_only
def get_supervision() -> ResponseReturnValue:
    ledger = supervision.supervision_ledger(db_session(), programme())
    return jsonify(
        {
            "coaches": [
                {
                    "coach_id": line.coach.id,
                    "name": line.coach.name,
                    "level": line.coach.level,
                    "max_hours": line.max_hours,
                    "recorded_hours": line.recorded_hours,
                    "booked_hours": line.booked_hours,
                    "draft_hours": line.draft_hours,
                    "remaining_hours": line.remaining_hours,
                    "next_supervision": _instant(line.coach.next_supervision),
                    "blocked": line.blocked,
                    "blocked_reasons": line.blocked_reasons,
                }
                for line in ledger.coaches
            ],
            "supervisors": [
                {
                    "supervisor_id": load.supervisor.id,
                    "name": load.supervisor.name,
                    "trainee_ids": [c.id for c in load.trainees],
                    "active_trainee_engagements": load.active_trainee_engagements,
                    "draft_trainee_engagements": load.draft_trainee_engagements,
                    "max_trainee_engagements": load.max,
                    "full": load.full,
                }
                for load in ledger.supervisors
            ],
        }
    )
