"""The programme report: server-drawn SVG charts, each followed by its data as a table, and CSV downloads."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, render_template
from flask.typing import ResponseReturnValue

from scheduler.services.programmes.current import current_programme
from scheduler.services.report import operations as report
from web.security import role_required
from web.unit_of_work import db_session

bp = Blueprint("report", __name__, url_prefix="/supervisor/report")

# Bar colours with at least 3:1 contrast against white (WCAG 1.4.11), told apart by the legend too.
COLOURS = ("#1d5fa6", "#b3541e", "#2f7d32")


@bp.get("/")
@role_required("supervisor")
def index() -> ResponseReturnValue:
    db = db_session()
    programme = current_programme(db, current_app.config.get("PROGRAMME_ID"))
    return render_template("report/index.html", figures=report.programme_report(db, programme), colours=COLOURS)


@bp.get("/<slug>.csv")
@role_required("supervisor")
def download(slug: str) -> ResponseReturnValue:
    db = db_session()
    item = report.figure(db, current_programme(db, current_app.config.get("PROGRAMME_ID")), slug)
    return Response(
        item.csv(),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{item.slug}.csv"'},
    )
