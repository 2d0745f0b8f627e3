"""`python -m solver supervision|intervision solve|validate FILE...`: the two planners' commands.

Same conventions as the coaching commands: bad input exits 2 with one line per problem
naming the field path; a plan that breaks a rule makes `validate` exit 1.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

from solver.codec import InstanceError


def _parser(planner: str) -> argparse.ArgumentParser:
    from solver.cli import _Parser

    parser = _Parser(prog=f"python -m solver {planner}")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    solve = sub.add_parser("solve", help="plan (CP-SAT)")
    solve.add_argument("instance")
    solve.add_argument("-o", "--output")
    solve.add_argument("--time-limit", type=float, default=10.0)
    solve.add_argument("--workers", type=int, default=2)
    validate = sub.add_parser("validate", help="check every rule")
    validate.add_argument("instance")
    validate.add_argument("plan")
    return parser


def run(planner: str, argv: list[str]) -> int:
    from solver.cli import _BadInput, _load_json, _write

    if planner == "supervision":
        from solver.supervision import codec as supervision_codec
        from solver.supervision.model import solve as plan_supervision
        from solver.supervision.validate import validate as check_supervision

        parse_instance: Callable[[Any], Any] = supervision_codec.parse_instance
        parse_plan: Callable[[Any], Any] = supervision_codec.parse_plan
        to_json: Callable[[Any], dict[str, Any]] = supervision_codec.plan_to_json
        plan: Callable[..., Any] = plan_supervision
        check: Callable[[Any, Any], list[str]] = check_supervision
    else:
        from solver.intervision import codec as intervision_codec
        from solver.intervision.model import solve as plan_intervision
        from solver.intervision.validate import validate as check_intervision

        parse_instance = intervision_codec.parse_instance
        parse_plan = intervision_codec.parse_plan
        to_json = intervision_codec.plan_to_json
        plan = plan_intervision
        check = check_intervision

    args = _parser(planner).parse_args(argv)

    def read(path: str, parse: Callable[[Any], Any]) -> Any:
        try:
            return parse(_load_json(path))
        except InstanceError as exc:
            raise _BadInput([f"{path}: {p}" for p in exc.problems]) from None

    instance = read(args.instance, parse_instance)
    if args.command == "solve":
        if args.time_limit <= 0:
            raise _BadInput(["--time-limit: must be positive"])
        if args.workers < 1:
            raise _BadInput(["--workers: must be at least 1"])
        _write(to_json(plan(instance, time_limit=args.time_limit, workers=args.workers)), args.output)
        return 0
    violations = check(instance, read(args.plan, parse_plan))
    for line in violations:
        print(line)
    if not violations:
        print("ok: every rule holds")
    return 1 if violations else 0
