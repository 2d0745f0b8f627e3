"""The house's structure holds: no import loops in scheduler or web (import-linter's own graph library).

import-linter's contracts in pyproject.toml say which way rooms and service packages depend;
this says there is no loop anywhere below them, at any level of packages.
"""

from __future__ import annotations

import grimp
import pytest

GRAPH = grimp.build_graph("scheduler", "web", "solver", "config")
PACKAGES = sorted(m for m in GRAPH.modules if m.split(".")[0] in {"scheduler", "web"} and GRAPH.find_children(m))


@pytest.mark.parametrize("package", PACKAGES)
def test_no_import_loop_among_the_parts_of(package: str) -> None:
    assert GRAPH.nominate_cycle_breakers(package) == set()


def test_a_loop_is_found_when_there_is_one() -> None:
    """The check above can fail: the delivery <-> tasks loop the unit of work removed is seen as one."""
    graph = grimp.build_graph("scheduler", "web", "solver", "config")
    graph.add_import(importer="scheduler.services.messaging.delivery", imported="scheduler.tasks")
    assert graph.nominate_cycle_breakers("scheduler") != set()
