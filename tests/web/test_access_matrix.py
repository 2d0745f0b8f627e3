"""The access matrix: every route in `app.url_map` x {anonymous, coachee A/B, coach A/B, supervisor}.

Objects in the paths (request, coach, engagement, session, run) belong to A. Each cell is
the answer the route must give that caller: the owner (or the supervisor) is let in, anyone
else is sent to sign in (pages), refused with 401/403 (API, wrong role) or told there is no
such thing (404: another owner's object is indistinguishable from a missing one). POSTs
are tried only by the callers who must be refused, and must change nothing.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session
from werkzeug.routing import Rule

from scheduler.db import Database
from scheduler.models import Coach, SolveRun, User
from scheduler.services.accounts import users as accounts
from scheduler.services.coaches import feeds
from tests.web.conftest import app_for_test, csrf_token, make_intervision_round, make_world, propose, sign_in
from tests.web.test_form_fuzz import _snapshot

ROLES = ("anonymous", "coachee_a", "coachee_b", "coach_a", "coach_b", "supervisor")
LET_IN = {
    200,
    202,
    302,
    303,
    422,
}  # a page, a redirect that is not to sign in, or input judged (a search without terms)
REFUSED = {401, 403, 404}
# Capability links: the token in the path is the key itself (tested in their own modules).
# Private-link pages: the token in the address is the key (their own tests cover them).
CAPABILITY_ENDPOINTS = {
    "auth.set_password", "feeds.coach_feed", "static", "supervisor.static",
    "attendance.by_link", "attendance.mark_by_link", "feedback.give",
}  # fmt: skip


@dataclass
class Caller:
    client: FlaskClient
    headers: dict[str, str] = field(default_factory=dict)  # API credentials
    status_token: str | None = None  # a coachee's private-link token


@pytest.fixture
def matrix_app(web_database: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Flask:
    monkeypatch.setenv("VAR_DIR", str(tmp_path / "var"))
    return app_for_test(web_database, tmp_path, rate_limits_enabled=False)


def _world(app: Flask, db: Session) -> tuple[dict[str, Caller], dict[str, str]]:
    world = make_world(db)
    programme, coach_a, coach_b, supervisor = world.programme, world.coach, world.other_coach, world.supervisor
    sup = db.get_one(User, supervisor.user_id)
    request_a, token_a, engagement = world.engaged, world.engaged_token, world.engagement
    token_b = world.waiting_token
    assert coach_a.coach_id is not None and coach_b.coach_id is not None
    propose(db, world.waiting, coach_b.coach_id, [engagement.sessions[0].start_utc + dt.timedelta(hours=3)])
    run = SolveRun(programme_id=programme.id, status="done")
    db.add(run)
    feeds.issue_feed_token(db, db.get_one(Coach, coach_a.coach_id))
    round_ = make_intervision_round(db, programme)
    api = {
        "supervisor": accounts.issue_api_token(db, sup),
        "coach_a": accounts.issue_api_token(db, db.get_one(User, coach_a.user_id)),
        "coach_b": accounts.issue_api_token(db, db.get_one(User, coach_b.user_id)),
    }
    db.commit()
    callers = {role: Caller(app.test_client()) for role in ROLES}
    for role, person in (
        ("coach_a", coach_a),
        ("coach_b", coach_b),
        ("supervisor", supervisor),
    ):
        sign_in(callers[role].client, person)
        callers[role].headers = {"Authorization": f"Bearer {api[role]}"}
    callers["coachee_a"].status_token, callers["coachee_a"].headers = token_a, {"X-Status-Token": token_a}
    callers["coachee_b"].status_token, callers["coachee_b"].headers = token_b, {"X-Status-Token": token_b}
    ids = {
        "request_id": str(request_a.id),
        "coach_id": str(coach_a.coach_id),
        "engagement_id": str(engagement.id),
        "session_id": str(engagement.sessions[0].id),
        "run_id": str(run.id),
        "exception_id": "999",
        "answer": "accept",
        "ref": round_.public_ref,
        "message_id": "999",
        "round_id": str(round_.id),
        "slug": "requests-per-month",
    }
    return callers, ids


def _url(rule: Rule, caller: Caller, ids: dict[str, str]) -> str:
    def fill(match: re.Match[str]) -> str:
        name = match.group(1)
        if name == "token":  # a coachee's own link; others hold none that works
            return caller.status_token or "not-a-valid-token"
        return ids[name]

    return re.sub(r"<(?:[a-z]+(?:\([^)]*\))?:)?([a-z_]+)>", fill, rule.rule)


def _owners(rule: Rule) -> set[str]:
    """Who may use `rule` on A's objects."""
    path = rule.rule
    if path.startswith("/supervisor/") or (path.startswith("/api/v1/") and rule.endpoint in SUPERVISOR_API):
        return {"supervisor"}
    if path.startswith("/coach/") or path.startswith("/api/v1/me/"):
        # Coach pages without ids show the caller's own record; with ids, only A's.
        return {"coach_a"} if "<" in path else {"coach_a", "coach_b"}
    if path.startswith("/r/") or path.startswith("/api/v1/coaching-requests/status"):
        return {"coachee_a"} if "<int:" in path else {"coachee_a", "coachee_b"}
    if path == "/api/v1/me":
        return {"coach_a", "coach_b", "supervisor"}
    return set(ROLES)  # public pages and the API document


