"""The Flask application factory: extensions, security, unit of work, blueprints."""

from __future__ import annotations

import datetime as dt
import importlib
from typing import Any
from zoneinfo import ZoneInfo

from celery import Celery
from flask import Blueprint, Flask, current_app, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from config.settings import Settings, load_config
from scheduler.celery_app import app_for
from scheduler.db import Database
from web.errors import init_error_handlers
from web.extensions import csrf, login_manager
from web.security import init_security_headers
from web.unit_of_work import init_unit_of_work

# Each module exposes `bp` (or a list `blueprints`); blueprints not written yet are skipped, so a later one
# (the supervisor pages, the JSON API) plugs in by existing.
BLUEPRINTS = ("web.auth", "web.requests", "web.coach", "web.supervisor", "web.api", "web.health")


def _import_blueprint_module(name: str) -> Any:
    try:
        module = importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name == name:
            return None
        raise
    # A folder without __init__.py yet is a namespace package: nothing to register.
    return module if getattr(module, "__file__", None) else None


def _blueprints_of(module: Any) -> list[Blueprint]:
    if module is None:
        return []
    if hasattr(module, "blueprints"):
        return list(module.blueprints)
    return [module.bp]


def localtime(value: dt.datetime, timezone: str, fmt: str = "%a %d %b %Y, %H:%M") -> str:
    """An instant shown on the wall clock of `timezone`."""
    return value.astimezone(ZoneInfo(timezone)).strftime(fmt)


def zone_abbreviation(value: dt.datetime, timezone: str) -> str:
    return value.astimezone(ZoneInfo(timezone)).strftime("%Z")


def celery_init_app(app: Flask, settings: Settings) -> Celery:
    """Flask's Celery pattern: the Celery app for these settings, with our tasks, on `app.extensions`."""
    import scheduler.tasks  # noqa: F401  (registers the tasks)

    celery = app_for(settings)
    app.extensions["celery"] = celery
    return celery


def create_app(settings: Settings | None = None, *, database: Database | None = None) -> Flask:
    """A configured Flask app for `settings` (default: `load_config()`)."""
    settings = settings or load_config()
    app = Flask(__name__)
    app.config.from_mapping(settings.flask_mapping())
    app.config.setdefault("PROGRAMME_ID", None)

    # after_request hooks run in reverse order: headers are added last, so even a response
    # replaced by a failed commit carries them.
    init_security_headers(app)
    init_unit_of_work(app, database or Database(settings.database_url))
    csrf.init_app(app)
    login_manager.init_app(app)
    init_error_handlers(app)
    celery_init_app(app, settings)

    app.add_template_filter(localtime, "localtime")
    app.add_template_filter(zone_abbreviation, "zone_abbreviation")

    for name in BLUEPRINTS:
        module = _import_blueprint_module(name)
        for blueprint in _blueprints_of(module):
            app.register_blueprint(blueprint)

    @app.get("/")
    def home() -> ResponseReturnValue:
        if current_user.is_authenticated:
            return redirect(home_for(current_user.role))
        return render_template("home.html")

    @app.context_processor
    def _navigation() -> dict[str, Any]:
        return {"home_for": home_for, "has_endpoint": lambda name: name in app.view_functions}

    return app


def home_for(role: str) -> str:
    """Where a signed-in person of `role` starts."""
    endpoint = {"coach": "coach.dashboard", "supervisor": "supervisor.index"}.get(role)
    if endpoint and endpoint in current_app.view_functions:
        return url_for(endpoint)
    return url_for("requests.new_request")
