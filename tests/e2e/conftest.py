"""Browser-test fixtures, shared by every tests/e2e/test_browser*.py module (one Chromium per run)."""

from tests.e2e.browser_site import site
from tests.e2e.browser_support import axe, browser

__all__ = ["axe", "browser", "site"]
