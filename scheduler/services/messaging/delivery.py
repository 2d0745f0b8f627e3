"""Delivering the outbox: claim, send, record, sweep; batches over one connection; pause on outage.

How messages travel (each step its own short transaction; no transaction is open while we
talk to the mail server; the wording is composed by `compose`):

1. **Claim a batch.** A worker claims the message it was asked for and fills the batch (up
   to OUTBOX_BATCH_SIZE) with other due ones: `pending` and due, or `sending` with a
   claim older than the lease (its worker died). Each is composed and moved to `sending`
   with compare-and-set on (status, attempts); `attempts` is the claim's fencing number.
   Two workers racing for one row: exactly one update matches, the other skips it.
2. **Send** them one after the other over one SMTP connection (opened on the first, reopened
   after an error). Before each send the worker renews that row's claim (compare-and-set),
   so a claim lasts one send, not one batch: the lease (OUTBOX_LEASE_SECONDS, default two
   SMTP timeouts) covers one message, and a dead worker's messages are taken over within
   a lease plus one sweep. The Message-ID is an HMAC of the row's dedupe key, fixed at the
   first claim; the calendar's DTSTAMP is the time of the change; a coachee's link is kept
   in the row until the send is recorded: a re-send is the same message.
3. **Record** `sent` right after the server's 250 to the end of DATA, before the next
   message and before QUIT (compare-and-set on status=sending, attempts=our claim).

The repeat window, exactly (docs/mail-delivery.md): a message is sent twice only if its
worker dies (or loses its database) after the server's 250 for that message and before the
commit that records it, one UPDATE on a local database, normally a few milliseconds; or if
the connection drops after the server took the message but before its 250 arrived (the
worker cannot tell, RFC 1047); or if a single send outlasts the lease (a server answering
each command just under SMTP_TIMEOUT) and another worker takes the message over. QUIT,
the next message and closing the connection all come after the record. A repeat is the
same message (same Message-ID, UID, SEQUENCE): calendars apply it as the same revision.

Failures:
- The server cannot be reached (refused, timeout, dropped, greeting or sign-in refused):
  nothing is failed and nothing spends a retry. The outbox **pauses** as a whole; the rest
  of the batch goes back to `pending`; while paused no worker connects, and one probe at a
  time (every OUTBOX_PROBE_SECONDS, by whoever moves `next_probe_at` forward) asks the
  server. When it answers the outbox resumes and the sweeper hands everything pending over.
- A 4xx for one message: back to `pending`, tried again after a capped exponential backoff
  with jitter (OUTBOX_RETRY_BASE_SECONDS doubling up to OUTBOX_RETRY_MAX_SECONDS), for as
  long as the message can still help (its session has not begun; a link until it expires).
- A 5xx for that message, or a message that cannot be composed: `failed` at once with the
  reason in `last_error`, shown to the supervisor with a one-click retry (`retry_failed`).
- A REQUEST or REMINDER overtaken by a later change is `superseded`, not sent.

Logs carry row ids, kinds and sequences only; never an address, a name or a token.
"""

from __future__ import annotations

import base64
import datetime as dt
import enum
import hashlib
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from config.settings import Settings
from scheduler.db import Database
from scheduler.invites.backends import MailBackend, PermanentSendError, SendError, ServerUnavailable, make_backend
from scheduler.models import CoachingSession, OutboxMessage, OutboxState, OutboxStatus, SessionStatus, utcnow
from scheduler.services.messaging import outbox
from scheduler.services.messaging.compose import (
    ERASING,
    PRERENDERED,
    PRERENDERED_TO,
    Composed,
    Superseded,
    Unsendable,
    compose_row,
)

log = logging.getLogger(__name__)

SUPERSEDED = OutboxStatus.SUPERSEDED.value  # overtaken by a later change, deliberately not sent
_STATE_ID = 1

SessionFactory = Callable[[], Session]


class Outcome(enum.StrEnum):
    SENT = "sent"
    RETRY = "retry"  # transient failure, back to pending; try again in `retry_in` seconds
    PAUSED = "paused"  # the server cannot be reached: back to pending, the outbox waits for it
    FAILED = "failed"  # permanent failure
    SUPERSEDED = "superseded"
    SKIPPED = "skipped"  # already sent, failed, missing, or another worker holds the claim
    NOT_DUE = "not_due"  # pending but backing off (`retry_in` seconds left), or the outbox is paused


