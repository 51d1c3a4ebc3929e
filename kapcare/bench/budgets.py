"""The budgets every page must meet, and the check of a run against them.

Pure functions over plain values (no Django). The strict budget is the one the project
holds itself to at 100,000 patients on PostgreSQL with gunicorn on the 2-core machine
(docs/performance/README.md): one user at a time, a page's 95th percentile within 50 ms and
an API call's within 30 ms; with 16 users and no think time (the machine saturated), every
page at least half the bare view's throughput in the same run. The relaxed budget is for CI, on a
small generated clinic and a short run on a shared machine: it fails only on a clear
regression (a page several times over its time, a page that drags the server to a small
share of the bare view, or any failed request).
"""

from __future__ import annotations

from dataclasses import dataclass

from kapcare.bench.figures import PageResult, share_of


@dataclass(frozen=True)
class Budget:
    name: str
    page_p95_ms: float
    api_p95_ms: float
    min_share_of_bare: float


STRICT = Budget(name="strict", page_p95_ms=50, api_p95_ms=30, min_share_of_bare=0.5)
RELAXED = Budget(name="relaxed", page_p95_ms=2000, api_p95_ms=1000, min_share_of_bare=0.05)
BUDGETS = {budget.name: budget for budget in (STRICT, RELAXED)}


@dataclass(frozen=True)
class Verdict:
    page: str
    check: str
    limit: float
    value: float | None
    passed: bool


def evaluate(results: list[PageResult], budget: Budget) -> list[Verdict]:
    """One verdict per check that applies to each page, from what the run measured:
    the 95th percentile where one user was run alone, the share of the bare view at the
    largest number of users run above one, and in every run at least one request timed and
    none failed."""
    bare = next((result for result in results if result.kind == "bare"), None)
    verdicts = []
    for result in results:
        load = result.load or {}
        for users, figures in sorted(load.items()):
            who = f"{users} user{'s' if users > 1 else ''}"
            verdicts += [
                Verdict(
                    page=result.name,
                    check=f"requests timed with {who}",
                    limit=1,
                    value=figures.requests,
                    passed=figures.requests >= 1,
                ),
                Verdict(
                    page=result.name,
                    check=f"failed requests with {who}",
                    limit=0,
                    value=figures.failures,
                    passed=figures.failures == 0,
                ),
            ]
        if result.kind == "bare":
            continue
        if 1 in load:
            limit = budget.api_p95_ms if result.kind == "api" else budget.page_p95_ms
            p95 = load[1].p95_ms
            verdicts.append(
                Verdict(
                    page=result.name,
                    check="p95 ms, one user",
                    limit=limit,
                    value=p95,
                    passed=p95 is not None and p95 <= limit,
                )
            )
        crowded = [users for users in load if users > 1]
        if crowded and bare is not None and bare.load:
            users = max(crowded)
            share = share_of(load[users], bare.load[users]) if users in bare.load else None
            verdicts.append(
                Verdict(
                    page=result.name,
                    check=f"share of the bare view's req/s, {users} users",
                    limit=budget.min_share_of_bare,
                    value=share,
                    passed=share is not None and share >= budget.min_share_of_bare,
                )
            )
    return verdicts
