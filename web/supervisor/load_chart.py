"""The load view as a picture: one small bar chart per coach, drawn as SVG on the server.

Each bar is one ISO week, its height the sessions counted (scheduled below, draft above),
the dashed line the coach's weekly cap; a week over the cap is drawn in the error colour.
Only geometry is computed here; the numbers come from `supervision.coach_load`, and the
same figures stay on the page as a table for screen readers.
"""

from __future__ import annotations

from dataclasses import dataclass

from scheduler.services.planning.supervision import CoachLoad, LoadChart

BAR = 18  # width of a week's bar, in SVG units
GAP = 6
LEFT = 26  # room for the scale's numbers
TOP = 8
PLOT = 72  # height of the plotting area
BOTTOM = 18  # room for week numbers


@dataclass(frozen=True)
class BarShape:
    x: int
    week: str
    scheduled_y: float
    scheduled_height: float
    draft_y: float
    draft_height: float
    over: bool
    title: str


@dataclass(frozen=True)
class CoachPanel:
    row: CoachLoad
    width: int
    height: int
    cap_y: float
    top_value: int
    baseline: int
    left: int
    top_label_y: int
    bars: list[BarShape]
    summary: str


def panels(chart: LoadChart) -> list[CoachPanel]:
    """One panel per coach, all on the same week axis; each panel's scale fits its cap and peak."""
    return [_panel(row) for row in chart.coaches]


def _panel(row: CoachLoad) -> CoachPanel:
    cap = row.coach.max_sessions_per_week
    top_value = max(cap, row.peak, 1)
    scale = PLOT / top_value
    baseline = TOP + PLOT
    bars = []
    for index, load in enumerate(row.weeks):
        scheduled_height = load.scheduled * scale
        draft_height = load.draft * scale
        bars.append(
            BarShape(
                x=LEFT + GAP + index * (BAR + GAP),
                week=str(load.week.number),
                scheduled_y=baseline - scheduled_height,
                scheduled_height=scheduled_height,
                draft_y=baseline - scheduled_height - draft_height,
                draft_height=draft_height,
                over=load.over,
                title=f"Week {load.week.number}: {load.total} of {load.cap} sessions"
                + (f", {load.draft} in the draft" if load.draft else "")
                + (", over the cap" if load.over else ""),
            )
        )
    over = [w for w in row.weeks if w.over]
    summary = f"{row.coach.name}: at most {row.peak} sessions in a week, cap {cap}" + (
        f", over the cap in {len(over)} week{'s' if len(over) != 1 else ''}" if over else ""
    )
    return CoachPanel(
        row=row,
        width=LEFT + GAP + len(row.weeks) * (BAR + GAP),
        height=TOP + PLOT + BOTTOM,
        cap_y=baseline - cap * scale,
        baseline=baseline,
        left=LEFT,
        top_label_y=TOP + 4,
        top_value=top_value,
        bars=bars,
        summary=summary,
    )