@dataclass(frozen=True)
class DeliveryResult:
    outbox_id: int
    outcome: Outcome
    retry_in: float | None = None
    error: str | None = None


@dataclass(frozen=True)
class DeliveryPolicy:
    """A claim's lease (one send), retry backoff, batch size, probing and the sweeper's grace."""

    lease: dt.timedelta = dt.timedelta(seconds=60)
    base_backoff: float = 30.0
    max_backoff: float = 900.0
    batch_size: int = 25
    probe_interval: dt.timedelta = dt.timedelta(seconds=30)
    # A never-tried row is only re-dispatched after this long, so a backlog the worker is
    # still working through is not queued a second time on every sweep.
    sweep_grace: dt.timedelta = dt.timedelta(seconds=60)

    @classmethod
    def from_settings(cls, settings: Settings) -> DeliveryPolicy:
        """The policy the settings (OUTBOX_* environment variables) describe."""
        # A claim must outlive the slowest single send, or a second worker would start it too.
        lease = settings.outbox_lease_seconds or 2 * settings.smtp_timeout
        return cls(
            lease=dt.timedelta(seconds=lease),
            base_backoff=settings.outbox_retry_base_seconds,
            max_backoff=settings.outbox_retry_max_seconds,
            batch_size=settings.outbox_batch_size,
            probe_interval=dt.timedelta(seconds=settings.outbox_probe_seconds),
            sweep_grace=dt.timedelta(seconds=settings.outbox_sweep_grace_seconds),
        )

    def backoff(self, attempts: int, key: str = "") -> float:
        """Seconds to wait after the `attempts`-th failed attempt: doubling, capped, with jitter.

        The jitter (between half and all of the wait) is drawn from the row's key and attempt,
        so it is fixed for that row and attempt: every process computes the same due time,
        and rows failing together spread out instead of returning together.
        """
        if attempts <= 0:
            return 0.0
        ceiling = min(self.base_backoff * 2 ** min(attempts - 1, 30), self.max_backoff)
        draw = int.from_bytes(hashlib.sha256(f"{key}:{attempts}".encode()).digest()[:4], "big") / 2**32
        return float(ceiling * (0.5 + draw / 2))


def _sessions(database: Database | SessionFactory) -> SessionFactory:
    return database.sessions if isinstance(database, Database) else database


# --------------------------------------------------------------------------- the outbox as a whole


@dataclass(frozen=True)
class OutboxHealth:
    """What the supervisor's page and /health show: counts and times, nothing personal."""

    pending: int
    sending: int
    failed: int
    oldest_pending_seconds: float | None
    paused_since: dt.datetime | None
    last_error: str | None

    def as_json(self) -> dict[str, Any]:
        return {
            "pending": self.pending,
            "sending": self.sending,
            "failed": self.failed,
            "oldest_pending_seconds": None if self.oldest_pending_seconds is None
            else round(self.oldest_pending_seconds, 1),
            "paused": self.paused_since is not None,
            "paused_since": self.paused_since.isoformat() if self.paused_since else None,
            "last_error": self.last_error if self.paused_since else None,
        }


def _state(db: Session) -> OutboxState:
    state = db.get(OutboxState, _STATE_ID)
    if state is None:
        state = OutboxState(id=_STATE_ID)
        db.add(state)
        db.flush()
    return state


def outbox_health(db: Session, now: dt.datetime | None = None) -> OutboxHealth:
    """The outbox's state: pending, in flight, failed, the oldest waiting, paused since when."""
    now = now or utcnow()
    counts = dict(
        db.execute(select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)).tuples().all()
    )
    waiting = (OutboxStatus.PENDING.value, OutboxStatus.SENDING.value)
    oldest = db.scalar(select(func.min(OutboxMessage.created_at)).where(OutboxMessage.status.in_(waiting)))
    state = db.get(OutboxState, _STATE_ID)
    if oldest is not None and oldest.tzinfo is None:
        oldest = oldest.replace(tzinfo=dt.UTC)
    return OutboxHealth(
        pending=int(counts.get(OutboxStatus.PENDING.value, 0)),
        sending=int(counts.get(OutboxStatus.SENDING.value, 0)),
        failed=int(counts.get(OutboxStatus.FAILED.value, 0)),
        oldest_pending_seconds=(now - oldest).total_seconds() if oldest is not None else None,
        paused_since=state.paused_since if state is not None else None,
        last_error=state.last_error if state is not None else None,
    )


