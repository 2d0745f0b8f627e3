"""Figures of the programme, each a `Figure`: a title, column names and rows, so one structure
feeds the chart, the table a screen reader reads, and the CSV download."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from scheduler.models import (
    Coach,
    CoachingRequest,
    CoachingSession,
    Engagement,
    Programme,
    utcnow,
)
from scheduler.services.attendance.models import Outcome, SessionAttendance
from scheduler.services.errors import NotFound
from scheduler.services.feedback.models import Feedback
from scheduler.services.intervision.models import IntervisionRound, IntervisionSignUp
from scheduler.services.planning.supervision import supervision_ledger

WAITING_BUCKETS = ((0, 7, "up to 1 week"), (8, 14, "1-2 weeks"), (15, 30, "2-4 weeks"), (31, 60, "1-2 months"), (61, None, "over 2 months"))


@dataclass
class Figure:
    """One figure of the report: `rows` hold a label and numbers; `chart` names the column drawn."""

    slug: str
    title: str
    columns: list[str]
    rows: list[list[str | int | float]]
    chart: list[int] = field(default_factory=lambda: [1])  # indexes of the columns drawn as bars
    note: str = ""

    @property
    def peak(self) -> float:
        values = [float(row[i]) for row in self.rows for i in self.chart if isinstance(row[i], int | float)]
        return max(values, default=0.0) or 1.0

    def csv(self) -> str:
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(self.columns)
        for row in self.rows:
            # A cell starting with = + - @ would be a formula in a spreadsheet: quote it as text.
            writer.writerow([f"'{v}" if isinstance(v, str) and v[:1] in "=+-@" else v for v in row])
        return out.getvalue()


def _month(moment: dt.datetime) -> str:
    return moment.strftime("%Y-%m")


def programme_report(db: Session, programme: Programme, *, now: dt.datetime | None = None) -> list[Figure]:
    """Every figure of the report, in the order the page shows them."""
    now = now or utcnow()
    requests = list(db.scalars(select(CoachingRequest).where(CoachingRequest.programme_id == programme.id)))
    approved = list(
        db.scalars(
            select(Engagement)
            .join(CoachingRequest)
            .where(CoachingRequest.programme_id == programme.id, Engagement.approved_at.is_not(None))
        )
    )
    first_approval: dict[int, dt.datetime] = {}
    for engagement in approved:
        assert engagement.approved_at is not None
        if engagement.request_id not in first_approval or engagement.approved_at < first_approval[engagement.request_id]:
            first_approval[engagement.request_id] = engagement.approved_at
    received = Counter(_month(r.submitted_at) for r in requests)
    served = Counter(_month(at) for at in first_approval.values())
    months = sorted(set(received) | set(served))
    figures = [
        Figure(
            "requests-per-month",
            "Requests received and served per month",
            ["Month", "Received", "Served"],
            [[m, received[m], served[m]] for m in months],
            chart=[1, 2],
            note="Served: the month the request's engagement was approved.",
        )
    ]

    submitted = {r.id: r.submitted_at for r in requests}
    waits = [(at - submitted[rid]).days for rid, at in first_approval.items() if rid in submitted]
    buckets = [
        [label, sum(1 for w in waits if low <= w and (high is None or w <= high))] for low, high, label in WAITING_BUCKETS
    ]
    median = sorted(waits)[len(waits) // 2] if waits else 0
    figures.append(
        Figure(
            "waiting-time",
            "Waiting time from request to approved engagement",
            ["Waited", "Requests"],
            buckets,
            note=f"{len(waits)} requests served; median wait {median} days.",
        )
    )

    coaches = list(db.scalars(select(Coach).where(Coach.programme_id == programme.id).order_by(Coach.name)))
    outcomes: dict[int, Counter[str]] = defaultdict(Counter)
    for coach_id, outcome in db.execute(
        select(CoachingSession.coach_id, SessionAttendance.outcome).join(
            SessionAttendance, SessionAttendance.session_id == CoachingSession.id
        )
    ):
        outcomes[coach_id][outcome] += 1
    figures.append(
        Figure(
            "sessions-per-coach",
            "Sessions held per coach",
            ["Coach", "Held", "No-show", "Cancelled late"],
            [
                [c.name, outcomes[c.id][Outcome.HELD.value], outcomes[c.id][Outcome.NO_SHOW.value], outcomes[c.id][Outcome.CANCELLED_LATE.value]]
                for c in coaches
            ],
        )
    )
    total = Counter[str]()
    for counts in outcomes.values():
        total.update(counts)
    recorded = sum(total.values())
    rate = round(100 * total[Outcome.NO_SHOW.value] / recorded, 1) if recorded else 0.0
    figures.append(
        Figure(
            "no-show-rate",
            "Outcome of sessions once over",
            ["Outcome", "Sessions", "Share %"],
            [
                [label, total[value], round(100 * total[value] / recorded, 1) if recorded else 0.0]
                for value, label in ((Outcome.HELD.value, "Held"), (Outcome.NO_SHOW.value, "No-show"), (Outcome.CANCELLED_LATE.value, "Cancelled late"))
            ],
            note=f"No-show rate: {rate}% of {recorded} sessions recorded.",
        )
    )

    ledger = supervision_ledger(db, programme, now=now)
    within = [line for line in ledger.coaches if line.committed_hours <= line.max_hours]
    figures.append(
        Figure(
            "supervision",
            "Supervision compliance: hours since the last supervision against the limit",
            ["Coach", "Hours", "Limit", "Next supervision"],
            [
                [line.coach.name, line.committed_hours, line.max_hours, line.next_supervision.strftime("%Y-%m-%d") if line.next_supervision else "none planned"]
                for line in ledger.coaches
            ],
            chart=[1],
            note=f"{len(within)} of {len(ledger.coaches)} coaches within their limit.",
        )
    )

    answered = list(
        db.scalars(
            select(Feedback)
            .join(Engagement, Engagement.id == Feedback.engagement_id)
            .join(CoachingRequest, CoachingRequest.id == Engagement.request_id)
            .where(Feedback.submitted_at.is_not(None), CoachingRequest.programme_id == programme.id)
        )
    )
    peers = list(
        db.scalars(
            select(Feedback)
            .join(IntervisionSignUp, IntervisionSignUp.id == Feedback.intervision_sign_up_id)
            .join(IntervisionRound, IntervisionRound.id == IntervisionSignUp.round_id)
            .where(Feedback.submitted_at.is_not(None), IntervisionRound.programme_id == programme.id)
        )
    )
    ratings, peer_ratings = Counter(f.rating for f in answered), Counter(f.rating for f in peers)
    figures.append(
        Figure(
            "feedback",
            "Feedback: ratings",
            ["Rating", "Coachees", "Intervision participants"],
            [[f"{stars} of 5", ratings[stars], peer_ratings[stars]] for stars in range(5, 0, -1)],
            chart=[1, 2],
            note=f"Coachees: {_summary(answered)} Intervision participants: {_summary(peers)}",
        )
    )

    demand = Counter(topic for r in requests for topic in r.topics)
    supply = Counter(topic for c in coaches if c.active for topic in c.topics)
    topics = sorted(set(programme.topics) | set(demand) | set(supply), key=lambda t: (-(demand[t] - supply[t]), t))
    figures.append(
        Figure(
            "topics",
            "Topic demand against coach supply (where to recruit)",
            ["Topic", "Requests", "Coaches"],
            [[t, demand[t], supply[t]] for t in topics],
            chart=[1, 2],
            note="Topics with many requests per coach come first.",
        )
    )
    return figures


def _summary(answers: list[Feedback]) -> str:
    if not answers:
        return "no answers yet."
    mean = round(sum(f.rating or 0 for f in answers) / len(answers), 2)
    recommend = round(100 * sum(1 for f in answers if f.would_recommend) / len(answers))
    return f"{len(answers)} answers; average {mean} of 5; {recommend}% would recommend."


def figure(db: Session, programme: Programme, slug: str) -> Figure:
    """One figure by its slug (for its CSV download), or NotFound."""
    for item in programme_report(db, programme):
        if item.slug == slug:
            return item
    raise NotFound("No such figure in the report.")
