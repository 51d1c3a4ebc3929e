"""Screening pages: the patient's health history in the portal, the staff screening page,
the clinician's review and sign-off, the eligibility decision, and the admin's catalogue.

Every page that shows a patient's screening fetches the patient through `get_patient` /
`get_own_patient` (policy and access log in one step); writes go through `services`,
which log inside their transaction.
"""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone

from kapcare import policy
from kapcare.audit.log import Actor
from kapcare.decorators import allowed
from kapcare.patients.access import (
    get_own_patient,
    get_patient,
    get_patient_for_form,
    log_redisplay,
)
from kapcare.policy import Action
from kapcare.refusals import add_problems
from kapcare.screening import forms, services, status
from kapcare.screening.models import EligibilityDecision, HistorySource, MedicalScreening


def _decisions(patient) -> list[EligibilityDecision]:
    return list(
        EligibilityDecision.objects.filter(patient_id=patient.pk)
        .select_related("decided_by")
        .order_by("-decided_at", "-id")
    )


def _versions(patient) -> list[MedicalScreening]:
    return list(
        MedicalScreening.objects.filter(patient_id=patient.pk)
        .select_related("history_entered_by", "completed_by")
        .order_by("-version")
    )


# --- Staff: the screening page ----------------------------------------------------------------


@allowed(Action.OPEN_CHART)
def screening_detail(request: HttpRequest, patient_id) -> HttpResponse:
    """The latest screening as it stands, what it found, the eligibility decisions and the
    earlier versions. Read-only; the clinician's forms are on their own pages.

    Part of the chart, the clinic's working view (so staff only, like the chart); the
    patient sees and updates their history in the portal."""
    patient = get_patient(request, patient_id, Action.VIEW_MEDICAL_SCREENING)
    screening = status.latest_screening(patient)
    thresholds = status.blood_pressure_thresholds(patient.clinic)
    return render(
        request,
        "screening/detail.html",
        {
            "patient": patient,
            "screening": screening,
            "findings": status.findings_for(screening, thresholds),
            "eligibility": status.eligibility_for(patient, timezone.localdate(), latest=screening),
            "decisions": _decisions(patient),
            "versions": _versions(patient),
            "can_complete": policy.can(request.user, Action.COMPLETE_MEDICAL_SCREENING, patient),
            "can_decide": policy.can(request.user, Action.DECIDE_ELIGIBILITY, patient),
        },
    )


# --- The history ------------------------------------------------------------------------------


def _history_forms(request: HttpRequest, patient, previous):
    contraindications = services.active_contraindications(patient.clinic)
    data = request.POST if request.method == "POST" else None
    form = forms.HistoryForm(
        data, contraindications=contraindications, patient=patient, previous=previous
    )
    return form, forms.medication_formset(data, previous=previous)


@allowed(Action.FILL_OWN_MEDICAL_HISTORY)
def portal_health_history(request: HttpRequest) -> HttpResponse:
    """The patient's own health history, filled in the portal. Opens with what they sent
    last time; sending it again makes a new version for the clinician to review."""
    patient = get_own_patient(request, Action.FILL_OWN_MEDICAL_HISTORY)
    previous = status.latest_screening(patient)
    form, medications = _history_forms(request, patient, previous)
    if request.method == "POST" and form.is_valid() and medications.is_valid():
        services.submit_history(
            actor=Actor.from_request(request),
            patient=patient,
            report=form.report(forms.medication_reports(medications)),
            source=HistorySource.PATIENT,
        )
        messages.success(request, "Thank you: your health history was sent to your clinician.")
        return redirect("screening:health_history")
    return render(
        request,
        "screening/portal_history.html",
        {"patient": patient, "previous": previous, "form": form, "medications": medications},
    )


@allowed(Action.COMPLETE_MEDICAL_SCREENING)
def history_for_patient(request: HttpRequest, patient_id) -> HttpResponse:
    """A clinician enters (or updates) the history for a patient, e.g. one without a portal
    account, at the visit or by phone."""
    patient = get_patient_for_form(request, patient_id, Action.COMPLETE_MEDICAL_SCREENING)
    previous = status.latest_screening(patient)
    form, medications = _history_forms(request, patient, previous)
    if request.method == "POST":
        if form.is_valid() and medications.is_valid():
            services.submit_history(
                actor=Actor.from_request(request),
                patient=patient,
                report=form.report(forms.medication_reports(medications)),
                source=HistorySource.STAFF,
            )
            messages.success(request, "Health history saved as a new version.")
            return redirect("screening:review", patient.external_id)
        log_redisplay(request, patient)
    return render(
        request,
        "screening/history_form.html",
        {"patient": patient, "previous": previous, "form": form, "medications": medications},
    )