def _pause(sessions: SessionFactory, policy: DeliveryPolicy, error: str, now: dt.datetime) -> None:
    with sessions() as db, db.begin():
        state = _state(db)
        if state.paused_since is None:
            state.paused_since = now
            log.warning("outbox paused: the mail server cannot be reached (%s)", error)
        state.next_probe_at = now + policy.probe_interval
        state.last_error = error


def _resume(sessions: SessionFactory) -> None:
    with sessions() as db, db.begin():
        state = _state(db)
        if state.paused_since is not None:
            log.info("outbox resumed: the mail server answers again")
        state.paused_since = state.next_probe_at = None
        state.last_error = None


def _may_go(sessions: SessionFactory, policy: DeliveryPolicy, now: dt.datetime) -> bool | None:
    """True: not paused. None: paused, and this caller won the probe. False: paused, wait."""
    with sessions() as db, db.begin():
        state = db.get(OutboxState, _STATE_ID)
        if state is None or state.paused_since is None:
            return True
        if state.next_probe_at is not None and state.next_probe_at > now:
            return False
        # Compare-and-set on the probe time: of many workers and sweepers, one probes.
        won = db.execute(
            update(OutboxState)
            .where(OutboxState.id == _STATE_ID, OutboxState.next_probe_at == state.next_probe_at)
            .values(next_probe_at=now + policy.probe_interval)
            .execution_options(synchronize_session=False)
        )
        return None if won.rowcount == 1 else False  # type: ignore[attr-defined]


def _probe(sessions: SessionFactory, policy: DeliveryPolicy, backend: MailBackend, now: dt.datetime) -> bool:
    try:
        backend.probe()
    except SendError as exc:
        _pause(sessions, policy, str(exc), now)
        log.info("outbox still paused: probe failed (%s)", exc)
        return False
    _resume(sessions)
    return True


def probe_if_paused(
    database: Database | SessionFactory, settings: Settings, *, backend: MailBackend | None = None,
    now: dt.datetime | None = None,
) -> bool:
    """If the outbox is paused and a probe is due, ask the server once. True if the outbox may send."""
    sessions = _sessions(database)
    policy = DeliveryPolicy.from_settings(settings)
    now = now or utcnow()
    go = _may_go(sessions, policy, now)
    if go is not None:
        return go
    own = backend is None
    sender = backend or make_backend(settings)
    try:
        return _probe(sessions, policy, sender, now)
    finally:
        if own:
            sender.close()


# --------------------------------------------------------------------------- claiming


@dataclass
class _Claim:
    outbox_id: int
    attempt: int
    kind: str
    sequence: int
    key: str
    composed: Composed


def prerender(db: Session, settings: Settings, row: OutboxMessage, now: dt.datetime) -> None:
    """Render `row`'s message now and keep only the result in the row (erasure: the data it needs goes next).

    The bytes and the address leave the row when it is settled (sent, failed or superseded).
    """
    db.flush()
    row.payload = {**(row.payload or {}), ERASING: True}
    composed = compose_row(db, settings, row, now)
    row.message_id = composed.message_id
    row.payload = prerendered_payload(composed.raw, composed.recipient)


def prerendered_payload(raw: bytes, recipient: str) -> dict[str, Any]:
    """A payload holding a finished message and its address: delivery sends it as it is."""
    return {PRERENDERED: base64.b64encode(raw).decode(), PRERENDERED_TO: recipient}


def _without_token(payload: dict[str, Any] | None) -> dict[str, Any]:
    """The payload once the row is settled: no token or comment, and no rendered mail or address of an
    erased person."""
    return {k: v for k, v in (payload or {}).items()
            if k not in ("token", "comment", PRERENDERED, PRERENDERED_TO, ERASING)}


