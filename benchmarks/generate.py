"""Seeded generator of realistic coaching programmes in the contract's instance format.

    python benchmarks/generate.py W2 --seed 1 -o w2.json
    python benchmarks/generate.py --coaches 30 --requests 200 --dst

The shape follows a European volunteer programme: most people in European timezones,
a few in the Americas and Asia; English spoken by most, then Dutch, French, German,
Spanish...; about 12 topics; about 20% trainee coaches, each with a supervisor; about
10% sensitive requests; 1-6 sessions per request, mostly 3; a 12-week horizon. The
``dst`` variant places the horizon across the March 2027 clock changes (America on
14 March, Europe on 28 March), so sessions meet offsets that change on different days.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

FORMAT = "coaching-instance/1"
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass(frozen=True)
class Workload:
    """A named benchmark size."""

    coaches: int
    requests: int
    dst: bool = False


WORKLOADS: dict[str, Workload] = {
    "W1": Workload(16, 60),
    "W2": Workload(50, 500),
    "W3": Workload(200, 2000),
    "W4": Workload(1000, 10000),
    "W1-DST": Workload(16, 60, dst=True),
    "W2-DST": Workload(50, 500, dst=True),
    "W3-DST": Workload(200, 2000, dst=True),
    "W4-DST": Workload(1000, 10000, dst=True),
}

# (timezone, weight, local language or None). Europe dominates; a few far-away members.
TIMEZONES: tuple[tuple[str, float, str | None], ...] = (
    ("Europe/Brussels", 18, "nl"),
    ("Europe/Amsterdam", 14, "nl"),
    ("Europe/London", 14, None),
    ("Europe/Paris", 10, "fr"),
    ("Europe/Berlin", 9, "de"),
    ("Europe/Madrid", 6, "es"),
    ("Europe/Dublin", 4, None),
    ("Europe/Lisbon", 3, "pt"),
    ("Europe/Rome", 3, "it"),
    ("Europe/Warsaw", 3, "pl"),
    ("Europe/Stockholm", 2, None),
    ("Europe/Helsinki", 2, None),
    ("America/New_York", 4, None),
    ("America/Toronto", 2, "fr"),
    ("America/Chicago", 1, None),
    ("America/Mexico_City", 1, "es"),
    ("Asia/Singapore", 2, None),
    ("Asia/Kolkata", 1, None),
    ("Asia/Tokyo", 1, None),
)

SECOND_LANGUAGES = (("fr", 6), ("de", 5), ("nl", 4), ("es", 4), ("it", 1), ("pt", 1))

TOPICS = (
    "career-change",
    "leadership",
    "first-job",
    "return-to-work",
    "entrepreneurship",
    "work-life-balance",
    "communication",
    "confidence",
    "team-conflict",
    "burnout-recovery",
    "management",
    "study-choice",
)

ORGANISATIONS_PER_PERSON = 0.08

# Blocks of local time people typically offer: (start, end).
COACH_BLOCKS = (
    ("09:00", "12:00"),
    ("13:00", "17:00"),
    ("10:00", "12:30"),
    ("18:00", "21:00"),
    ("19:00", "21:30"),
    ("07:30", "09:00"),
    ("14:00", "16:00"),
)
COACHEE_BLOCKS = (
    ("17:30", "21:00"),
    ("18:00", "20:00"),
    ("12:00", "14:00"),
    ("08:00", "10:00"),
    ("09:00", "12:00"),
    ("19:00", "22:00"),
    ("13:00", "17:00"),
)
WEEKEND_BLOCKS = (("09:00", "12:00"), ("10:00", "13:00"), ("14:00", "17:00"))


def _pick_weighted(rng: random.Random, options: tuple[tuple[Any, ...], ...]) -> tuple[Any, ...]:
    return rng.choices(options, weights=[o[1] for o in options])[0]


def _iso_z(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _weekly(rng: random.Random, blocks: tuple[tuple[str, str], ...], days: int) -> dict[str, list[list[str]]]:
    weekly: dict[str, list[list[str]]] = {}
    weekdays = rng.sample(WEEKDAYS[:5], k=min(days, 5))
    for day in weekdays:
        chosen = sorted(rng.sample(blocks, k=rng.choice((1, 1, 2))))
        intervals: list[list[str]] = []
        for start, end in chosen:
            # Keep intervals disjoint or merely touching; touching ones stay separate.
            if intervals and start < intervals[-1][1]:
                continue
            intervals.append([start, end])
        weekly[day] = intervals
    if rng.random() < 0.3:
        weekly[rng.choice(("sat", "sun"))] = [list(rng.choice(WEEKEND_BLOCKS))]
    return dict(sorted(weekly.items(), key=lambda item: WEEKDAYS.index(item[0])))


def _languages(rng: random.Random, local: str | None, english_share: float) -> list[str]:
    languages: list[str] = []
    if local is not None:
        languages.append(local)
    if local is None or rng.random() < english_share:
        languages.append("en")
    if rng.random() < 0.25:
        extra = _pick_weighted(rng, SECOND_LANGUAGES)[0]
        if extra not in languages:
            languages.append(extra)
    return languages


def generate(coaches: int, requests: int, seed: int = 0, dst: bool = False) -> dict[str, Any]:
    """Return an instance (a JSON-ready dict) with this many coaches and requests."""
    rng = random.Random(f"coaching-benchmark/{coaches}/{requests}/{seed}/{dst}")
    # A Monday, so the 12 weeks are whole ISO weeks in the programme timezone.
    horizon_start = date(2027, 2, 15) if dst else date(2026, 12, 7)
    horizon_end = horizon_start + timedelta(weeks=12) - timedelta(days=1)
    now = datetime.combine(horizon_start - timedelta(days=5), time(8, 0), tzinfo=UTC)

    n_organisations = max(3, int((coaches + requests) * ORGANISATIONS_PER_PERSON))
    organisations = [f"org-{i:04d}" for i in range(n_organisations)]

    n_supervisors = max(1, coaches // 12)
    supervisors = []
    for i in range(n_supervisors):
        supervisors.append(
            {
                "id": f"s{i + 1}",
                "max_trainee_engagements": rng.randint(4, 10),
                "active_trainee_engagements": rng.randint(0, 3),
            }
        )

    coach_list: list[dict[str, Any]] = []
    for i in range(coaches):
        tz_name, _, local = _pick_weighted(rng, TIMEZONES)
        level = rng.choices(("trainee", "accredited", "senior"), weights=(20, 50, 30))[0]
        max_active = rng.choice((2, 3, 3, 4, 5))
        busy: list[dict[str, Any]] = []
        for _ in range(rng.choice((0, 0, 1, 2, 3))):
            day = horizon_start + timedelta(days=rng.randrange(0, 84))
            hour = rng.choice((8, 10, 12, 15, 19))
            start = datetime.combine(day, time(hour, 0), tzinfo=UTC)
            length = rng.choice((60, 60, 90, 120))
            busy.append(
                {
                    "start": _iso_z(start),
                    "end": _iso_z(start + timedelta(minutes=length)),
                    "session": rng.random() < 0.6,
                }
            )
        busy.sort(key=lambda b: b["start"])
        overrides: list[dict[str, Any]] = []
        for day_offset in sorted(rng.sample(range(84), k=rng.choice((0, 0, 1, 2, 4)))):
            day = horizon_start + timedelta(days=day_offset)
            intervals = [] if rng.random() < 0.6 else [list(rng.choice(COACH_BLOCKS))]
            overrides.append({"date": day.isoformat(), "intervals": intervals})
        if rng.random() < 0.5:
            # A holiday week: a run of empty overrides.
            first = rng.randrange(0, 78)
            taken = {o["date"] for o in overrides}
            for d in range(first, first + 7):
                day = (horizon_start + timedelta(days=d)).isoformat()
                if day not in taken:
                    overrides.append({"date": day, "intervals": []})
            overrides.sort(key=lambda o: o["date"])
        next_supervision: str | None = None
        if rng.random() < 0.7:
            moment = datetime.combine(
                horizon_start + timedelta(days=rng.randrange(7, 70)),
                time(10, 0),
                tzinfo=UTC,
            )
            next_supervision = _iso_z(moment)
        coach: dict[str, Any] = {
            "id": f"c{i + 1}",
            "timezone": tz_name,
            "languages": _languages(rng, local, english_share=0.9),
            "topics": sorted(rng.sample(TOPICS, k=rng.randint(2, 5))),
            "level": level,
            "supervisor": rng.choice(supervisors)["id"] if level == "trainee" else None,
            "organisation": rng.choice(organisations) if rng.random() < 0.5 else None,
            "max_active_coachees": max_active,
            "active_coachees": rng.randint(0, max_active - 1),
            "max_sessions_per_week": rng.choice((2, 3, 3, 4, 5)),
            "max_sessions_per_day": rng.choice((1, 2, 2, 3)),
            "buffer_minutes": rng.choice((0, 15, 15, 30)),
            "weekly": _weekly(rng, COACH_BLOCKS, rng.randint(2, 4)),
            "overrides": overrides,
            "busy": busy,
            "coaching_hours_since_supervision": float(rng.choice((0, 2, 4.5, 8, 12, 20))),
            "next_supervision": next_supervision,
            "excluded_requests": [],
        }
        coach_list.append(coach)

    request_list: list[dict[str, Any]] = []
    for i in range(requests):
        tz_name, _, local = _pick_weighted(rng, TIMEZONES)
        sessions = rng.choices((1, 2, 3, 4, 5, 6), weights=(6, 14, 50, 15, 8, 7))[0]
        min_gap = rng.choice((7, 7, 7, 14, 3))
        max_gap = min_gap + rng.choice((7, 14, 14, 21))
        preferred: list[str] = []
        if rng.random() < 0.1:
            preferred = [rng.choice(coach_list)["id"]]
        excluded: list[str] = []
        if rng.random() < 0.05:
            excluded = [rng.choice(coach_list)["id"]]
        pinned: str | None = None
        if rng.random() < 0.01:
            pinned = rng.choice(coach_list)["id"]
        windows = _weekly(rng, COACHEE_BLOCKS, rng.randint(2, 5))
        request: dict[str, Any] = {
            "id": f"r{i + 1}",
            "timezone": tz_name,
            "languages": _languages(rng, local, english_share=0.6),
            "topics": sorted(rng.sample(TOPICS, k=rng.choice((1, 1, 2, 3)))),
            "organisation": rng.choice(organisations) if rng.random() < 0.7 else None,
            "sessions": sessions,
            "session_minutes": rng.choices((60, 45, 90), weights=(75, 15, 10))[0],
            "min_gap_days": min_gap,
            "max_gap_days": max_gap,
            "earliest_start": (horizon_start + timedelta(days=rng.choice((0, 0, 0, 7, 14, 28)))).isoformat(),
            "windows": windows,
            "priority": rng.choices((1, 2, 3), weights=(75, 20, 5))[0],
            "submitted_at": _iso_z(now - timedelta(days=rng.randrange(0, 120), minutes=rng.randrange(0, 1440))),
            "sensitive": rng.random() < 0.1,
            "preferred_coaches": preferred,
            "excluded_coaches": excluded,
            "pinned_coach": pinned,
        }
        request_list.append(request)

    # A few coaches exclude a request they know personally.
    for coach in coach_list:
        if rng.random() < 0.05:
            coach["excluded_requests"] = [rng.choice(request_list)["id"]]

    return {
        "format": FORMAT,
        "now": _iso_z(now),
        "horizon": {"start": horizon_start.isoformat(), "end": horizon_end.isoformat()},
        "timezone": "Europe/Brussels",
        "slot_minutes": 30,
        "min_notice_hours": 48,
        "supervision": {"max_hours_between": {"trainee": 15, "accredited": 35, "senior": 50}},
        "supervisors": supervisors,
        "coaches": coach_list,
        "requests": request_list,
        "current": [],
    }


def with_capacity_over_time(instance: dict[str, Any], seed: int = 0) -> dict[str, Any]:
    """The same programme with `capacity_over_time`: coachees counted at once (rules 5', 9').

    Each running engagement (`active_coachees`, `active_trainee_engagements`) gets an end
    instant, an evening in the first eight weeks of the horizon, from a random stream of
    its own, so the programme itself is exactly the one without the flag.
    """
    rng = random.Random(f"coaching-benchmark/running-ends/{seed}/{len(instance['coaches'])}")
    start = date.fromisoformat(instance["horizon"]["start"])

    def ends(count: int) -> list[str]:
        days = sorted(rng.randrange(0, 56) for _ in range(count))
        return [_iso_z(datetime.combine(start + timedelta(days=d), time(18, 0), tzinfo=UTC)) for d in days]

    out = dict(instance, capacity_over_time=True)
    out["coaches"] = [dict(c, active_engagements_end=ends(c["active_coachees"])) for c in instance["coaches"]]
    out["supervisors"] = [
        dict(s, active_trainee_engagements_end=ends(s["active_trainee_engagements"])) for s in instance["supervisors"]
    ]
    return out


def generate_workload(name: str, seed: int = 0) -> dict[str, Any]:
    """Return the instance of a named workload (``W1`` .. ``W4``, ``W1-DST``, ``W2-DST``)."""
    workload = WORKLOADS[name]
    return generate(workload.coaches, workload.requests, seed=seed, dst=workload.dst)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("workload", nargs="?", choices=sorted(WORKLOADS), help="a named workload")
    parser.add_argument("--coaches", type=int, help="number of coaches (instead of a named workload)")
    parser.add_argument("--requests", type=int, help="number of requests (instead of a named workload)")
    parser.add_argument(
        "--dst",
        action="store_true",
        help="place the horizon across the March DST changes",
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--capacity-over-time",
        action="store_true",
        help="count coachees at once (running engagements get end instants)",
    )
    parser.add_argument("-o", "--output", help="write here instead of standard output")
    args = parser.parse_args(argv)
    if args.workload:
        instance = generate_workload(args.workload, seed=args.seed)
    elif args.coaches and args.requests:
        instance = generate(args.coaches, args.requests, seed=args.seed, dst=args.dst)
    else:
        parser.error("name a workload or give --coaches and --requests")
    if args.capacity_over_time:
        instance = with_capacity_over_time(instance, seed=args.seed)
    text = json.dumps(instance, indent=1)
    if args.output:
        with open(args.output, "w", encoding="utf-8") as handle:
            handle.write(text + "\n")
    else:
        sys.stdout.write(text + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
