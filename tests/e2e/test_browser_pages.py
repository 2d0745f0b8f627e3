"""Every main page in a real browser: no WCAG 2.1 A/AA violation found by axe-core, fits a
390px phone, works with the keyboard, runs under the strict CSP; screenshots in artifacts/."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.e2e.browser_site import Site
from tests.e2e.browser_support import DESKTOP, PHONE, check_accessibility, check_fits_width, screenshot

pytestmark = pytest.mark.timeout(300)


def sign_in(page: Any, live: Site, who: str) -> None:
    email, password = live.people[who]
    page.goto(f"{live.url}/login")
    if "/login" not in page.url:
        return  # signed in already
    page.fill("#email", email)
    page.fill("#password", password)
    page.click("main button[type=submit]")
    page.wait_for_load_state()


def fill_request(page: Any) -> None:
    page.fill("#coachee_name", "Mia Coachee")
    page.fill("#coachee_email", "mia@coachees.example")
    page.check("#topic-1")
    page.select_option("#language_1", "en")
    page.fill("#windows_mon", "17:00-20:00")
    page.check("#consent")


def _open(page: Any, live: Site, name: str) -> None:
    tokens, ids = live.tokens, live.ids
    paths = {
        "home": "/",
        "request-form": "/request",
        "status-waiting": f"/r/{tokens['waiting']}",
        "status-proposed": f"/r/{tokens['proposed']}",
        "reschedule": f"/r/{tokens['proposed']}/sessions/{ids['session']}/reschedule",
        "new-link": "/request/new-link",
        "login": "/login",
        "set-password": f"/set-password/{tokens['invitation']}",
        "not-found": "/no-such-page",
        "coach-sessions": "/coach/",
        "coach-profile": "/coach/profile",
        "coach-availability": "/coach/availability",
        "coach-capacity": "/coach/capacity",
        "coach-feed": "/coach/calendar-feed",
        "privacy": "/privacy",
        "my-data": f"/r/{tokens['proposed']}/my-data",
        "erase": f"/r/{tokens['proposed']}/erase",
        "fresh-link": "/request/link/0123456789abcdef",
        "coach-my-data": "/coach/my-data",
        "coach-close-account": "/coach/close-account",
    }
    if name.startswith("coach-"):
        sign_in(page, live, "coach")
    if name == "request-errors":
        page.goto(f"{live.url}/request")
        page.fill("#coachee_email", "not an address")
        page.click("main button[type=submit]")
        page.wait_for_load_state()
        assert page.locator("#error-summary").is_visible()
        return
    if name == "request-sent":
        page.goto(f"{live.url}/request")
        fill_request(page)
        page.click("main button[type=submit]")
        page.wait_for_url("**/request/sent")
        return
    page.goto(live.url + paths[name])


PAGES = [
    "home",
    "request-form",
    "request-errors",
    "request-sent",
    "status-waiting",
    "status-proposed",
    "reschedule",
    "new-link",
    "login",
    "set-password",
    "not-found",
    "coach-sessions",
    "coach-profile",
    "coach-availability",
    "coach-capacity",
    "coach-feed",
    "privacy",
    "my-data",
    "erase",
    "fresh-link",
    "coach-my-data",
    "coach-close-account",
]


@pytest.mark.parametrize("name", PAGES)
def test_page_is_accessible_and_fits(browser: Any, axe: Path, site: Site, name: str) -> None:
    """At desktop and at 390px phone width (the page is loaded afresh for each)."""
    context = browser.new_context(bypass_csp=True, timezone_id="Asia/Tokyo")
    page = context.new_page()
    try:
        for viewport in (DESKTOP, PHONE):
            page.set_viewport_size(viewport)
            _open(page, site, name)
            label = f"{name} at {viewport['width']}px"
            screenshot(page, f"{name}-{viewport['width']}")
            check_fits_width(page, label)
            check_accessibility(page, axe, label)
    finally:
        context.close()


def test_pages_run_under_the_strict_csp(browser: Any, site: Site) -> None:
    """With the CSP enforced, nothing is refused and the timezone script still runs."""
    context = browser.new_context(viewport=PHONE, timezone_id="Asia/Tokyo")
    page = context.new_page()
    refused: list[str] = []
    page.on("console", lambda m: refused.append(m.text) if "Content Security Policy" in m.text else None)
    try:
        for name in ("home", "request-form", "status-proposed", "coach-sessions", "coach-availability"):
            _open(page, site, name)
        page.goto(f"{site.url}/request")
        assert page.input_value("#timezone") == "Asia/Tokyo"
        assert "from your browser (Asia/Tokyo)" in page.inner_text("#timezone-detected")
        styles = page.evaluate("() => getComputedStyle(document.querySelector('.site-header')).backgroundColor")
        assert styles == "rgb(18, 53, 95)"  # the stylesheet loaded
    finally:
        context.close()
    assert not refused, refused


def _focus_visible(page: Any) -> dict[str, Any]:
    return page.evaluate(
        """() => {
            const el = document.activeElement;
            const style = getComputedStyle(el);
            const box = el.getBoundingClientRect();
            return {tag: el.tagName, id: el.id, cls: el.className, text: (el.innerText || el.value || '').slice(0, 40),
                    // false inside a control's own parts (a date input's picker button): the browser draws those
                    own: el.matches(':focus'),
                    outline: style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) >= 2,
                    shadow: style.boxShadow !== 'none', visible: box.width > 0 && box.height > 0};
        }"""
    )


def test_keyboard_skip_link_and_visible_focus(browser: Any, site: Site) -> None:
    context = browser.new_context(viewport=PHONE, timezone_id="Asia/Tokyo")
    page = context.new_page()
    try:
        page.goto(f"{site.url}/request")
        page.keyboard.press("Tab")
        first = _focus_visible(page)
        assert first["cls"] == "skip-link" and first["visible"] and first["outline"], first
        box = page.locator(".skip-link").bounding_box()
        assert box is not None and box["y"] >= 0  # shown on screen when focused
        screenshot(page, "keyboard-skip-link-390")
        page.keyboard.press("Enter")
        assert page.evaluate("() => document.activeElement.id") == "main"
        reached_submit = False
        for _ in range(80):
            page.keyboard.press("Tab")
            focus = _focus_visible(page)
            assert focus["outline"] or focus["shadow"] or not focus["own"], f"no visible focus on {focus}"
            if focus["tag"] == "BUTTON" and "Send my request" in focus["text"]:
                reached_submit = True
                break
        assert reached_submit, "the submit button cannot be reached with Tab"
    finally:
        context.close()


def test_keyboard_only_sign_in_and_answer(browser: Any, site: Site) -> None:
    """A coach signs in with the keyboard alone and the status page's buttons answer Enter."""
    context = browser.new_context(viewport=PHONE, timezone_id="America/New_York")
    page = context.new_page()
    try:
        page.goto(f"{site.url}/login")
        email, password = site.people["coach"]
        page.locator("#email").focus()
        page.keyboard.type(email)
        page.keyboard.press("Tab")
        page.keyboard.type(password)
        page.keyboard.press("Enter")
        page.wait_for_url("**/coach/")
        assert "My sessions" in page.inner_text("nav")
        # the sign-out button is reachable and works with the keyboard
        page.locator("nav button").focus()
        page.keyboard.press("Enter")
        page.wait_for_url(f"{site.url}/")
        assert "You are signed out" in page.inner_text("main")
    finally:
        context.close()
