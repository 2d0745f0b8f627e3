"""A demo programme like the seed community's: 16 volunteer coaches, 1 supervisor, 60 requests.

Seeded, so every run loads the same people; dates are relative to today so the demo is
always in the future. Names are invented; e-mail addresses use reserved example domains.
"""

from __future__ import annotations

import datetime as dt
import random
import secrets
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.security import generate_password_hash

from scheduler.models import (
    AvailabilityException,
    AvailabilityRule,
    Coach,
    CoachingRequest,
    Level,
    Programme,
    Role,
    Supervisor,
    User,
)
from scheduler.services.errors import Conflict
from scheduler.weekly import WEEKDAYS

TOPICS = [
    "career-change", "leadership", "burnout-prevention", "job-search", "team-conflict",
    "work-life-balance", "first-manager-role", "career-crossroads", "confidence", "facilitation",
    "learning-design", "freelancing",
]
SENSITIVE_TOPICS = ["burnout-prevention"]
LANGUAGES = ["en", "nl", "fr", "de", "es"]
COACH_TIMEZONES = ["Europe/Brussels"] * 6 + ["Europe/Amsterdam"] * 3 + ["Europe/London"] * 2 + [
    "Europe/Paris", "Europe/Berlin", "America/New_York", "Asia/Singapore", "Europe/Madrid"
]
COACHEE_TIMEZONES = ["Europe/Brussels"] * 8 + ["Europe/Amsterdam"] * 4 + ["Europe/London"] * 3 + [
    "Europe/Paris", "Europe/Berlin", "America/New_York", "America/Toronto", "Asia/Singapore", "Europe/Lisbon"
]
FIRST = ["Anna", "Bram", "Chloé", "Daan", "Eva", "Femke", "Gert", "Hanne", "Ines", "Jonas", "Karel", "Lotte",
         "Mila", "Noah", "Olivia", "Pieter", "Quinten", "Roos", "Sara", "Tom", "Ursula", "Vik", "Wout", "Yara"]
LAST = ["Peeters", "Janssens", "Maes", "Jacobs", "Mertens", "Willems", "Claes", "Goossens", "Wouters", "De Smet",
        "Dubois", "Lambert", "Martin", "Smith", "Müller", "García"]
ORGANISATIONS = ["Acme Learning", "Beta Bank", "Gamma Health", "Delta Public Services", "Epsilon Tech", None, None]

SUPERVISOR_EMAIL = "supervisor@programme.example"


@dataclass(frozen=True)
class DemoLogins:
    """Passwords of the demo accounts: printed once, stored only hashed."""

    supervisor_email: str
    supervisor_password: str
    coach_email: str
    coach_password: str


def _next_monday(today: dt.date) -> dt.date:
    return today + dt.timedelta(days=7 - today.weekday())


def _name(rng: random.Random) -> str:
    return f"{rng.choice(FIRST)} {rng.choice(LAST)}"


def _languages(rng: random.Random, wide: bool) -> list[str]:
    first = rng.choices(["en", "nl", "fr", "de"], weights=[5, 4, 2, 1])[0]
    others = [lang for lang in LANGUAGES if lang != first]
    extra = rng.sample(others, k=rng.choice([1, 2] if wide else [0, 1]))
    return [first, *extra] if first == "en" else [first, "en", *[e for e in extra if e != "en"]][: 2 + int(wide)]


