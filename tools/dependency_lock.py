"""Keeps the lock files true to pyproject.toml: `make lock` writes them, `make setup` checks them.

The lock files (requirements.lock for running, requirements-dev.lock for developing and CI)
pin every package of the whole dependency tree with its hashes. Each starts with a line
naming the sha256 of pyproject.toml's dependency lists it was made from, so a dependency
added to pyproject.toml without `make lock` stops `make setup` with a clear message
instead of installing a tree nobody resolved.

    python3 tools/dependency_lock.py check            # exit 1 if a lock is missing or stale
    python3 tools/dependency_lock.py stamp FILE...    # after `uv pip compile`, record the digest
"""

from __future__ import annotations

import hashlib
import json
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LOCKS = ("requirements.lock", "requirements-dev.lock")
PREFIX = "# pyproject.toml dependencies sha256: "


def digest() -> str:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    wanted = {
        "requires-python": project.get("requires-python"),
        "dependencies": project.get("dependencies", []),
        "optional-dependencies": project.get("optional-dependencies", {}),
    }
    return hashlib.sha256(json.dumps(wanted, sort_keys=True).encode()).hexdigest()


def stamp(paths: list[str]) -> None:
    line = PREFIX + digest() + "\n"
    for name in paths:
        path = ROOT / name
        lines = [x for x in path.read_text(encoding="utf-8").splitlines(keepends=True) if not x.startswith(PREFIX)]
        path.write_text(line + "".join(lines), encoding="utf-8")


def check() -> int:
    expected = digest()
    for name in LOCKS:
        path = ROOT / name
        first = path.read_text(encoding="utf-8").split("\n", 1)[0] if path.exists() else ""
        if first != PREFIX + expected:
            print(
                f"{name} does not match pyproject.toml's dependencies (changed since the last `make lock`).\n"
                "Run `make lock` and commit the lock files with pyproject.toml.",
                file=sys.stderr,
            )
            return 1
    return 0


if __name__ == "__main__":
    if sys.argv[1:2] == ["stamp"]:
        stamp(sys.argv[2:])
    elif sys.argv[1:] == ["check"]:
        sys.exit(check())
    else:
        sys.exit(__doc__)
