"""The JSON API, `/api/v1`: the supervisor's operations, and what every endpoint shares
(the blueprint, the bearer-token check, reading the body, the JSON shapes). The coach's and
the coachee's endpoints are in `web.api.coach_and_coachee`.

JSON in and out; every error is `{"error": {"code", "message", "fields"}}` (web.errors).
Tokens are issued on the supervisor's API-token page and stored hashed. There are no
cookies here, so no CSRF token either: a request without a valid bearer token gets 401.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any, TypeVar

from flask import Blueprint, Response, current_app, g, jsonify, request, url_for
from flask.typing import ResponseReturnValue

from scheduler.models import Coach, CoachingRequest, CoachingSession, Engagement, utc_text
from scheduler.services import boundary
from scheduler.services.accounts import users
from scheduler.services.coaches import self_service, staff
from scheduler.services.errors import Conflict, InvalidInput, ServiceError
from scheduler.services.fields import valid_timezone
from scheduler.services.planning import adjustments, approval, review, solving, supervision
from scheduler.services.programmes import settings as programme_settings
from web.api.openapi import openapi_document, query_problems
from web.errors import error_response
from web.extensions import csrf
from web.helpers import current_programme
from web.rate_limits import api_token_limit
from web.security import role_required
from web.supervisor.solve_runs import run_json
from web.unit_of_work import db_session, keep_changes

bp = Blueprint("api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)
api_token_limit()(bp)

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
    g.coach = account.coach  # a coach's own record, for the coach endpoints (None for the supervisor)
    return None


class BadBody(ServiceError):
    """The request has no JSON object to read (400, unlike a readable but invalid one: 422)."""

    code = "bad_request"


def body() -> dict[str, Any]:
    """The request's JSON object, or a 400 naming the body."""
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise BadBody("Send a JSON object with Content-Type: application/json.", {"body": "must be a JSON object"})
    return data


def declared(declaration: type[boundary.Declaration], *, only_sent: bool = False) -> dict[str, Any]:
    """The body read under its declaration: 400 without a JSON object, 422 naming each bad field."""
    return boundary.read(declaration, body(), only_sent=only_sent)


def reader_zone() -> str | None:
    """The `timezone` query parameter: the zone a reader wants times told in, if known."""
    zone = request.args.get("timezone")
    if zone is not None and not valid_timezone(zone):
        raise InvalidInput("The query parameters have problems: timezone", {"timezone": f"{zone!r} is not a known timezone"})
    return zone


@bp.before_request
def _known_query_parameters() -> None:
    """Query parameters are checked against the document: an unknown one or a value off its schema is a 422."""
    if request.url_rule is None or not request.args:
        return
    rule = request.url_rule.rule.removeprefix(bp.url_prefix or "")
    if problems := query_problems(rule, request.method, request.args):
        raise InvalidInput("The query parameters have problems: " + ", ".join(problems), problems)


# --- representations ---------------------------------------------------------------------


def _instant(value: dt.datetime | None) -> str | None:
    return utc_text(value) if value else None


def session_json(session: CoachingSession) -> dict[str, Any]:
    return {"id": session.id, "start": _instant(session.start_utc), "end": _instant(session.end_utc),
            "status": session.status}  # fmt: skip


COACH_FORMAT = "coach/2"  # coach/1 had two shapes: the supervisor's (flat caps) and the coach's own (no supervisor)


