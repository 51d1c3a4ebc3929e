"""The reports' pages: the list, one report as a table (the first `TABLE_ROWS` rows) and
as CSV (every row, streamed). Each lists patients, so each logs one "listed" row per
patient shown (`record_list_access`)."""

import csv
from collections.abc import Iterator

from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone

from kapcare.audit.log import Actor, record_list_access
from kapcare.billing import reports
from kapcare.decorators import allowed
from kapcare.policy import Action

TABLE_ROWS = 200
# A cell starting with one of these is a formula to a spreadsheet (CSV injection, OWASP):
# it is written with a leading apostrophe, so it reads as text.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


class _Line:
    """A file-like object whose `write` hands back what it was given (csv.writer → str)."""

    def write(self, value: str) -> str:
        return value


def csv_lines(report: reports.Report, table: reports.Table) -> Iterator[str]:
    writer = csv.writer(_Line())
    yield writer.writerow([safe_cell(name) for name in report.columns])
    for row in table.rows:
        yield writer.writerow([safe_cell(cell) for cell in row])


def _build(request: HttpRequest, report_name: str) -> tuple[reports.Report, reports.Table]:
    report = reports.report_named(report_name)
    if report is None or request.user.clinic_id is None:
        raise Http404("No such report.")
    clinic = request.user.clinic
    table = report.build(clinic, timezone.localdate(timezone=clinic.zone))
    record_list_access(Actor.from_request(request), table.patients)
    return report, table


@allowed(Action.VIEW_MONEY_REPORTS)
def report_list(request: HttpRequest) -> HttpResponse:
    return render(request, "billing/reports/list.html", {"reports": reports.all_reports()})


@allowed(Action.VIEW_MONEY_REPORTS)
def report(request: HttpRequest, report_name: str) -> HttpResponse:
    report, table = _build(request, report_name)
    rows = list(zip(table.links or [""] * len(table.rows), table.rows, strict=True))
    return render(
        request,
        "billing/reports/report.html",
        {
            "report": report,
            "rows": rows[:TABLE_ROWS],
            "count": len(rows),
            "is_cut": len(rows) > TABLE_ROWS,
            "table_rows": TABLE_ROWS,
        },
    )


@allowed(Action.VIEW_MONEY_REPORTS)
def report_csv(request: HttpRequest, report_name: str) -> StreamingHttpResponse:
    report, table = _build(request, report_name)
    day = timezone.localdate(timezone=request.user.clinic.zone)
    response = StreamingHttpResponse(csv_lines(report, table), content_type="text/csv")
    response["Content-Disposition"] = f'attachment; filename="{report.slug}-{day}.csv"'
    return response
