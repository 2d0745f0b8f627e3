"""Signing in and out, and setting a password from an invitation."""

from __future__ import annotations

from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from scheduler.models import Programme, User
from scheduler.services.accounts import users
from tests.web.conftest import Person, csrf_token, post, sign_in


def test_coach_signs_in_and_lands_on_their_sessions(client: FlaskClient, coach: Person) -> None:
    response = post(client, "/login", {"email": coach.email.upper(), "password": coach.password})
    assert response.status_code == 302
    assert response.headers["Location"] == "/coach/"
    assert client.get("/").headers["Location"] == "/coach/"


def test_wrong_password_names_the_field_and_says_nothing_more(client: FlaskClient, coach: Person) -> None:
    response = post(client, "/login", {"email": coach.email, "password": "wrong password"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="password-error"' in html and "is not right" in html
    unknown = post(client, "/login", {"email": "nobody@x.example", "password": "wrong password"})
    assert "is not right" in unknown.get_data(as_text=True)


def test_five_wrong_passwords_lock_the_account_for_a_while(client: FlaskClient, db: Session, coach: Person) -> None:
    for _ in range(users.MAX_FAILED_SIGN_INS):
        assert post(client, "/login", {"email": coach.email, "password": "a wrong guess"}).status_code == 422
    locked = post(client, "/login", {"email": coach.email, "password": coach.password})
    assert locked.status_code == 429, "even the right password waits for the lock to end"
    assert "Too many failed sign-ins" in locked.get_data(as_text=True)
    user = db.get_one(User, coach.user_id)
    db.refresh(user)
    assert user.locked_until is not None
    user.locked_until = user.locked_until - users.SIGN_IN_LOCK  # the lock has ended
    db.commit()
    assert post(client, "/login", {"email": coach.email, "password": coach.password}).status_code == 302


def test_a_good_sign_in_clears_earlier_failures(client: FlaskClient, db: Session, coach: Person) -> None:
    for _ in range(users.MAX_FAILED_SIGN_INS - 1):
        post(client, "/login", {"email": coach.email, "password": "a wrong guess"})
    assert post(client, "/login", {"email": coach.email, "password": coach.password}).status_code == 302
    user = db.get_one(User, coach.user_id)
    db.refresh(user)
    assert user.failed_sign_ins == 0 and user.locked_until is None


def test_empty_sign_in_names_both_fields(client: FlaskClient, programme: Programme) -> None:
    html = post(client, "/login", {"email": "", "password": ""}).get_data(as_text=True)
    assert 'href="#email"' in html and 'href="#password"' in html


def test_next_goes_only_to_this_site(client: FlaskClient, coach: Person) -> None:
    token = csrf_token(client)
    data = {"csrf_token": token, "email": coach.email, "password": coach.password}
    evil = client.post("/login?next=https://evil.example/", data=data)
    assert evil.headers["Location"] == "/coach/"
    client.post("/logout", data={"csrf_token": csrf_token(client, "/coach/")})
    good = client.post("/login?next=/coach/capacity", data={**data, "csrf_token": csrf_token(client)})
    assert good.headers["Location"] == "/coach/capacity"


def test_logout_needs_post_with_csrf(client: FlaskClient, coach: Person) -> None:
    sign_in(client, coach)
    assert client.get("/logout").status_code == 405
    assert client.post("/logout").status_code == 400
    assert client.get("/coach/").status_code == 200
    assert post(client, "/logout", page="/coach/").status_code == 302
    assert client.get("/coach/").status_code == 302


def test_deactivated_user_cannot_sign_in(client: FlaskClient, db: Session, coach: Person) -> None:
    db.get(User, coach.user_id).active = False
    db.commit()
    assert post(client, "/login", {"email": coach.email, "password": coach.password}).status_code == 422


def test_invited_coach_sets_a_password_once(client: FlaskClient, db: Session, programme: Programme) -> None:
    from tests.web.conftest import make_coach

    person = make_coach(db, programme, email="new@coaches.example")
    user = db.get(User, person.user_id)
    user.password_hash = None
    token = users.invite_user(db, user)
    db.commit()

    page = client.get(f"/set-password/{token}")
    assert page.status_code == 200 and "new@coaches.example" in page.get_data(as_text=True)
    short = post(client, f"/set-password/{token}", {"password": "short", "confirm": "short"})
    assert short.status_code == 422 and 'id="password-error"' in short.get_data(as_text=True)
    mismatch = post(client, f"/set-password/{token}", {"password": "long enough pw", "confirm": "other one!!"})
    assert mismatch.status_code == 422 and 'id="confirm-error"' in mismatch.get_data(as_text=True)
    done = post(client, f"/set-password/{token}", {"password": "long enough pw", "confirm": "long enough pw"})
    assert done.status_code == 302 and done.headers["Location"] == "/coach/"
    assert client.get("/coach/").status_code == 200
    # the invitation is used up
    assert client.get(f"/set-password/{token}").status_code == 403


def test_unknown_invitation_is_refused(client: FlaskClient, programme: Programme) -> None:
    assert client.get("/set-password/nope").status_code == 403


def test_api_tokens_are_stored_hashed_and_revocable(db: Session, coach: Person) -> None:
    user = db.get(User, coach.user_id)
    token = users.issue_api_token(db, user)
    assert user.api_token_hash != token
    account = users.user_for_api_token(db, token)
    assert account is not None and account.coach is not None
    users.revoke_api_token(db, user)
    assert users.user_for_api_token(db, token) is None
