"""An episode's ASKP3 conformance report, for the clinic and for a referring clinician."""

import datetime as dt
from urllib.parse import urlencode

from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from kapcare.audit.log import Actor, record_access, record_list_access
from kapcare.audit.models import AccessAction
from kapcare.conformance import pdf, rules, services
from kapcare.conformance.forms import PeriodForm
from kapcare.conformance.models import ConformanceResult
from kapcare.conformance.report import ELEMENT_TITLES, ELEMENTS, evaluate
from kapcare.decorators import allowed
from kapcare.episodes.access import get_episode
from kapcare.pagination import keyset_page
from kapcare.policy import Action

PAGE_SIZE = 25


@allowed(Action.VIEW_CONFORMANCE)
def episode_pdf(request: HttpRequest, episode_id) -> HttpResponse:
    """The report as PDF for a referring clinician; logged as an export of the record."""
    episode = get_episode(request, episode_id, Action.VIEW_CONFORMANCE, log_as=None)
    document = pdf.conformance_pdf(episode, evaluate(episode).elements)
    record_access(
        Actor.from_request(request), AccessAction.EXPORT, patient=episode.patient, obj=episode
    )
    response = HttpResponse(document, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{pdf.filename(episode)}"'
    response["Cache-Control"] = "private, no-store"
    return response


@allowed(Action.VIEW_CONFORMANCE)
def episode(request: HttpRequest, episode_id) -> HttpResponse:
    episode = get_episode(request, episode_id, Action.VIEW_CONFORMANCE)
    now = timezone.now()
    evaluation = evaluate(episode, now)
    # What was just fixed shows on the clinic page at once.
    services.store(episode, evaluation, now)
    elements = evaluation.elements
    return render(
        request,
        "conformance/episode.html",
        {"episode": episode, "patient": episode.patient, "elements": elements},
    )


def _bounds(form: PeriodForm, zone) -> dict:
    """The period as filters on `first_dose_at`, in the clinic's days."""
    filters = {}
    if form.is_valid():
        start, end = form.cleaned_data.get("start"), form.cleaned_data.get("end")
        if start:
            filters["first_dose_at__gte"] = dt.datetime.combine(start, dt.time(), tzinfo=zone)
        if end:
            after = end + dt.timedelta(days=1)
            filters["first_dose_at__lt"] = dt.datetime.combine(after, dt.time(), tzinfo=zone)
    return filters


@allowed(Action.VIEW_CONFORMANCE)
def clinic(request: HttpRequest) -> HttpResponse:
    """The share of the clinic's dosed episodes meeting each element over a period (from
    the stored results), and the failing episodes of one element, a page at a time."""
    clinic = request.user.clinic
    form = PeriodForm(request.GET or None)
    results = ConformanceResult.objects.filter(clinic_id=clinic.pk, **_bounds(form, clinic.zone))
    counts = {
        (row["element"], row["status"]): row["n"]
        for row in results.values("element", "status").annotate(n=Count("id")).order_by()
    }
    period = {
        key: request.GET[key]
        for key in ("start", "end")
        if form.is_valid() and request.GET.get(key)
    }
    rows = []
    for element in ELEMENTS:
        by_status = {status: counts.get((element, status), 0) for status in rules.STATUS_WORDS}
        applicable = by_status[rules.MET] + by_status[rules.WAIVED] + by_status[rules.NOT_MET]
        meeting = by_status[rules.MET] + by_status[rules.WAIVED]
        rows.append(
            {
                "element": element,
                "title": ELEMENT_TITLES[element],
                "counts": by_status,
                "applicable": applicable,
                "share": round(100 * meeting / applicable) if applicable else None,
                "failing_query": urlencode({**period, "element": element}),
            }
        )
    element = form.cleaned_data.get("element") if form.is_valid() else ""
    failing, older = [], None
    if element:
        failing, older = keyset_page(
            results.filter(element=element, status=rules.NOT_MET).select_related(
                "episode", "patient"
            ),
            request.GET.get("before"),
            by="first_dose_at",
            size=PAGE_SIZE,
        )
        record_list_access(Actor.from_request(request), [row.patient for row in failing])
    latest = results.order_by("-computed_at").values_list("computed_at", flat=True).first()
    return render(
        request,
        "conformance/clinic.html",
        {
            "form": form,
            "rows": rows,
            "element": element,
            "element_title": ELEMENT_TITLES.get(element, ""),
            "failing": failing,
            "older": urlencode({**period, "element": element, "before": older}) if older else "",
            "latest": latest,
        },
    )
