"""The money side's reports for the clinic's admin and front desk (issue item 6): a small
registry, one `Report` per entry, each shown as a table (`views.report`) and downloaded as
CSV (`views.report_csv`). A report is a function of the clinic and its today that returns
its rows; the page, the CSV, the policy check and the access log are the same for all.

The estimates report is `estimates.ESTIMATES_DUE`; the ledger's reports (revenue by month
and service, outstanding balances, packages with sessions left) are added by one
`register` call each."""

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Table:
    """What a report found: its rows (plain values, one per column) and the patients they
    name (for the access log: one "listed" row per patient shown)."""

    rows: Sequence[Sequence]
    patients: Iterable = ()
    # Where each row's first cell links (the patient's page), or empty: one per row.
    links: Sequence[str] = field(default_factory=tuple)


@dataclass(frozen=True)
class Report:
    slug: str  # its address: /reports/<slug>/
    title: str
    description: str
    columns: Sequence[str]
    build: Callable[[object, dt.date], Table]  # (clinic, the clinic's today) → the table


_reports: dict[str, Report] = {}


def register(report: Report) -> None:
    _reports[report.slug] = report


def all_reports() -> list[Report]:
    return list(_reports.values())


def report_named(slug: str) -> Report | None:
    return _reports.get(slug)
