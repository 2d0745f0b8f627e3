"""Retention: requests are not kept longer than the programme needs them.

Run by beat (`scheduler.tasks.apply_retention`, every RETENTION_SCAN_SECONDS):

- A request still waiting after WAITING_EXPIRY_DAYS, or once its programme's horizon has
  ended, expires (status `expired`): it can no longer be served.
- A request that was served (some session took place, none is still to come) is
  anonymised RETENTION_MONTHS (default 12) after its last activity.
- A request closed without being served (cancelled, declined, expired) is anonymised
  RETENTION_UNSERVED_DAYS (default 90) after its last activity: sooner, since nothing
  happened that the programme must account for.

"Last activity" is the latest of: submission, the end of any of its sessions, and any
audit entry about it. Anonymising is the same operation as a coachee's erasure, recorded
as `anonymise` by the job.
"""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from config.settings import Settings
from scheduler.models import (
    AuditEntry,
    CoachingRequest,
    Programme,
    RequestStatus,
    SessionStatus,
    utcnow,
)
from scheduler.services import audit
from scheduler.services.privacy.erasure import drop_stale_prerendered, erase_request
from scheduler.services.transitions import change_status

CLOSED_UNSERVED = (RequestStatus.CANCELLED.value, RequestStatus.DECLINED.value, RequestStatus.EXPIRED.value)


@dataclass
class RetentionReport:
    expired: list[int] = field(default_factory=list)
    anonymised: list[int] = field(default_factory=list)
    stale_messages_dropped: int = 0


def months_before(moment: dt.datetime, months: int) -> dt.datetime:
    """The same day and time `months` calendar months earlier (the month's last day if shorter)."""
    month_index = moment.year * 12 + moment.month - 1 - months
    year, month = divmod(month_index, 12)
    day = min(moment.day, calendar.monthrange(year, month + 1)[1])
    return moment.replace(year=year, month=month + 1, day=day)


def last_activity(db: Session, request: CoachingRequest) -> dt.datetime:
    moments = [request.submitted_at]
    moments += [s.end_utc for e in request.engagements for s in e.sessions if s.status != SessionStatus.DRAFT.value]
    latest_entry = db.scalar(select(func.max(AuditEntry.at)).where(AuditEntry.request_id == request.id))
    if latest_entry is not None:
        moments.append(latest_entry if latest_entry.tzinfo else latest_entry.replace(tzinfo=dt.UTC))
    return max(moments)


def _sessions(request: CoachingRequest, now: dt.datetime) -> tuple[bool, bool]:
    """(some session took place, some session is still to come): scheduled sessions only."""
    scheduled = [s for e in request.engagements for s in e.sessions if s.status == SessionStatus.SCHEDULED.value]
    return any(s.end_utc <= now for s in scheduled), any(s.end_utc > now for s in scheduled)


def _expire_waiting(db: Session, settings: Settings, now: dt.datetime, report: RetentionReport) -> None:
    too_old = now - dt.timedelta(days=settings.waiting_expiry_days)
    waiting = db.scalars(
        select(CoachingRequest)
        .join(Programme, Programme.id == CoachingRequest.programme_id)
        .where(
            CoachingRequest.status == RequestStatus.WAITING.value,
            (CoachingRequest.submitted_at < too_old) | (Programme.horizon_end < now.date()),
        )
        .order_by(CoachingRequest.id)
    ).all()
    for request in waiting:
        change_status(db, request, RequestStatus.WAITING.value, RequestStatus.EXPIRED.value)
        audit.record(db, audit.EXPIRE, request, old=RequestStatus.WAITING.value, new=RequestStatus.EXPIRED.value,
                     at=now)
        report.expired.append(request.id)


def due_for_anonymising(db: Session, settings: Settings, now: dt.datetime) -> list[CoachingRequest]:
    served_cutoff = months_before(now, settings.retention_months)
    unserved_cutoff = now - dt.timedelta(days=settings.retention_unserved_days)
    earliest_cutoff = max(served_cutoff, unserved_cutoff)
    # Last activity is never before submission: only older requests can be due.
    candidates = db.scalars(
        select(CoachingRequest)
        .where(CoachingRequest.erased_at.is_(None), CoachingRequest.submitted_at < earliest_cutoff,
               CoachingRequest.status != RequestStatus.WAITING.value)
        .order_by(CoachingRequest.id)
    ).all()
    due = []
    for request in candidates:
        took_place, to_come = _sessions(request, now)
        if to_come:
            continue
        if took_place or request.status == RequestStatus.COMPLETED.value:
            cutoff = served_cutoff
        elif request.status in CLOSED_UNSERVED:
            cutoff = unserved_cutoff
        else:
            continue  # proposed or confirmed with nothing scheduled yet: still open
        if last_activity(db, request) < cutoff:
            due.append(request)
    return due


def apply_retention(db: Session, settings: Settings, *, now: dt.datetime | None = None) -> RetentionReport:
    """Expire, anonymise and clear what the retention rules say; the caller commits."""
    now = now or utcnow()
    report = RetentionReport()
    _expire_waiting(db, settings, now, report)
    for request in due_for_anonymising(db, settings, now):
        erase_request(db, request, settings, now=now, action=audit.ANONYMISE)
        report.anonymised.append(request.id)
    report.stale_messages_dropped = drop_stale_prerendered(db, now)
    return report
