"""`coaching pin`: a waiting request pinned to a coach from the command line; bad ids exit 2."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.scheduler.test_cli import coaching, ready  # noqa: F401  (fixture)


def test_pin_a_waiting_request_and_refuse_an_unknown_coach(ready: Path) -> None:  # noqa: F811
    pinned = coaching(ready, "pin", "3", "2")
    assert pinned.returncode == 0, pinned.stderr
    assert "request 3 is pinned to coach 2" in pinned.stdout
    unknown = coaching(ready, "pin", "3", "999")
    assert unknown.returncode == 2
    assert "Traceback" not in unknown.stderr and unknown.stderr.strip()


@pytest.mark.parametrize("args", [("pin", "3"), ("pin", "x", "2")])
def test_pin_needs_two_numbers(ready: Path, args: tuple[str, ...]) -> None:  # noqa: F811
    result = coaching(ready, *args)
    assert result.returncode == 2 and "Traceback" not in result.stderr
