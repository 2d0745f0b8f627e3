"""Benchmark runner: the solver and the greedy baseline on the same generated programmes.

    python benchmarks/run.py                          # W1 and W2 with their target time limits
    python benchmarks/run.py W3 --time-limit 60
    python benchmarks/run.py W1 W2 W3 W4 --time-limit W4=300 --workers 2 --seed 0

Each workload is generated (seeded), written to `benchmarks/results/`, then solved in
a fresh subprocess per method, so wall time and peak RSS are those of one run alone
(peak RSS is the child's `ru_maxrss` from `os.wait4`). Every result is checked with the
independent validator. The table shows served weight, the solver's proven bound, the
gap to that bound, wall time and peak RSS; the JSON file keeps all of it plus the
solver's progress over time.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"

# Time limits the targets are stated for (issue 10); W4 is also run at 2 s and 5 s by hand.
DEFAULT_LIMITS = {
    "DEMO": 10.0,
    "W1": 10.0,
    "W2": 10.0,
    "W3": 60.0,
    "W4": 300.0,
    "W1-DST": 10.0,
    "W2-DST": 10.0,
    "W3-DST": 60.0,
    "W4-DST": 300.0,
}
TARGETS = {
    "W1": "proven OPTIMAL in < 1 s",
    "W2": "proven OPTIMAL in < 5 s",
    "W3": "gap <= 0.05% in 60 s, peak RSS < 1 GB",
    "W4": "gap <= 0.3% in 60 s and <= 0.2% in 300 s, peak RSS < 2 GB; within limit + 0.5 s at 2 s and 5 s",
}


def _child(method: str, instance_path: str, output_path: str, time_limit: float, workers: int, seed: int) -> int:
    """Run one method on one instance in this (fresh) process; write solution and timings."""
    sys.path.insert(0, str(ROOT))
    # A solver worker imports the optimiser once at start-up (OR-Tools pulls in pandas: about
    # a second on a quiet machine); the time limit is about the solve, so import it first.
    if method == "solver":
        import solver.search

    started = time.perf_counter()
    import solver

    with open(instance_path, encoding="utf-8") as handle:
        instance = solver.parse_instance(json.load(handle))
    parsed = time.perf_counter()
    trace: list[dict[str, Any]] = []

    def on_progress(progress: Any) -> None:
        trace.append(
            {
                "elapsed": round(progress.elapsed_seconds, 3),
                "served_weight": progress.served_weight,
                "bound": progress.served_weight_bound,
                "wall": round(time.perf_counter() - parsed, 3),
            }
        )

    if method == "solver":
        solution = solver.solve(instance, time_limit=time_limit, workers=workers, seed=seed, on_progress=on_progress)
    else:
        solution = solver.greedy(instance)
    finished = time.perf_counter()
    document = solver.solution_to_json(solution)
    with open(output_path, "w", encoding="utf-8") as handle:
        json.dump(
            {
                "solution": document,
                "parse_seconds": parsed - started,
                "solve_seconds": finished - parsed,
                "trace": trace,
            },
            handle,
        )
    return 0


def _run_child(
    method: str, instance_path: Path, time_limit: float, workers: int, seed: int, tag: str
) -> dict[str, Any]:
    output = RESULTS / f"{tag}.{method}.json"
    command = [
        sys.executable,
        str(Path(__file__).resolve()),
        "_child",
        method,
        str(instance_path),
        str(output),
        str(time_limit),
        str(workers),
        str(seed),
    ]
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    stderr_chunks: list[str] = []
    # Drain stderr (the solver's progress display) so the child never blocks on a full pipe.
    assert process.stderr is not None
    for line in process.stderr:
        stderr_chunks.append(line)
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - started
    result: dict[str, Any] = {
        "method": method,
        "exit_code": process.returncode,
        "process_wall_seconds": round(wall, 3),
        "peak_rss_mb": round(usage.ru_maxrss / 1024, 1),  # Linux reports KiB
    }
    if process.returncode != 0:
        result["error"] = "".join(stderr_chunks)[-2000:]
        return result
    with open(output, encoding="utf-8") as handle:
        payload = json.load(handle)
    result.update(
        solution=payload["solution"],
        parse_seconds=round(payload["parse_seconds"], 3),
        solve_seconds=round(payload["solve_seconds"], 3),
        trace=payload["trace"],
    )
    return result


def _validate(instance_path: Path, solution: dict[str, Any]) -> list[str]:
    sys.path.insert(0, str(ROOT))
    from solver.codec import parse_instance, parse_solution
    from solver.validate import validate

    with open(instance_path, encoding="utf-8") as handle:
        instance = parse_instance(json.load(handle))
    return validate(instance, parse_solution(solution, instance))


def _weight_at(trace: list[dict[str, Any]], seconds: float) -> int | None:
    """Best served weight reported by the solver's progress at `seconds` of solving."""
    best = None
    for point in trace:
        if point["elapsed"] <= seconds and point["served_weight"] is not None:
            best = point["served_weight"] if best is None else max(best, point["served_weight"])
    return best