# --- The clinician's review -------------------------------------------------------------------


@allowed(Action.COMPLETE_MEDICAL_SCREENING)
def screening_review(request: HttpRequest, patient_id) -> HttpResponse:
    """The clinician reviews the latest version: vitals, a finding on each condition, notes
    on each medication, and the sign-off."""
    patient = get_patient_for_form(request, patient_id, Action.COMPLETE_MEDICAL_SCREENING)
    screening = status.latest_screening(patient)
    form = None
    if screening is not None and not screening.is_completed:
        form = forms.ReviewForm(
            request.POST if request.method == "POST" else None,
            screening=screening,
            patient=patient,
        )
    if request.method == "POST":
        if form is not None and form.is_valid():
            complete = form.cleaned_data["complete"]
            try:
                services.review_screening(
                    actor=Actor.from_request(request),
                    patient=patient,
                    screening=screening,
                    review=form.report(),
                    complete=complete,
                )
            except services.Refused as refused:
                add_problems(form, refused.problems)
            else:
                messages.success(
                    request,
                    "Screening completed and signed." if complete else "Review saved.",
                )
                return redirect("screening:detail", patient.external_id)
        log_redisplay(request, patient)
    thresholds = status.blood_pressure_thresholds(patient.clinic)
    return render(
        request,
        "screening/review.html",
        {
            "patient": patient,
            "screening": screening,
            "form": form,
            "findings": status.findings_for(screening, thresholds),
            "thresholds": thresholds,
        },
    )


# --- Eligibility ------------------------------------------------------------------------------


@allowed(Action.DECIDE_ELIGIBILITY)
def eligibility_decision(request: HttpRequest, patient_id) -> HttpResponse:
    """The clinician decides eligibility from what the completed screening found. A
    decision is signed and never changed; a new one supersedes it."""
    patient = get_patient_for_form(request, patient_id, Action.DECIDE_ELIGIBILITY)
    form = forms.DecisionForm(request.POST if request.method == "POST" else None)
    if request.method == "POST":
        if form.is_valid():
            try:
                services.decide_eligibility(
                    actor=Actor.from_request(request),
                    patient=patient,
                    decision=form.cleaned_data["decision"],
                    conditions=form.cleaned_data["conditions"],
                    justification=form.cleaned_data["justification"],
                )
            except services.Refused as refused:
                add_problems(form, refused.problems)
            else:
                messages.success(request, "Eligibility decision recorded and signed.")
                return redirect("screening:detail", patient.external_id)
        log_redisplay(request, patient)
    screening = status.latest_screening(patient)
    thresholds = status.blood_pressure_thresholds(patient.clinic)
    return render(
        request,
        "screening/decision.html",
        {
            "patient": patient,
            "screening": screening,
            "findings": status.findings_for(screening, thresholds),
            "eligibility": status.eligibility_for(patient, timezone.localdate(), latest=screening),
            "decisions": _decisions(patient),
            "form": form,
            "valid_months": patient.clinic.eligibility_valid_months,
        },
    )


# --- The catalogue ----------------------------------------------------------------------------


SECTIONS = {
    "contraindications": forms.contraindication_formset,
    "interactions": forms.interaction_formset,
}


@allowed(Action.MANAGE_SCREENING_CATALOGUE)
def catalogue(request: HttpRequest) -> HttpResponse:
    """The clinic's contraindications and interacting medicines: edit, add, deactivate.

    Each list is saved on its own (its own button), so an error in one does not lose what
    was typed in it, and the other list is left as stored.
    """
    clinic = request.user.clinic
    services.ensure_default_catalogue(clinic)
    section = request.POST.get("section") if request.method == "POST" else None
    formsets = {
        name: build(request.POST if name == section else None, clinic=clinic)
        for name, build in SECTIONS.items()
    }
    if section in formsets:
        formset = formsets[section]
        if formset.is_valid():
            changed = [form.save(commit=False) for form in formset.forms if form.has_changed()]
            try:
                saved = services.save_catalogue_entries(
                    actor=Actor.from_request(request), clinic=clinic, entries=changed
                )
            except services.Refused as refused:
                for problem in refused.problems.values():
                    messages.error(request, problem)
            else:
                messages.success(
                    request,
                    f"{saved} entr{'y' if saved == 1 else 'ies'} saved."
                    if saved
                    else "Nothing had changed.",
                )
                return redirect("screening:catalogue")
    return render(
        request,
        "screening/catalogue.html",
        {
            "contraindications": formsets["contraindications"],
            "interactions": formsets["interactions"],
        },
    )
