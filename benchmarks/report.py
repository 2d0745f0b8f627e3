"""Turn a results file of `benchmarks/run.py` into Markdown tables and an SVG progress plot.

    python benchmarks/report.py benchmarks/results/run-....json [--svg docs/benchmarks-w3.svg --plot W3]

Prints the results table (solver and greedy from that one run) and, for each workload, the
solver's progress over time (best served weight and proven bound). With `--svg` it also
writes a hand-built SVG line plot of one workload's progress, since matplotlib is not a
dependency.
"""

from __future__ import annotations

import argparse
import itertools
import json
from pathlib import Path
from typing import Any


def _cell(value: Any, pattern: str = "{}") -> str:
    return "–" if value is None else pattern.format(value)


def results_table(data: dict[str, Any]) -> str:
    lines = [
        "| workload | coaches × requests | time limit | method | status | served weight | bound | gap % "
        "| assigned | solve wall s | peak RSS MB | valid |",
        "|---|---|---|---|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    for record in data["records"]:
        for method in ("solver", "greedy"):
            if method not in record["runs"]:
                continue
            run = record["runs"][method]
            if "error" in run:
                lines.append(
                    f"| {record['workload']} | {record['coaches']} × {record['requests']} | "
                    f"{record['time_limit']:g} s | {method} | failed (exit {run['exit_code']}) | | | | | "
                    f"{run['process_wall_seconds']:.1f} | {run['peak_rss_mb']:.0f} | |"
                )
                continue
            lines.append(
                f"| {record['workload']} | {record['coaches']} × {record['requests']} | {record['time_limit']:g} s "
                f"| {method} | {run.get('status')} | {run.get('served_weight')} | {_cell(run.get('bound'))} "
                f"| {_cell(run.get('gap_percent'), '{:.3f}')} | {run.get('assigned')} | {run['solve_seconds']:.2f} "
                f"| {run['peak_rss_mb']:.0f} | {'yes' if run.get('violations') == 0 else 'NO'} |"
            )
    return "\n".join(lines)


def progress_table(record: dict[str, Any]) -> str:
    trace = record["runs"]["solver"].get("trace", [])
    lines = ["| solver seconds | best served weight | bound | gap % |", "|---:|---:|---:|---:|"]
    for point in trace:
        served, bound = point["served_weight"], point["bound"]
        gap = None if not bound else 100.0 * (bound - served) / bound
        lines.append(f"| {point['elapsed']:.1f} | {served} | {_cell(bound)} | {_cell(gap, '{:.2f}')} |")
    return "\n".join(lines)


def progress_svg(record: dict[str, Any], width: int = 640, height: int = 360) -> str:
    """Step plot of best served weight and bound over solver time, greedy as a dashed line."""
    trace = record["runs"]["solver"].get("trace", [])
    greedy = record["runs"].get("greedy", {}).get("served_weight")
    limit = max([record["time_limit"]] + [p["elapsed"] for p in trace])
    values = [p["served_weight"] for p in trace] + [p["bound"] for p in trace if p["bound"] is not None]
    # Greedy is drawn only when it is near the solver's curves; far below, it would
    # flatten them into one line, so it is named in a note instead.
    greedy_in_plot = greedy is not None and (not values or greedy >= min(values) - 0.5 * (max(values) - min(values)))
    if greedy is not None and greedy_in_plot:
        values.append(greedy)
    low, high = (min(values), max(values)) if values else (0, 1)
    span = max(1, high - low)
    low, high = low - 0.05 * span, high + 0.05 * span
    left, right, top, bottom = 80, 20, 30, 50
    plot_w, plot_h = width - left - right, height - top - bottom

    def x(seconds: float) -> float:
        return left + plot_w * seconds / limit

    def y(value: float) -> float:
        return top + plot_h * (1 - (value - low) / (high - low))

    def steps(points: list[tuple[float, float]]) -> str:
        if not points:
            return ""
        path = [f"M{x(points[0][0]):.1f},{y(points[0][1]):.1f}"]
        for (_, previous), (t, value) in itertools.pairwise(points):
            path.append(f"H{x(t):.1f}V{y(value):.1f}" if value != previous else f"H{x(t):.1f}")
        path.append(f"H{x(limit):.1f}")
        return "".join(path)

    served = [(p["elapsed"], p["served_weight"]) for p in trace]
    bound = [(p["elapsed"], p["bound"]) for p in trace if p["bound"] is not None]
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="12">',
        f'<rect width="{width}" height="{height}" fill="white"/>',
        f'<text x="{left}" y="18" font-size="14">{record["workload"]} ({record["coaches"]} coaches × '
        f"{record['requests']} requests): served weight and bound over time</text>",
        f'<line x1="{left}" y1="{top + plot_h}" x2="{left + plot_w}" y2="{top + plot_h}" stroke="black"/>',
        f'<line x1="{left}" y1="{top}" x2="{left}" y2="{top + plot_h}" stroke="black"/>',
    ]
    for i in range(6):
        seconds = limit * i / 5
        parts.append(f'<text x="{x(seconds):.1f}" y="{top + plot_h + 16}" text-anchor="middle">{seconds:.0f}</text>')
        value = low + (high - low) * i / 5
        parts.append(f'<text x="{left - 6}" y="{y(value) + 4:.1f}" text-anchor="end">{value:.0f}</text>')
    parts.append(f'<text x="{left + plot_w / 2}" y="{height - 12}" text-anchor="middle">seconds of solving</text>')
    if greedy is not None and not greedy_in_plot:
        parts.append(
            f'<text x="{left + plot_w - 4}" y="{top + plot_h - 8}" text-anchor="end" fill="gray">'
            f"greedy: {greedy} (below this plot)</text>"
        )
    if greedy is not None and greedy_in_plot:
        parts.append(
            f'<line x1="{left}" y1="{y(greedy):.1f}" x2="{left + plot_w}" y2="{y(greedy):.1f}" '
            f'stroke="gray" stroke-dasharray="6,4"/>'
        )
        parts.append(
            f'<text x="{left + plot_w - 4}" y="{y(greedy) - 6:.1f}" text-anchor="end" fill="gray">greedy</text>'
        )
    if bound:
        parts.append(f'<path d="{steps(bound)}" fill="none" stroke="#c0392b" stroke-width="2"/>')
    if served:
        parts.append(f'<path d="{steps(served)}" fill="none" stroke="#2471a3" stroke-width="2"/>')
    legend_y = top + plot_h / 2
    parts.append(f'<text x="{left + 10}" y="{legend_y:.0f}" fill="#2471a3">best served weight</text>')
    parts.append(f'<text x="{left + 10}" y="{legend_y + 16:.0f}" fill="#c0392b">proven bound</text>')
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("results")
    parser.add_argument("--svg", help="write the progress plot of --plot here")
    parser.add_argument("--plot", default="W3", help="workload to plot")
    args = parser.parse_args(argv)
    data = json.loads(Path(args.results).read_text(encoding="utf-8"))
    print(results_table(data))
    for record in data["records"]:
        print(f"\nProgress of the solver on {record['workload']}:\n")
        print(progress_table(record))
    if args.svg:
        record = next(r for r in data["records"] if r["workload"] == args.plot)
        Path(args.svg).write_text(progress_svg(record), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