def _gap(served: int | None, bound: int | None) -> float | None:
    if served is None or bound is None or bound <= 0:
        return None
    return 100.0 * (bound - served) / bound


def demo_instance(over_time: bool) -> dict[str, Any]:
    """The demo programme (`coaching demo`) as the app sends it to the solver, with the
    programme setting "coaches take new coachees as engagements end" on or off."""
    import tempfile

    sys.path.insert(0, str(ROOT))
    from sqlalchemy import select

    from scheduler.db import Database
    from scheduler.demo import load_demo
    from scheduler.models import Programme
    from scheduler.schema import upgrade_to_head
    from scheduler.translator import build_instance

    now = datetime(2026, 11, 23, 8, tzinfo=UTC)  # a fixed moment: the same programme every run
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{folder}/demo.db"
        upgrade_to_head(url)
        database = Database(url)
        with database.sessions() as db, db.begin():
            load_demo(db, today=now.date(), password="benchmark-password-1")
            programme = db.scalars(select(Programme)).one()
            programme.capacity_over_time = over_time
            instance = build_instance(db, programme, now)
        database.dispose()
    return instance


def run_workload(
    name: str,
    seed: int,
    time_limit: float,
    workers: int,
    methods: tuple[str, ...] = ("greedy", "solver"),
    over_time: bool = False,
) -> dict[str, Any]:
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from generate import generate_workload, with_capacity_over_time

    tag = f"{name}-s{seed}"
    if name == "DEMO":  # the app's demo programme, through the translator
        instance = demo_instance(over_time)
    else:
        instance = generate_workload(name, seed=seed)
        if over_time:
            instance = with_capacity_over_time(instance, seed=seed)
    if over_time:
        tag += "-over-time"
    instance_path = RESULTS / f"{tag}.instance.json"
    with open(instance_path, "w", encoding="utf-8") as handle:
        json.dump(instance, handle)
    record: dict[str, Any] = {
        "workload": name + (" over time" if over_time else ""),
        "capacity_over_time": over_time,
        "seed": seed,
        "coaches": len(instance["coaches"]),
        "requests": len(instance["requests"]),
        "time_limit": time_limit,
        "workers": workers,
        "target": TARGETS.get(name.split("-")[0], ""),
        "runs": {},
    }
    for method in methods:
        result = _run_child(method, instance_path, time_limit, workers, seed, tag)
        if "solution" in result:
            problems = _validate(instance_path, result["solution"])
            result["violations"] = len(problems)
            result["first_violations"] = problems[:10]
            sol = result["solution"]
            result["served_weight"] = sol["served_weight"]
            result["bound"] = sol.get("served_weight_bound")
            result["status"] = sol.get("status")
            result["assigned"] = len(sol["assignments"])
            del result["solution"]
        record["runs"][method] = result
    solver_run, greedy_run = record["runs"].get("solver", {}), record["runs"].get("greedy", {})
    bound = solver_run.get("bound")
    for run in (solver_run, greedy_run):
        run["gap_percent"] = _gap(run.get("served_weight"), bound)
    if solver_run.get("served_weight") and greedy_run.get("served_weight"):
        record["solver_over_greedy_percent"] = 100.0 * (solver_run["served_weight"] / greedy_run["served_weight"] - 1.0)
        at_15 = _weight_at(solver_run.get("trace", []), 15.0)
        if at_15 is not None:
            record["solver_over_greedy_at_15s_percent"] = 100.0 * (at_15 / greedy_run["served_weight"] - 1.0)
    return record


