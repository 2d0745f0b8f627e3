"""The supervisor's view of the queue and of the draft plan: who waits, what the solver proposes and why."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

import solver
from scheduler.models import (
    Coach,
    CoachingRequest,
    Engagement,
    EngagementStatus,
    Programme,
    SolveRun,
    SolveRunStatus,
    utcnow,
)
from scheduler.queries import (
    coach_names,
    draft_coach_and_start,
    draft_engagements,
    name_coaches,
    of_programme,
    waiting_requests,
)
from scheduler.services.errors import found
from scheduler.services.planning.solving import latest_run

# The solver's score terms (solver contract, objective tiers 2-5), in words.
SCORE_LABELS = {
    "topics": "Topics shared",
    "language": "Coachee's first language",
    "preferred_coach": "Coach the coachee asked for",
    "kept": "Kept from the previous draft",
    "earliness": "How soon it starts (1 = as early as possible)",
    "fairness": "Coach's spare capacity before this plan",
}
_COACH_REF = re.compile(r"\bc(\d+)\b")


@dataclass
class QueueEntry:
    request: CoachingRequest
    position: int
    waiting: dt.timedelta
    draft_coach: Coach | None  # the coach of its engagement in the current draft, if any
    draft_start: dt.datetime | None  # and when that engagement's first session starts
    pinned_coach: Coach | None
    excluded_coaches: list[Coach]

    @property
    def waiting_days(self) -> int:
        return self.waiting.days


def _coach_names(db: Session, programme: Programme) -> dict[int, Coach]:
    return {c.id: c for c in db.scalars(select(Coach).where(Coach.programme_id == programme.id))}


def request_queue(db: Session, programme: Programme, *, now: dt.datetime | None = None) -> list[QueueEntry]:
    """Waiting requests in the solver's order (priority, then longest waiting), with their draft if any."""
    now = now or utcnow()
    coaches = _coach_names(db, programme)
    drafts = draft_coach_and_start(db, programme)
    return [
        QueueEntry(
            request=r,
            position=position,
            waiting=max(dt.timedelta(0), now - r.submitted_at),
            draft_coach=coaches.get(drafts[r.id][0]) if r.id in drafts else None,
            draft_start=drafts[r.id][1] if r.id in drafts else None,
            pinned_coach=coaches.get(r.pinned_coach_id) if r.pinned_coach_id else None,
            excluded_coaches=[coaches[c] for c in r.excluded_coach_ids if c in coaches],
        )
        for position, r in enumerate(waiting_requests(db, programme), start=1)
    ]


@dataclass
class DraftAssignment:
    engagement: Engagement
    terms: list[tuple[str, str, float]]  # (key, label, value)
    explanation: list[str]


@dataclass
class UnservedRequest:
    request: CoachingRequest
    reasons: list[str]
    # The same reasons for programs: code, text and parameters (coach refs, dates, caps).
    details: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class DraftReview:
    run: SolveRun | None
    assignments: list[DraftAssignment]
    unserved: list[UnservedRequest]
    coaches: dict[int, Coach] = field(default_factory=dict)


def explain_assignment(engagement: Engagement) -> list[str]:
    """Why this coach for this request, in words, from the request, the coach and the solver's score."""
    request, coach, score = engagement.request, engagement.coach, engagement.score or {}
    out = []
    shared = [t for t in request.topics if t in coach.topics]
    out.append(f"Shares the topics {', '.join(shared)}." if shared else "Shares none of the requested topics.")
    spoken = [lang for lang in request.languages if lang in coach.languages]
    if spoken:
        first = " (the coachee's first choice)" if spoken[0] == request.languages[0] else ""
        out.append(f"Speaks {spoken[0]}{first}.")
    if coach.id in request.preferred_coach_ids:
        out.append("A coach the coachee asked for.")
    if request.pinned_coach_id == coach.id:
        out.append("Pinned to this coach by the supervisor.")
    kept = score.get("kept")
    previous = next(
        (
            e
            for e in reversed(request.engagements)
            if e.id < engagement.id and e.status == EngagementStatus.SUPERSEDED
        ),
        None,
    )
    if kept == 1:
        out.append("Unchanged from the previous draft.")
    elif kept == 0.5:
        out.append("Same coach as the previous draft, new times.")
    elif previous is not None and previous.coach_id != coach.id:
        out.append(f"Moved from {previous.coach.name} in the previous draft.")
    if "earliness" in score:
        out.append(
            f"Starts {'early' if score['earliness'] >= 0.5 else 'later'} in the horizon "
            f"(earliness {score['earliness']:g})."
        )
    return out