def load_demo(db: Session, *, today: dt.date | None = None, password: str | None = None, seed: int = 2026) -> DemoLogins:
    """Create the demo programme; Conflict if one exists already."""
    if db.scalar(select(Programme.id).limit(1)) is not None:
        raise Conflict("a programme exists already; the demo loads only into an empty database")
    rng = random.Random(seed)
    today = today or dt.date.today()
    start = _next_monday(today)
    programme = Programme(
        name="L&D Community Coaching Programme",
        timezone="Europe/Brussels",
        horizon_start=start,
        horizon_end=start + dt.timedelta(weeks=12, days=-1),
        slot_minutes=30,
        session_minutes=60,
        min_notice_hours=48,
        min_gap_days=7,
        max_gap_days=21,
        topics=TOPICS,
        sensitive_topics=SENSITIVE_TOPICS,
        languages=LANGUAGES,
    )
    db.add(programme)
    db.flush()

    supervisor_password = password or secrets.token_urlsafe(12)
    supervisor_user = User(email=SUPERVISOR_EMAIL, password_hash=generate_password_hash(supervisor_password), role=Role.SUPERVISOR)
    db.add(supervisor_user)
    db.flush()
    supervisor = Supervisor(programme_id=programme.id, name="Marieke Vermeulen", email=SUPERVISOR_EMAIL,
                            max_trainee_engagements=6, user_id=supervisor_user.id)
    db.add(supervisor)
    db.flush()

    coach_password = password or secrets.token_urlsafe(12)
    coaches = []
    for index, tz in enumerate(COACH_TIMEZONES):
        level = Level.TRAINEE if index % 5 == 3 else (Level.SENIOR if index % 4 == 0 else Level.ACCREDITED)
        email = f"coach{index + 1:02d}@programme.example"
        # Only the first coach can sign in at once; the others set a password from their invitation.
        password_hash = generate_password_hash(coach_password) if index == 0 else None
        user = User(email=email, password_hash=password_hash, role=Role.COACH)
        db.add(user)
        db.flush()
        coach = Coach(
            programme_id=programme.id,
            name=_name(rng),
            email=email,
            timezone=tz,
            languages=_languages(rng, wide=True),
            topics=rng.sample(TOPICS, k=rng.randint(3, 6)) + (SENSITIVE_TOPICS if level != Level.TRAINEE and rng.random() < 0.5 else []),
            level=level.value,
            supervisor_id=supervisor.id if level == Level.TRAINEE else None,
            organisation=rng.choice(ORGANISATIONS),
            max_active_coachees=rng.choice([2, 3, 3, 4]),
            max_sessions_per_week=rng.choice([3, 4, 5]),
            max_sessions_per_day=2,
            buffer_minutes=rng.choice([0, 15, 15, 30]),
            coaching_hours_since_supervision=float(rng.randint(0, 10)),
            next_supervision=dt.datetime.combine(start + dt.timedelta(weeks=4), dt.time(10), tzinfo=dt.UTC),
            user_id=user.id,
        )
        evening = rng.choice([dt.time(17, 0), dt.time(18, 0)])
        for weekday in rng.sample(range(5), k=3):
            coach.availability.append(AvailabilityRule(weekday=weekday, start=evening, end=dt.time(21, 0)))
        if rng.random() < 0.5:
            coach.availability.append(AvailabilityRule(weekday=5, start=dt.time(9, 0), end=dt.time(12, 0)))
        if rng.random() < 0.4:
            coach.availability.append(AvailabilityRule(weekday=rng.randrange(5), start=dt.time(12, 0), end=dt.time(14, 0)))
        holiday = start + dt.timedelta(weeks=rng.randint(2, 8), days=rng.randrange(5))
        coach.exceptions.append(AvailabilityException(date=holiday, start=None, end=None))
        db.add(coach)
        coaches.append(coach)
    db.flush()

    submitted_base = dt.datetime.combine(today, dt.time(9), tzinfo=dt.UTC)
    for index in range(60):
        tz = rng.choice(COACHEE_TIMEZONES)
        topics = rng.sample(TOPICS, k=rng.choice([1, 2, 2, 3]))
        sensitive = rng.random() < 0.1
        if sensitive and SENSITIVE_TOPICS[0] not in topics:
            topics.append(SENSITIVE_TOPICS[0])
        windows: dict[str, list[list[str]]] = {}
        for day in rng.sample(WEEKDAYS[:5], k=rng.randint(2, 4)):
            windows[day] = [[rng.choice(["17:00", "17:30", "18:00"]), rng.choice(["20:30", "21:00", "22:00"])]]
        if rng.random() < 0.4:
            windows["sat"] = [["09:00", "13:00"]]
        db.add(
            CoachingRequest(
                programme_id=programme.id,
                coachee_name=_name(rng),
                coachee_email=f"coachee{index + 1:02d}@members.example",
                timezone=tz,
                languages=_languages(rng, wide=False),
                topics=topics,
                organisation=rng.choice(ORGANISATIONS),
                sessions_wanted=rng.choices([1, 2, 3, 4, 5, 6], weights=[1, 2, 6, 2, 1, 1])[0],
                session_minutes=programme.session_minutes,
                min_gap_days=programme.min_gap_days,
                max_gap_days=programme.max_gap_days,
                earliest_start=start + dt.timedelta(days=rng.choice([0, 0, 0, 7, 14])),
                windows=windows,
                priority=rng.choices([1, 2, 3], weights=[8, 3, 1])[0],
                sensitive=sensitive or SENSITIVE_TOPICS[0] in topics,
                consent=True,
                submitted_at=submitted_base - dt.timedelta(days=rng.randint(0, 40), hours=rng.randint(0, 23)),
            )
        )
    db.flush()
    return DemoLogins(SUPERVISOR_EMAIL, supervisor_password, coaches[0].email, coach_password)
