"""The money side's pages: the coverage question, a patient's Good Faith Estimates (issue
one, download one), the patient's own in the portal, and the admin's code table."""

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme

from kapcare import policy
from kapcare.audit.log import Actor, record_list_access
from kapcare.audit.models import AccessAction
from kapcare.billing import services
from kapcare.billing.access import get_estimate
from kapcare.billing.forms import CodeVersionForm, CoverageForm
from kapcare.billing.models import BillingCode
from kapcare.billing.pdf import estimate_pdf, filename
from kapcare.decorators import allowed
from kapcare.patients.access import (
    get_own_patient,
    get_patient,
    get_patient_for_form,
    log_redisplay,
    parse_external_id,
)
from kapcare.policy import Action
from kapcare.pricing.cost import open_episode_of
from kapcare.refusals import Refused, add_problems


def _next_url(request: HttpRequest, fallback: str) -> str:
    """Where to go back after the form: the page that linked here (series planning, the
    episode, the chart), kept in the form; a foreign address is never followed."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if not target and request.method == "GET":
        target = request.headers.get("referer", "")
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}):
        return target
    return fallback


@allowed(Action.RECORD_COVERAGE)
def coverage(request: HttpRequest, patient_id) -> HttpResponse:
    """Ask the coverage question (the law asks it at scheduling); the history below."""
    patient = get_patient_for_form(request, patient_id, Action.RECORD_COVERAGE)
    current = services.current_coverage(patient)
    initial = {"status": current.status, "insurer": current.insurer} if current else {}
    form = CoverageForm(request.POST or None, initial=initial)
    chart = _next_url(request, reverse("patients:chart", args=[patient.external_id]))
    if request.method == "POST":
        if form.is_valid():
            try:
                services.record_coverage(
                    actor=Actor.from_request(request),
                    patient=patient,
                    data=services.CoverageInput(**form.cleaned_data),
                )
            except Refused as refusal:
                add_problems(form, refusal.problems)
            else:
                messages.success(request, "Coverage recorded.")
                return redirect(chart)
        log_redisplay(request, patient)
    history = list(
        patient.coverage_records.select_related("recorded_by").order_by("-recorded_at", "-id")[:20]
    )
    return render(
        request,
        "billing/coverage.html",
        {"patient": patient, "form": form, "history": history, "next": chart},
    )


# The staff's page (the patient reads theirs in the portal): staff roles only.
@allowed(Action.VIEW_COVERAGE)
def patient_estimates(request: HttpRequest, patient_id) -> HttpResponse:
    """GET: the patient's estimates, newest first. POST: issue one for the open course on
    the patient's request (front desk and admin)."""
    writing = request.method == "POST"
    action = Action.ISSUE_ESTIMATE if writing else Action.VIEW_ESTIMATES
    patient = get_patient(
        request, patient_id, action, log_as=None if writing else AccessAction.VIEW
    )
    if writing:
        episode = open_episode_of(patient)
        if episode is None:
            log_redisplay(request, patient)
            messages.error(request, "The patient has no open course to estimate.")
        else:
            services.issue_estimate(
                actor=Actor.from_request(request),
                episode=episode,
                reason="Requested by the patient",
                requested=True,
            )
            messages.success(request, "Good Faith Estimate issued.")
        return redirect("billing:patient_estimates", patient_id=patient.external_id)
    return render(
        request,
        "billing/patient_estimates.html",
        {
            "patient": patient,
            "estimates": services.estimates_of(patient),
            "coverage": services.current_coverage(patient),
            "can_issue": policy.can(request.user, Action.ISSUE_ESTIMATE, patient),
        },
    )


@allowed(Action.VIEW_ESTIMATES)
def estimate_download(request: HttpRequest, estimate_id) -> HttpResponse:
    estimate = get_estimate(request, estimate_id)
    response = HttpResponse(estimate_pdf(estimate), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{filename(estimate)}"'
    return response


@allowed(Action.USE_PATIENT_PORTAL)
def portal_estimates(request: HttpRequest) -> HttpResponse:
    patient = get_own_patient(request, Action.VIEW_ESTIMATES)
    return render(
        request,
        "billing/portal_estimates.html",
        {"patient": patient, "estimates": services.estimates_of(patient)},
    )


@allowed(Action.MANAGE_CODE_TABLE)
def code_table(request: HttpRequest) -> HttpResponse:
    table = services.code_table(request.user.clinic)
    return render(
        request, "billing/code_table.html", {"codes": sorted(table.values(), key=lambda c: c.code)}
    )


@allowed(Action.MANAGE_CODE_TABLE)
def code_edit(request: HttpRequest, code_id) -> HttpResponse:
    """A new version of one line: every earlier version stays, listed below the form."""
    chosen = BillingCode.objects.filter(
        clinic_id=request.user.clinic_id, external_id=parse_external_id(code_id)
    ).first()
    if chosen is None:
        raise Http404("No such code.")
    current = services.code_table(request.user.clinic)[chosen.key]
    initial = {name: getattr(current, name) for name in services.CODE_FIELDS}
    form = CodeVersionForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        values = {name: form.cleaned_data[name] for name in services.CODE_FIELDS}
        try:
            services.save_code_version(
                actor=Actor.from_request(request),
                current=current,
                values=values,
                reason=form.cleaned_data["reason"],
            )
        except Refused as refusal:
            add_problems(form, refusal.problems)
        else:
            messages.success(request, f"{values['code']} saved as version {current.version + 1}.")
            return redirect("billing:code_table")
    versions = BillingCode.objects.filter(clinic_id=current.clinic_id, key=current.key).order_by(
        "-version"
    )
    return render(
        request,
        "billing/code_edit.html",
        {"form": form, "current": current, "versions": list(versions.select_related("created_by"))},
    )


# The clinic's list is bounded: the newest estimates, and the patients still unasked.
CLINIC_LIST_LENGTH = 50


@allowed(Action.VIEW_COVERAGE)
def clinic_estimates(request: HttpRequest) -> HttpResponse:
    """The clinic's Good Faith Estimates with their deadlines, and the patients with
    sessions booked whose coverage nobody has asked (an estimate may be owed)."""
    estimates = services.clinic_estimates(request.user.clinic_id, CLINIC_LIST_LENGTH)
    unasked = services.unasked_with_bookings(request.user.clinic_id, CLINIC_LIST_LENGTH)
    shown = {estimate.patient_id: estimate.patient for estimate in estimates}
    shown.update({patient.pk: patient for patient in unasked})
    record_list_access(Actor.from_request(request), shown.values())
    return render(
        request, "billing/clinic_estimates.html", {"estimates": estimates, "unasked": unasked}
    )
