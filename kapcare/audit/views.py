import datetime as dt

from django.db.models import Q
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_POST

from kapcare.audit.export import csv_lines
from kapcare.audit.forms import AccessLogSearchForm
from kapcare.audit.log import Actor, record_log_export
from kapcare.audit.models import AccessAction, AccessLogEntry
from kapcare.decorators import allowed
from kapcare.pagination import keyset_page
from kapcare.patients.access import get_own_patient
from kapcare.policy import Action
from kapcare.replica import bound_here, reads_from_replica

PAGE_SIZE = 50


def _start_of(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.min, tzinfo=timezone.get_current_timezone())


def filter_entries(entries, data: dict):
    if data.get("patient_name"):
        for word in data["patient_name"].split():
            entries = entries.filter(
                Q(patient__given_name__icontains=word) | Q(patient__family_name__icontains=word)
            )
    if data.get("actor"):
        entries = entries.filter(
            Q(actor_name__icontains=data["actor"]) | Q(actor_email__icontains=data["actor"])
        )
    if data.get("action"):
        entries = entries.filter(action=data["action"])
    if data.get("date_from"):
        entries = entries.filter(occurred_at__gte=_start_of(data["date_from"]))
    if data.get("date_to"):
        entries = entries.filter(occurred_at__lt=_start_of(data["date_to"] + dt.timedelta(days=1)))
    return entries


def page_of(entries, cursor: str | None):
    """A page of the log, newest first (`kapcare.pagination`: keyset, through the indexes
    on (clinic or patient, occurred_at, id))."""
    return keyset_page(entries, cursor, by="occurred_at", size=PAGE_SIZE)


@allowed(Action.SEARCH_ACCESS_LOG)
def search(request: HttpRequest) -> HttpResponse:
    """The clinic's access log for its admin: who read or changed which record, when,
    newest first, a page at a time ("Older" moves on; a search keeps its filters in the
    form, so no name lands in a URL)."""
    entries = AccessLogEntry.objects.filter(clinic_id=request.user.clinic_id).select_related(
        "patient"
    )
    form = AccessLogSearchForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        entries = filter_entries(entries, form.cleaned_data)
    shown, older = page_of(entries, request.POST.get("before") or request.GET.get("before"))
    return render(
        request,
        "audit/search.html",
        {
            "form": form,
            "entries": shown,
            "older": older,
            "is_search": request.method == "POST",
            "is_first_page": not (request.POST.get("before") or request.GET.get("before")),
        },
    )


@allowed(Action.SEARCH_ACCESS_LOG)
@require_POST
@reads_from_replica
def export(request: HttpRequest) -> HttpResponse:
    """The clinic's access log as CSV for an auditor, filtered as the search is (person,
    patient, action, period; POSTed so no name ends up in a URL), streamed, read from the
    read replica when there is one. The export is itself logged (on the primary)."""
    form = AccessLogSearchForm(request.POST)
    if not form.is_valid():
        return render(
            request,
            "audit/search.html",
            {"form": form, "entries": [], "older": None, "is_first_page": True},
            status=422,
        )
    entries = filter_entries(
        AccessLogEntry.objects.filter(clinic_id=request.user.clinic_id), form.cleaned_data
    )
    # Streamed after the view returns: bound now to where this view reads.
    entries = bound_here(entries)
    record_log_export(
        Actor.from_request(request), clinic_id=request.user.clinic_id, path=request.path
    )
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response = StreamingHttpResponse(csv_lines(entries), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="access-log-{stamp}.csv"'
    response["Cache-Control"] = "private, no-store"
    return response


@allowed(Action.VIEW_OWN_ACCESS_LOG)
def my_access_log(request: HttpRequest) -> HttpResponse:
    """ "Who viewed my record": every access to the patient's own record, newest first.
    Refused attempts saw nothing and may name another patient who tried: they are for the
    clinic's admin, not here."""
    patient = get_own_patient(request)
    entries = AccessLogEntry.objects.filter(patient_id=patient.pk).exclude(
        action=AccessAction.REFUSED
    )
    cursor = request.GET.get("before")
    shown, older = page_of(entries, cursor)
    return render(
        request,
        "audit/my_access_log.html",
        {"entries": shown, "older": older, "is_first_page": not cursor, "patient": patient},
    )
