"""No calendar item carries a token that opens anything; the e-mail body may carry the private link."""

from __future__ import annotations

import hashlib
import re
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

from flask import Flask
from flask.testing import FlaskClient
from icalendar import Calendar
from sqlalchemy import select
from sqlalchemy.orm import Session

from scheduler.models import AccessToken, Coach, OutboxMessage, Programme
from scheduler.services.coaches import feeds
from scheduler.services.messaging import delivery, outbox
from scheduler.services.requests.intake import send_new_link
from tests.web.conftest import Person, make_request, next_weekday_utc, post, propose

URL = re.compile(r"https?://[^\s\"<>]+")
SECRET_LIKE = re.compile(r"[A-Za-z0-9_\-]{20,}")


def _mails(mail_dir: Path) -> list[EmailMessage]:
    mails = []
    for path in sorted(mail_dir.glob("*.eml")):
        parsed = message_from_bytes(path.read_bytes(), policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        mails.append(parsed)
    return mails


def _calendars(mail: EmailMessage) -> list[str]:
    return [part.get_content() if isinstance(part.get_content(), str) else part.get_content().decode()
            for part in mail.walk() if part.get_content_type() == "text/calendar"]


def _known_secrets(db: Session) -> set[str]:
    hashes = {t.token_hash for t in db.scalars(select(AccessToken))}
    hashes |= {c.feed_token_hash for c in db.scalars(select(Coach)) if c.feed_token_hash}
    return hashes


def _opens_nothing(client: FlaskClient, url: str, private: list[str]) -> None:
    response = client.get(url.replace("http://127.0.0.1:5000", ""))
    body = response.get_data(as_text=True)
    assert response.status_code in (200, 302, 403, 404), url
    for value in private:
        assert value not in body, f"{url} shows {value}"


def test_no_calendar_item_carries_a_token_that_opens_anything(
    app: Flask, client: FlaskClient, db: Session, programme: Programme, coach: Person, tmp_path: Path
) -> None:
    request, _ = make_request(db, programme, coachee_name="Rosalind Okonkwo-Blake")
    engagement = propose(db, request, coach.coach_id, [next_weekday_utc(1, 10, weeks_ahead=2)])  # type: ignore[arg-type]
    db.commit()
    settings = app.config["SETTINGS"]
    with app.app_context():
        from web.unit_of_work import database

        with database().sessions() as s, s.begin():
            for session in engagement.sessions:
                outbox.enqueue_session_messages(s, s.merge(session), outbox.REQUEST)
            send_new_link(s, s.merge(request), link_days=30)
            feed_token = feeds.issue_feed_token(s, s.get(Coach, coach.coach_id))  # type: ignore[arg-type]
        sent, failed = delivery.deliver_all_pending(database(), settings)
    assert (sent, failed) == (3, 0)
    db.expire_all()
    secrets = _known_secrets(db)
    private = ["Rosalind Okonkwo-Blake", "kei@coachees.example", "Asia/Tokyo"]

    mails = _mails(Path(settings.mail_dir))
    calendars = [cal for mail in mails for cal in _calendars(mail)]
    assert len(calendars) == 2  # coach's and coachee's invitation
    feed = client.get(f"/feeds/{feed_token}.ics").get_data(as_text=True)
    for item in [*calendars, feed]:
        unfolded = item.replace("\r\n ", "")
        for candidate in SECRET_LIKE.findall(unfolded):
            assert hashlib.sha256(candidate.encode()).hexdigest() not in secrets, "a live token in a calendar"
        for event in Calendar.from_ical(item).walk("VEVENT"):
            links = URL.findall(str(event.get("DESCRIPTION", ""))) + ([str(event["URL"])] if "URL" in event else [])
            assert links
            for link in links:
                _opens_nothing(client, link, private)

    # The e-mail bodies still carry a private link that works (mail goes to one person).
    coachee_mail = next(m for m in mails if m["To"].addresses[0].addr_spec == "kei@coachees.example"
                        and _calendars(m))
    body = coachee_mail.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    [status_link] = [u for u in URL.findall(body) if "/r/" in u]
    assert hashlib.sha256(status_link.rsplit("/", 1)[1].encode()).hexdigest() in secrets
    assert "Rosalind Okonkwo-Blake" in client.get(status_link.replace("http://127.0.0.1:5000", "")).get_data(
        as_text=True)


def test_the_calendar_page_mails_a_fresh_link_and_old_links_keep_working(
    client: FlaskClient, db: Session, programme: Programme
) -> None:
    request, old_token = make_request(db, programme)
    db.commit()
    page = client.get(f"/request/link/{request.public_ref}")
    assert page.status_code == 200 and "Kei Coachee" not in page.get_data(as_text=True)
    assert post(client, f"/request/link/{request.public_ref}", page=f"/request/link/{request.public_ref}").status_code == 200
    links = db.scalars(select(OutboxMessage).where(OutboxMessage.kind == outbox.STATUS_LINK)).all()
    assert len(links) == 1 and links[0].recipient == "kei@coachees.example"
    # The link the coachee already had still opens their page.
    assert client.get(f"/r/{old_token}").status_code == 200
    # Pressing again at once sends nothing more (anyone who sees the calendar can press it).
    assert post(client, f"/request/link/{request.public_ref}", page=f"/request/link/{request.public_ref}").status_code == 200
    assert len(db.scalars(select(OutboxMessage).where(OutboxMessage.kind == outbox.STATUS_LINK)).all()) == 1

    unknown = post(client, "/request/link/0000000000000000", page="/request/link/0000000000000000")
    assert unknown.status_code == 200 and "If this request is still open" in unknown.get_data(as_text=True)
    assert len(db.scalars(select(OutboxMessage).where(OutboxMessage.kind == outbox.STATUS_LINK)).all()) == 1


def test_an_expired_link_lands_on_a_page_offering_a_fresh_one(client: FlaskClient) -> None:
    response = client.get("/r/expired-or-unknown-token")
    assert response.status_code == 403
    assert 'href="/request/new-link"' in response.get_data(as_text=True)
