"""Sessions end everywhere, idle sessions time out, bodies are bounded, and abuse is throttled (the attacker, not the owner).

Each rule has a refused case and an accepted one.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from config.settings import load_config
from scheduler.db import Database
from scheduler.models import Programme, User
from scheduler.services.accounts import users as accounts
from tests.servers import REDIS, require_server
from tests.web.conftest import Person, app_for_test, csrf_token, post, sign_in
from tests.web.test_requests_form import GOOD
from web import create_app
from web.rate_limits import MAIL_PER_ADDRESS, MAIL_PER_CLIENT, SIGN_IN_PER_CLIENT, SIGN_IN_PER_CLIENT_AND_ACCOUNT
from web.security import json_depth

ATTACKER = {"REMOTE_ADDR": "203.0.113.9"}
OWNER = {"REMOTE_ADDR": "198.51.100.7"}


def _amount(limit: str) -> int:
    return int(limit.split()[0])


def _client_at(app: Flask, environ: dict[str, str]) -> FlaskClient:
    client = app.test_client()
    client.environ_base.update(environ)
    return client


# --- sessions ---------------------------------------------------------------------------------


def _copy_session(source: FlaskClient, app: Flask) -> FlaskClient:
    """A second browser holding a copy of `source`'s session cookie (as a thief would)."""
    copy = app.test_client()
    cookie = source.get_cookie("session")
    assert cookie is not None
    copy.set_cookie("session", cookie.value)
    return copy


def test_sign_out_ends_every_copy_of_the_session(app: Flask, client: FlaskClient, coach: Person) -> None:
    sign_in(client, coach)
    thief = _copy_session(client, app)
    assert thief.get("/coach/").status_code == 200, "a copy works while the session lives"
    assert post(client, "/logout", page="/coach/").status_code == 302
    assert thief.get("/coach/").status_code == 302, "after sign-out the copy is signed out too"
    sign_in(client, coach)
    assert client.get("/coach/").status_code == 200, "signing in again starts a new session"


def test_a_new_password_ends_other_sessions(app: Flask, client: FlaskClient, db: Session, coach: Person) -> None:
    sign_in(client, coach)
    other = app.test_client()
    user = db.get_one(User, coach.user_id)
    token = accounts.invite_user(db, user)
    db.commit()
    assert client.get("/coach/").status_code == 200
    response = post(
        other, f"/set-password/{token}", {"password": "a new long password", "confirm": "a new long password"}
    )
    assert response.status_code == 302
    assert other.get("/coach/").status_code == 200, "the browser that set the password is signed in"
    assert client.get("/coach/").status_code == 302, "the session from before the new password has ended"


def test_an_idle_session_is_signed_out(client: FlaskClient, app: Flask, coach: Person) -> None:
    sign_in(client, coach)
    idle = app.config["SETTINGS"].session_idle_minutes * 60
    with client.session_transaction() as cookie:
        cookie["seen"] = int(time.time()) - idle + 120
    assert client.get("/coach/").status_code == 200, "within the idle time the session lives"
    with client.session_transaction() as cookie:
        cookie["seen"] = int(time.time()) - idle - 1
    assert client.get("/coach/").status_code == 302
    assert client.get("/coach/").headers["Location"].startswith("/login")


