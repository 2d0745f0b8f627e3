"""The input boundary: one refused and one accepted case per class of hostile input, through each door."""

from __future__ import annotations

import csv
import io

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from scheduler.models import AvailabilityRule, Coach, CoachingRequest, Programme, User
from scheduler.services import boundary
from scheduler.services.accounts import users as accounts
from scheduler.services.errors import InvalidInput
from scheduler.services.programmes.transfer import export_requests, import_coaches, neutralise_cell
from tests.web.conftest import Person, make_request, post
from tests.web.test_requests_form import GOOD


def _api_request(**changes: object) -> dict[str, object]:
    body: dict[str, object] = {
        "coachee_name": "Mia Coachee",
        "coachee_email": "mia@coachees.example",
        "timezone": "Europe/Brussels",
        "languages": ["en"],
        "topics": ["career"],
        "windows": {"mon": [["17:00", "20:00"]]},
        "consent": True,
    }
    body.update(changes)
    return {k: v for k, v in body.items() if v is not ...}


def _requests(db: Session) -> int:
    db.expire_all()
    return int(db.scalar(select(func.count()).select_from(CoachingRequest)) or 0)


# --- character policy -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "multi_line", "problem"),
    [
        ("Mia\x00", False, "control character (U+0000)"),
        ("Mia\r\nBcc: all@x.example", False, "single line"),
        ("Mia\u2028", False, "single line"),
        ("a\x1bb", True, "control character (U+001B)"),
        ("Mia Coachee", False, None),
        ("two\nlines\tand a tab", True, None),
    ],
)
def test_character_policy(value: str, multi_line: bool, problem: str | None) -> None:
    found = boundary.control_character_problem(value, multi_line=multi_line)
    assert (found is None) if problem is None else (problem in str(found))


def test_a_nul_in_the_sign_in_form_is_a_422_naming_the_field(client: FlaskClient, coach: Person) -> None:
    refused = post(client, "/login", {"email": coach.email + "\x00", "password": coach.password}, page="/login")
    assert refused.status_code == 422 and "email" in refused.get_data(as_text=True)
    assert post(client, "/login", {"email": coach.email, "password": coach.password}, page="/login").status_code == 302


def test_a_line_break_in_a_name_never_reaches_the_database(
    client: FlaskClient, db: Session, programme: Programme
) -> None:
    refused = post(client, "/request", {**GOOD, "coachee_name": "Mia\r\nReply-To: evil@x.example"})
    assert refused.status_code == 422 and _requests(db) == 0
    api = client.post("/api/v1/coaching-requests", json=_api_request(coachee_name="Mia\nBcc: evil@x.example"))
    assert api.status_code == 422 and api.get_json()["error"]["fields"] == {"coachee_name": "must be a single line"}
    accepted = post(client, "/request", {**GOOD, "message": "Two lines\nof context are fine here."})
    assert accepted.status_code == 303 and _requests(db) == 1


@pytest.mark.postgres
def test_nul_bytes_are_refused_on_postgresql_too(postgres_url: str, tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from config.settings import load_config
    from scheduler.db import Database
    from tests.web.conftest import make_programme
    from web import create_app

    database = Database(postgres_url)
    with database.sessions() as db:
        make_programme(db)
        db.commit()
    monkeypatch.setenv("VAR_DIR", str(tmp_path / "var"))
    settings = load_config("testing", database_url=postgres_url, secret_key="k" * 40, mail_dir=str(tmp_path / "m"))
    client = create_app(settings, database=database).test_client()
    assert post(client, "/login", {"email": "a\x00@x.example", "password": "p\x00"}, page="/login").status_code == 422
    assert post(client, "/request", {**GOOD, "organisation": "Harbour\x00"}).status_code == 422
    assert client.post("/api/v1/coaching-requests", json=_api_request(message="\x00")).status_code == 422
    assert client.post("/api/v1/coaching-requests", json=_api_request()).status_code == 201
    database.dispose()


# --- JSON types, unknown and missing keys -----------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"topics": True}, "topics"),
        ({"windows": {"mon": 5}}, "windows"),
        ({"sessions_wanted": "many"}, "sessions_wanted"),
        ({"consent": "yes please"}, "consent"),
        ({"coachee_name": "x" * 201}, "coachee_name"),
        ({"favourite_colour": "blue"}, "favourite_colour"),
        ({"coachee_email": ...}, "coachee_email"),
    ],
)
def test_api_bodies_of_the_wrong_shape_are_422_naming_the_field(
    client: FlaskClient, db: Session, programme: Programme, changes: dict[str, object], field: str
) -> None:
    response = client.post("/api/v1/coaching-requests", json=_api_request(**changes))
    assert response.status_code == 422
    assert field in response.get_json()["error"]["fields"]
    assert _requests(db) == 0


