"""Command line: `python -m solver solve | greedy | validate | explain`, as the contract says;
`supervision` and `intervision` hand over to the planners' commands (solver.planners_cli).

Bad input exits with status 2 and one line per problem on standard error; a
violated hard rule in `validate` exits with status 1.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any, NoReturn, TextIO

from solver.codec import InstanceError, parse_instance, parse_solution, solution_to_json
from solver.domain import Instance, Progress, Solution

EXIT_BAD_INPUT = 2


class _BadInput(Exception):
    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        raise _BadInput([f"{self.prog}: {message}"])


def _load_json(path: str) -> Any:
    try:
        text = sys.stdin.read() if path == "-" else Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise _BadInput([f"{path}: cannot read ({exc.strerror or exc})"]) from None
    except UnicodeDecodeError:
        raise _BadInput([f"{path}: not UTF-8 text"]) from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise _BadInput([f"{path}: not JSON ({exc.msg} at line {exc.lineno} column {exc.colno})"]) from None


def _instance(path: str) -> Instance:
    try:
        return parse_instance(_load_json(path))
    except InstanceError as exc:
        raise _BadInput([f"{path}: {p}" for p in exc.problems]) from None


def _solution(path: str, instance: Instance) -> Solution:
    try:
        return parse_solution(_load_json(path), instance)
    except InstanceError as exc:
        raise _BadInput([f"{path}: {p}" for p in exc.problems]) from None


def _write(document: Any, output: str | None) -> None:
    text = json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    if output is None or output == "-":
        sys.stdout.write(text)
    else:
        try:
            Path(output).write_text(text, encoding="utf-8")
        except OSError as exc:
            raise _BadInput([f"{output}: cannot write ({exc.strerror or exc})"]) from None


def _progress_printer(stream: TextIO) -> Any:
    last = [0.0]

    def show(p: Progress) -> None:
        now = time.monotonic()
        if now - last[0] < 0.2:
            return
        last[0] = now
        bound = "?" if p.served_weight_bound is None else str(p.served_weight_bound)
        gap = "?" if p.gap is None else f"{100 * p.gap:.2f}%"
        stream.write(f"\r{p.elapsed_seconds:7.1f}s  served {p.served_weight}  bound {bound}  gap {gap}   ")
        stream.flush()

    return show


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="python -m solver", description="Coaching programme scheduler.")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    solve = sub.add_parser("solve", help="optimise a plan (CP-SAT)")
    solve.add_argument("instance")
    solve.add_argument("-o", "--output")
    solve.add_argument("--time-limit", type=float, default=10.0)
    solve.add_argument("--workers", type=int, default=2)
    solve.add_argument("--seed", type=int, default=0)
    greedy = sub.add_parser("greedy", help="first-come-first-served baseline")
    greedy.add_argument("instance")
    greedy.add_argument("-o", "--output")
    validate = sub.add_parser("validate", help="check every hard rule")
    validate.add_argument("instance")
    validate.add_argument("solution")
    explain = sub.add_parser("explain", help="why each request is or is not served")
    explain.add_argument("instance")
    explain.add_argument("solution")
    explain.add_argument("request", nargs="?")
    for planner, what in (("supervision", "group supervision sessions"), ("intervision", "intervision groups")):
        planner_args = sub.add_parser(planner, help=f"plan {what}: solve | validate (docs/planners.md)")
        planner_args.add_argument("planner_args", nargs=argparse.REMAINDER)
    return parser


def run(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command in ("supervision", "intervision"):
        from solver.planners_cli import run as run_planner

        return run_planner(args.command, args.planner_args)
    if args.command == "solve":
        from solver.search import solve

        if args.time_limit <= 0:
            raise _BadInput(["--time-limit: must be positive"])
        if args.workers < 1:
            raise _BadInput(["--workers: must be at least 1"])
        instance = _instance(args.instance)
        on_progress = _progress_printer(sys.stderr) if sys.stderr.isatty() else None
        solution = solve(
            instance, time_limit=args.time_limit, workers=args.workers, seed=args.seed, on_progress=on_progress
        )
        if on_progress is not None:
            sys.stderr.write("\n")
        _write(solution_to_json(solution), args.output)
        return 0
    if args.command == "greedy":
        from solver.baseline import greedy

        _write(solution_to_json(greedy(_instance(args.instance))), args.output)
        return 0
    if args.command == "validate":
        from solver.validate import validate  # owned separately; imported only when used

        instance = _instance(args.instance)
        violations = validate(instance, _solution(args.solution, instance))
        for line in violations:
            print(line)
        if not violations:
            print("ok: every hard rule holds")
        return 1 if violations else 0
    from solver.explanations import explain

    instance = _instance(args.instance)
    try:
        result = explain(instance, _solution(args.solution, instance), args.request)
    except InstanceError as exc:
        raise _BadInput(exc.problems) from None
    _write(result, None)
    return 0


def main(argv: list[str] | None = None) -> int:
    try:
        return run(argv)
    except _BadInput as exc:
        for line in exc.problems:
            print(line, file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        return 130