def _due(row: OutboxMessage, now: dt.datetime, policy: DeliveryPolicy) -> float:
    """Seconds until a pending row may be tried again (0: now)."""
    if row.claimed_at is None or row.attempts == 0:
        return 0.0
    wait = (row.claimed_at + dt.timedelta(seconds=policy.backoff(row.attempts, row.dedupe_key)) - now)
    return max(wait.total_seconds(), 0.0)


def _finish(db: Session, row_id: int, expected: tuple[str, int], **values: Any) -> bool:
    """Compare-and-set on (status, attempts): true if our view of the row still held."""
    status, attempts = expected
    result = db.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == row_id, OutboxMessage.status == status, OutboxMessage.attempts == attempts)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount == 1)  # type: ignore[attr-defined]


def _claimable(row: OutboxMessage, now: dt.datetime, policy: DeliveryPolicy, ignore_backoff: bool) -> DeliveryResult | None:
    """None if `row` may be claimed now, else why not."""
    if row.status == OutboxStatus.SENDING.value:
        if row.claimed_at is not None and row.claimed_at > now - policy.lease:
            return DeliveryResult(row.id, Outcome.SKIPPED, error="being sent by another worker")
        log.warning("outbox %s: claim %s expired; sending again", row.id, row.attempts)
        return None
    if row.status != OutboxStatus.PENDING.value:
        return DeliveryResult(row.id, Outcome.SKIPPED, error=f"already {row.status}")
    if not ignore_backoff and (wait := _due(row, now, policy)) > 0:
        return DeliveryResult(row.id, Outcome.NOT_DUE, retry_in=wait)
    return None


def _claim_row(
    db: Session, settings: Settings, policy: DeliveryPolicy, row: OutboxMessage, now: dt.datetime,
    ignore_backoff: bool,
) -> _Claim | DeliveryResult:
    if (refused := _claimable(row, now, policy, ignore_backoff)) is not None:
        return refused
    seen = (row.status, row.attempts)
    try:
        composed = compose_row(db, settings, row, now)
    except Superseded as exc:
        if not _finish(db, row.id, seen, status=SUPERSEDED, last_error=str(exc), payload=_without_token(row.payload)):
            return DeliveryResult(row.id, Outcome.SKIPPED, error="claimed by another worker")
        log.info("outbox %s: %s seq %s superseded", row.id, row.kind, row.sequence)
        return DeliveryResult(row.id, Outcome.SUPERSEDED, error=str(exc))
    except Exception as exc:
        error = str(exc) if isinstance(exc, Unsendable) else f"could not compose: {type(exc).__name__}"
        if not _finish(db, row.id, seen, status=OutboxStatus.FAILED.value, last_error=error,
                       payload=_without_token(row.payload)):
            return DeliveryResult(row.id, Outcome.SKIPPED, error="claimed by another worker")
        log.error("outbox %s: %s seq %s failed: %s", row.id, row.kind, row.sequence, error)
        return DeliveryResult(row.id, Outcome.FAILED, error=error)
    attempt = row.attempts + 1
    if not _finish(
        db, row.id, seen,
        status=OutboxStatus.SENDING.value, attempts=attempt, claimed_at=now,
        message_id=composed.message_id, payload=composed.payload,
    ):
        return DeliveryResult(row.id, Outcome.SKIPPED, error="claimed by another worker")
    return _Claim(row.id, attempt, row.kind, row.sequence, row.dedupe_key, composed)


def _fill_ids(db: Session, policy: DeliveryPolicy, now: dt.datetime, exclude: set[int], limit: int,
              ignore_backoff: bool) -> list[int]:
    """Up to `limit` more rows worth claiming now, oldest first."""
    if limit <= 0:
        return []
    rows = db.execute(
        select(OutboxMessage.id, OutboxMessage.status, OutboxMessage.attempts, OutboxMessage.claimed_at,
               OutboxMessage.dedupe_key)
        .where(
            (OutboxMessage.status == OutboxStatus.PENDING.value)
            | ((OutboxMessage.status == OutboxStatus.SENDING.value) & (OutboxMessage.claimed_at <= now - policy.lease))
        )
        .order_by(OutboxMessage.id)
    ).all()
    found = []
    for row_id, status, attempts, claimed_at, key in rows:
        if row_id in exclude:
            continue
        backing_off = status == OutboxStatus.PENDING.value and not ignore_backoff and attempts and claimed_at
        if backing_off and claimed_at + dt.timedelta(seconds=policy.backoff(attempts, key)) > now:
            continue
        found.append(row_id)
        if len(found) >= limit:
            break
    return found


