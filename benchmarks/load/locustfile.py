"""Load scenario: coachees asking and following, coaches and the supervisor reading their pages.

Run by `benchmarks/load/run.py` (or `make load`), which starts the production shape
(gunicorn, PostgreSQL, a Celery worker on Redis) on 127.0.0.1 and hands this file the
people to act as in LOAD_FIXTURES (a JSON file). Every request is named after its page,
so the report gives one line (errors, 95th percentile) per page.
"""

from __future__ import annotations

import json
import os
import random
import re
import time
import uuid
from typing import Any
from urllib.parse import urlencode, urlparse

from locust import FastHttpUser, between, events, task

FIXTURES: dict[str, Any] = json.loads(open(os.environ["LOAD_FIXTURES"], encoding="utf-8").read())  # noqa: SIM115

# How fast the simulated people go (LOAD_PACE): seconds between two pages, and the seconds a
# coachee spends filling in the request form before sending it.
# - "people": someone reads a page before the next one (5-15 s), and answering the form's
#   topics, languages, timezone and weekly hours takes a while (20-60 s).
# - "stress": every person clicks again after 1-3 s and sends the form the moment it loads,
#   several times the pace of real people; it shows where the machine saturates.
PACES = {"people": ((5.0, 15.0), (20.0, 60.0)), "stress": ((1.0, 3.0), (0.0, 0.0))}
READING, FILLING_IN = PACES[os.environ.get("LOAD_PACE", "people")]
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
TOPIC = re.compile(r'name="topics" value="([^"]+)"')


@events.test_start.add_listener
def _only_local(environment: Any, **_: Any) -> None:
    host = urlparse(environment.host or "").hostname
    if host != "127.0.0.1":
        raise SystemExit(f"this scenario runs against 127.0.0.1 only, not {host!r}")


# Every answer's time, one line each (seconds since the start, page, milliseconds, failed), so
# the report can tell the minute's first seconds (everyone arriving, signing in) from the rest.
_TIMINGS = open(os.environ["LOAD_TIMINGS"], "w", encoding="utf-8") if os.environ.get("LOAD_TIMINGS") else None  # noqa: SIM115
_STARTED = [time.monotonic()]


@events.test_start.add_listener
def _start_clock(**_: Any) -> None:
    _STARTED[0] = time.monotonic()


@events.request.add_listener
def _timed(name: str, response_time: float, exception: Any, **_: Any) -> None:
    if _TIMINGS is not None:
        _TIMINGS.write(
            f"{time.monotonic() - _STARTED[0]:.3f}\t{name}\t{response_time:.1f}\t{int(exception is not None)}\n"
        )


@events.quitting.add_listener
def _close_timings(**_: Any) -> None:
    if _TIMINGS is not None:
        _TIMINGS.close()


def _csrf(html: str) -> str:
    found = CSRF.search(html)
    if found is None:
        raise RuntimeError("no CSRF token on the page")
    return found.group(1)


class _Person(FastHttpUser):
    """Each simulated person comes from an address of their own, as real people do: the
    server runs behind one proxy (PROXY_HOPS=1) that names the client in X-Forwarded-For,
    so the per-client rate limits count each person, not the whole scenario.

    FastHttpUser (geventhttpclient) rather than HttpUser (requests): the load generator shares
    the machine with the server, and spends a fraction of the CPU per request doing so."""

    abstract = True

    def on_start(self) -> None:
        address = f"10.{random.randrange(256)}.{random.randrange(256)}.{random.randrange(1, 255)}"
        self.headers = {"X-Forwarded-For": address}

    def get(self, path: str, name: str) -> Any:
        return self.client.get(path, name=name, headers=self.headers)

    def post(self, path: str, form: dict[str, Any], name: str) -> Any:
        headers = {**self.headers, "Content-Type": "application/x-www-form-urlencoded"}
        return self.client.post(path, data=urlencode(form, doseq=True), name=name, headers=headers)


class _SignedIn(_Person):
    abstract = True
    role = ""

    def on_start(self) -> None:
        super().on_start()
        email = random.choice(FIXTURES[self.role + "s"])
        page = self.get("/login", name="sign-in: GET /login")
        self.post(
            "/login",
            {"csrf_token": _csrf(page.text), "email": email, "password": FIXTURES["password"]},
            name="sign-in: POST /login",
        )


class Coachee(_Person):
    """Most people: a coachee following their request, now and then a new one asking."""

    wait_time = between(*READING)
    weight = 16

    @task(4)
    def read_status(self) -> None:
        self.get(f"/r/{random.choice(FIXTURES['status_tokens'])}", name="coachee: GET /r/<token>")

    @task(1)
    def ask_for_coaching(self) -> None:
        form = self.get("/request", name="coachee: GET /request")
        topics = TOPIC.findall(form.text)
        time.sleep(random.uniform(*FILLING_IN))  # gevent's sleep under locust: other people go on
        self.post(
            "/request",
            {
                "csrf_token": _csrf(form.text),
                "coachee_name": "Load Coachee",
                "coachee_email": f"load-{uuid.uuid4().hex[:12]}@coachees.example",
                "organisation": "",
                "topics": random.sample(topics, min(2, len(topics))),
                "language_1": "en",
                "language_2": "",
                "language_3": "",
                "sessions_wanted": "3",
                "timezone": random.choice(["Europe/Brussels", "Asia/Tokyo", "America/New_York"]),
                "windows_mon": "17:00-20:00",
                "windows_thu": "09:00-12:00",
                "consent": "yes",
            },
            name="coachee: POST /request",
        )


class Coach(_SignedIn):
    wait_time = between(*READING)
    weight = 3
    role = "coach"

    @task(3)
    def sessions(self) -> None:
        self.get("/coach/", name="coach: GET /coach/")

    @task(1)
    def availability(self) -> None:
        self.get("/coach/availability", name="coach: GET /coach/availability")

    @task(1)
    def profile(self) -> None:
        self.get("/coach/profile", name="coach: GET /coach/profile")


class Supervisor(_SignedIn):
    wait_time = between(*READING)
    weight = 1
    role = "supervisor"

    @task(2)
    def queue(self) -> None:
        self.get("/supervisor/", name="supervisor: GET /supervisor/")

    @task(2)
    def draft(self) -> None:
        self.get("/supervisor/draft", name="supervisor: GET /supervisor/draft")

    @task(1)
    def load(self) -> None:
        self.get("/supervisor/load", name="supervisor: GET /supervisor/load")

    @task(1)
    def calendar(self) -> None:
        self.get("/supervisor/calendar", name="supervisor: GET /supervisor/calendar")

    @task(1)
    def supervision(self) -> None:
        self.get("/supervisor/supervision", name="supervisor: GET /supervisor/supervision")

    @task(1)
    def coaches(self) -> None:
        self.get("/supervisor/coaches", name="supervisor: GET /supervisor/coaches")
