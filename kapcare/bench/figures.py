"""From the requests timed under load to each page's figures: percentiles and throughput.

Pure functions over plain values (no Django), so the arithmetic is tested on given samples.

With one user, the user goes round the pages in order and every page's phase is the whole
run. With several, a run is cut into phases, one per page in turn: during a page's phase
every simulated user asks for that page only, so its requests per second are what the
server gives that page alone, comparable with the bare view's phase of the same run. The
first moments of a phase are left out (`settle_seconds`): requests of the previous phase
still finishing would otherwise share the server with it.

The throughput is Little's law for a closed loop without think time: N users each waiting
for their answer before asking again get N ÷ (mean response time) answers a second. Counting
the answers inside a phase instead would need phases many times longer than a response
under saturation (seconds), since a phase shorter than that sees almost none finish.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Sample:
    """One request as the load generator saw it."""

    page: str
    started_at: float  # seconds since the epoch
    ms: float  # from sending the request to reading the whole answer
    status: int  # 0 when no answer came (connection refused, timeout)


@dataclass(frozen=True)
class Phase:
    page: str
    start: float
    end: float


@dataclass(frozen=True)
class LoadFigures:
    requests: int
    failures: int
    p50_ms: float | None
    p95_ms: float | None
    p99_ms: float | None
    requests_per_second: float


def percentile(values: Sequence[float], fraction: float) -> float | None:
    """The nearest-rank percentile: the smallest value with at least `fraction` of the
    values at or below it (so p95 of 20 values is the 19th). None for no values."""
    if not values:
        return None
    if not 0 < fraction <= 1:
        raise ValueError("fraction must be in (0, 1]")
    ordered = sorted(values)
    rank = math.ceil(fraction * len(ordered))
    return ordered[rank - 1]


def load_figures(
    phases: Iterable[Phase],
    samples: Iterable[Sample],
    *,
    users: int,
    settle_seconds: float,
    expected_status: dict[str, int] | None = None,
) -> dict[str, LoadFigures]:
    """Each page's figures from the samples that started inside its own phase, after the
    settling time, with `users` users asking. A request counts as failed unless it got the
    page's expected status (200 unless `expected_status` says otherwise): a redirect to the
    sign-in page is a failure, not a fast page, and is left out of the times."""
    expected_status = expected_status or {}
    by_page: dict[str, list[Sample]] = {}
    for sample in samples:
        by_page.setdefault(sample.page, []).append(sample)
    figures = {}
    for phase in phases:
        window_start = phase.start + settle_seconds
        seconds = phase.end - window_start
        if seconds <= 0:
            raise ValueError(f"The phase of {phase.page} is shorter than the settling time.")
        inside = [
            sample
            for sample in by_page.get(phase.page, [])
            if window_start <= sample.started_at < phase.end
        ]
        wanted = expected_status.get(phase.page, 200)
        times = [sample.ms for sample in inside if sample.status == wanted]
        figures[phase.page] = LoadFigures(
            requests=len(inside),
            failures=len(inside) - len(times),
            p50_ms=percentile(times, 0.50),
            p95_ms=percentile(times, 0.95),
            p99_ms=percentile(times, 0.99),
            requests_per_second=users * 1000 / (sum(times) / len(times)) if times else 0.0,
        )
    return figures


def phases_in_turn(pages: Sequence[str], *, start: float, seconds_each: float) -> list[Phase]:
    """One phase per page, back to back from `start`."""
    return [
        Phase(page=page, start=start + i * seconds_each, end=start + (i + 1) * seconds_each)
        for i, page in enumerate(pages)
    ]


def share_of(figures: LoadFigures, bare: LoadFigures) -> float | None:
    """A page's throughput as a share of the bare view's in the same run."""
    if bare.requests_per_second <= 0:
        return None
    return figures.requests_per_second / bare.requests_per_second


@dataclass
class PageResult:
    """Everything measured of one page or API call: its queries (one request, in process)
    and its figures under load, by number of simulated users."""

    name: str
    kind: str  # "page", "api" or "bare"
    role: str
    method: str
    path: str  # the URL pattern, record ids left out
    queries: int | None = None
    sql_ms: float | None = None
    load: dict[int, LoadFigures] | None = None
    note: str = ""  # e.g. why the page was not loaded
