"""Letters from templates: one wording in both parts, names escaped in HTML only, links the web serves."""

from __future__ import annotations

import html
import re

import pytest
from markupsafe import escape

from config.settings import load_config
from scheduler.invites import letters
from scheduler.invites.places import Place
from scheduler.services.messaging import links

NAME = 'Zoë <script>alert("x")</script> & Co'
WHEN = "Monday 12 April 2027, 11:00–12:00 (America/New_York)"
CASES = {
    **{
        f"session-{kind}-{role}": (letters.SESSION, {
            "kind": kind, "reader": {"name": NAME, "role": role},
            "other": {"name": "Ånna", "role": "coach" if role == "coachee" else "coachee"},
            "when": WHEN, "when_other": None if role == "coach" else "Monday 12 April 2027, 17:00–18:00 (Europe/Brussels)",
            "number": 2, "total": 5, "place": Place(url="https://video.example/r?a=1&b=2", note="Knock"),
            "manage_url": "https://coaching.example/r/token", "replies": role == "coach",
        })
        for kind in ("invitation", "update", "cancel", "reminder") for role in ("coach", "coachee")
    },
    "status-link": (letters.STATUS_LINK, {"reader": {"name": NAME, "role": "coachee"},
                                          "manage_url": "https://coaching.example/r/token"}),
    "coach-invitation": (letters.COACH_INVITATION, {"reader": {"name": NAME, "role": "coach"},
                                                    "manage_url": "https://coaching.example/set-password/t"}),
    **{
        f"answer-{answer}-{role}": (letters.ANSWER, {
            "answer": answer, "comment": "Travelling" if answer == "tentative" else "",
            "reader": {"name": NAME, "role": role}, "who": {"name": "Ånna", "role": "coach"},
            "coach_name": "Ånna", "coachee_name": NAME, "when": WHEN, "number": 1, "total": 3,
            "manage_url": "https://coaching.example/x",
        })
        for answer in ("declined", "tentative") for role in ("coach", "coachee", "supervisor")
    },
}


def _visible_text(markup: str) -> str:
    body = markup.split("<body>", 1)[1]
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", body)).split())


@pytest.mark.parametrize("case", sorted(CASES))
def test_both_parts_say_the_same_words(case: str) -> None:
    template, context = CASES[case]
    letter = letters.render(template, "en", **context)
    text = " ".join(letter.text.split())
    visible = _visible_text(letter.html)
    # The same words in the same order: the text part adds only underlines and bare URLs.
    def words(value: str) -> list[str]:
        return [w.strip(":<>") for w in value.split() if not set(w) <= set("=-") and not w.strip("<>").startswith("https://")]

    assert words(letter.text) == words(visible), case
    assert letter.subject and "\n" not in letter.subject
    assert NAME in text, "the text part writes the name as it is"
    assert "<script>" not in letter.html and str(escape(NAME)) in letter.html
    assert '<html lang="en">' in letter.html


def test_link_texts_say_where_they_go() -> None:
    for case, (template, context) in CASES.items():
        markup = letters.render(template, "en", **context).html
        for label in re.findall(r"<a [^>]*>([^<]+)</a>", markup):
            assert len(label.split()) >= 2 or label.startswith("https://"), (case, label)
            assert not label.endswith(":"), (case, label)


def test_every_link_we_send_is_a_page_the_web_serves() -> None:
    from web import create_app

    settings = load_config("testing", database_url="sqlite://", secret_key="k", base_url="https://coaching.example")
    app = create_app(settings)
    adapter = app.url_map.bind("coaching.example", url_scheme="https")
    for url in (links.status_url(settings, "abc"), links.coach_sessions_url(settings),
                links.set_password_url(settings, "abc"), links.supervisor_calendar_url(settings),
                links.reschedule_url(settings, "abc", 7)):
        path = url.removeprefix("https://coaching.example")
        endpoint, _ = adapter.match(path, method="GET")
        assert endpoint, url
