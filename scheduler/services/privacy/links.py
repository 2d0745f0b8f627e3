"""Private links that calendars never carry.

A calendar item (an invitation's .ics, a coach's feed) is copied, synced and shared, so it
carries no secret: the coachee's items point to `/request/link/<public_ref>`
(`messaging.links.fresh_link_url`), a page that e-mails them a fresh private link. `public_ref` opens nothing; it can only make us send a
link to the address the request already has.

The rule for links (docs/privacy.md): asking for a new link does not revoke the ones
already sent; every link works until it expires (COACHEE_LINK_DAYS after it was issued),
so a link in an e-mail the coachee still relies on keeps working. An expired or unknown
link lands on a page that offers a fresh one. Erasing a request deletes all its links.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from scheduler.models import CoachingRequest, OutboxMessage, RequestStatus, utcnow
from scheduler.services.errors import InvalidInput
from scheduler.services.messaging import outbox
from scheduler.services.requests.intake import send_new_link

FRESH_LINK_INTERVAL = dt.timedelta(minutes=10)
OPEN_STATES = (RequestStatus.WAITING.value, RequestStatus.PROPOSED.value, RequestStatus.CONFIRMED.value)


def send_fresh_link(db: Session, ref: str, *, link_days: int, now: dt.datetime | None = None) -> bool:
    """E-mail a fresh private link to the coachee of the open request `ref`; InvalidInput if there is none.

    A calendar is shared, so anyone who sees it can press the button: at most one link per
    FRESH_LINK_INTERVAL goes out for a request (False: one went out just now).
    """
    now = now or utcnow()
    request = db.scalar(select(CoachingRequest).where(CoachingRequest.public_ref == ref[:32]))
    if request is None or request.erased_at is not None or request.status not in OPEN_STATES:
        raise InvalidInput("There is no open request with this reference.", {"ref": "unknown"})
    recent = db.scalar(select(OutboxMessage.id).where(
        OutboxMessage.request_id == request.id, OutboxMessage.kind == outbox.STATUS_LINK,
        OutboxMessage.created_at > now - FRESH_LINK_INTERVAL).limit(1))
    if recent is not None:
        return False
    send_new_link(db, request, link_days=link_days)
    return True
