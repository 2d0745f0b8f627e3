"""Browser tests' machinery: Debian's Chromium driven by Playwright, axe-core, a live server.

No browser is downloaded: Playwright drives `/usr/bin/chromium` (Debian's `chromium`
package). Without it the browser tests skip with the reason, except under CI=true, where
they fail. axe-core is vendored from the npm registry into `var/node/` (gitignored) on
first use, at the pinned version below.
"""

from __future__ import annotations

import atexit
import os
import shutil
import subprocess
import threading
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from werkzeug.serving import BaseWSGIServer, make_server

from config.settings import PROJECT_ROOT

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
AXE_VERSION = "4.14.1"
AXE_PREFIX = PROJECT_ROOT / "var" / "node"
AXE_SCRIPT = AXE_PREFIX / "node_modules" / "axe-core" / "axe.min.js"
ARTIFACTS = PROJECT_ROOT / "artifacts"
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() == "true"


def unavailable(reason: str) -> None:
    """Skip with the reason, or fail under CI=true, where the browser tests are required."""
    if in_ci():
        pytest.fail(f"{reason}, and CI=true requires the browser tests")
    pytest.skip(reason)


def require_chromium() -> None:
    if not CHROMIUM.exists():
        unavailable(f"{CHROMIUM} is missing (apt-get install chromium chromium-driver)")


def axe_script() -> Path:
    """axe.min.js at the pinned version, installed from npm into var/node/ when missing."""
    installed = AXE_PREFIX / "node_modules" / "axe-core" / "package.json"
    if AXE_SCRIPT.exists() and f'"version": "{AXE_VERSION}"' in installed.read_text():
        return AXE_SCRIPT
    npm = shutil.which("npm")
    if npm is None:
        unavailable("npm is missing, so axe-core cannot be installed")
    AXE_PREFIX.mkdir(parents=True, exist_ok=True)
    result = subprocess.run(
        [npm, "install", "--prefix", str(AXE_PREFIX), "--no-save", "--no-audit", "--no-fund",
         "--no-package-lock", f"axe-core@{AXE_VERSION}"],
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    if result.returncode != 0 or not AXE_SCRIPT.exists():
        unavailable(f"npm could not install axe-core@{AXE_VERSION}: {result.stderr.strip()[-500:]}")
    return AXE_SCRIPT


class LiveServer:
    """The app served on 127.0.0.1 at a free port, in a thread, for the test's duration."""

    def __init__(self, app: Flask) -> None:
        self.server: BaseWSGIServer = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> LiveServer:
        self.thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.server.shutdown()
        self.thread.join(timeout=10)


_SHARED: dict[str, Any] = {}


def shared_chromium() -> Any:
    """One Playwright and one Chromium for the whole run, however many modules import `browser`.

    Playwright's sync API allows one running instance per thread: a second session-scoped
    fixture (a module that imports `browser` gets its own copy) would fail to start.
    """
    if "browser" not in _SHARED:
        from playwright.sync_api import sync_playwright

        playwright = sync_playwright().start()
        _SHARED["playwright"] = playwright
        _SHARED["browser"] = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        atexit.register(_close_shared)
    return _SHARED["browser"]


def _close_shared() -> None:
    browser = _SHARED.pop("browser", None)
    playwright = _SHARED.pop("playwright", None)
    if browser is not None:
        browser.close()
    if playwright is not None:
        playwright.stop()


@pytest.fixture(scope="session")
def browser() -> Any:
    require_chromium()
    return shared_chromium()


@pytest.fixture(scope="session")
def axe() -> Path:
    return axe_script()


def check_accessibility(page: Any, axe_path: Path, label: str) -> None:
    """axe-core finds no WCAG 2.1 A/AA violation on the page (the context must bypass CSP to inject it)."""
    page.add_script_tag(path=str(axe_path))
    result = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})",
        WCAG_TAGS,
    )
    problems = [
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:5]}"
        for v in result["violations"]
    ]
    assert not problems, f"{label}: accessibility violations:\n" + "\n".join(problems)


def check_fits_width(page: Any, label: str) -> None:
    """Nothing scrolls sideways: the page fits the viewport (WCAG 1.4.10 reflow)."""
    overflow = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"{label}: the page is {overflow}px wider than the {page.viewport_size['width']}px screen"


def check_page(page: Any, axe_path: Path, label: str, shot: str | None = None) -> None:
    """The page is accessible and fits the screen; with `shot`, kept as a screenshot of that name."""
    check_accessibility(page, axe_path, label)
    check_fits_width(page, label)
    if shot is not None:
        screenshot(page, shot)


def screenshot(page: Any, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
