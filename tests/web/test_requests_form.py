"""The coachee's request form and the page after it."""

from __future__ import annotations

from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from scheduler.models import CoachingRequest, OutboxMessage, Programme
from tests.web.conftest import post

GOOD = {
    "coachee_name": "Mia Coachee",
    "coachee_email": "mia@coachees.example",
    "organisation": "Harbour Trust",
    "topics": ["career", "leadership"],
    "language_1": "nl",
    "language_2": "en",
    "language_3": "",
    "sessions_wanted": "4",
    "timezone": "America/Sao_Paulo",
    "windows_mon": "17:00-20:00",
    "windows_sat": "09:00-12:00, 14:00-15:00",
    "consent": "yes",
}


def test_form_offers_the_programme_topics_and_languages(client: FlaskClient, programme: Programme) -> None:
    html = client.get("/request").get_data(as_text=True)
    for topic in programme.topics:
        assert f'value="{topic}"' in html
    assert '<option value="nl"' in html and "Dutch" in html
    assert "data-detect-timezone" in html
    assert '<label for="windows_mon">Monday</label>' in html
    assert 'name="csrf_token"' in html


def test_submitting_stores_the_request_and_queues_the_private_link(
    client: FlaskClient, programme: Programme, db: Session
) -> None:
    response = post(client, "/request", GOOD, page="/request")
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/request/sent")
    page = client.get("/request/sent").get_data(as_text=True)
    assert "mia@coachees.example" in page

    request = db.scalar(select(CoachingRequest))
    assert request is not None
    assert request.languages == ["nl", "en"]
    assert request.topics == ["career", "leadership"]
    assert request.sessions_wanted == 4
    assert request.timezone == "America/Sao_Paulo"
    assert request.windows == {"mon": [["17:00", "20:00"]], "sat": [["09:00", "12:00"], ["14:00", "15:00"]]}
    assert request.organisation == "Harbour Trust"
    link = db.scalar(select(OutboxMessage).where(OutboxMessage.request_id == request.id))
    assert link is not None and link.kind == "LINK" and link.payload["token"]


def test_bad_input_names_each_field_and_keeps_what_was_typed(
    client: FlaskClient, programme: Programme, db: Session
) -> None:
    bad = {**GOOD, "coachee_email": "not-an-address", "topics": [], "windows_mon": "25:00-26:00", "consent": ""}
    response = post(client, "/request", bad, page="/request")
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="error-summary"' in html
    for field in ("coachee_email", "topics", "windows", "consent"):
        assert f'href="#{field}"' in html, field
        assert f'id="{field}-error"' in html, field
    assert 'aria-invalid="true"' in html
    assert 'value="Mia Coachee"' in html  # nothing typed is lost
    assert "25:00" in html
    assert db.scalar(select(CoachingRequest)) is None


def test_missing_first_language_is_named(client: FlaskClient, programme: Programme) -> None:
    response = post(client, "/request", {**GOOD, "language_1": "", "language_2": ""}, page="/request")
    assert response.status_code == 422
    assert "Languages: choose at least one language" in response.get_data(as_text=True)


def test_sent_page_without_a_submission_goes_back_to_the_form(client: FlaskClient, programme: Programme) -> None:
    response = client.get("/request/sent")
    assert response.status_code == 302


def test_new_link_is_sent_for_open_requests_only_and_answers_the_same(
    client: FlaskClient, programme: Programme, db: Session
) -> None:
    post(client, "/request", GOOD, page="/request")
    known = post(client, "/request/new-link", {"coachee_email": "MIA@coachees.example"}, page="/request/new-link")
    unknown = post(client, "/request/new-link", {"coachee_email": "nobody@x.example"}, page="/request/new-link")
    assert known.status_code == unknown.status_code == 200
    assert "a new link is on its way" in known.get_data(as_text=True)
    assert "a new link is on its way" in unknown.get_data(as_text=True)
    links = db.scalars(select(OutboxMessage).where(OutboxMessage.kind == "LINK")).all()
    assert len(links) == 2


def test_new_link_with_a_bad_address_names_the_field(client: FlaskClient, programme: Programme) -> None:
    response = post(client, "/request/new-link", {"coachee_email": "nope"}, page="/request/new-link")
    assert response.status_code == 422
    assert 'id="coachee_email-error"' in response.get_data(as_text=True)


def test_after_an_error_the_chosen_timezone_is_kept_not_redetected(client: FlaskClient, programme: Programme) -> None:
    html = post(client, "/request", {**GOOD, "consent": ""}, page="/request").get_data(as_text=True)
    assert "data-detect-timezone" not in html
    assert 'name="timezone" list="timezone-zones" value="America/Sao_Paulo"' in html
