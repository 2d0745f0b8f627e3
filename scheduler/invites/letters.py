"""The wording of every e-mail, from Jinja templates: one wording, two renderings (text and HTML).

Each letter is one template under `templates/` written once; it imports its building blocks
(`letter`, `h1`, `p`, `facts`, `link`...) from `_html.j2` or `_text.j2`, so the plain-text
and HTML parts say the same words. The HTML environment escapes every value (names come
from people); the text one writes them as they are. Words go through gettext (`_`) in the
reader's language.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from scheduler.invites.i18n import effective_language, translations
from scheduler.invites.mail import Rendered

TEMPLATES = Path(__file__).resolve().parent / "templates"

SESSION = "session.j2"
STATUS_LINK = "status_link.j2"
COACH_INVITATION = "coach_invitation.j2"
ANSWER = "answer.j2"
NOTICE = "notice.j2"
COACH_CLOSED = "coach_closed.j2"
PLAIN = "plain.j2"


@lru_cache(maxsize=2)
def _environment(fmt: str) -> Environment:
    return Environment(
        loader=FileSystemLoader(TEMPLATES),
        # The text part is not HTML: nothing to escape there (and escaping would garble names).
        autoescape=fmt == "html",  # noqa: S701
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def _tidy_text(text: str) -> str:
    lines = [line.rstrip() for line in text.strip().splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)) + "\n"


def _tidy_html(text: str) -> str:
    return re.sub(r"\n\s*\n+", "\n", text.strip()) + "\n"


def render(template: str, language: str | None, **context: Any) -> Rendered:
    """The letter `template` with `context`, in `language` (English without a catalogue)."""
    lang = effective_language(language)
    common = {"_": translations(language).gettext, "lang": lang, **context}
    parts: dict[str, str] = {}
    subject = ""
    for fmt in ("text", "html"):
        module = _environment(fmt).get_template(template).make_module({**common, "fmt": fmt})
        parts[fmt] = str(module)
        subject = str(module.subject)
    return Rendered(subject=subject, text=_tidy_text(parts["text"]), html=_tidy_html(parts["html"]))


@dataclass(frozen=True)
class Letter:
    """A short letter a feature words itself (already translated): rendered through `plain.j2`,
    so it gets the same two parts, layout and escaping as every other letter."""

    subject: str
    paragraphs: list[str]
    link: str | None = None
    link_label: str | None = None

    def rendered(self, language: str | None = None) -> Rendered:
        return render(PLAIN, language, letter_subject=self.subject, paragraphs=self.paragraphs,
                      link=self.link, link_label=self.link_label)
