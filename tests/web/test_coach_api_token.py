"""A coach creates, uses and revokes their own API token from their pages."""

from __future__ import annotations

import re

from flask.testing import FlaskClient

from tests.web.conftest import Person, post, sign_in


def _token(html: str) -> str:
    found = re.search(r'<input type="text" id="token" value="([^"]+)" readonly>', html)
    assert found is not None, "no token shown"
    return found.group(1)


def test_a_coach_creates_a_token_that_the_api_knows_as_them_and_revokes_it(client: FlaskClient, coach: Person) -> None:
    sign_in(client, coach)
    page = client.get("/coach/api-token").get_data(as_text=True)
    assert "You have no token." in page and "Create a token" in page

    created = post(client, "/coach/api-token", page="/coach/api-token")
    assert created.status_code == 200 and created.headers["Cache-Control"] == "no-store"
    token = _token(created.get_data(as_text=True))
    # Shown once: the page shows no token afterwards, only that one exists.
    again = client.get("/coach/api-token").get_data(as_text=True)
    assert token not in again and "You have a token." in again

    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 200 and me.get_json()["role"] == "coach"

    replaced = _token(post(client, "/coach/api-token", page="/coach/api-token").get_data(as_text=True))
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {replaced}"}).status_code == 200

    revoked = post(client, "/coach/api-token/revoke", page="/coach/api-token")
    assert revoked.status_code == 303
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {replaced}"}).status_code == 401


def test_the_coach_token_page_is_for_coaches_only(client: FlaskClient, supervisor: Person) -> None:
    assert client.get("/coach/api-token").status_code in (302, 401, 403)
    sign_in(client, supervisor)
    assert client.get("/coach/api-token").status_code == 403
    assert post(client, "/coach/api-token", page="/supervisor/api-token").status_code == 403