SUPERVISOR_API = {
    "api.get_programme", "api.patch_programme", "api.list_requests", "api.get_request", "api.pin_request",
    "api.unpin_request", "api.forbid_coach", "api.allow_coach", "api.reassign_request", "api.create_solve_run",
    "api.list_solve_runs", "api.get_solve_run", "api.get_draft", "api.approve_draft", "api.list_coaches",
    "api.invite_coach", "api.get_coach", "api.patch_coach", "api.get_load", "api.get_calendar", "api.get_supervision",
}  # fmt: skip


def _refused(response, is_page: bool) -> bool:  # type: ignore[no-untyped-def]
    if response.status_code in REFUSED:
        return True
    # A page sends someone without the right session to sign in.
    return is_page and response.status_code == 302 and "/login" in response.headers.get("Location", "")


def test_access_matrix(matrix_app: Flask, db: Session, web_database: Database) -> None:
    callers, ids = _world(matrix_app, db)
    cells = 0
    wrong: list[str] = []
    forms = {role: csrf_token(caller.client, "/request") for role, caller in callers.items()}
    for rule in matrix_app.url_map.iter_rules():
        if rule.endpoint in CAPABILITY_ENDPOINTS or rule.endpoint == "auth.logout":
            continue
        owners = _owners(rule)
        is_page = not rule.rule.startswith("/api/")
        changes = sorted((rule.methods or set()) - {"GET", "HEAD", "OPTIONS"})
        before = _snapshot(web_database) if changes else None
        for role, caller in callers.items():
            url = _url(rule, caller, ids)
            if "GET" in (rule.methods or ()):
                response = caller.client.get(url, headers=caller.headers)
                cells += 1
                allowed = role in owners
                if allowed and not (response.status_code in LET_IN and not _refused(response, is_page)):
                    wrong.append(f"{role} GET {rule.rule}: {response.status_code}, expected to be let in")
                if not allowed and not _refused(response, is_page):
                    wrong.append(f"{role} GET {rule.rule}: {response.status_code}, expected to be refused")
            for method in changes:
                if role in owners:
                    continue  # the owners' own changes are the feature tests' business
                data = {"csrf_token": forms[role]} if is_page else None
                response = caller.client.open(
                    url, method=method, headers=caller.headers, data=data, json=None if is_page else {}
                )
                cells += 1
                if not _refused(response, is_page):
                    wrong.append(f"{role} {method} {rule.rule}: {response.status_code}, expected to be refused")
        if before is not None and _snapshot(web_database) != before:
            wrong.append(f"{rule.rule}: refused attempts changed stored data")
    assert cells > 200
    assert not wrong, "\n".join(wrong)
