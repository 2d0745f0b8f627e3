"""Feedback by private link, private session notes (nobody else reads them), and the programme report."""

from __future__ import annotations

import csv
import datetime as dt
import io

from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from scheduler.models import OutboxMessage, Programme
from scheduler.services.attendance import operations as attendance
from scheduler.services.feedback import operations as feedback
from scheduler.services.feedback.models import Feedback
from tests.web.conftest import Person, make_coach, make_request, post, propose, sign_in


def _finished_engagement(db: Session, programme: Programme, coach: Person) -> int:
    request, _ = make_request(db, programme, topics=["career", "wellbeing"])
    start = dt.datetime.now(dt.UTC).replace(microsecond=0) - dt.timedelta(days=20)
    assert coach.coach_id is not None
    engagement = propose(db, request, coach.coach_id, [start, start + dt.timedelta(days=7), start + dt.timedelta(days=14)])
    db.commit()
    return engagement.id


def _feedback_token(db: Session) -> str:
    assert feedback.send_due_feedback_forms(db) == 1
    db.commit()
    assert feedback.send_due_feedback_forms(db) == 0  # once per engagement
    payload = db.scalar(select(OutboxMessage.payload).where(OutboxMessage.kind == feedback.FEEDBACK))
    return str(payload["token"])


def test_coachee_gives_feedback_once_and_it_appears_in_the_report(
    client: FlaskClient, db: Session, programme: Programme, coach: Person, supervisor: Person
) -> None:
    _finished_engagement(db, programme, coach)
    token = _feedback_token(db)
    page = f"/feedback/{token}"
    assert "How was your coaching?" in client.get(page).get_data(as_text=True)
    bad = post(client, page, {"rating": "9", "comment": "x"}, page=page)
    assert "choose from 1 to 5" in bad.get_data(as_text=True) and "choose yes or no" in bad.get_data(as_text=True)
    ok = post(client, page, {"rating": "4", "would_recommend": "yes", "comment": "Helpful."}, page=page)
    assert "your feedback is recorded" in ok.get_data(as_text=True)
    db.expire_all()
    stored = db.scalars(select(Feedback)).one()
    assert (stored.rating, stored.would_recommend, stored.comment) == (4, True, "Helpful.")
    again = post(client, page, {"rating": "1", "would_recommend": "no"}, page="/request")
    assert again.status_code == 200 and "your feedback is recorded" in again.get_data(as_text=True)
    db.expire_all()
    assert db.scalars(select(Feedback)).one().rating == 4  # answered once
    assert client.get("/feedback/unknown-token").status_code == 403

    sign_in(client, supervisor)
    report = client.get("/supervisor/report/").get_data(as_text=True)
    assert "1 answers; average 4.0 of 5; 100% would recommend" in report
    assert "<svg" in report and "http" not in report.split("<svg", 1)[1].split("</svg>", 1)[0].replace('xmlns="http://www.w3.org/2000/svg"', "")
    download = client.get("/supervisor/report/feedback.csv")
    assert download.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(download.get_data(as_text=True))))
    assert rows[0] == ["Rating", "Coachees", "Intervision participants"] and ["4 of 5", "1", "0"] in rows


def test_report_counts_outcomes_and_topic_demand(client: FlaskClient, db: Session, programme: Programme, coach: Person, supervisor: Person) -> None:
    engagement_id = _finished_engagement(db, programme, coach)
    from scheduler.models import Engagement

    sessions = db.get_one(Engagement, engagement_id).sessions
    assert coach.coach_id is not None
    attendance.record_outcome(db, sessions[0].id, "held", coach_id=coach.coach_id)
    attendance.record_outcome(db, sessions[1].id, "no_show", coach_id=coach.coach_id)
    db.commit()
    sign_in(client, supervisor)
    page = client.get("/supervisor/report/").get_data(as_text=True)
    assert "No-show rate: 50.0% of 2 sessions recorded." in page
    topics = list(csv.reader(io.StringIO(client.get("/supervisor/report/topics.csv").get_data(as_text=True))))
    # 'wellbeing' is asked for and no coach offers it: it comes first.
    assert topics[1] == ["wellbeing", "1", "0"]
    assert client.get("/supervisor/report/nothing.csv").status_code == 404


def test_report_is_for_the_supervisor_only(client: FlaskClient, db: Session, programme: Programme, coach: Person) -> None:
    assert client.get("/supervisor/report/").status_code in (302, 401, 403)
    sign_in(client, coach)
    assert client.get("/supervisor/report/").status_code == 403
    assert client.get("/supervisor/report/feedback.csv").status_code == 403


def test_private_notes_are_read_by_their_coach_only(client: FlaskClient, db: Session, programme: Programme, coach: Person, supervisor: Person) -> None:
    engagement_id = _finished_engagement(db, programme, coach)
    from scheduler.models import Engagement

    session_id = db.get_one(Engagement, engagement_id).sessions[0].id
    sign_in(client, coach)
    url = f"/coach/sessions/{session_id}/note"
    assert post(client, url, {"note": "Kei wants to practise saying no."}, page=url).status_code == 303
    assert "Kei wants to practise saying no." in client.get(url).get_data(as_text=True)

    other = make_coach(db, programme, "bo@coaches.example", name="Bo Other")
    db.commit()
    for person, allowed in ((other, 404), (supervisor, 403)):
        visitor = client.application.test_client()
        sign_in(visitor, person)
        response = visitor.get(url)
        assert response.status_code == allowed
        assert "saying no" not in response.get_data(as_text=True)
        for page in ("/supervisor/", "/supervisor/report/", "/coach/", "/coach/attendance"):
            assert "saying no" not in visitor.get(page).get_data(as_text=True)
    assert client.application.test_client().get(url).status_code in (302, 401)
