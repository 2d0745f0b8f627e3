"""The supervisor's privacy pages: the audit log (filters, CSV), a person's export, erasure, closing an account."""

from __future__ import annotations

from flask import Response, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from scheduler import queries
from scheduler.services import audit
from scheduler.services.coaches import staff
from scheduler.services.errors import InvalidInput, NotFound
from scheduler.services.planning import adjustments
from scheduler.services.privacy import erasure, export
from web.data_export import export_response
from web.helpers import current_programme as programme
from web.supervisor.views import bp
from web.unit_of_work import db_session

PAGE_SIZE = 200
FILTER_LABELS = {"actor_role": "Role", "actor_user_id": "User id", "action": "Action", "object_type": "Object",
                 "object_id": "Object id", "since": "From (UTC day)", "until": "To (UTC day)"}


@bp.get("/audit")
def audit_log() -> ResponseReturnValue:
    form = {key: request.args.get(key, "") for key in FILTER_LABELS}
    errors: dict[str, str] = {}
    try:
        selection = audit.parse_filter(form)
    except InvalidInput as exc:
        errors, selection = exc.fields, None
    rows = audit.entries(db_session(), selection, limit=PAGE_SIZE) if selection is not None else []
    return render_template(
        "supervisor/audit.html", rows=rows, form=form, errors=errors, labels=FILTER_LABELS, page_size=PAGE_SIZE,
        roles=audit.ROLES, actions=audit.ACTIONS, object_types=audit.OBJECT_TYPES,
    ), (422 if errors else 200)


@bp.get("/audit.csv")
def audit_csv() -> ResponseReturnValue:
    selection = audit.parse_filter({key: request.args.get(key, "") for key in FILTER_LABELS})
    response = Response(export.audit_csv(audit.entries(db_session(), selection)), mimetype="text/csv")
    response.headers["Content-Disposition"] = 'attachment; filename="audit-log.csv"'
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/privacy")
def privacy() -> ResponseReturnValue:
    return render_template("supervisor/privacy.html")


@bp.get("/privacy/find")
def privacy_find() -> ResponseReturnValue:
    """Go to a request's or coach's data by its number."""
    kind = request.args.get("kind")
    number = queries.record_id(request.args.get("id"))
    if kind not in ("request", "coach") or number is None:
        raise InvalidInput("Choose a request or a coach and give its number.", {"id": "must be a request or coach number"})
    endpoint = "supervisor.request_data" if kind == "request" else "supervisor.coach_data"
    key = "request_id" if kind == "request" else "coach_id"
    return redirect(url_for(endpoint, **{key: number}), code=303)


@bp.post("/privacy/person")
def person_data() -> ResponseReturnValue:
    """Every request sent from one e-mail address (posted, so the address stays out of access logs)."""
    email = request.form.get("email", "").strip()
    db = db_session()
    found = export.requests_of_email(db, programme().id, email) if email else []
    if not found:
        raise NotFound("No request of this programme was sent from that e-mail address.", {"email": "no request"})
    for item in found:
        audit.record(db, audit.EXPORT, item)
    return export_response(export.coachee_export(db, found), as_download=request.form.get("format") == "json",
                           filename="person-data", title=f"Data of {len(found)} request(s) from one e-mail address")


@bp.get("/requests/<int:request_id>/data.json")
def request_data_json(request_id: int) -> ResponseReturnValue:
    return request_data(request_id, download=True)


@bp.get("/requests/<int:request_id>/data")
def request_data(request_id: int, download: bool = False) -> ResponseReturnValue:
    db = db_session()
    item = adjustments.programme_request(db, programme(), request_id)
    audit.record(db, audit.EXPORT, item)
    return export_response(export.coachee_export(db, [item]), as_download=download,
                           filename=f"request-{request_id}-data", title=f"Data of request {request_id}")


@bp.post("/privacy/erase-request")
def erase_request() -> ResponseReturnValue:
    db = db_session()
    item = adjustments.programme_request(db, programme(), request.form.get("request_id"))
    if request.form.get("confirm") != "erase":
        raise InvalidInput("Tick the box to confirm the erasure.", {"confirm": "is required"})
    report = erasure.erase_request(db, item, current_app.config["SETTINGS"])
    flash(f"Request {item.id} is erased; {len(report.cancelled_sessions)} upcoming session(s) cancelled.", "success")
    return redirect(url_for("supervisor.privacy"), code=303)


@bp.get("/coaches/<int:coach_id>/data.json")
def coach_data_json(coach_id: int) -> ResponseReturnValue:
    return coach_data(coach_id, download=True)


@bp.get("/coaches/<int:coach_id>/data")
def coach_data(coach_id: int, download: bool = False) -> ResponseReturnValue:
    db = db_session()
    coach = staff.get_coach(db, programme(), coach_id)
    audit.record(db, audit.EXPORT, coach)
    return export_response(export.coach_export(db, coach), as_download=download,
                           filename=f"coach-{coach_id}-data", title=f"Data of coach {coach_id}")


@bp.post("/privacy/close-coach")
def close_coach() -> ResponseReturnValue:
    db = db_session()
    coach = staff.get_coach(db, programme(), request.form.get("coach_id"))  # type: ignore[arg-type]
    if request.form.get("confirm") != "close":
        raise InvalidInput("Tick the box to confirm closing the account.", {"confirm": "is required"})
    report = erasure.close_coach_account(db, coach, current_app.config["SETTINGS"])
    flash(f"Coach {coach.id}'s account is closed; {len(report.returned_requests)} request(s) are back in the queue.",
          "success")
    return redirect(url_for("supervisor.privacy"), code=303)
