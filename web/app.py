"""The Flask application factory: extensions, security, unit of work, blueprints."""

from __future__ import annotations

from typing import Any

from celery import Celery
from flask import Blueprint, Flask, redirect, render_template
from flask.typing import ResponseReturnValue
from flask_login import current_user
from werkzeug.middleware.proxy_fix import ProxyFix

from config.settings import Settings, load_config
from scheduler.celery_app import app_for
from scheduler.db import Database
from scheduler.unit_of_work import set_after_commit_handler
from web import api, attendance, auth, feedback, health, intervision, report, supervision_sessions
from web import coach as coach_pages
from web import requests as coachee_pages
from web import supervisor as supervisor_pages
from web.choices import timezone_options
from web.errors import init_error_handlers, refused_commit
from web.extensions import csrf, limiter, login_manager
from web.helpers import home_for, localtime, when, zone_abbreviation
from web.security import DepthLimitedJSON, init_form_character_policy, init_idle_timeout, init_security_headers
from web.unit_of_work import init_unit_of_work

# Every blueprint, by audience: a new one is added here, by hand.
BLUEPRINTS: tuple[Blueprint, ...] = (auth.bp, coachee_pages.bp, coach_pages.bp, coach_pages.feeds_bp,
                                     supervisor_pages.bp, api.bp, attendance.bp, supervision_sessions.bp,
                                     report.bp, feedback.bp, intervision.bp, health.bp)


def celery_init_app(app: Flask, settings: Settings) -> Celery:
    """Flask's Celery pattern: the Celery app for these settings, with our tasks, on `app.extensions`.

    It also plugs the task layer into the unit of work's after-commit port, so what a
    request commits (outbox rows, solve runs) is handed to the workers.
    """
    from scheduler import tasks

    celery = app_for(settings)
    app.extensions["celery"] = celery
    set_after_commit_handler(tasks.hand_over)
    return celery


def create_app(settings: Settings | None = None, *, database: Database | None = None) -> Flask:
    """A configured Flask app for `settings` (default: `load_config()`)."""
    settings = settings or load_config()
    app = Flask(__name__)
    app.json = DepthLimitedJSON(app)
    app.config.from_mapping(settings.flask_mapping())
    if settings.proxy_hops:
        hops = settings.proxy_hops
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)  # type: ignore[method-assign]
    app.config.setdefault("PROGRAMME_ID", None)

    # after_request hooks run in reverse order: headers are added last, so even a response
    # replaced by a failed commit carries them.
    init_security_headers(app)
    init_unit_of_work(app, database or Database(settings.database_url), refused=refused_commit)
    csrf.init_app(app)
    login_manager.init_app(app)
    limiter.init_app(app)
    init_idle_timeout(app)
    init_form_character_policy(app)
    init_error_handlers(app)
    celery_init_app(app, settings)

    app.add_template_filter(localtime, "localtime")
    app.add_template_filter(zone_abbreviation, "zone_abbreviation")
    app.add_template_filter(when, "when")
    app.add_template_global(timezone_options, "timezone_options")

    for blueprint in BLUEPRINTS:
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