def unserved_for_reader(item: dict[str, Any], names: dict[int, str], timezone: str) -> dict[str, Any]:
    """A run's stored reasons for one unserved request, worded for a reader in `timezone`
    (weekly times and instants in that zone), coaches by name; codes and parameters kept."""
    details = [
        {
            **detail,
            "text": name_coaches(
                solver.for_reader(
                    solver.Reason(str(detail["code"]), str(detail["text"]), dict(detail.get("params") or {})), timezone
                ).text,
                names,
            ),
        }
        for detail in item.get("details", [])
    ]
    reasons = [d["text"] for d in details] or [name_coaches(str(r), names) for r in item.get("reasons", [])]
    return {**item, "reasons": reasons, "details": details}


def run_unserved(db: Session, run: SolveRun, timezone: str | None = None) -> list[dict[str, Any]]:
    """Every unserved request of `run` with its reasons for a reader in `timezone` (by default
    the programme's, where its supervisor works)."""
    names = coach_names(db, run.programme_id)
    zone = timezone or db.get_one(Programme, run.programme_id).timezone
    return [unserved_for_reader(item, names, zone) for item in run.unassigned or []]


def draft_review(db: Session, programme: Programme, timezone: str | None = None) -> DraftReview:
    """The current draft: each assignment with its score terms and explanation, and each waiting
    request without one, with the latest run's reasons worded for a reader in `timezone` (by
    default the programme's)."""
    coaches = _coach_names(db, programme)
    drafts = draft_engagements(db, programme, with_history=True)
    assignments = [
        DraftAssignment(
            engagement=e,
            terms=[(k, SCORE_LABELS.get(k, k.replace("_", " ").capitalize()), v) for k, v in (e.score or {}).items()],
            explanation=explain_assignment(e),
        )
        for e in drafts
    ]
    run = latest_run(db, programme)
    drafted = {e.request_id for e in drafts}
    reasons_of: dict[int, list[str]] = {}
    details_of: dict[int, list[dict[str, Any]]] = {}
    done = run if run is not None and run.status == "done" else _latest_done(db, programme)
    if done is not None:
        names = {coach_id: coach.name for coach_id, coach in coaches.items()}  # read above already
        for item in (unserved_for_reader(x, names, timezone or programme.timezone) for x in done.unassigned or []):
            reasons_of[int(item["request_id"])] = item["reasons"]
            details_of[int(item["request_id"])] = item["details"]
    unserved = [
        UnservedRequest(r, reasons_of.get(r.id, ["not in a solve yet: run the solver"]), details_of.get(r.id, []))
        for r in waiting_requests(db, programme)
        if r.id not in drafted
    ]
    return DraftReview(run, assignments, unserved, coaches)


def _latest_done(db: Session, programme: Programme) -> SolveRun | None:
    return db.scalar(
        select(SolveRun)
        .where(SolveRun.programme_id == programme.id, SolveRun.status == "done")
        .order_by(SolveRun.id.desc())
        .limit(1)
    )


def recent_runs(db: Session, programme: Programme, limit: int = 20) -> list[SolveRun]:
    """The programme's latest solve runs, newest first."""
    return list(
        db.scalars(
            select(SolveRun).where(SolveRun.programme_id == programme.id).order_by(SolveRun.id.desc()).limit(limit)
        )
    )


def programme_run(db: Session, programme: Programme, run_id: object) -> SolveRun:
    """Solve run `run_id` of this programme, or NotFound."""
    return found(of_programme(db, SolveRun, programme, run_id), f"There is no solve run {run_id}.")


def fail_run(db: Session, run: SolveRun, message: str) -> None:
    """Record that a queued run will never execute (e.g. its task could not be sent)."""
    run.status, run.error, run.finished_at = SolveRunStatus.FAILED, message, utcnow()
    db.flush()
