"""A Hypothesis state machine over the engagement life cycle: submit, solve, approve, reschedule, cancel, decline, re-solve.

After every step, whatever the order: no coach has overlapping sessions (nor sessions
inside their buffer), every coach's caps per day, per week and in coachees at once hold,
and every live session has exactly one current invitation per participant.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import itertools
import shutil
import uuid
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule, run_state_machine_as_test
from sqlalchemy import select

from config.settings import load_config
from scheduler.db import Database
from scheduler.models import (
    Coach,
    CoachingRequest,
    CoachingSession,
    Engagement,
    EngagementStatus,
    OutboxMessage,
    Programme,
    RequestStatus,
    SessionStatus,
)
from scheduler.services.accounts import users as accounts
from scheduler.services.errors import ServiceError
from scheduler.services.messaging import outbox
from scheduler.services.planning import approval
from scheduler.services.planning.solving import solve_now
from scheduler.services.requests import intake, reschedule
from tests.web.conftest import make_coach, make_programme

# How far the runs got (a test that never approves or moves anything would prove little).
REACHED: Counter[str] = Counter()
ALL_DAY = {day: [["00:00", "24:00"]] for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}


class EngagementLifeCycle(RuleBasedStateMachine):
    template: Path
    workdir: Path

    def __init__(self) -> None:
        super().__init__()
        path = self.workdir / f"{uuid.uuid4().hex}.db"
        shutil.copyfile(self.template, path)
        self.database = Database(f"sqlite:///{path}")
        self.settings = load_config(
            "testing",
            database_url=self.database.url,
            secret_key="k" * 40,
            mail_dir=str(self.workdir / "mail"),
            solver_time_limit=2.0,
            solver_workers=1,
        )
        with self.database.sessions() as db, db.begin():
            programme = make_programme(db)
            programme.capacity_over_time = False  # coachees at once: the classic cap, checked below
            make_coach(db, programme, max_sessions_per_week=3, max_sessions_per_day=1, max_active_coachees=2)
            make_coach(db, programme, "bea@coaches.example", name="Bea", buffer_minutes=30, max_active_coachees=1)
            self.programme_id = programme.id
        self.numbers = itertools.count()

    def teardown(self) -> None:
        self.database.dispose()

    def _step(self, action) -> None:  # type: ignore[no-untyped-def]
        """One unit of work; a refusal (conflict, invalid) rolls back and changes nothing."""
        with self.database.sessions() as db:
            try:
                with db.begin():
                    action(db, db.get_one(Programme, self.programme_id))
            except ServiceError:
                pass

    # --- steps ------------------------------------------------------------------------------

    @initialize(topics=st.lists(st.sampled_from(["career", "leadership"]), min_size=2, max_size=3))
    def a_queue_solved_and_approved(self, topics: list[str]) -> None:
        for topic in topics:
            self.submit(topic, 2)
        self.solve()
        self.approve_all()

    @rule(topic=st.sampled_from(["career", "leadership"]), sessions=st.integers(1, 3))
    def submit(self, topic: str, sessions: int) -> None:
        number = next(self.numbers)
        data = {"coachee_name": f"Coachee {number}", "coachee_email": f"c{number}@coachees.example",
                "timezone": "Asia/Tokyo", "languages": ["en"], "topics": [topic], "sessions_wanted": sessions,
                "windows": ALL_DAY, "consent": True}  # fmt: skip
        self._step(lambda db, programme: intake.submit_request(db, programme, data))

    @rule()
    def solve(self) -> None:
        with contextlib.suppress(ServiceError):
            solve_now(self.database, self.programme_id, self.settings)

    @rule()
    def approve_all(self) -> None:
        self._step(lambda db, programme: approval.approve(db, programme, None))

    @rule(pick=st.integers(0, 50), choice=st.integers(0, 4))
    def reschedule(self, pick: int, choice: int) -> None:
        def move(db, programme) -> None:  # type: ignore[no-untyped-def]
            live = _live_sessions(db)
            if not live:
                return
            session = live[pick % len(live)]
            options = reschedule.alternatives(db, session, limit=5)
            if options:
                reschedule.move_session(db, session, options[choice % len(options)].start_utc)

        self._step(move)

    @rule(pick=st.integers(0, 50))
    def cancel(self, pick: int) -> None:
        self._step(
            lambda db, _: _pick_request(
                db, pick, intake.cancel_request, RequestStatus.WAITING, RequestStatus.PROPOSED, RequestStatus.CONFIRMED
            )
        )

    @rule(pick=st.integers(0, 50))
    def decline(self, pick: int) -> None:
        self._step(lambda db, _: _pick_request(db, pick, intake.decline_proposal, RequestStatus.PROPOSED))

    @rule(pick=st.integers(0, 50))
    def accept(self, pick: int) -> None:
        self._step(lambda db, _: _pick_request(db, pick, intake.accept_proposal, RequestStatus.PROPOSED))

    # --- what must always hold ----------------------------------------------------------------

    @invariant()
    def count_what_was_reached(self) -> None:
        with self.database.sessions() as db:
            for session in _live_sessions(db):
                REACHED["live sessions"] += 1
                REACHED["moved sessions"] += session.sequence > 0

    @invariant()
    def no_overlap_and_buffers_hold(self) -> None:
        with self.database.sessions() as db:
            for coach in db.scalars(select(Coach)):
                mine = sorted(_scheduled(db, coach.id), key=lambda s: s.start_utc)
                for first, second in itertools.pairwise(mine):
                    assert second.start_utc - first.end_utc >= dt.timedelta(minutes=coach.buffer_minutes)

    @invariant()
    def caps_hold(self) -> None:
        with self.database.sessions() as db:
            for coach in db.scalars(select(Coach)):
                mine = _scheduled(db, coach.id)
                per_day = Counter(s.start_utc.astimezone(_zone(coach)).date() for s in mine)
                per_week = Counter(s.start_utc.astimezone(_zone(coach)).isocalendar()[:2] for s in mine)
                assert max(per_day.values(), default=0) <= coach.max_sessions_per_day
                assert max(per_week.values(), default=0) <= coach.max_sessions_per_week
                active = {s.engagement_id for s in mine}
                assert len(active) <= coach.max_active_coachees

    @invariant()
    def every_live_session_has_one_current_invitation_per_participant(self) -> None:
        with self.database.sessions() as db:
            for session in _live_sessions(db):
                for _role, email in outbox.session_recipients(session):
                    current = db.scalars(
                        select(OutboxMessage).where(
                            OutboxMessage.session_id == session.id,
                            OutboxMessage.recipient == email,
                            OutboxMessage.kind == outbox.REQUEST,
                        )
                    ).all()
                    assert [m.sequence for m in current].count(session.sequence) == 1, (session.id, email)
                    assert all(m.sequence <= session.sequence for m in current)


def _zone(coach: Coach):  # type: ignore[no-untyped-def]
    from zoneinfo import ZoneInfo

    return ZoneInfo(coach.timezone)


def _scheduled(db, coach_id: int) -> list[CoachingSession]:  # type: ignore[no-untyped-def]
    return list(
        db.scalars(
            select(CoachingSession).where(
                CoachingSession.coach_id == coach_id, CoachingSession.status == SessionStatus.SCHEDULED.value
            )
        )
    )


def _live_sessions(db) -> list[CoachingSession]:  # type: ignore[no-untyped-def]
    return list(
        db.scalars(
            select(CoachingSession)
            .join(Engagement)
            .where(
                CoachingSession.status == SessionStatus.SCHEDULED.value,
                Engagement.status == EngagementStatus.APPROVED.value,
            )
            .order_by(CoachingSession.id)
        )
    )


def _pick_request(db, pick: int, action, *states: RequestStatus) -> None:  # type: ignore[no-untyped-def]
    candidates = db.scalars(
        select(CoachingRequest)
        .where(CoachingRequest.status.in_([s.value for s in states]))
        .order_by(CoachingRequest.id)
    ).all()
    if candidates:
        action(db, candidates[pick % len(candidates)])


@pytest.mark.slow
def test_engagement_life_cycle_keeps_its_invariants(
    sqlite_template: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(accounts, "PASSWORD_METHOD", "pbkdf2:sha256:1000")
    monkeypatch.setenv("VAR_DIR", str(tmp_path / "var"))
    EngagementLifeCycle.template, EngagementLifeCycle.workdir = sqlite_template, tmp_path
    run_state_machine_as_test(
        EngagementLifeCycle,
        settings=settings(
            max_examples=3,
            stateful_step_count=10,
            deadline=None,
            database=None,
            derandomize=True,
            suppress_health_check=list(HealthCheck),
        ),
    )
    assert REACHED["live sessions"] > 0, REACHED
