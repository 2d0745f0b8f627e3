"""The two doors for answers from calendars; both hand each e-mail to `replies.handle_reply_mail`.

- `ReplyListener`: an SMTP server (aiosmtpd) that a programme's mail server forwards the
  organizer address to (`coaching inbound`, INBOUND_HOST/INBOUND_PORT). It accepts mail for
  the organizer addresses only, at most `MAX_MESSAGE_BYTES`, and answers 250 once the
  message is handled and committed (a 451 asks the sender to try again if the database
  is away).
- `poll_mailbox`: reads unseen messages from an IMAP mailbox (IMAP_* settings), run by beat
  every IMAP_POLL_SECONDS; each handled message is flagged \\Seen.

Like the CLI and the tasks, these are edges: each message is one transaction, and the
notices it writes are handed to the worker after the commit.
"""

from __future__ import annotations

import asyncio
import contextlib
import imaplib
import logging
import ssl
from collections.abc import Callable
from typing import Any

from aiosmtpd.controller import Controller
from sqlalchemy import select

from config.settings import Settings
from scheduler.db import Database
from scheduler.models import Programme
from scheduler.services.messaging import replies
from scheduler.unit_of_work import UnitOfWork, actor

log = logging.getLogger(__name__)

MAX_MESSAGE_BYTES = 1_000_000


def handle_one(database: Database, settings: Settings, raw: bytes,
               dispatch: Callable[[list[int]], Any] | None = None) -> list[replies.ReplyResult]:
    """One received e-mail in its own transaction; notices are dispatched after the commit."""
    after = None if dispatch is None else (lambda _settings, work: dispatch(list(work.outbox_ids)))
    with UnitOfWork(database, settings, acting=actor(None, None, "inbound"), after_commit=after) as db:
        return replies.handle_reply_mail(db, raw)


def organizer_addresses(database: Database, settings: Settings) -> set[str]:
    """The addresses replies are sent to: every programme's organizer and the sender address."""
    with database.sessions() as db:
        found = {e.lower() for e in db.scalars(select(Programme.organiser_email)) if e}
    return found | {settings.mail_from.lower()}


class ReplyHandler:
    """aiosmtpd handler: organizer recipients only; each message handled off the event loop."""

    def __init__(self, database: Database, settings: Settings,
                 dispatch: Callable[[list[int]], Any] | None = None) -> None:
        self.database, self.settings, self.dispatch = database, settings, dispatch

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:
        loop = asyncio.get_running_loop()
        allowed = await loop.run_in_executor(None, organizer_addresses, self.database, self.settings)
        if address.lower() not in allowed:
            return "550 5.1.1 not an organizer address here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        raw = bytes(envelope.original_content or envelope.content)
        loop = asyncio.get_running_loop()
        try:
            await loop.run_in_executor(None, handle_one, self.database, self.settings, raw, self.dispatch)
        except Exception as exc:  # the database away: the sending server keeps it and tries again
            log.warning("inbound reply not handled (%s); asked the sender to retry", type(exc).__name__)
            return "451 4.3.0 try again later"
        return "250 OK"


def reply_listener(database: Database, settings: Settings, *, host: str | None = None, port: int | None = None,
                   dispatch: Callable[[list[int]], Any] | None = None) -> Controller:
    """The SMTP door, not yet started (`.start()` / `.stop()`)."""
    return Controller(ReplyHandler(database, settings, dispatch), hostname=host or settings.inbound_host,
                      port=port or settings.inbound_port, data_size_limit=MAX_MESSAGE_BYTES, ready_timeout=10)


def _imap(settings: Settings) -> imaplib.IMAP4:
    client: imaplib.IMAP4
    if settings.imap_security == "tls":
        client = imaplib.IMAP4_SSL(settings.imap_host, settings.imap_port, ssl_context=ssl.create_default_context(),
                                   timeout=settings.smtp_timeout)
    else:
        client = imaplib.IMAP4(settings.imap_host, settings.imap_port, timeout=settings.smtp_timeout)
        if settings.imap_security == "starttls":
            client.starttls(ssl_context=ssl.create_default_context())
    return client


def poll_mailbox(database: Database, settings: Settings,
                 dispatch: Callable[[list[int]], Any] | None = None) -> int:
    """Handle every unseen message in IMAP_FOLDER and flag it \\Seen; returns how many were read."""
    client = _imap(settings)
    handled = 0
    try:
        client.login(settings.imap_user or "", settings.imap_password or "")
        status, _ = client.select(settings.imap_folder)
        if status != "OK":
            raise RuntimeError(f"IMAP folder {settings.imap_folder!r} cannot be opened")
        _, found = client.uid("SEARCH", "UNSEEN")
        for uid in (found[0] or b"").split():
            _, data = client.uid("FETCH", uid, "(BODY.PEEK[])")
            raw = next((part[1] for part in data if isinstance(part, tuple)), None)
            if isinstance(raw, bytes) and len(raw) <= MAX_MESSAGE_BYTES:
                handle_one(database, settings, raw, dispatch)
            # Flagged only once handled and committed: a crash before reads it again, harmlessly.
            client.uid("STORE", uid, "+FLAGS", "(\\Seen)")
            handled += 1
    finally:
        with contextlib.suppress(imaplib.IMAP4.error, OSError):
            client.logout()
    return handled
