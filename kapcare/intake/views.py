import datetime as dt

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from kapcare import policy
from kapcare.audit.log import Actor, record_access
from kapcare.audit.models import AccessAction
from kapcare.clinics.models import Clinic
from kapcare.decorators import allowed
from kapcare.intake import rules, services
from kapcare.intake.access import get_consultation_request
from kapcare.intake.forms import ConsultationRequestForm, StatusChangeForm
from kapcare.intake.models import ConsultationRequest, RequestStatus
from kapcare.patients.forms import PatientForm
from kapcare.policy import Action

PAGE_SIZE = 50
RATE_LIMIT_WINDOW = dt.timedelta(hours=1)
OPEN = "open"
ALL = "all"


def _requests_sent_recently(ip_address: str | None) -> int:
    if ip_address is None:
        return 0
    since = timezone.now() - RATE_LIMIT_WINDOW
    return ConsultationRequest.objects.filter(
        submitted_from=ip_address, created_at__gte=since
    ).count()


def request_consultation(request: HttpRequest, clinic_slug: str) -> HttpResponse:
    """The public "no-pressure call" form: anyone may ask the clinic to get in touch."""
    clinic = get_object_or_404(Clinic, slug=clinic_slug)
    form = ConsultationRequestForm(request.POST or None, clinic=clinic)
    if request.method != "POST":
        return render(request, "intake/request_form.html", {"clinic": clinic, "form": form})
    if form.is_spam:
        return redirect("intake:thanks", clinic.slug)
    actor = Actor.from_request(request)
    limit = settings.CONSULTATION_REQUESTS_PER_HOUR
    if rules.is_rate_limited(_requests_sent_recently(actor.ip_address), limit):
        context = {"clinic": clinic, "form": form, "rate_limited": True}
        return render(request, "intake/request_form.html", context, status=429)
    if not form.is_valid():
        return render(request, "intake/request_form.html", {"clinic": clinic, "form": form})
    services.receive_request(actor=actor, clinic=clinic, data=form.request_data())
    return redirect("intake:thanks", clinic.slug)


def request_received(request: HttpRequest, clinic_slug: str) -> HttpResponse:
    clinic = get_object_or_404(Clinic, slug=clinic_slug)
    return render(request, "intake/thanks.html", {"clinic": clinic})


def _status_filter(value: str | None) -> str:
    if value in RequestStatus.values or value == ALL:
        return value
    return OPEN


@allowed(Action.VIEW_CONSULTATION_QUEUE)
def consultation_queue(request: HttpRequest) -> HttpResponse:
    """The clinic's consultation requests, oldest first, so nobody waits longest.

    Shows the open ones (new, contacted, call scheduled) unless a status is picked. Rows
    are not logged one by one: the list shows names and contact details only, and opening
    a request is logged.
    """
    clinic_requests = ConsultationRequest.objects.filter(clinic_id=request.user.clinic_id)
    counts = dict.fromkeys(RequestStatus.values, 0)
    by_status = clinic_requests.order_by().values("status").annotate(n=Count("id"))
    counts.update({row["status"]: row["n"] for row in by_status})
    shown = _status_filter(request.GET.get("status"))
    if shown == OPEN:
        rows = clinic_requests.filter(status__in=rules.OPEN_STATUSES)
    elif shown == ALL:
        rows = clinic_requests
    else:
        rows = clinic_requests.filter(status=shown)
    page = Paginator(rows.order_by("created_at", "id"), PAGE_SIZE).get_page(request.GET.get("page"))
    filters = [
        (OPEN, "Open", sum(counts[s] for s in rules.OPEN_STATUSES)),
        *((s.value, s.label, counts[s.value]) for s in RequestStatus),
        (ALL, "All", sum(counts.values())),
    ]
    return render(
        request,
        "intake/queue.html",
        {"page": page, "requests": page.object_list, "filters": filters, "shown": shown},
    )


