import json

from kapcare.bench.budgets import STRICT
from kapcare.bench.figures import LoadFigures, PageResult
from kapcare.bench.report import Report, RunFacts, SlowQuery, render_markdown, write_report


def page(name, kind, p95, rps, queries=None, failures=0) -> PageResult:
    return PageResult(
        name=name,
        kind=kind,
        role="coordinator",
        method="GET",
        path=f"/{name}/",
        queries=queries,
        sql_ms=None if queries is None else 1.5,
        load={
            1: LoadFigures(20, failures, p95 / 2, p95, p95, 1000 / p95),
            16: LoadFigures(400, 0, p95, p95 * 2, p95 * 3, rps),
        },
    )


def report() -> Report:
    return Report(
        facts=RunFacts(
            date="2026-01-01 00:00 UTC",
            commit="abc123",
            database="PostgreSQL 15.4",
            patients=2000,
            clinic="Music City Ketamine",
            clinic_patients=1500,
            users=[1, 16],
            seconds_per_run=[20, 60],
            server="gunicorn, 4 workers, DEBUG off",
        ),
        budget=STRICT,
        pages=[
            page("bare", "bare", 4.0, 200.0, queries=4),
            page("desk", "page", 40.0, 150.0, queries=12),
            page("chart", "page", 80.0, 60.0, queries=30),
        ],
        slowest_queries=[
            SlowQuery(page="chart", ms=12.5, sql="SELECT 1", plan="Result  (cost=0.00..0.01)")
        ],
    )


def test_report_json_has_the_facts_figures_shares_and_verdicts(tmp_path):
    json_path, _ = write_report(report(), tmp_path)

    written = json.loads(json_path.read_text())

    assert written["facts"]["commit"] == "abc123"
    assert written["facts"]["patients"] == 2000
    assert written["budget"]["name"] == "strict"
    assert written["passed"] is False
    desk = next(p for p in written["pages"] if p["name"] == "desk")
    assert desk["load"]["16"]["requests_per_second"] == 150.0
    assert desk["share_of_bare"]["16"] == 0.75
    failed = {(v["page"], v["check"]) for v in written["verdicts"] if not v["passed"]}
    assert failed == {
        ("chart", "p95 ms, one user"),
        ("chart", "share of the bare view's req/s, 16 users"),
    }
    assert written["slowest_queries"][0]["plan"].startswith("Result")


def test_markdown_shows_each_page_with_its_verdict_and_the_plans():
    markdown = render_markdown(report())

    assert "commit `abc123`, database PostgreSQL 15.4" in markdown
    assert "2,000 patients" in markdown
    assert "**FAILED**" in markdown
    desk_row = next(line for line in markdown.splitlines() if line.startswith("| desk"))
    assert "| 20 / 40 / 40 |" in desk_row
    assert "| 75% |" in desk_row
    assert desk_row.endswith("| pass |")
    chart_row = next(line for line in markdown.splitlines() if line.startswith("| chart"))
    assert chart_row.endswith("| fail |")
    assert "- chart: p95 ms, one user = 80 (limit 50)" in markdown
    assert "```sql\nSELECT 1\n```" in markdown


def test_a_page_left_out_of_the_load_says_why_in_its_row():
    slow = report()
    slow.pages[2].note = "not loaded: 24 s alone"

    markdown = render_markdown(slow)

    assert "| chart `GET /chart/` (not loaded: 24 s alone) |" in markdown


def test_a_run_within_budget_says_passed():
    within = report()
    within.pages = within.pages[:2]

    assert within.passed
    assert "**passed**" in render_markdown(within)
