"""The bench's report: one JSON file for machines and one Markdown file for people, with the
same figures. Pure functions over plain values (no Django) apart from writing the files.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

from kapcare.bench.budgets import Budget, Verdict, evaluate
from kapcare.bench.figures import PageResult, share_of

REPORT_JSON = "report.json"
REPORT_MARKDOWN = "report.md"


@dataclass(frozen=True)
class SlowQuery:
    page: str
    ms: float
    sql: str
    plan: str


@dataclass
class RunFacts:
    """What the figures depend on, printed at the top of the report."""

    date: str
    commit: str
    database: str
    patients: int
    clinic: str
    clinic_patients: int
    users: list[int]
    seconds_per_run: list[float]  # one per number of users, in the same order
    server: str
    # The machine: its cores, and how busy it was before the bench began (the 1-minute
    # load average); other work on it slows every figure but the shares of the bare view.
    cores: int = 0
    load_average: float = 0.0


@dataclass
class Report:
    facts: RunFacts
    budget: Budget
    pages: list[PageResult]
    slowest_queries: list[SlowQuery] = field(default_factory=list)

    @property
    def verdicts(self) -> list[Verdict]:
        return evaluate(self.pages, self.budget)

    @property
    def passed(self) -> bool:
        return all(verdict.passed for verdict in self.verdicts)

    def as_json(self) -> dict:
        bare = self.bare
        pages = []
        for page in self.pages:
            entry = asdict(page)
            entry["load"] = {
                str(users): asdict(f) for users, f in sorted((page.load or {}).items())
            }
            entry["share_of_bare"] = {
                str(users): share_of(figures, bare.load[users])
                for users, figures in sorted((page.load or {}).items())
                if bare is not None and bare.load and users in bare.load
            }
            pages.append(entry)
        return {
            "facts": asdict(self.facts),
            "budget": asdict(self.budget),
            "passed": self.passed,
            "pages": pages,
            "verdicts": [asdict(verdict) for verdict in self.verdicts],
            "slowest_queries": [asdict(query) for query in self.slowest_queries],
        }

    @property
    def bare(self) -> PageResult | None:
        return next((page for page in self.pages if page.kind == "bare"), None)


def _ms(value: float | None) -> str:
    return "–" if value is None else f"{value:.0f}" if value >= 10 else f"{value:.1f}"


def _share(value: float | None) -> str:
    return "–" if value is None else f"{value:.0%}"


def render_markdown(report: Report) -> str:
    facts = report.facts
    users = facts.users
    bare = report.bare
    failed_pages = {verdict.page for verdict in report.verdicts if not verdict.passed}
    lines = [
        f"# Bench report, {facts.date}",
        "",
        f"- commit `{facts.commit}`, database {facts.database}, server: {facts.server}",
        f"- machine: {facts.cores} cores, load average {facts.load_average:.1f} before the run",
        f"- {facts.patients:,} patients in the database; pages of *{facts.clinic}* "
        f"({facts.clinic_patients:,} patients)",
        "- simulated users, no think time: "
        + ", ".join(
            f"{count} for {seconds:g} s"
            for count, seconds in zip(facts.users, facts.seconds_per_run, strict=True)
        )
        + " (one user goes round the pages; several take them in turns)",
        f"- budget **{report.budget.name}**: one user, page p95 ≤ {report.budget.page_p95_ms:g} ms"
        f", API p95 ≤ {report.budget.api_p95_ms:g} ms; with the most users, req/s ≥ "
        f"{report.budget.min_share_of_bare:.0%} of the bare view's; no failed request: "
        f"**{'passed' if report.passed else 'FAILED'}**",
        "",
    ]
    header = ["page", "role", "queries", "SQL ms"]
    for count in users:
        header += [f"p50 / p95 / p99 ms ({count})", f"req/s ({count})", f"of bare ({count})"]
    header.append("budget")
    lines.append("| " + " | ".join(header) + " |")
    lines.append("|" + "---|" * len(header))
    for page in report.pages:
        row = [
            f"{page.name} `{page.method} {page.path}`" + (f" ({page.note})" if page.note else ""),
            page.role,
            "–" if page.queries is None else str(page.queries),
            _ms(page.sql_ms),
        ]
        for count in users:
            figures = (page.load or {}).get(count)
            if figures is None:
                row += ["–", "–", "–"]
                continue
            share = (
                share_of(figures, bare.load[count])
                if bare is not None and bare.load and count in bare.load
                else None
            )
            row += [
                f"{_ms(figures.p50_ms)} / {_ms(figures.p95_ms)} / {_ms(figures.p99_ms)}"
                + (f" ({figures.failures} failed)" if figures.failures else ""),
                f"{figures.requests_per_second:.1f}",
                _share(share),
            ]
        row.append("fail" if page.name in failed_pages else "pass")
        lines.append("| " + " | ".join(row) + " |")
    failures = [verdict for verdict in report.verdicts if not verdict.passed]
    if failures:
        lines += ["", "## Over budget", ""]
        for verdict in failures:
            value = "none" if verdict.value is None else f"{verdict.value:.3g}"
            lines.append(f"- {verdict.page}: {verdict.check} = {value} (limit {verdict.limit:g})")
    if report.slowest_queries:
        lines += ["", "## Slowest queries", ""]
        for query in report.slowest_queries:
            lines += [
                f"### {query.ms:.1f} ms, {query.page}",
                "",
                "```sql",
                query.sql,
                "```",
                "",
                "```",
                query.plan,
                "```",
                "",
            ]
    return "\n".join(lines).rstrip() + "\n"


def write_report(report: Report, directory: Path) -> tuple[Path, Path]:
    directory.mkdir(parents=True, exist_ok=True)
    json_path = directory / REPORT_JSON
    markdown_path = directory / REPORT_MARKDOWN
    json_path.write_text(json.dumps(report.as_json(), indent=2) + "\n", encoding="utf-8")
    markdown_path.write_text(render_markdown(report), encoding="utf-8")
    return json_path, markdown_path
