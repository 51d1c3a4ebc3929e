"""Geometry of the server-drawn charts (SVG, no script: the pages' CSP allows none inline).

Pure: numbers in, coordinates and path strings out; the templates draw them. Each chart's
table on the page is its accessible alternative; colour never carries meaning alone (each
line has its own dash pattern and its name at its end).
"""

from dataclasses import dataclass, field

WIDTH = 640
HEIGHT = 300
LEFT, RIGHT, TOP, BOTTOM = 48, 120, 16, 40
PLOT_WIDTH = WIDTH - LEFT - RIGHT
PLOT_HEIGHT = HEIGHT - TOP - BOTTOM
# One dash pattern per line, in order; solid first.
DASHES = ["", "6 4", "2 3", "10 3 2 3", "1 5"]


def x_of(value: float, maximum: float) -> float:
    return round(LEFT + PLOT_WIDTH * (value / maximum if maximum else 0), 1)


def y_of(value: float, maximum: float) -> float:
    return round(TOP + PLOT_HEIGHT * (1 - (value / maximum if maximum else 0)), 1)


def nice_ticks(maximum: float, count: int = 5) -> list[int]:
    """Round tick values from 0 to at least `maximum`."""
    if maximum <= 0:
        return [0]
    raw = maximum / count
    step = next(s for s in (1, 2, 5, 7, 10, 14, 30, 60, 90, 180, 365, 730) if s >= raw)
    ticks = list(range(0, int(maximum) + step, step))
    return ticks if ticks[-1] >= maximum else [*ticks, ticks[-1] + step]


@dataclass
class Line:
    label: str
    path: str
    dash: str
    band: str = ""
    end_x: float = 0
    end_y: float = 0
    marks: list[tuple[float, float]] = field(default_factory=list)


def survival_line(label: str, steps: list[dict], until: float, x_max: float, index: int) -> Line:
    """A Kaplan–Meier curve as a step path from (0, 1) to `until`, and its 95 % band as a
    closed step polygon (where the band is defined)."""
    points = [(0.0, 1.0)]
    for step in steps:
        points.append((step["time"], points[-1][1]))
        points.append((step["time"], step["survival"]))
    points.append((until, points[-1][1]))
    path = "M" + " L".join(f"{x_of(t, x_max)},{y_of(s, 1)}" for t, s in points)
    upper, lower = [(0.0, 1.0)], [(0.0, 1.0)]
    for step in steps:
        if step["ci_lower"] is None:
            break
        upper += [(step["time"], upper[-1][1]), (step["time"], step["ci_upper"])]
        lower += [(step["time"], lower[-1][1]), (step["time"], step["ci_lower"])]
    band = ""
    if len(upper) > 1:
        upper.append((until, upper[-1][1]))
        lower.append((until, lower[-1][1]))
        outline = upper + list(reversed(lower))
        band = "M" + " L".join(f"{x_of(t, x_max)},{y_of(s, 1)}" for t, s in outline) + " Z"
    return Line(
        label=label,
        path=path,
        dash=DASHES[index % len(DASHES)],
        band=band,
        end_x=x_of(until, x_max),
        end_y=y_of(points[-1][1], 1),
    )


def polyline(label: str, points: list[tuple[float, float]], x_max, y_max, index: int) -> Line:
    """A line through (x, y) points, each also marked (a questionnaire's total)."""
    placed = [(x_of(x, x_max), y_of(y, y_max)) for x, y in points]
    path = "M" + " L".join(f"{x},{y}" for x, y in placed) if placed else ""
    end_x, end_y = placed[-1] if placed else (LEFT, TOP + PLOT_HEIGHT)
    return Line(
        label=label,
        path=path,
        dash=DASHES[index % len(DASHES)],
        end_x=end_x,
        end_y=end_y,
        marks=placed,
    )
