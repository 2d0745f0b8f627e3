"""The coachee's privacy pages: the privacy notice, their data export, erasure, a fresh link from a calendar."""

from __future__ import annotations

from contextlib import suppress

from flask import current_app, render_template, request
from flask.typing import ResponseReturnValue

from scheduler.services.errors import InvalidInput
from scheduler.services.privacy import erasure, export, links
from scheduler.services.requests import status as request_status
from web.data_export import export_response
from web.helpers import current_programme as programme
from web.requests.views import bp
from web.unit_of_work import db_session


@bp.get("/privacy")
def privacy() -> ResponseReturnValue:
    settings = current_app.config["SETTINGS"]
    return render_template("privacy/notice.html", settings=settings, programme=programme())


@bp.get("/r/<token>/my-data")
def my_data(token: str, download: bool = False) -> ResponseReturnValue:
    db = db_session()
    coaching_request = request_status.request_for_token(db, token)
    data = export.coachee_export(db, [coaching_request])
    return export_response(data, as_download=download, filename="my-coaching-data", title="Your data")


@bp.get("/r/<token>/my-data.json")
def my_data_json(token: str) -> ResponseReturnValue:
    return my_data(token, download=True)


@bp.route("/r/<token>/erase", methods=["GET", "POST"])
def erase(token: str) -> ResponseReturnValue:
    db = db_session()
    coaching_request = request_status.request_for_token(db, token)
    view = request_status.overview(db, coaching_request)
    errors: dict[str, str] = {}
    if request.method == "POST":
        if request.form.get("confirm") != "erase":
            errors["confirm"] = "tick the box to confirm that your data should be erased"
        else:
            erasure.erase_request(db, coaching_request, current_app.config["SETTINGS"])
            return render_template("privacy/erased.html")
    return render_template("privacy/erase.html", token=token, view=view, errors=errors), (422 if errors else 200)


@bp.route("/request/link/<ref>", methods=["GET", "POST"])
def fresh_link(ref: str) -> ResponseReturnValue:
    """Where calendar items point: no secret in the address; a fresh private link goes by e-mail."""
    if request.method == "GET":
        return render_template("privacy/fresh_link.html", sent=False)
    settings = current_app.config["SETTINGS"]
    # The same answer whatever the reference: nobody learns which requests exist.
    with suppress(InvalidInput):
        links.send_fresh_link(db_session(), ref, link_days=settings.coachee_link_days)
    return render_template("privacy/fresh_link.html", sent=True)