def _fmt(value: Any, pattern: str = "{}") -> str:
    return "-" if value is None else pattern.format(value)


def print_table(records: list[dict[str, Any]]) -> None:
    header = (
        f"{'workload':<14} {'method':<7} {'status':<9} {'served':>9} {'bound':>9} {'gap %':>7} "
        f"{'assigned':>8} {'wall s':>7} {'RSS MB':>7} {'valid':>6}"
    )
    print(header)
    print("-" * len(header))
    for record in records:
        for method in ("solver", "greedy"):
            if method not in record["runs"]:
                continue
            run = record["runs"][method]
            if "error" in run:
                print(f"{record['workload']:<14} {method:<7} FAILED (exit {run['exit_code']}): {run['error'][-200:]!r}")
                continue
            print(
                f"{record['workload']:<14} {method:<7} {_fmt(run.get('status')):<9} "
                f"{_fmt(run.get('served_weight')):>9} {_fmt(run.get('bound')):>9} "
                f"{_fmt(run.get('gap_percent'), '{:.3f}'):>7} {_fmt(run.get('assigned')):>8} "
                f"{run['solve_seconds']:>7.2f} {run['peak_rss_mb']:>7.0f} "
                f"{'yes' if run.get('violations') == 0 else 'NO(' + str(run.get('violations')) + ')':>6}"
            )
        extra = ""
        if "solver_over_greedy_percent" in record:
            extra = f"solver serves {record['solver_over_greedy_percent']:+.1f}% vs greedy"
        if "solver_over_greedy_at_15s_percent" in record:
            extra += f" ({record['solver_over_greedy_at_15s_percent']:+.1f}% at 15 s)"
        print(f"{'':<9} {extra}  target: {record['target']}")


def _limits(values: list[str], workloads: list[str]) -> dict[str, float]:
    limits = {name: DEFAULT_LIMITS.get(name, 60.0) for name in workloads}
    for value in values:
        if "=" in value:
            name, seconds = value.split("=", 1)
            limits[name] = float(seconds)
        else:
            limits = dict.fromkeys(workloads, float(value))
    return limits


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == "_child":
        method, instance_path, output_path, limit, workers, seed = argv[1:7]
        return _child(method, instance_path, output_path, float(limit), int(workers), int(seed))
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "workloads",
        nargs="*",
        default=["W1", "W2"],
        help="W1 W2 W3 W4, each also -DST, or DEMO (the app's demo programme)",
    )
    parser.add_argument(
        "--time-limit",
        action="append",
        default=[],
        help="seconds for all workloads, or NAME=SECONDS for one (repeatable); default: the targets' limits",
    )
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--methods", default="greedy,solver", help="comma-separated: greedy, solver (default both, same run)"
    )
    parser.add_argument(
        "--capacity-over-time",
        choices=("off", "on", "both"),
        default="off",
        help="count coachees at once (rules 5' and 9'); both: each workload without and then with, in one run",
    )
    parser.add_argument("--output", help="results JSON (default: benchmarks/results/run-<UTC time>.json)")
    args = parser.parse_args(argv)
    RESULTS.mkdir(parents=True, exist_ok=True)
    limits = _limits(args.time_limit, args.workloads)
    started = datetime.now(UTC)
    records = []
    for name in args.workloads:
        print(f"running {name} (time limit {limits[name]:g} s, {args.workers} workers)...", file=sys.stderr, flush=True)
        methods = tuple(m.strip() for m in args.methods.split(",") if m.strip())
        flags = {"off": (False,), "on": (True,), "both": (False, True)}[args.capacity_over_time]
        for over_time in flags:
            records.append(run_workload(name, args.seed, limits[name], args.workers, methods, over_time))
    print_table(records)
    output = Path(args.output) if args.output else RESULTS / f"run-{started.strftime('%Y%m%dT%H%M%SZ')}.json"
    with open(output, "w", encoding="utf-8") as handle:
        json.dump(
            {
                "started": started.isoformat(),
                "machine": {
                    "cpus": os.cpu_count(),
                    "platform": platform.platform(),
                    "python": platform.python_version(),
                    "processor": platform.processor() or platform.machine(),
                    # The machine is shared: the load says how much else was running.
                    "load_average_at_end": os.getloadavg(),
                },
                "records": records,
            },
            handle,
            indent=1,
        )
    print(f"results written to {output}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
