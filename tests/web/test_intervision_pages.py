"""Intervision rounds through the pages: open a round, sign up through the public form, form
groups (with reasons for those left out), avoid pairs from an earlier round, schedule and invite."""

from __future__ import annotations

import datetime as dt
from itertools import combinations

from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from scheduler.models import OutboxMessage, Programme
from scheduler.services.intervision import operations as intervision
from scheduler.services.intervision.letters import intervision_invitation
from scheduler.services.intervision.models import IntervisionRound
from tests.web.conftest import Person, post, sign_in

ROUNDS = "/supervisor/intervision/"


def _open(client: FlaskClient, db: Session, title: str = "Winter round") -> IntervisionRound:
    start = dt.date.today() + dt.timedelta(days=14)
    response = post(
        client, ROUNDS,
        {"title": title, "starts_on": start.isoformat(), "ends_on": (start + dt.timedelta(days=6)).isoformat(),
         "weekly": "tue 18:00-20:00; thu 18:00-20:00", "session_minutes": "120", "min_group_size": "4", "max_group_size": "5"},
        page=ROUNDS,
    )  # fmt: skip
    assert response.status_code == 303, response.get_data(as_text=True)
    db.expire_all()
    return db.scalars(select(IntervisionRound).where(IntervisionRound.title == title)).one()


def _sign_up(client: FlaskClient, round_: IntervisionRound, i: int, **values: object) -> object:
    form = {"name": f"Member {i}", "email": f"m{i}@members.example", "organisation": f"Org {i}", "languages": ["en"],
            "experience": "experienced" if i % 3 == 0 else "new", "slots": [round_.slots[0]["id"]]}  # fmt: skip
    form.update(values)
    page = f"/intervision/{round_.public_ref}"
    return post(client, page, form, page=page)


def test_open_sign_up_plan_schedule_and_invite(client: FlaskClient, db: Session, programme: Programme, supervisor: Person, app) -> None:  # type: ignore[no-untyped-def]
    sign_in(client, supervisor)
    bad = post(client, ROUNDS, {"title": "", "starts_on": "soon", "ends_on": "", "weekly": "tue", "session_minutes": "5"}, page=ROUNDS)
    assert "There are" in bad.get_data(as_text=True)
    round_ = _open(client, db)
    assert [s["id"] for s in round_.slots] == ["s1", "s2"]

    public = client.application.test_client()
    wrong = _sign_up(public, round_, 99, email="not-an-address", languages=["xx"], slots=["s9"])
    text = wrong.get_data(as_text=True)
    assert "must be an e-mail address" in text and "unknown language" in text and "choose from the times offered" in text
    for i in range(9):
        assert "you are signed up" in _sign_up(public, round_, i).get_data(as_text=True)
    assert "you are signed up" in _sign_up(public, round_, 9, organisation="Org 1", slots=["s2"]).get_data(as_text=True)

    assert post(client, f"{ROUNDS}{round_.id}/plan", page=f"{ROUNDS}{round_.id}").status_code == 303
    db.expire_all()
    round_ = db.get_one(IntervisionRound, round_.id)
    assert sorted(len(g.member_ids) for g in round_.groups) == [4, 5]
    alone = next(s for s in round_.sign_ups if s.email == "m9@members.example")
    assert list(round_.left_out) == [str(alone.id)] and "fewer than 3 others" in round_.left_out[str(alone.id)][0]
    page = client.get(f"{ROUNDS}{round_.id}").get_data(as_text=True)
    assert "Left out, and why" in page and "Member 9" in page

    assert post(client, f"{ROUNDS}{round_.id}/schedule", page=f"{ROUNDS}{round_.id}").status_code == 303
    db.expire_all()
    invitations = db.scalars(select(OutboxMessage).where(OutboxMessage.kind == intervision.INVITATION)).all()
    assert len(invitations) == 9
    assert "closed" in public.get(f"/intervision/{round_.public_ref}").get_data(as_text=True)
    invitation = intervision_invitation(db, app.config["SETTINGS"], invitations[0])
    assert invitation is not None and invitation.email == invitations[0].recipient
    assert b"METHOD:REQUEST" in invitation.calendar and b"Intervision: Winter round" in invitation.calendar


def test_second_round_avoids_pairs_who_met_in_the_first(client: FlaskClient, db: Session, programme: Programme, supervisor: Person) -> None:
    sign_in(client, supervisor)
    public = client.application.test_client()
    first = _open(client, db, "First")
    for i in range(8):
        _sign_up(public, first, i)
    post(client, f"{ROUNDS}{first.id}/plan", page=f"{ROUNDS}{first.id}")
    post(client, f"{ROUNDS}{first.id}/schedule", page=f"{ROUNDS}{first.id}")
    db.expire_all()
    first = db.get_one(IntervisionRound, first.id)
    email_of = {s.id: s.email for s in first.sign_ups}
    met = {frozenset((email_of[a], email_of[b])) for g in first.groups for a, b in combinations(g.member_ids, 2)}

    # The same eight and eight newcomers: four groups, each with at most one of each first-round group.
    second = _open(client, db, "Second")
    for i in range(16):
        _sign_up(public, second, i)
    post(client, f"{ROUNDS}{second.id}/plan", page=f"{ROUNDS}{second.id}")
    db.expire_all()
    second = db.get_one(IntervisionRound, second.id)
    again_of = {s.id: s.email for s in second.sign_ups}
    pairs = {frozenset((again_of[a], again_of[b])) for g in second.groups for a, b in combinations(g.member_ids, 2)}
    assert len(second.groups) == 4 and not pairs & met


def test_round_pages_are_for_the_supervisor(client: FlaskClient, db: Session, programme: Programme, coach: Person) -> None:
    sign_in(client, coach)
    assert client.get(ROUNDS).status_code == 403
    assert client.get("/intervision/unknown").status_code == 404


def test_participants_give_feedback_after_their_meeting_and_it_reaches_the_report(
    client: FlaskClient, db: Session, programme: Programme, supervisor: Person
) -> None:
    from scheduler.services.feedback import operations as feedback

    sign_in(client, supervisor)
    round_ = _open(client, db, "Autumn")
    public = client.application.test_client()
    for i in range(4):
        _sign_up(public, round_, i)
    post(client, f"{ROUNDS}{round_.id}/plan", page=f"{ROUNDS}{round_.id}")
    post(client, f"{ROUNDS}{round_.id}/schedule", page=f"{ROUNDS}{round_.id}")
    db.expire_all()
    [group] = db.get_one(IntervisionRound, round_.id).groups
    assert feedback.send_due_intervision_feedback(db) == 0  # the meeting has not happened yet
    after = group.end_utc + dt.timedelta(hours=1)
    assert feedback.send_due_intervision_feedback(db, after) == 4
    db.commit()
    assert feedback.send_due_intervision_feedback(db, after) == 0  # once each
    rows = db.scalars(select(OutboxMessage).where(OutboxMessage.kind == feedback.FEEDBACK)).all()
    token = rows[0].payload["token"]
    page = f"/feedback/{token}"
    assert "How was your intervision meeting?" in public.get(page).get_data(as_text=True)
    done = post(public, page, {"rating": "5", "would_recommend": "yes"}, page=page)
    assert "your feedback is recorded" in done.get_data(as_text=True)
    report = client.get("/supervisor/report/").get_data(as_text=True)
    assert "Intervision participants: 1 answers; average 5.0 of 5; 100% would recommend." in report