def _claim_batch(
    sessions: SessionFactory, settings: Settings, policy: DeliveryPolicy, asked: list[int], now: dt.datetime,
    *, fill: bool, ignore_backoff: bool,
) -> tuple[list[_Claim], list[DeliveryResult]]:
    claims: list[_Claim] = []
    results: list[DeliveryResult] = []
    with sessions() as db, db.begin():

        def claim(ids: list[int]) -> None:
            for outbox_id in ids:
                row = db.get(OutboxMessage, outbox_id)
                if row is None:
                    results.append(DeliveryResult(outbox_id, Outcome.SKIPPED, error="no such message"))
                    continue
                claimed = _claim_row(db, settings, policy, row, now, ignore_backoff)
                if isinstance(claimed, _Claim):
                    claims.append(claimed)
                else:
                    results.append(claimed)

        asked = list(dict.fromkeys(asked))
        claim(asked)
        if fill:
            claim(_fill_ids(db, policy, now, set(asked), policy.batch_size - len(claims), ignore_backoff))
    return claims, results


# --------------------------------------------------------------------------- sending a batch


def _record(sessions: SessionFactory, claim: _Claim, **values: Any) -> bool:
    with sessions() as db, db.begin():
        return _finish(db, claim.outbox_id, (OutboxStatus.SENDING.value, claim.attempt), **values)


def _renew(sessions: SessionFactory, claim: _Claim) -> bool:
    """Our claim on this row still holds; its lease now starts again for this one send."""
    return _record(sessions, claim, claimed_at=utcnow())


def _release(sessions: SessionFactory, claims: list[_Claim], error: str) -> None:
    """Back to pending with no backoff: the outbox's pause decides when they go."""
    with sessions() as db, db.begin():
        for claim in claims:
            _finish(db, claim.outbox_id, (OutboxStatus.SENDING.value, claim.attempt),
                    status=OutboxStatus.PENDING.value, claimed_at=None, last_error=error)


def _record_failure(sessions: SessionFactory, policy: DeliveryPolicy, claim: _Claim, exc: Exception) -> DeliveryResult:
    error = str(exc) if isinstance(exc, SendError) else f"unexpected error: {type(exc).__name__}"
    if isinstance(exc, PermanentSendError):
        _record(sessions, claim, status=OutboxStatus.FAILED.value, last_error=error,
                payload=_without_token(claim.composed.payload))
        log.error("outbox %s: %s seq %s failed: %s", claim.outbox_id, claim.kind, claim.sequence, error)
        return DeliveryResult(claim.outbox_id, Outcome.FAILED, error=error)
    # Transient: tried again later; the next claim re-checks that the message can still help.
    _record(sessions, claim, status=OutboxStatus.PENDING.value, last_error=error, claimed_at=utcnow())
    wait = policy.backoff(claim.attempt, claim.key)
    log.warning("outbox %s: attempt %s failed (%s); retry in %.0fs", claim.outbox_id, claim.attempt, error, wait)
    return DeliveryResult(claim.outbox_id, Outcome.RETRY, retry_in=wait, error=error)


