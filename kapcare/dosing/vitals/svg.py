"""The vitals chart drawn on the server as SVG, for the signed record's PDF and its print:
no JavaScript, no canvas, nothing fetched. A pure function over plain values.

One polyline per vital over the minutes since the first reading, each with its own dash
pattern and point marker as well as its colour (the same styles as `vitals-chart.js`), so
the lines tell apart on a black-and-white print. A gap is left where a reading lacks the
value. The table printed under the chart carries every value in words.
"""

from dataclasses import dataclass
from html import escape

WIDTH, HEIGHT = 640, 260
LEFT, RIGHT, TOP, BOTTOM = 40, 12, 12, 58  # margins: axis labels left, legend below
GRID = "#c9d0d8"
INK = "#1b1f24"

# key: (colour, dash pattern, marker) — as in vitals-chart.js.
STYLES = {
    "hr": ("#b3261e", "", "circle"),
    "sbp": ("#0b5cad", "", "triangle"),
    "dbp": ("#0b5cad", "6 4", "diamond"),
    "spo2": ("#1e7b34", "2 3", "square"),
    "rr": ("#6b4fa0", "10 3 2 3", "cross"),
}


@dataclass(frozen=True)
class Series:
    key: str
    label: str
    values: list[int | None]


def _top_of_scale(series: list[Series]) -> int:
    """The y axis runs from 0 to the highest value rounded up to the next 20 (at least 200,
    where a systolic pressure's alert sits)."""
    highest = max((v for s in series for v in s.values if v is not None), default=0)
    return max(200, -(-highest // 20) * 20)


def _marker(kind: str, x: float, y: float, colour: str) -> str:
    if kind == "circle":
        return f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{colour}"/>'
    if kind == "triangle":
        points = f"{x:.1f},{y - 4:.1f} {x - 4:.1f},{y + 3:.1f} {x + 4:.1f},{y + 3:.1f}"
        return f'<polygon points="{points}" fill="{colour}"/>'
    if kind == "diamond":
        points = f"{x:.1f},{y - 4:.1f} {x + 4:.1f},{y:.1f} {x:.1f},{y + 4:.1f} {x - 4:.1f},{y:.1f}"
        return f'<polygon points="{points}" fill="{colour}"/>'
    if kind == "square":
        return f'<rect x="{x - 3:.1f}" y="{y - 3:.1f}" width="6" height="6" fill="{colour}"/>'
    return (
        f'<path d="M{x - 3:.1f},{y - 3:.1f}L{x + 3:.1f},{y + 3:.1f}'
        f'M{x - 3:.1f},{y + 3:.1f}L{x + 3:.1f},{y - 3:.1f}" stroke="{colour}" stroke-width="1.5"/>'
    )


def _runs(points: list[tuple[float, float] | None]) -> list[list[tuple[float, float]]]:
    """The points split where a value is missing, so the line has a gap there."""
    runs, run = [], []
    for point in points:
        if point is None:
            if run:
                runs.append(run)
            run = []
        else:
            run.append(point)
    if run:
        runs.append(run)
    return runs


def _axes(minutes: list[int], labels: list[str], top: int, x_of, y_of) -> list[str]:
    parts = []
    for value in range(0, top + 1, 40):
        y = y_of(value)
        parts.append(
            f'<line x1="{LEFT}" y1="{y:.1f}" x2="{WIDTH - RIGHT}" y2="{y:.1f}" stroke="{GRID}"/>'
            f'<text x="{LEFT - 4}" y="{y + 3:.1f}" text-anchor="end" font-size="9" '
            f'fill="{INK}">{value}</text>'
        )
    step = max(1, len(minutes) // 8)  # at most about eight time labels
    for index in range(0, len(minutes), step):
        x = x_of(minutes[index])
        parts.append(
            f'<text x="{x:.1f}" y="{HEIGHT - BOTTOM + 13}" text-anchor="middle" font-size="9" '
            f'fill="{INK}">{escape(labels[index])}</text>'
        )
    return parts


def _legend(series: list[Series]) -> list[str]:
    parts = []
    for index, one in enumerate(series):
        colour, dash, marker = STYLES.get(one.key, (INK, "", "circle"))
        x = LEFT + index * 118
        y = HEIGHT - 18
        parts.append(
            f'<line x1="{x}" y1="{y}" x2="{x + 22}" y2="{y}" stroke="{colour}" '
            f'stroke-width="2" stroke-dasharray="{dash}"/>'
            + _marker(marker, x + 11, y, colour)
            + f'<text x="{x + 27}" y="{y + 3}" font-size="9" fill="{INK}">'
            + f"{escape(one.label)}</text>"
        )
    return parts


def vitals_chart_svg(minutes: list[int], labels: list[str], series: list[Series]) -> str:
    """The chart as an SVG element: `minutes` since the first reading and the clock time
    `labels` of each reading, oldest first; each series one value (or None) per reading."""
    if not minutes:
        return ""
    top = _top_of_scale(series)
    span = max(minutes[-1] - minutes[0], 1)
    plot_width, plot_height = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def x_of(minute: int) -> float:
        if len(minutes) == 1:
            return LEFT + plot_width / 2
        return LEFT + (minute - minutes[0]) / span * plot_width

    def y_of(value: int) -> float:
        return TOP + plot_height - value / top * plot_height

    parts = _axes(minutes, labels, top, x_of, y_of)
    for one in series:
        colour, dash, marker = STYLES.get(one.key, (INK, "", "circle"))
        points = [
            None if value is None else (x_of(minute), y_of(value))
            for minute, value in zip(minutes, one.values, strict=True)
        ]
        for run in _runs(points):
            line = " ".join(f"{x:.1f},{y:.1f}" for x, y in run)
            parts.append(
                f'<polyline points="{line}" fill="none" stroke="{colour}" stroke-width="1.6" '
                f'stroke-dasharray="{dash}"/>'
            )
            parts.extend(_marker(marker, x, y, colour) for x, y in run)
    parts.extend(_legend(series))
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'width="{WIDTH}" height="{HEIGHT}" role="img" aria-label="Vital signs over the '
        f'session; the table lists every reading">' + "".join(parts) + "</svg>"
    )
