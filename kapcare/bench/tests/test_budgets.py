import pytest

from kapcare.bench.budgets import RELAXED, STRICT, Budget, evaluate
from kapcare.bench.figures import LoadFigures, PageResult

BUDGET = Budget(name="test", page_p95_ms=50, api_p95_ms=30, min_share_of_bare=0.5)


def figures(p95=None, rps=100.0, requests=100, failures=0) -> LoadFigures:
    return LoadFigures(requests, failures, p95, p95, p95, rps)


def result(name, kind="page", **load) -> PageResult:
    return PageResult(
        name=name,
        kind=kind,
        role="coordinator",
        method="GET",
        path="/x/",
        load={int(users.removeprefix("u")): f for users, f in load.items()},
    )


def verdicts_of(page, results, budget=BUDGET):
    return {v.check: v.passed for v in evaluate(results, budget) if v.page == page}


def bare(rps=100.0):
    return result("bare", kind="bare", u1=figures(p95=5.0), u16=figures(rps=rps))


@pytest.mark.parametrize(
    ("kind", "p95", "passed"),
    [
        ("page", 49.0, True),
        ("page", 50.0, True),
        ("page", 51.0, False),
        ("api", 30.0, True),
        ("api", 31.0, False),
        ("page", None, False),
    ],
)
def test_one_user_p95_against_the_page_or_api_limit(kind, p95, passed):
    results = [bare(), result("desk", kind=kind, u1=figures(p95=p95), u16=figures(rps=80.0))]

    assert verdicts_of("desk", results)["p95 ms, one user"] is passed


@pytest.mark.parametrize(("rps", "passed"), [(49.0, False), (50.0, True), (120.0, True)])
def test_share_of_the_bare_view_at_the_most_users(rps, passed):
    results = [bare(rps=100.0), result("desk", u1=figures(p95=10.0), u16=figures(rps=rps))]

    assert verdicts_of("desk", results)["share of the bare view's req/s, 16 users"] is passed


def test_any_failed_request_fails_the_page_even_the_bare_view():
    results = [
        result("bare", kind="bare", u1=figures(p95=5.0, failures=1)),
        result("desk", u1=figures(p95=10.0)),
    ]

    assert verdicts_of("bare", results) == {
        "requests timed with 1 user": True,
        "failed requests with 1 user": False,
    }
    assert verdicts_of("desk", results)["failed requests with 1 user"] is True


def test_a_page_never_timed_fails():
    results = [bare(), result("desk", u1=figures(p95=None, requests=0))]

    assert verdicts_of("desk", results)["requests timed with 1 user"] is False


def test_without_a_one_user_run_only_the_share_and_failures_are_checked():
    results = [bare(), result("desk", u16=figures(rps=80.0))]

    assert set(verdicts_of("desk", results)) == {
        "requests timed with 16 users",
        "failed requests with 16 users",
        "share of the bare view's req/s, 16 users",
    }


def test_the_relaxed_budget_is_looser_than_the_strict_on_every_limit():
    assert RELAXED.page_p95_ms > STRICT.page_p95_ms
    assert RELAXED.api_p95_ms > STRICT.api_p95_ms
    assert RELAXED.min_share_of_bare < STRICT.min_share_of_bare