def _send_claims(
    sessions: SessionFactory, settings: Settings, policy: DeliveryPolicy, claims: list[_Claim], sender: MailBackend,
) -> list[DeliveryResult]:
    results: list[DeliveryResult] = []
    ready = True  # the first claim was just made; each later one is renewed before its send
    for index, claim in enumerate(claims):
        if not ready and not _renew(sessions, claim):
            results.append(DeliveryResult(claim.outbox_id, Outcome.SKIPPED, error="claim expired before its turn"))
            continue
        ready = False
        composed = claim.composed
        try:
            sender.send(composed.raw, sender=settings.mail_from, recipients=[composed.recipient],
                        message_id=composed.message_id)
        except ServerUnavailable as exc:
            rest = claims[index:]
            _release(sessions, rest, str(exc))
            _pause(sessions, policy, str(exc), utcnow())
            results.extend(DeliveryResult(c.outbox_id, Outcome.PAUSED, error=str(exc)) for c in rest)
            return results
        except Exception as exc:
            results.append(_record_failure(sessions, policy, claim, exc))
            continue
        # Recorded now: after the server's 250, before the next message and before QUIT; the
        # next message's claim is renewed in the same transaction.
        following = claims[index + 1] if index + 1 < len(claims) else None
        with sessions() as db, db.begin():
            recorded = _finish(db, claim.outbox_id, (OutboxStatus.SENDING.value, claim.attempt),
                               status=OutboxStatus.SENT.value, sent_at=utcnow(), last_error=None,
                               payload=_without_token(composed.payload))
            ready = following is not None and _finish(
                db, following.outbox_id, (OutboxStatus.SENDING.value, following.attempt), claimed_at=utcnow())
        if not recorded:
            log.warning("outbox %s: claim %s expired during the send; it may be sent twice", claim.outbox_id,
                        claim.attempt)
        log.info("outbox %s: %s seq %s sent (attempt %s)", claim.outbox_id, claim.kind, claim.sequence,
                 claim.attempt)
        results.append(DeliveryResult(claim.outbox_id, Outcome.SENT))
    return results


def deliver_batch(
    database: Database | SessionFactory,
    settings: Settings,
    outbox_ids: Iterable[int] = (),
    *,
    backend: MailBackend | None = None,
    now: dt.datetime | None = None,
    policy: DeliveryPolicy | None = None,
    ignore_backoff: bool = False,
    fill: bool = True,
) -> list[DeliveryResult]:
    """Claim the asked messages (and, with `fill`, more due ones up to the batch size) and send
    them over one connection. One result per message looked at."""
    sessions = _sessions(database)
    policy = policy or DeliveryPolicy.from_settings(settings)
    now = now or utcnow()
    asked = [int(i) for i in outbox_ids]
    go = _may_go(sessions, policy, now)
    if go is False:
        return [DeliveryResult(i, Outcome.NOT_DUE, error="the outbox is paused") for i in asked]
    own_backend = backend is None
    sender = backend or make_backend(settings)
    try:
        if go is None and not _probe(sessions, policy, sender, now):
            return [DeliveryResult(i, Outcome.NOT_DUE, error="the outbox is paused") for i in asked]
        claims, results = _claim_batch(sessions, settings, policy, asked, now, fill=fill,
                                       ignore_backoff=ignore_backoff)
        if claims:
            results += _send_claims(sessions, settings, policy, claims, sender)
        return results
    finally:
        if own_backend:
            sender.close()  # QUIT: after every message of the batch has been recorded


def deliver_message(
    database: Database | SessionFactory,
    settings: Settings,
    outbox_id: int,
    *,
    backend: MailBackend | None = None,
    now: dt.datetime | None = None,
    policy: DeliveryPolicy | None = None,
    ignore_backoff: bool = False,
    fill: bool = False,
) -> DeliveryResult:
    """Deliver one outbox message (with `fill`, as the first of a batch); its result."""
    results = deliver_batch(database, settings, [outbox_id], backend=backend, now=now, policy=policy,
                            ignore_backoff=ignore_backoff, fill=fill)
    return next((r for r in results if r.outbox_id == outbox_id),
                DeliveryResult(outbox_id, Outcome.SKIPPED, error="no such message"))


def retry_failed(db: Session, outbox_id: int) -> OutboxMessage | None:
    """The supervisor's retry of a failed message: pending again; the unit of work hands it to the worker
    after commit (as it does every outbox row made pending in its transaction)."""
    row = db.get(OutboxMessage, outbox_id)
    if row is None or row.status != OutboxStatus.FAILED.value:
        return None
    row.status = OutboxStatus.PENDING.value
    row.claimed_at = None
    row.last_error = None
    log.info("outbox %s: retry asked by the supervisor", row.id)
    return row


def failed_messages(db: Session) -> list[OutboxMessage]:
    """Failed messages, newest first, for the supervisor's page."""
    return list(db.scalars(
        select(OutboxMessage).where(OutboxMessage.status == OutboxStatus.FAILED.value)
        .order_by(OutboxMessage.id.desc()).limit(200)
    ))


