"""A person's data export as a JSON download or a readable page (one structure, two renderings)."""

from __future__ import annotations

from typing import Any

from flask import Response, render_template

from scheduler.services.privacy.export import as_json


def export_response(data: dict[str, Any], *, as_download: bool, filename: str, title: str) -> Response:
    """The export as `filename`.json (a download) or as an HTML page; never cached."""
    if as_download:
        response = Response(as_json(data), mimetype="application/json")
        response.headers["Content-Disposition"] = f'attachment; filename="{filename}.json"'
    else:
        response = Response(render_template("privacy/export.html", data=data, title=title), mimetype="text/html")
    response.headers["Cache-Control"] = "no-store"
    return response
