"""The clinic's outcome dashboard and its CSV downloads (aggregates; no patient named)."""

import csv

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from kapcare.decorators import allowed
from kapcare.episodes.models import CareModel, DoseRoute
from kapcare.outcomes import figures, svg
from kapcare.outcomes.figures import GroupBy
from kapcare.outcomes.forms import OutcomeFilterForm
from kapcare.policy import Action
from kapcare.replica import reads_from_replica

GROUP_TITLES = {
    GroupBy.MODEL: "By model of care",
    GroupBy.DIAGNOSIS: "By diagnosis (ICD-10-CM)",
    GroupBy.ROUTE: "By planned route",
}
# Days at which the numbers at risk are printed under the curves.
AT_RISK_EVERY_DAYS = 90


def group_label(group_by: GroupBy, group: str) -> str:
    if group_by == GroupBy.MODEL:
        return dict(CareModel.choices).get(group, group)
    if group_by == GroupBy.ROUTE:
        return dict(DoseRoute.choices).get(group, group)
    return group


def _filter(request) -> OutcomeFilterForm:
    form = OutcomeFilterForm(request.GET or None)
    if request.GET:
        form.is_valid()
    return form


def _period_and_model(form):
    if form.is_bound and form.is_valid():
        return form.period(), form.cleaned_data["model"] or None
    return figures.Period(), None


def _durability_chart(figure: figures.DurabilityFigure) -> dict | None:
    if not figure.groups:
        return None
    longest = max(max(group.durations) for group in figure.groups)
    ticks = svg.nice_ticks(max(longest, 1))
    x_max = ticks[-1]
    lines = [
        svg.survival_line(
            group_label(GroupBy.MODEL, group.group), group.steps, max(group.durations), x_max, n
        )
        for n, group in enumerate(figure.groups)
    ]
    risk_days = list(range(0, int(x_max) + 1, AT_RISK_EVERY_DAYS))
    return {
        "lines": lines,
        "x_ticks": [(svg.x_of(tick, x_max), tick) for tick in ticks],
        "y_ticks": [(svg.y_of(v / 100, 1), v) for v in (0, 25, 50, 75, 100)],
        "risk_days": risk_days,
        "at_risk": [
            (group_label(GroupBy.MODEL, group.group), [group.at_risk_at(d) for d in risk_days])
            for group in figure.groups
        ],
        "svg": svg,
    }


@allowed(Action.VIEW_CLINIC_OUTCOMES)
@reads_from_replica
def dashboard(request: HttpRequest) -> HttpResponse:
    clinic = request.user.clinic
    form = _filter(request)
    period, model = _period_and_model(form)
    tables = [
        {
            "group_by": group_by,
            "title": GROUP_TITLES[group_by],
            "rows": [
                (group_label(group_by, row.group), row)
                for row in figures.rates(clinic, group_by, period, model)
            ],
        }
        for group_by in GroupBy
    ]
    durability = figures.durability(clinic, period, model)
    return render(
        request,
        "outcomes/dashboard.html",
        {
            "clinic": clinic,
            "form": form,
            "query": request.GET.urlencode(),
            "tables": tables,
            "durability": durability,
            "durability_rows": [
                (group_label(GroupBy.MODEL, group.group), group) for group in durability.groups
            ],
            "chart": _durability_chart(durability),
            "waivers": figures.waivers_by_rule(clinic, period),
            "settings": figures.outcome_settings(clinic),
        },
    )


def _csv(name: str, header: list[str], rows) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}.csv"'
    writer = csv.writer(response)
    writer.writerow(header)
    writer.writerows(rows)
    return response


def _rate_cells(row: figures.RateRow) -> list:
    response_ci = row.response_ci or ["", ""]
    remission_ci = row.remission_ci or ["", ""]
    return [
        row.episodes,
        row.with_baseline,
        row.responders,
        row.remitters,
        "" if row.response_rate is None else row.response_rate,
        *response_ci,
        "" if row.remission_rate is None else row.remission_rate,
        *remission_ci,
    ]


@allowed(Action.VIEW_CLINIC_OUTCOMES)
@reads_from_replica
def rates_csv(request: HttpRequest) -> HttpResponse:
    """Every rate table in one file, a row per group (`group_by` names the table)."""
    clinic = request.user.clinic
    period, model = _period_and_model(_filter(request))
    rows = [
        [group_by.value, row.group, *_rate_cells(row)]
        for group_by in GroupBy
        for row in figures.rates(clinic, group_by, period, model)
    ]
    header = [
        "group_by",
        "group",
        "episodes",
        "with_baseline",
        "responders",
        "remitters",
        "response_rate",
        "response_ci_lower",
        "response_ci_upper",
        "remission_rate",
        "remission_ci_lower",
        "remission_ci_upper",
    ]
    return _csv("outcome-rates", header, rows)


@allowed(Action.VIEW_CLINIC_OUTCOMES)
@reads_from_replica
def durability_csv(request: HttpRequest) -> HttpResponse:
    """The Kaplan–Meier steps of each model, then the log-rank test."""
    clinic = request.user.clinic
    period, model = _period_and_model(_filter(request))
    figure = figures.durability(clinic, period, model)
    rows = [
        [
            group.group,
            step["time"],
            step["at_risk"],
            step["events"],
            step["survival"],
            "" if step["ci_lower"] is None else step["ci_lower"],
            "" if step["ci_upper"] is None else step["ci_upper"],
        ]
        for group in figure.groups
        for step in group.steps
    ]
    if figure.logrank is not None:
        rows.append([])
        rows.append(["log-rank: KAP models against standalone infusion", "chi2", "p_value"])
        rows.append(["", figure.logrank["chi2"], figure.logrank["p_value"]])
    header = ["model", "day", "at_risk", "relapses", "survival", "ci_lower", "ci_upper"]
    return _csv("time-to-relapse", header, rows)


@allowed(Action.VIEW_CLINIC_OUTCOMES)
@reads_from_replica
def waivers_csv(request: HttpRequest) -> HttpResponse:
    clinic = request.user.clinic
    period, _model = _period_and_model(_filter(request))
    return _csv("gates-waived", ["rule", "waived"], figures.waivers_by_rule(clinic, period))