# --------------------------------------------------------------------------- sweeper, reminders


def deliverable_ids(
    database: Database | SessionFactory,
    now: dt.datetime | None = None,
    policy: DeliveryPolicy | None = None,
    *,
    grace: bool = True,
    ignore_backoff: bool = False,
) -> list[int]:
    """Ids of rows someone should try now: pending and due, or claimed by a worker that died."""
    policy = policy or DeliveryPolicy()
    now = now or utcnow()
    ids = []
    with _sessions(database)() as db, db.begin():
        rows = db.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.status.in_((OutboxStatus.PENDING.value, OutboxStatus.SENDING.value)))
            .order_by(OutboxMessage.id)
        )
        for row in rows:
            if row.status == OutboxStatus.SENDING.value:
                if row.claimed_at is None or row.claimed_at <= now - policy.lease:
                    ids.append(row.id)
            elif row.attempts == 0:
                if not grace or row.created_at <= now - policy.sweep_grace:
                    ids.append(row.id)
            elif ignore_backoff or _due(row, now, policy) == 0:
                ids.append(row.id)
    return ids


def sweep_outbox(
    database: Database | SessionFactory,
    settings: Settings,
    *,
    now: dt.datetime | None = None,
    dispatch: Callable[[list[int]], Any],
    backend: MailBackend | None = None,
) -> list[int]:
    """Probe a paused outbox; find what was left behind (lost task, dead worker, retry due) and hand it to
    `dispatch` again.

    `dispatch` is the task layer's (`scheduler.tasks.dispatch_deliveries`): use cases know no Celery.
    """
    now = now or utcnow()
    if not probe_if_paused(database, settings, backend=backend, now=now):
        return []
    policy = DeliveryPolicy.from_settings(settings)
    ids = deliverable_ids(database, now, policy)
    if ids:
        log.info("sweeper: re-dispatching %s outbox message(s)", len(ids))
        # One task per batch is enough: each fills its batch with other due messages.
        dispatch(ids[:: policy.batch_size])
    return ids


def deliver_all_pending(database: Database | SessionFactory, settings: Settings) -> tuple[int, int]:
    """Send every queued message now, in this process, over one connection: (sent, not sent).

    `not sent` counts permanent failures and messages left pending after a transient one
    (or because the server cannot be reached).
    """
    policy = DeliveryPolicy.from_settings(settings)
    sent = failed = 0
    seen: set[int] = set()
    with make_backend(settings) as backend:
        while True:
            ids = [i for i in deliverable_ids(database, None, policy, grace=False, ignore_backoff=True)
                   if i not in seen]
            if not ids:
                break
            for start in range(0, len(ids), policy.batch_size):
                batch = ids[start:start + policy.batch_size]
                seen.update(batch)
                results = deliver_batch(database, settings, batch, backend=backend, policy=policy,
                                        ignore_backoff=True, fill=False)
                sent += sum(r.outcome == Outcome.SENT for r in results)
                failed += sum(r.outcome in (Outcome.FAILED, Outcome.RETRY, Outcome.PAUSED, Outcome.NOT_DUE)
                              for r in results)
    return sent, failed


def enqueue_due_reminders(db: Session, now: dt.datetime, hours: int) -> list[OutboxMessage]:
    """Reminder rows for live sessions starting within `hours`, once per session (compare-and-set)."""
    due = db.scalars(
        select(CoachingSession).where(
            CoachingSession.status == SessionStatus.SCHEDULED.value,
            CoachingSession.reminder_sent_at.is_(None),
            CoachingSession.start_utc > now,
            CoachingSession.start_utc <= now + dt.timedelta(hours=hours),
        ).order_by(CoachingSession.start_utc)
    ).all()
    messages: list[OutboxMessage] = []
    for session in due:
        marked = db.execute(
            update(CoachingSession)
            .where(CoachingSession.id == session.id, CoachingSession.reminder_sent_at.is_(None))
            .values(reminder_sent_at=now)
            .execution_options(synchronize_session=False)
        )
        if marked.rowcount == 1:  # type: ignore[attr-defined]
            messages.extend(outbox.enqueue_session_messages(db, session, outbox.REMINDER))
    return messages