def coach_json(coach: Coach) -> dict[str, Any]:
    """A coach, the one shape the supervisor's and the coach's own endpoints answer with."""
    return {
        "format": COACH_FORMAT,
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
        "capacity": {name: getattr(coach, name) for name in self_service.CAPACITY_FIELDS},
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
        try:
            payload["solve_run"] = run_json(solving.queue_solve(db_session(), current_programme()))
        except Conflict as exc:
            keep_changes()  # the adjustment stands; only the re-solve is refused
            return error_response(409, exc.code, exc.message, exc.fields)
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
@role_required("supervisor")
def get_programme() -> ResponseReturnValue:
    prog = current_programme()
    return jsonify({"id": prog.id, **programme_settings.settings_of(prog)})


@bp.patch("/programme")
@role_required("supervisor")
def patch_programme() -> ResponseReturnValue:
    changes = declared(boundary.ProgrammeChange, only_sent=True)
    prog = programme_settings.update_settings(db_session(), current_programme(), changes, partial=True)
    return jsonify({"id": prog.id, **programme_settings.settings_of(prog)})


@bp.get("/requests")
@role_required("supervisor")
def list_requests() -> ResponseReturnValue:
    queue = review.request_queue(db_session(), current_programme())
    return jsonify(
        {
            "requests": [
                {
                    **request_json(entry.request),
                    "position": entry.position,
                    "waiting_seconds": int(entry.waiting.total_seconds()),
                    "draft_coach_id": entry.draft_coach.id if entry.draft_coach else None,
                }
                for entry in queue
            ]
        }
    )


def _request(request_id: int) -> CoachingRequest:
    return adjustments.programme_request(db_session(), current_programme(), request_id)


@bp.get("/requests/<int:request_id>")
@role_required("supervisor")
def get_request(request_id: int) -> ResponseReturnValue:
    item = _request(request_id)
    return jsonify({**request_json(item), "engagements": [engagement_json(e) for e in item.engagements]})


@bp.put("/requests/<int:request_id>/pin")
@role_required("supervisor")
def pin_request(request_id: int) -> ResponseReturnValue:
    data = declared(boundary.CoachChoice)
    return _adjusted(adjustments.pin(db_session(), current_programme(), request_id, data.get("coach_id")), data)


@bp.delete("/requests/<int:request_id>/pin")
@role_required("supervisor")
def unpin_request(request_id: int) -> ResponseReturnValue:
    return _adjusted(adjustments.unpin(db_session(), current_programme(), request_id), {})


@bp.post("/requests/<int:request_id>/forbidden-coaches")
@role_required("supervisor")
def forbid_coach(request_id: int) -> ResponseReturnValue:
    data = declared(boundary.CoachChoice)
    return _adjusted(adjustments.forbid(db_session(), current_programme(), request_id, data.get("coach_id")), data)


@bp.delete("/requests/<int:request_id>/forbidden-coaches/<int:coach_id>")
@role_required("supervisor")
def allow_coach(request_id: int, coach_id: int) -> ResponseReturnValue:
    return _adjusted(adjustments.allow(db_session(), current_programme(), request_id, coach_id), {})


@bp.post("/requests/<int:request_id>/reassign")
@role_required("supervisor")
def reassign_request(request_id: int) -> ResponseReturnValue:
    data = declared(boundary.ReassignChoice)
    return _adjusted(adjustments.reassign(db_session(), current_programme(), request_id, data.get("coach_id")), data)


@bp.post("/solve-runs")
@role_required("supervisor")
def create_solve_run() -> ResponseReturnValue:
    run = solving.queue_solve(db_session(), current_programme())
    response = jsonify(run_json(run))
    response.status_code = 202
    response.headers["Location"] = url_for("api.get_solve_run", run_id=run.id)
    return response


@bp.get("/solve-runs")
@role_required("supervisor")
def list_solve_runs() -> ResponseReturnValue:
    return jsonify({"solve_runs": [run_json(r) for r in review.recent_runs(db_session(), current_programme())]})


@bp.get("/solve-runs/<int:run_id>")
@role_required("supervisor")
def get_solve_run(run_id: int) -> ResponseReturnValue:
    db = db_session()
    run = review.programme_run(db, current_programme(), run_id)
    return jsonify({**(run_json(run) or {}), "unassigned": review.run_unserved(db, run, reader_zone())})


@bp.get("/draft")
@role_required("supervisor")
def get_draft() -> ResponseReturnValue:
    draft = review.draft_review(db_session(), current_programme(), reader_zone())
    return jsonify(
        {
            "solve_run": run_json(draft.run),
            "assignments": [engagement_json(a.engagement, a.explanation) for a in draft.assignments],
            "unserved": [
                {"request_id": u.request.id, "reasons": u.reasons, "details": u.details} for u in draft.unserved
            ],
        }
    )


@bp.post("/draft/approve")
@role_required("supervisor")
def approve_draft() -> ResponseReturnValue:
    data = declared(boundary.Approval)
    ids = data.get("engagement_ids")
    if data.get("all") is True:
        chosen = None
    elif ids:
        chosen = ids
    else:
        raise InvalidInput(
            "Say which engagements to approve.",
            {"engagement_ids": "give a non-empty list of engagement ids, or set all to true"},
        )
    approved = approval.approve(db_session(), current_programme(), chosen)
    return jsonify({"approved": [engagement_json(e) for e in approved]})


@bp.get("/coaches")
@role_required("supervisor")
def list_coaches() -> ResponseReturnValue:
    return jsonify({"coaches": [coach_json(c) for c in staff.list_coaches(db_session(), current_programme())]})


@bp.post("/coaches")
@role_required("supervisor")
def invite_coach() -> ResponseReturnValue:
    invitation = staff.invite_coach(db_session(), current_programme(), declared(boundary.CoachInvitation))
    response = jsonify({**coach_json(invitation.coach), "invited": True})
    response.status_code = 201
    response.headers["Location"] = url_for("api.get_coach", coach_id=invitation.coach.id)
    return response


@bp.get("/coaches/<int:coach_id>")
@role_required("supervisor")
def get_coach(coach_id: int) -> ResponseReturnValue:
    return jsonify(coach_json(staff.get_coach(db_session(), current_programme(), coach_id)))


@bp.patch("/coaches/<int:coach_id>")
@role_required("supervisor")
def patch_coach(coach_id: int) -> ResponseReturnValue:
    data = declared(boundary.CoachChange, only_sent=True)
    db, prog = db_session(), current_programme()
    coach = staff.get_coach(db, prog, coach_id)
    if data.get("active", False) is None:
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
@role_required("supervisor")
def get_load() -> ResponseReturnValue:
    chart = supervision.coach_load(db_session(), current_programme(), include_drafts=request.args.get("drafts", "1") != "0")
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
@role_required("supervisor")
def get_calendar() -> ResponseReturnValue:
    prog = current_programme()
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
@role_required("supervisor")
def get_supervision() -> ResponseReturnValue:
    ledger = supervision.supervision_ledger(db_session(), current_programme())
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


# --- attendance (issue 14) -----------------------------------------------------------------


@bp.post("/sessions/<int:session_id>/attendance")
def mark_attendance(session_id: int) -> ResponseReturnValue:
    """The coach records what happened at one of their ended sessions: held, no_show, cancelled_late."""
    from scheduler.services.attendance import operations as attendance

    account = g.api_account
    if account.coach is None:
        return error_response(403, "forbidden", "Only the session's coach may record its attendance.")
    record = attendance.record_outcome(db_session(), session_id, body().get("outcome"), coach_id=account.coach.id)
    return jsonify({"session_id": session_id, "outcome": record.outcome, "recorded_by": record.recorded_by})
