"""E-mails: multipart/alternative with text/plain, text/html and, for invites, text/calendar.

This is the shape Outlook, Gmail and Apple Mail show as an invitation. The calendar part is
`text/calendar; method=REQUEST; charset=UTF-8` (or CANCEL), base64-encoded from the exact
bytes `icalendar` wrote, so CRLF line ends and 75-octet folding survive transport byte for
byte. Message-IDs are given by the caller (derived from the outbox row, nothing personal).
"""

from __future__ import annotations

import base64
import datetime as dt
import html
from dataclasses import dataclass
from email import policy
from email.charset import QP, Charset
from email.header import Header
from email.mime.multipart import MIMEMultipart
from email.mime.nonmultipart import MIMENonMultipart
from email.mime.text import MIMEText
from email.utils import format_datetime, formataddr


@dataclass(frozen=True)
class Letter:
    """What one e-mail says, already translated."""

    subject: str
    paragraphs: list[str]
    link: str | None = None
    link_label: str | None = None


def _text_body(letter: Letter) -> str:
    parts = list(letter.paragraphs)
    if letter.link:
        parts.append(f"{letter.link_label or ''}\n{letter.link}".strip())
    return "\n\n".join(parts) + "\n"


def _html_body(letter: Letter) -> str:
    body = "".join(f"<p>{html.escape(p).replace(chr(10), '<br>')}</p>" for p in letter.paragraphs)
    if letter.link:
        label = html.escape(letter.link_label or letter.link)
        body += f'<p><a href="{html.escape(letter.link, quote=True)}">{label}</a></p>'
    return (
        '<!DOCTYPE html><html><head><meta charset="utf-8">'
        f"<title>{html.escape(letter.subject)}</title></head><body>{body}</body></html>\n"
    )


def _address(email: str, name: str | None) -> str:
    return formataddr((name or "", email), charset="utf-8")


def _text_part(text: str, subtype: str) -> MIMEText:
    charset = Charset("utf-8")
    charset.body_encoding = QP
    part = MIMEText(text, subtype, charset)  # type: ignore[arg-type]  # typeshed: str only; a Charset works
    del part["MIME-Version"]
    return part


def _calendar_part(calendar: bytes, method: str) -> MIMENonMultipart:
    part = MIMENonMultipart("text", "calendar")
    del part["MIME-Version"]
    # Written out rather than built with parameters: the email package would quote the
    # values, and some clients match this header literally.
    part.replace_header("Content-Type", f"text/calendar; method={method}; charset=UTF-8")
    part["Content-Transfer-Encoding"] = "base64"
    # base64 of the exact bytes: CRLF and folding reach the client unchanged.
    part.set_payload(base64.encodebytes(calendar).decode("ascii"))
    return part


def compose(
    letter: Letter,
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
    message = MIMEMultipart("alternative")
    message["From"] = _address(sender, sender_name)
    message["To"] = _address(recipient, recipient_name)
    message["Subject"] = Header(letter.subject, "utf-8").encode()
    message["Date"] = format_datetime(date.astimezone(dt.UTC))
    message["Message-ID"] = message_id
    message["Auto-Submitted"] = "auto-generated"
    if language:
        message["Content-Language"] = language
    message.attach(_text_part(_text_body(letter), "plain"))
    message.attach(_text_part(_html_body(letter), "html"))
    if calendar is not None:
        if method is None:
            raise ValueError("a calendar part needs its iTIP method")
        message.attach(_calendar_part(calendar, method))
    return message.as_bytes(policy=policy.SMTP)
