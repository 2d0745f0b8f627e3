"""E-mails: multipart/alternative with text/plain, text/html and, for invites, text/calendar.

This is the shape Outlook, Gmail and Apple Mail show as an invitation. The calendar part is
`text/calendar; method=REQUEST; charset=UTF-8` (or CANCEL), base64-encoded from the exact
bytes `icalendar` wrote, so CRLF line ends and 75-octet folding survive transport byte for
byte. Message-IDs are given by the caller (derived from the outbox row, nothing personal).

Messages are built as `email.message.EmailMessage` under the SMTP policy with addresses as
`email.headerregistry.Address`: a name or subject holding a line break (already stored, say,
before input was checked) is written as words of that header, never as a header of its own.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage, MIMEPart
from email.utils import format_datetime

# Every control character (C0, DEL, C1) and the Unicode line and paragraph separators.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+")


@dataclass(frozen=True)
class Rendered:
    """One letter in its two renderings (from one wording; see `scheduler.invites.letters`)."""

    subject: str
    text: str
    html: str


def header_words(value: str | None) -> str:
    """`value` as a single header line: control characters (CR, LF, NUL, tab...) become spaces."""
    return " ".join(_CONTROL.sub(" ", value or "").split())


def address(email: str, name: str | None) -> Address:
    """An Address whose display name cannot break out of its header.

    The address itself comes from checked input; if it still holds a control character or
    is not one mailbox, `Address` raises rather than writing it.
    """
    if _CONTROL.search(email):
        raise ValueError("an e-mail address holds a control character")
    return Address(display_name=header_words(name), addr_spec=email)


def _calendar_part(calendar: bytes, method: str) -> MIMEPart:
    part = MIMEPart(policy=policy.SMTP)
    # base64 of the exact bytes: CRLF and folding reach the client unchanged.
    part.set_content(calendar, maintype="text", subtype="calendar", cte="base64")
    # Written out raw rather than built with parameters: the email package would quote
    # the values, and some clients match this header literally. `method` is ours (REQUEST
    # or CANCEL), never a person's value.
    del part["Content-Type"]
    part.set_raw("Content-Type", f"text/calendar; method={method}; charset=UTF-8")
    return part


def compose(
    letter: Rendered,
    *,
    sender: str,
    sender_name: str | None,
    recipient: str,
    recipient_name: str | None,
    message_id: str,
    date: dt.datetime,
    calendar: bytes | None = None,
    method: str | None = None,
    language: str | None = None,
) -> bytes:
    """The whole message as bytes with CRLF line ends, ready for SMTP or an .eml file."""
    message = EmailMessage(policy=policy.SMTP)
    message["From"] = address(sender, sender_name)
    message["To"] = address(recipient, recipient_name)
    message["Subject"] = header_words(letter.subject)
    message["Date"] = format_datetime(date.astimezone(dt.UTC))
    message["Message-ID"] = message_id
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(letter.text, subtype="plain", charset="utf-8", cte="quoted-printable")
    message.add_alternative(letter.html, subtype="html", charset="utf-8", cte="quoted-printable")
    if language:  # after the content: setting it clears the Content-* headers
        message["Content-Language"] = header_words(language)
    if calendar is not None:
        if method not in ("REQUEST", "CANCEL"):
            raise ValueError("a calendar part needs its iTIP method")
        message.attach(_calendar_part(calendar, method))
    for part in message.iter_parts():
        del part["MIME-Version"]  # once, on the message itself
    return message.as_bytes()