def test_production_answers_carry_hsts(web_database: Database, tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("VAR_DIR", str(tmp_path / "var"))
    common = {"database_url": web_database.url, "secret_key": "k" * 40, "mail_dir": str(tmp_path / "mail")}
    production = create_app(load_config("production", **common), database=web_database).test_client()
    development = create_app(load_config("development", **common), database=web_database).test_client()
    assert production.get("/login").headers["Strict-Transport-Security"].startswith("max-age=31536000")
    assert "Strict-Transport-Security" not in development.get("/login").headers


def test_method_not_allowed_says_which_methods_are(client: FlaskClient, programme: Programme) -> None:
    response = client.get("/logout")
    assert response.status_code == 405
    assert set(response.headers["Allow"].split(", ")) >= {"POST"}
    api = client.delete("/api/v1/coaching-requests")
    assert api.status_code == 405 and "POST" in api.headers["Allow"]
    assert api.get_json()["error"]["code"] == "method_not_allowed"


# --- bodies -----------------------------------------------------------------------------------


def test_a_body_over_the_limit_is_refused_with_413(client: FlaskClient, app: Flask, programme: Programme) -> None:
    limit = app.config["SETTINGS"].max_body_bytes
    huge = client.post("/request", data={**GOOD, "message": "x" * (limit + 1)})
    assert huge.status_code == 413
    api = client.post("/api/v1/coaching-requests", data=b"[" + b"0," * limit + b"0]", content_type="application/json")
    assert api.status_code == 413 and api.get_json()["error"]["code"] == "request_entity_too_large"
    token = csrf_token(client)
    assert client.post("/request", data={**GOOD, "csrf_token": token, "message": "x" * 1000}).status_code == 303


def test_json_nested_too_deep_is_a_400_not_a_crash(client: FlaskClient, app: Flask, programme: Programme) -> None:
    limit = app.config["SETTINGS"].max_json_depth
    for depth in (limit + 1, 100_000):
        deep = "[" * depth + "]" * depth
        response = client.post(
            "/api/v1/coaching-requests",
            data=json.dumps({"topics": "x"})[:-1] + f', "x": {deep}}}',
            content_type="application/json",
        )
        assert response.status_code == 400, depth
        assert "levels deep" in response.get_json()["error"]["message"]
    shallow = "[" * (limit - 1) + "]" * (limit - 1)
    ok = client.post("/api/v1/coaching-requests", data=f'{{"topics": {shallow}}}', content_type="application/json")
    assert ok.status_code == 422, "within the limit the body is read and its fields judged"


def test_json_depth_ignores_brackets_in_strings() -> None:
    assert json_depth(b'{"a": "[[[[{{{{", "b": [1, [2]]}') == 3
    assert json_depth(b'"\\"[[["') == 0


# --- rate limits ------------------------------------------------------------------------------


def _sign_in_as(client: FlaskClient, email: str, password: str):  # type: ignore[no-untyped-def]
    return post(client, "/login", {"email": email, "password": password}, page="/login")


def test_the_owner_signs_in_while_an_attacker_is_throttled(app: Flask, supervisor: Person) -> None:
    attacker = _client_at(app, ATTACKER)
    for _ in range(_amount(SIGN_IN_PER_CLIENT_AND_ACCOUNT)):
        assert _sign_in_as(attacker, supervisor.email, "a wrong guess").status_code == 422
    throttled = _sign_in_as(attacker, supervisor.email, supervisor.password)
    assert throttled.status_code == 429, "the attacker waits, even with the right password"
    assert 0 < int(throttled.headers["Retry-After"]) <= 15 * 60 + 1
    owner = _client_at(app, OWNER)
    assert _sign_in_as(owner, supervisor.email, supervisor.password).status_code == 302
    assert owner.get("/supervisor/").status_code == 200


def test_good_sign_ins_do_not_count_against_the_owner(app: Flask, coach: Person) -> None:
    client = _client_at(app, OWNER)
    for _ in range(_amount(SIGN_IN_PER_CLIENT_AND_ACCOUNT) + 2):
        assert _sign_in_as(client, coach.email, coach.password).status_code == 302
        client.post("/logout", data={"csrf_token": csrf_token(client, "/coach/")})


def test_one_client_trying_many_accounts_is_throttled(app: Flask, coach: Person) -> None:
    attacker = _client_at(app, ATTACKER)
    for number in range(_amount(SIGN_IN_PER_CLIENT)):
        assert _sign_in_as(attacker, f"guess{number}@x.example", "a wrong guess").status_code == 422
    assert _sign_in_as(attacker, coach.email, coach.password).status_code == 429
    assert _sign_in_as(_client_at(app, OWNER), coach.email, coach.password).status_code == 302


def test_known_and_unknown_addresses_get_the_same_answer(app: Flask, coach: Person) -> None:
    client = _client_at(app, OWNER)
    known = _sign_in_as(client, coach.email, "a wrong guess")
    unknown = _sign_in_as(client, "nobody@x.example", "a wrong guess")
    assert known.status_code == unknown.status_code == 422

    def error_text(html: str) -> str:
        return html[html.index('id="password-error"') :][:200]

    assert error_text(known.get_data(as_text=True)) == error_text(unknown.get_data(as_text=True))


def test_submissions_per_address_are_a_handful_an_hour(app: Flask, db: Session, programme: Programme) -> None:
    for number in range(_amount(MAIL_PER_ADDRESS)):
        client = _client_at(app, {"REMOTE_ADDR": f"192.0.2.{number + 1}"})
        assert post(client, "/request", GOOD).status_code == 303
    elsewhere = _client_at(app, {"REMOTE_ADDR": "192.0.2.200"})
    refused = post(elsewhere, "/request", GOOD)
    assert refused.status_code == 429 and "Retry-After" in refused.headers
    other_person = post(elsewhere, "/request", {**GOOD, "coachee_email": "noor@coachees.example"})
    assert other_person.status_code == 303, "another address from the same client is still welcome"


def test_new_link_posts_per_client_are_limited(app: Flask, programme: Programme) -> None:
    client = _client_at(app, ATTACKER)
    token = csrf_token(client, "/request/new-link")
    for number in range(_amount(MAIL_PER_CLIENT)):
        answer = client.post("/request/new-link", data={"csrf_token": token, "coachee_email": f"p{number}@x.example"})
        assert answer.status_code == 200
    assert (
        client.post("/request/new-link", data={"csrf_token": token, "coachee_email": "p@x.example"}).status_code == 429
    )
    owner = _client_at(app, OWNER)
    assert (
        post(owner, "/request/new-link", {"coachee_email": "p@x.example"}, page="/request/new-link").status_code == 200
    )


def test_api_calls_per_token_are_limited(app: Flask, programme: Programme) -> None:
    from web.rate_limits import API_CALLS

    client = app.test_client()
    hammer = {"Authorization": "Bearer not-a-real-token"}
    for _ in range(_amount(API_CALLS)):
        assert client.get("/api/v1/me", headers=hammer).status_code == 401
    limited = client.get("/api/v1/me", headers=hammer)
    assert limited.status_code == 429 and limited.get_json()["error"]["code"] == "too_many_requests"
    assert int(limited.headers["Retry-After"]) > 0
    assert client.get("/api/v1/me", headers={"Authorization": "Bearer another-token"}).status_code == 401


def test_behind_a_proxy_the_real_client_is_throttled(
    web_database: Database, tmp_path: Path, supervisor: Person, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("VAR_DIR", str(tmp_path / "var"))
    proxied = app_for_test(web_database, tmp_path, proxy_hops=1)
    attacker = _client_at(proxied, {"REMOTE_ADDR": "10.0.0.2", "HTTP_X_FORWARDED_FOR": ATTACKER["REMOTE_ADDR"]})
    for _ in range(_amount(SIGN_IN_PER_CLIENT_AND_ACCOUNT)):
        _sign_in_as(attacker, supervisor.email, "a wrong guess")
    assert _sign_in_as(attacker, supervisor.email, supervisor.password).status_code == 429
    owner = _client_at(proxied, {"REMOTE_ADDR": "10.0.0.2", "HTTP_X_FORWARDED_FOR": OWNER["REMOTE_ADDR"]})
    assert _sign_in_as(owner, supervisor.email, supervisor.password).status_code == 302, "same proxy, another client"


def test_without_a_proxy_a_forged_forwarded_for_changes_nothing(app: Flask, supervisor: Person) -> None:
    attacker = _client_at(app, ATTACKER)
    for number in range(_amount(SIGN_IN_PER_CLIENT_AND_ACCOUNT)):
        attacker.environ_base["HTTP_X_FORWARDED_FOR"] = f"192.0.2.{number}"
        _sign_in_as(attacker, supervisor.email, "a wrong guess")
    assert _sign_in_as(attacker, supervisor.email, supervisor.password).status_code == 429


@pytest.mark.redis
def test_with_redis_every_worker_shares_the_counts(
    web_database: Database, tmp_path: Path, supervisor: Person, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    require_server(REDIS)
    import redis

    redis.Redis(host="127.0.0.1", port=6379, db=15).flushdb()
    monkeypatch.setenv("VAR_DIR", str(tmp_path / "var"))
    storage = "redis://127.0.0.1:6379/15"
    first = app_for_test(web_database, tmp_path, rate_limit_storage_url=storage)
    for _ in range(_amount(SIGN_IN_PER_CLIENT_AND_ACCOUNT)):
        _sign_in_as(_client_at(first, ATTACKER), supervisor.email, "a wrong guess")
    # Another worker starts with its own storage client (with memory:// it would know nothing).
    second = app_for_test(web_database, tmp_path, rate_limit_storage_url=storage)
    refused = _sign_in_as(_client_at(second, ATTACKER), supervisor.email, supervisor.password)
    assert refused.status_code == 429
    assert _sign_in_as(_client_at(second, OWNER), supervisor.email, supervisor.password).status_code == 302
    redis.Redis(host="127.0.0.1", port=6379, db=15).flushdb()
