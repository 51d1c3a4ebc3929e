"""Survival statistics for the durability figures: Kaplan–Meier, its median, log-rank.

Pure (numpy and scipy, no Django): other code and reports call exactly these three
functions. The figures are scipy's (`scipy.stats.ecdf` on `CensoredData`, its survival
function's `confidence_interval(method="log-log")`, `scipy.stats.logrank`); this module
only counts who is at risk and shapes the answer. Checked against the remission times of
the Freireich 6-MP trial as tabulated in Kleinbaum & Klein, *Survival Analysis: A
Self-Learning Text*, 3rd ed. (Springer 2012), chapter 2 (docs/clinical-reference.md#
durability-kaplanmeier-and-log-rank).

- The 95 % band is the log(−log) transform of Greenwood's variance (Kalbfleisch &
  Prentice 2002, section 1.3; R's `survfit(conf.type = "log-log")`): it stays inside
  [0, 1]. Where the survival is 0 the band is undefined and given as None.
- The log-rank test is Mantel's, with the hypergeometric variance (Mantel 1966): chi² on
  one degree of freedom is the square of scipy's standardised statistic.
"""

import math
import warnings
from collections.abc import Sequence

import numpy as np
from scipy import stats

CONFIDENCE_LEVEL = 0.95


def _as_arrays(durations: Sequence[float], observed: Sequence[bool]):
    times = np.asarray(durations, dtype=float)
    events = np.asarray(observed, dtype=bool)
    if times.ndim != 1 or times.shape != events.shape:
        raise ValueError("durations and observed must be two lists of the same length.")
    if times.size and (not np.all(np.isfinite(times)) or times.min() < 0):
        raise ValueError("durations must be finite and not negative.")
    return times, events


def _censored_data(times, events) -> stats.CensoredData:
    return stats.CensoredData(uncensored=times[events], right=times[~events])


def _number(value) -> float | None:
    value = float(value)
    return None if math.isnan(value) else value


def kaplan_meier(durations: Sequence[float], observed: Sequence[bool]) -> list[dict]:
    """The Kaplan–Meier estimate, one step per distinct event time, oldest first: `time`,
    `at_risk` (still followed just before `time`: a subject censored at an event time is
    counted at risk there, as Kaplan and Meier 1958 do), `events`, `survival`, `ci_lower`,
    `ci_upper` (95 %, log(−log) Greenwood). No events, no steps."""
    times, events = _as_arrays(durations, observed)
    event_times = np.unique(times[events])
    if event_times.size == 0:
        return []
    survival = stats.ecdf(_censored_data(times, events)).sf
    with warnings.catch_warnings():
        # Where the survival reaches 0 the band is undefined: scipy says so and gives NaN,
        # which becomes None below.
        warnings.simplefilter("ignore", RuntimeWarning)
        band = survival.confidence_interval(confidence_level=CONFIDENCE_LEVEL, method="log-log")
    lower = band.low.evaluate(event_times)
    upper = band.high.evaluate(event_times)
    probabilities = survival.evaluate(event_times)
    steps = []
    for index, time in enumerate(event_times):
        steps.append(
            {
                "time": float(time),
                "at_risk": int(np.count_nonzero(times >= time)),
                "events": int(np.count_nonzero(events & (times == time))),
                "survival": float(probabilities[index]),
                "ci_lower": _number(lower[index]) if probabilities[index] > 0 else None,
                "ci_upper": _number(upper[index]) if probabilities[index] > 0 else None,
            }
        )
    return steps


def median_survival(durations: Sequence[float], observed: Sequence[bool]) -> float | None:
    """The smallest time at which the Kaplan–Meier survival is 0.5 or less; None while it
    stays above one half (the median is not reached)."""
    for step in kaplan_meier(durations, observed):
        if step["survival"] <= 0.5:
            return step["time"]
    return None


def logrank(
    durations_a: Sequence[float],
    observed_a: Sequence[bool],
    durations_b: Sequence[float],
    observed_b: Sequence[bool],
) -> tuple[float, float]:
    """The log-rank test of two survival curves: (chi², p-value) on one degree of freedom.

    ValueError when it cannot be computed: a group without subjects, no event in either
    group, or no variance (there is nothing to compare)."""
    times_a, events_a = _as_arrays(durations_a, observed_a)
    times_b, events_b = _as_arrays(durations_b, observed_b)
    if times_a.size == 0 or times_b.size == 0:
        raise ValueError("Each group needs at least one subject.")
    if not (events_a.any() or events_b.any()):
        raise ValueError("No events in either group: the curves cannot be compared.")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # zero variance: NaN, refused below
        result = stats.logrank(_censored_data(times_a, events_a), _censored_data(times_b, events_b))
    if math.isnan(result.statistic):
        # Every event happened when no one was left to differ (zero variance).
        raise ValueError("The curves cannot be compared: the test's variance is zero.")
    return float(result.statistic) ** 2, float(result.pvalue)