def _detail_context(request: HttpRequest, consultation_request, form=None) -> dict:
    return {
        "consultation_request": consultation_request,
        "history": consultation_request.status_changes.select_related("changed_by"),
        "form": form or StatusChangeForm(current=consultation_request.status),
        "can_convert": (
            policy.can(request.user, Action.CREATE_PATIENT)
            and rules.can_move(consultation_request.status, rules.CONVERTED)
        ),
    }


@allowed(Action.MANAGE_CONSULTATION_REQUEST)
def consultation_request_detail(request: HttpRequest, request_id) -> HttpResponse:
    consultation_request = get_consultation_request(request, request_id)
    return render(request, "intake/detail.html", _detail_context(request, consultation_request))


@require_POST
@allowed(Action.MANAGE_CONSULTATION_REQUEST)
def change_status(request: HttpRequest, request_id) -> HttpResponse:
    """Move a request by hand. Answers the status panel to htmx, and a redirect to the
    request's page to a plain form post."""
    consultation_request = get_consultation_request(request, request_id, log_as=None)
    form = StatusChangeForm(request.POST, current=consultation_request.status)
    changed = False
    if form.is_valid():
        try:
            services.change_status(
                actor=Actor.from_request(request),
                consultation_request=consultation_request,
                to_status=form.cleaned_data["to_status"],
                note=form.cleaned_data["note"],
            )
            changed = True
        except services.TransitionRefused as refusal:
            form.add_error(None, str(refusal))
    if not changed:
        # The page is shown again with the request's details: that is a read.
        record_access(
            Actor.from_request(request),
            AccessAction.VIEW,
            obj=consultation_request,
            patient=consultation_request.patient,
        )
    announcement = (
        f"Status changed to {consultation_request.get_status_display()}." if changed else ""
    )
    if request.headers.get("HX-Request"):
        context = _detail_context(request, consultation_request, None if changed else form)
        return render(
            request, "intake/_status_changed.html", {**context, "announcement": announcement}
        )
    if changed:
        messages.success(request, announcement)
        return redirect("intake:detail", consultation_request.external_id)
    return render(
        request, "intake/detail.html", _detail_context(request, consultation_request, form)
    )


def _patient_initial(consultation_request) -> dict:
    return {
        "given_name": consultation_request.given_name,
        "family_name": consultation_request.family_name,
        "email": consultation_request.email,
        "phone": consultation_request.phone,
    }


@allowed(Action.MANAGE_CONSULTATION_REQUEST)
def convert_to_patient(request: HttpRequest, request_id) -> HttpResponse:
    """Register the person as a patient, prefilled from what they wrote."""
    if not policy.can(request.user, Action.CREATE_PATIENT):
        raise PermissionDenied
    reading = request.method != "POST"
    consultation_request = get_consultation_request(
        request, request_id, log_as=AccessAction.VIEW if reading else None
    )
    if consultation_request.is_converted:
        messages.info(
            request,
            "This request has already been converted into a patient record; it cannot be "
            "converted twice.",
        )
        return redirect("intake:detail", consultation_request.external_id)
    if not rules.can_move(consultation_request.status, rules.CONVERTED):
        messages.error(
            request,
            f"A “{consultation_request.get_status_display()}” request cannot be converted; "
            "reopen it first if the person has got back in touch.",
        )
        return redirect("intake:detail", consultation_request.external_id)
    form = PatientForm(request.POST or None, initial=_patient_initial(consultation_request))
    if request.method == "POST":
        if form.is_valid():
            try:
                patient = services.convert_to_patient(
                    actor=Actor.from_request(request),
                    consultation_request=consultation_request,
                    data=form.cleaned_data,
                )
            except services.TransitionRefused as refusal:
                messages.error(request, str(refusal))
                return redirect("intake:detail", consultation_request.external_id)
            messages.success(request, f"{patient.full_name} is registered as a patient.")
            return redirect("patients:chart", patient.external_id)
        record_access(Actor.from_request(request), AccessAction.VIEW, obj=consultation_request)
    return render(
        request,
        "intake/convert.html",
        {"consultation_request": consultation_request, "form": form},
    )
