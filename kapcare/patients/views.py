import datetime as dt
import uuid

from django.contrib import messages
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.views.decorators.http import require_POST

from kapcare import policy
from kapcare.accounts.services import InvitationError
from kapcare.audit.log import Actor, record_access, record_list_access
from kapcare.audit.models import AccessAction
from kapcare.decorators import allowed
from kapcare.pagination import keyset_page
from kapcare.patients import chart, rules, services
from kapcare.patients.access import get_patient, get_patient_for_form
from kapcare.patients.forms import BodyMeasurementForm, PatientForm, PatientSearchForm
from kapcare.patients.timeline import timeline_page
from kapcare.policy import Action

PAGE_SIZE = 25
SEARCH_LIMIT = 50


def search_patients(queryset, query: str):
    """Patients matching what a coordinator types: a record number, exactly ("KC-004217",
    the chart header's; or the patient's id, as in the chart's address and the API), a
    date of birth (YYYY-MM-DD), the last four or more digits of a phone number, or words
    found in the name or email."""
    query = query.strip()
    if not query:
        return queryset
    short_number = rules.parse_record_id(query)
    if short_number is not None:
        return queryset.filter(record_number=short_number)  # the (clinic, number) index
    record_number = _record_number(query)
    if record_number is not None:
        return queryset.filter(external_id=record_number)  # the unique index
    try:
        born = parse_date(query)
    except ValueError:
        born = None
    if born is not None:
        return queryset.filter(birth_date=born)
    digits = "".join(ch for ch in query if ch.isdigit())
    if len(digits) >= 4 and not any(ch.isalpha() for ch in query):
        return queryset.filter(phone__endswith=digits[-4:])
    condition = Q()
    for word in query.split():
        condition &= (
            Q(given_name__icontains=word)
            | Q(family_name__icontains=word)
            | Q(preferred_name__icontains=word)
            | Q(email__icontains=word)
        )
    return queryset.filter(condition)


def _record_number(query: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(query)
    except ValueError:
        return None


@allowed(Action.LIST_PATIENTS)
def patient_list(request: HttpRequest) -> HttpResponse:
    """The clinic's patients, newest first, with a search.

    The search is sent by POST so that names typed into it never land in a URL, a
    server log or the browser's history.
    """
    patients = policy.visible_patients(request.user)
    form = PatientSearchForm(request.POST or None)
    searching = request.method == "POST" and form.is_valid() and form.cleaned_data["query"]
    cursor = request.GET.get("before")
    older = None
    if searching:
        shown = list(search_patients(patients, form.cleaned_data["query"])[:SEARCH_LIMIT])
    else:
        # Keyset pages through the (clinic, created_at, id) index: no count of the clinic.
        shown, older = keyset_page(patients, cursor, by="created_at", size=PAGE_SIZE)
    record_list_access(Actor.from_request(request), shown)
    context = {
        "form": form,
        "patients": shown,
        "older": older,
        "is_first_page": not cursor or bool(searching),
        "searching": bool(searching),
        "search_limit": SEARCH_LIMIT,
        "can_create": policy.can(request.user, Action.CREATE_PATIENT),
    }
    if request.headers.get("HX-Request"):
        return render(request, "patients/_patient_rows.html", context)
    return render(request, "patients/patient_list.html", context)


@allowed(Action.CREATE_PATIENT)
def patient_create(request: HttpRequest) -> HttpResponse:
    form = PatientForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        patient = services.create_patient(
            actor=Actor.from_request(request), clinic=request.user.clinic, data=form.cleaned_data
        )
        messages.success(request, f"{patient.full_name} is registered.")
        return redirect("patients:chart", patient.external_id)
    return render(request, "patients/patient_form.html", {"form": form, "patient": None})


# The newest weights and heights the chart lists (the latest of each is in its header).
MEASUREMENTS_SHOWN = 10


@allowed(Action.OPEN_CHART)
def patient_chart(request: HttpRequest, patient_id) -> HttpResponse:
    patient = get_patient(request, patient_id, Action.OPEN_CHART)
    until = _moment(request.GET.get("until"))
    timeline, earlier = timeline_page(patient, until=until)
    if until is not None and request.headers.get("HX-Request"):
        # The "Earlier events" link asks for the next page of the timeline alone.
        return render(
            request,
            "patients/_timeline_more.html",
            {"timeline": timeline, "timeline_earlier": earlier},
        )
    recorded = patient.body_measurements.select_related("recorded_by")
    measurements = list(recorded[:MEASUREMENTS_SHOWN])
    latest_weight = recorded.filter(weight_kg__isnull=False).first()
    latest_height = recorded.filter(height_cm__isnull=False).first()
    return render(
        request,
        "patients/patient_chart.html",
        {
            "patient": patient,
            "patient_age": patient.age_on(timezone.localdate()),
            "measurements": measurements,
            "latest_weight": latest_weight,
            "latest_height": latest_height,
            "timeline": timeline,
            "timeline_earlier": earlier,
            "sections": chart.sections_for(request, patient),
            "can_edit": policy.can(request.user, Action.EDIT_PATIENT, patient),
            "can_measure": policy.can(request.user, Action.RECORD_BODY_MEASUREMENT, patient),
            "can_invite": patient.user_id is None
            and policy.can(request.user, Action.INVITE_TO_PORTAL, patient),
        },
    )


def _moment(text: str | None) -> dt.datetime | None:
    """The time in an "Earlier" link of the timeline, or None (the newest events) when it
    is missing or unreadable."""
    try:
        moment = dt.datetime.fromisoformat(text or "")
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None


@allowed(Action.EDIT_PATIENT)
def patient_edit(request: HttpRequest, patient_id) -> HttpResponse:
    patient = get_patient_for_form(request, patient_id, Action.EDIT_PATIENT)
    form = PatientForm(request.POST or None, instance=patient)
    if request.method == "POST":
        if form.is_valid():
            changed = services.update_patient(
                actor=Actor.from_request(request), patient=patient, data=form.cleaned_data
            )
            messages.success(
                request,
                "Changes saved." if changed else "Nothing had changed; the record is as it was.",
            )
            return redirect("patients:chart", patient.external_id)
        record_access(Actor.from_request(request), AccessAction.VIEW, patient=patient)
    return render(request, "patients/patient_form.html", {"form": form, "patient": patient})


@allowed(Action.RECORD_BODY_MEASUREMENT)
def body_measurement_create(request: HttpRequest, patient_id) -> HttpResponse:
    patient = get_patient(request, patient_id, Action.RECORD_BODY_MEASUREMENT)
    form = BodyMeasurementForm(request.POST or None, initial={"measured_on": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        services.record_body_measurement(
            actor=Actor.from_request(request),
            patient=patient,
            measured_on=form.cleaned_data["measured_on"],
            weight_kg=form.cleaned_data["weight_kg"],
            height_cm=form.cleaned_data["height_cm"],
        )
        messages.success(request, "Measurement recorded.")
        return redirect("patients:chart", patient.external_id)
    return render(
        request, "patients/body_measurement_form.html", {"form": form, "patient": patient}
    )


@require_POST
@allowed(Action.INVITE_TO_PORTAL)
def invite_to_portal(request: HttpRequest, patient_id) -> HttpResponse:
    patient = get_patient(request, patient_id, Action.INVITE_TO_PORTAL, log_as=None)
    try:
        services.invite_to_portal(
            actor=Actor.from_request(request),
            patient=patient,
        )
    except InvitationError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, f"Portal invitation sent to {patient.email}.")
    return redirect("patients:chart", patient.external_id)
