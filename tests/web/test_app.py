"""The app factory: security headers, error pages, CSRF, static assets."""

from __future__ import annotations

from flask.testing import FlaskClient

from scheduler.models import Programme
from web import create_app


def test_create_app_is_importable_from_web() -> None:
    assert callable(create_app)


def test_home_page_has_landmarks_and_skip_link(client: FlaskClient, programme: Programme) -> None:
    response = client.get("/")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'class="skip-link" href="#main"' in html
    assert '<main id="main"' in html and "<header" in html and "<footer" in html and 'aria-label="Main"' in html
    assert '<html lang="en">' in html


def test_security_headers_on_every_page(client: FlaskClient, programme: Programme) -> None:
    for url in ("/", "/request", "/login", "/no-such-page"):
        headers = client.get(url).headers
        csp = headers["Content-Security-Policy"]
        assert "default-src 'none'" in csp and "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
        assert "http" not in csp and "unsafe-inline" not in csp
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Referrer-Policy"] == "no-referrer"
        assert headers["X-Frame-Options"] == "DENY"


def test_pages_load_no_asset_from_another_origin(client: FlaskClient, programme: Programme) -> None:
    html = client.get("/request").get_data(as_text=True)
    assert "<script>" not in html and "style=" not in html
    assert "//" not in "".join(part.split('"')[0] for part in html.split('src="')[1:])
    assert client.get("/static/css/site.css").status_code == 200
    assert client.get("/static/js/site.js").status_code == 200


def test_unknown_page_is_a_friendly_404(client: FlaskClient, programme: Programme) -> None:
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert "Page not found" in response.get_data(as_text=True)


def test_post_without_csrf_token_is_refused(client: FlaskClient, programme: Programme) -> None:
    response = client.post("/request", data={"coachee_name": "x"})
    assert response.status_code == 400
    assert "security token" in response.get_data(as_text=True)


def test_api_paths_get_the_json_error_format(client: FlaskClient, programme: Programme) -> None:
    response = client.get("/api/v1/no-such-thing")
    assert response.status_code == 404
    body = response.get_json()
    assert set(body["error"]) == {"code", "message", "fields"}


def test_without_a_programme_the_form_says_so(client: FlaskClient) -> None:
    response = client.get("/request")
    assert response.status_code == 404
    assert "No coaching programme is set up yet" in response.get_data(as_text=True)


def test_a_commit_the_database_refuses_is_a_409_page_with_headers(
    app, client: FlaskClient, programme: Programme
) -> None:  # type: ignore[no-untyped-def]
    from scheduler.models import User
    from web.unit_of_work import db_session

    @app.get("/test-duplicate-user")
    def _duplicate() -> str:
        db = db_session()
        db.add(User(email="twice@x.example", role="coach"))
        db.flush()
        with db.no_autoflush:
            db.add(User(email="twice@x.example", role="coach"))
        return "ok"

    response = client.get("/test-duplicate-user")
    assert response.status_code == 409
    assert "Someone else changed this" in response.get_data(as_text=True)
    assert "Content-Security-Policy" in response.headers


def test_logged_paths_never_carry_private_link_tokens(app) -> None:  # type: ignore[no-untyped-def]
    from web.errors import loggable_path

    for path, expected in [
        ("/r/AbC-123_secret", "/r/[token]"),
        ("/r/AbC-123_secret/sessions/4/reschedule", "/r/[token]/sessions/4/reschedule"),
        ("/set-password/s3cret", "/set-password/[token]"),
        ("/feeds/s3cret.ics", "/feeds/[token]"),
        ("/supervisor/draft", "/supervisor/draft"),
    ]:
        with app.test_request_context(path):
            assert loggable_path() == expected


def test_access_log_lines_are_redacted(app) -> None:  # type: ignore[no-untyped-def]
    import logging

    from web.errors import RedactTokens

    record = logging.LogRecord(
        "werkzeug", logging.INFO, __file__, 1, '%s - - "%s" %s', ("127.0.0.1", "GET /r/s3cret HTTP/1.1", "200"), None
    )
    assert any(isinstance(f, RedactTokens) for f in logging.getLogger("werkzeug").filters)
    RedactTokens().filter(record)
    assert record.getMessage() == '127.0.0.1 - - "GET /r/[token] HTTP/1.1" 200'
