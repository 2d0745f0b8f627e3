"""The fast paths of the pair scan agree with the rule-by-rule definitions."""

from __future__ import annotations

import random

from solver import Instance, parse_instance
from solver.calendar import Calendar
from solver.engagements import ChainFinder, StaticRules, static_blocks, survey
from tests.solver import builders as b


def random_instance(rng: random.Random) -> dict[str, object]:
    coaches = []
    for i in range(6):
        level = rng.choice(["trainee", "accredited", "senior"])
        coaches.append(
            b.coach(
                f"c{i}",
                timezone=rng.choice(["Europe/Brussels", "Europe/London", "America/New_York"]),
                languages=rng.sample(["en", "nl", "fr", "de"], rng.randint(1, 2)),
                level=level,
                supervisor=rng.choice(["s1", "s2"]) if level == "trainee" else None,
                organisation=rng.choice([None, "A", "B"]),
                max_active_coachees=rng.randint(1, 3),
                active_coachees=rng.randint(0, 3),
                buffer_minutes=rng.choice([0, 15, 60]),
                weekly={
                    d: [["08:00", "12:00"], ["17:00", "21:00"]] for d in rng.sample(["mon", "tue", "wed", "sun"], 2)
                },
                excluded_requests=rng.sample(["r0", "r1", "r2"], rng.randint(0, 1)),
            )
        )
    requests = [
        b.request(
            f"r{j}",
            timezone=rng.choice(["Europe/Brussels", "America/New_York"]),
            languages=rng.sample(["en", "nl", "fr", "pt"], rng.randint(1, 2)),
            organisation=rng.choice([None, "A", "B", "C"]),
            sensitive=rng.random() < 0.3,
            sessions=rng.randint(1, 4),
            min_gap_days=rng.choice([0, 1, 7]),
            max_gap_days=rng.choice([7, 14]),
            windows={d: [["07:00", "22:00"]] for d in rng.sample(["mon", "tue", "wed", "sun"], 3)},
            excluded_coaches=rng.sample([f"c{i}" for i in range(6)], rng.randint(0, 2)),
            pinned_coach=rng.choice([None, None, "c1", "c4"]),
        )
        for j in range(3)
    ]
    supervisors = [
        {"id": "s1", "max_trainee_engagements": 2, "active_trainee_engagements": rng.randint(0, 2)},
        {"id": "s2", "max_trainee_engagements": 1, "active_trainee_engagements": 0},
    ]
    # Four weeks across the end of European summer time (2027-10-31).
    return b.instance(
        coaches=coaches,
        requests=requests,
        supervisors=supervisors,
        now="2027-10-01T00:00:00Z",
        horizon={"start": "2027-10-18", "end": "2027-11-14"},
        slot_minutes=30,
    )


def test_static_rules_masks_match_static_blocks() -> None:
    rng = random.Random(5)
    for _ in range(40):
        instance = parse_instance(random_instance(rng))
        rules = StaticRules(instance)
        for request in instance.requests:
            expected = [c.id for c in instance.coaches if not static_blocks(instance, request, c)]
            assert [c.id for c in rules.allowed(request)] == expected


def _check_survey_pair_by_pair(instance: Instance, cap: int, *, listed_up_to: int = 0) -> None:
    """The survey of every request against all coaches gives each pair's slots, chain count
    (capped), first and last date and last start as pair by pair; up to `listed_up_to` chains the count is
    the number of chains listed."""
    calendar = Calendar(instance)
    for request in instance.requests:
        found = survey(calendar, request, list(instance.coaches), cap)
        for coach, seen in zip(instance.coaches, found, strict=True):
            times = calendar.pair_times(request, coach)
            if not len(times):
                assert seen is None
                continue
            assert seen is not None and seen.slots == len(times)
            finder = ChainFinder(request, coach, times)
            assert seen.chains == finder.count(cap)
            assert (seen.first_day, seen.last_day) == (int(times.coachee_day.min()), int(times.coachee_day.max()))
            assert seen.last_start == int(times.start.max())
            if seen.chains <= listed_up_to:
                assert seen.chains == sum(1 for _ in finder.all_chains())


def test_survey_matches_pair_by_pair_counting() -> None:
    rng = random.Random(7)
    for _ in range(12):
        _check_survey_pair_by_pair(parse_instance(random_instance(rng)), 10_000, listed_up_to=500)


def test_survey_arrays_match_pair_by_pair_on_varied_programmes() -> None:
    """Half-hour zones, 15-minute grids, busy time, overrides, gaps of 0 days, clock changes:
    the array survey (with its shortcuts: date table, buffer search only where needed) gives
    each pair's slots, chain count, first and last date and last start as pair by pair."""
    from tests.solver.test_greedy_reference import random_programme

    for seed in range(40):
        _check_survey_pair_by_pair(parse_instance(random_programme(seed)), 50)