def test_a_body_of_the_right_shape_is_accepted(client: FlaskClient, db: Session, programme: Programme) -> None:
    response = client.post("/api/v1/coaching-requests", json=_api_request(topics="career, leadership"))
    assert response.status_code == 201 and _requests(db) == 1


# --- no silent loss ---------------------------------------------------------------------------


@pytest.fixture
def coach_api(client: FlaskClient, db: Session, coach: Person) -> dict[str, str]:
    user = db.get_one(User, coach.user_id)
    token = accounts.issue_api_token(db, user)
    db.commit()
    return {"Authorization": f"Bearer {token}"}


def _weekly_rules(db: Session, coach: Person) -> int:
    db.expire_all()
    return int(
        db.scalar(select(func.count()).select_from(AvailabilityRule).where(AvailabilityRule.coach_id == coach.coach_id))
        or 0
    )


@pytest.mark.parametrize(
    "body", [{"weekly": None}, {"weekley": {"mon": [["09:00", "10:00"]]}}, {}, {"weekly": {"mon": 5}}]
)
def test_put_availability_never_wipes_on_a_bad_shape(
    client: FlaskClient, db: Session, coach: Person, coach_api: dict[str, str], body: dict[str, object]
) -> None:
    before = _weekly_rules(db, coach)
    assert before > 0
    response = client.put("/api/v1/me/availability", headers=coach_api, json=body)
    assert response.status_code == 422
    assert _weekly_rules(db, coach) == before


def test_put_availability_with_the_full_shape_replaces_it(
    client: FlaskClient, db: Session, coach: Person, coach_api: dict[str, str]
) -> None:
    response = client.put("/api/v1/me/availability", headers=coach_api, json={"weekly": {"tue": [["09:00", "11:00"]]}})
    assert response.status_code == 200 and response.get_json()["weekly"] == {"tue": [["09:00", "11:00"]]}
    assert _weekly_rules(db, coach) == 1


# --- CSV ------------------------------------------------------------------------------------


def test_csv_export_neutralises_formula_cells(db: Session, programme: Programme) -> None:
    make_request(db, programme, coachee_name='=HYPERLINK("http://evil.example")', organisation="@SUM(A1)")
    make_request(db, programme, coachee_name="Plain Name", coachee_email="p@x.example", organisation="-1+2")
    rows = list(csv.DictReader(io.StringIO(export_requests(db, programme))))
    assert rows[0]["coachee_name"] == '\'=HYPERLINK("http://evil.example")' and rows[0]["organisation"] == "'@SUM(A1)"
    assert rows[1]["coachee_name"] == "Plain Name" and rows[1]["organisation"] == "'-1+2"
    for cell in ("+1", "\tx", "\rx"):
        assert neutralise_cell(cell) == "'" + cell
    assert neutralise_cell("career") == "career" and neutralise_cell(3) == 3


def test_csv_import_refuses_control_characters_naming_row_and_column(db: Session, programme: Programme) -> None:
    header = "name,email,timezone,languages\n"
    with pytest.raises(InvalidInput) as refused:
        import_coaches(
            db,
            programme,
            io.StringIO(header + 'Ada,ada@x.example,Europe/Brussels,en\n"Bo\x00b",bob@x.example,Europe/Brussels,en\n'),
        )
    assert "row 3, column name: contains a control character" in refused.value.message
    assert db.scalar(select(func.count()).select_from(Coach)) == 0
    added = import_coaches(db, programme, io.StringIO(header + "Ada,ada@x.example,Europe/Brussels,en\n"))
    assert [c.name for c in added] == ["Ada"]


def test_openapi_request_schemas_come_from_the_declarations(app: Flask) -> None:
    from web.api.openapi import openapi_document

    schemas = openapi_document()["components"]["schemas"]
    new_request = schemas["NewCoachingRequest"]
    assert new_request["additionalProperties"] is False
    assert new_request["properties"]["coachee_name"]["maxLength"] == boundary.NAME_LENGTH
    assert new_request["properties"]["consent"]["type"] == "boolean"
    assert schemas["WeeklyAvailability"]["required"] == ["weekly"]
