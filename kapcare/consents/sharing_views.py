"""Sharing with an outside therapist: the patient's authorisations in the portal, the same
list for staff (who may revoke, and may take a signature on the clinic tablet), and the
shared record the therapist sees under a live authorisation.

Every page fetches the patient through `get_patient` / `get_own_patient` (policy and access
log in one step; a therapist's read is logged as a disclosure); writes go through
`services.authorize_sharing` and `services.revoke_authorization`, which log inside their
transaction. An authorisation is fetched only through its patient, already checked.
"""

import uuid
from dataclasses import dataclass, field

from django.contrib import messages
from django.db.models.functions import Lower
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone

from kapcare import policy
from kapcare.audit.log import Actor
from kapcare.consents import services
from kapcare.consents.markdown import render_markdown
from kapcare.consents.models import (
    DocumentKind,
    SharingAuthorization,
    SigningMethod,
    sha256_hex,
)
from kapcare.consents.sharing_forms import AuthorizationDetailsForm, RevokeForm, SignatureForm
from kapcare.decorators import allowed
from kapcare.patients import shared
from kapcare.patients.access import (
    get_own_patient,
    get_patient,
    get_patient_for_form,
    log_redisplay,
    parse_external_id,
    refused,
)
from kapcare.patients.models import Patient
from kapcare.policy import Action
from kapcare.refusals import add_problems
from kapcare.scopes import Scope
from kapcare.therapists.models import TherapistProfile

STEP_DETAILS, STEP_SIGN = "details", "sign"

STATUS_BADGES = {"active": "badge-ok", "expired": "badge-warn", "revoked": "badge-danger"}


@dataclass(frozen=True)
class AuthorizationRow:
    """One authorisation as the lists show it, with its status now."""

    authorization: SharingAuthorization
    status: str

    @property
    def badge(self) -> str:
        return STATUS_BADGES[self.status]

    @property
    def is_active(self) -> bool:
        return self.status == "active"


def authorization_rows(patient: Patient) -> list[AuthorizationRow]:
    """Every authorisation the patient gave, newest first, in one query."""
    now = timezone.now()
    authorizations = (
        SharingAuthorization.objects.filter(patient_id=patient.pk)
        .select_related("signature__witnessed_by", "revoked_by")
        .order_by("-created_at", "-id")
    )
    return [AuthorizationRow(a, a.status_on(now)) for a in authorizations]


def _authorization_of(request: HttpRequest, patient: Patient, authorization_id, action: Action):
    """The patient's authorisation with `authorization_id`, if the user may do `action` on
    it; 404 otherwise (another patient's authorisation is as unknown as a wrong id)."""
    authorization = (
        SharingAuthorization.objects.filter(
            patient_id=patient.pk, external_id=parse_external_id(authorization_id)
        )
        .select_related("signature__witnessed_by", "revoked_by")
        .first()
    )
    if authorization is None or not policy.can(request.user, action, authorization):
        records = SharingAuthorization.objects.select_related("patient__clinic")
        raise refused(request, records, authorization_id, Http404("No such authorisation."))
    return authorization


# --- Authorising: two steps on one URL ---------------------------------------------------------


@dataclass
class AuthorizePage:
    """What differs between the portal and the clinic tablet."""

    template: str
    method: str
    cancel_url: str
    context: dict = field(default_factory=dict)


def _chosen_from_directory(request: HttpRequest, patient: Patient) -> dict:
    """The therapist chosen on "Find a therapist" (`?therapist=<entry id>`), typed in for
    the patient: only a verified entry of the patient's own clinic; anything else is
    ignored and the patient types the details."""
    try:
        entry_id = uuid.UUID(request.GET.get("therapist", ""))
    except ValueError:
        return {}
    entry = (
        TherapistProfile.objects.verified_on(services.clinic_today(patient.clinic))
        .filter(clinic_id=patient.clinic_id, external_id=entry_id)
        .select_related("user")
        .first()
    )
    if entry is None:
        return {}
    return {"therapist_name": entry.user.full_name, "therapist_email": entry.user.email}


def _authorize(request: HttpRequest, patient: Patient, page: AuthorizePage, *, log_posts: bool):
    """Step 1 asks for the details; once they validate, step 2 shows the exact text to sign
    with every detail carried in hidden fields, and "Change details" goes back with them
    kept. Returns the new authorisation, or the page to show. `log_posts`: log a POST that
    writes nothing as a view (the caller's fetch did not)."""
    details = AuthorizationDetailsForm(
        request.POST if request.method == "POST" else None,
        patient=patient,
        initial=_chosen_from_directory(request, patient),
    )
    signature = None
    step = STEP_DETAILS
    if request.method == "POST":
        posted_step = request.POST.get("step")
        if posted_step == STEP_SIGN and "change" in request.POST:
            details.is_valid()  # bound, so the values come back; errors only if tampered
        elif details.is_valid():
            step = STEP_SIGN
            if posted_step == STEP_SIGN:
                signature = SignatureForm(request.POST, patient=patient)
                outcome = _sign(request, patient, page, details, signature)
                if isinstance(outcome, SharingAuthorization):
                    return outcome
                step = outcome
            else:
                signature = SignatureForm(patient=patient)
    if request.method == "POST" and log_posts:
        log_redisplay(request, patient)  # nothing was written, and the record is shown again
    context = {
        "patient": patient,
        "form": details,
        "step": step,
        "cancel_url": page.cancel_url,
        "scope_choices": Scope.choices,
        **page.context,
    }
    if step == STEP_SIGN:
        text = services.text_to_sign(
            services.current_version(patient.clinic, DocumentKind.SHARING),
            patient,
            **services.authorization_particulars(patient, details.authorization_input()),
        )
        context.update(
            # Step 1's values exactly as posted, so that "Change details" loses nothing.
            carried=[
                (name, value) for name in details.fields for value in details.data.getlist(name)
            ],
            signature_form=signature,
            text_html=render_markdown(text, heading_offset=1),
            text_sha256=sha256_hex(text),
        )
    return render(request, page.template, context)


def _sign(request, patient, page, details, signature):
    """Record the signature, or say which step to show again with the problems placed."""
    if not signature.is_valid():
        return STEP_SIGN
    try:
        return services.authorize_sharing(
            actor=Actor.from_request(request),
            patient=patient,
            request=details.authorization_input(),
            signer=services.SignatureInput(
                typed_name=signature.cleaned_data["typed_name"],
                agreed=signature.cleaned_data["agreed"],
                user_agent=request.META.get("HTTP_USER_AGENT", ""),
                method=page.method,
            ),
            expected_sha256=signature.cleaned_data["text_sha256"],
        )
    except services.Refused as refused:
        if any(name in details.fields for name in refused.problems):
            add_problems(details, refused.problems)
            return STEP_DETAILS
        add_problems(signature, refused.problems)
        return STEP_SIGN


# --- The patient, in the portal ----------------------------------------------------------------


@allowed(Action.USE_PATIENT_PORTAL)
def portal_list(request: HttpRequest) -> HttpResponse:
    """The patient's authorisations: to whom, what, until when, and whether in force."""
    patient = get_own_patient(request, Action.VIEW_AUTHORIZATIONS)
    return render(
        request,
        "consents/sharing/portal_list.html",
        {
            "patient": patient,
            "rows": authorization_rows(patient),
            "can_authorize": policy.can(request.user, Action.AUTHORIZE_SHARING, patient),
            "can_revoke": policy.can(request.user, Action.REVOKE_AUTHORIZATION, patient),
        },
    )


@allowed(Action.USE_PATIENT_PORTAL)
def portal_authorize(request: HttpRequest) -> HttpResponse:
    patient = get_own_patient(request, Action.AUTHORIZE_SHARING)
    page = AuthorizePage(
        template="consents/sharing/authorize.html",
        method=SigningMethod.PORTAL,
        cancel_url=reverse("sharing:portal_list"),
    )
    outcome = _authorize(request, patient, page, log_posts=False)
    if isinstance(outcome, SharingAuthorization):
        messages.success(
            request,
            f"Signed. {outcome.therapist_name} can now see what you chose, until "
            f"{outcome.expires_on:%B} {outcome.expires_on.day}, {outcome.expires_on.year}.",
        )
        return redirect("sharing:portal_list")
    return outcome


@allowed(Action.USE_PATIENT_PORTAL)
def portal_revoke(request: HttpRequest, authorization_id) -> HttpResponse:
    patient = get_own_patient(request, Action.REVOKE_AUTHORIZATION)
    authorization = _authorization_of(
        request, patient, authorization_id, Action.REVOKE_AUTHORIZATION
    )
    return _revoke(
        request, patient, authorization, back=reverse("sharing:portal_list"), log_posts=False
    )


def _revoke(
    request: HttpRequest, patient, authorization, *, back: str, log_posts: bool
) -> HttpResponse:
    """The confirmation page, with an optional reason; on POST, revoke at once. A POST that
    changes nothing is logged as a view when `log_posts` (the portal's fetch logged it)."""
    status = authorization.status_on(timezone.now())
    is_patient = request.user.pk == patient.user_id
    form = RevokeForm(request.POST if request.method == "POST" else None)
    if request.method == "POST":
        if status == "active" and form.is_valid():
            try:
                services.revoke_authorization(
                    actor=Actor.from_request(request),
                    authorization=authorization,
                    reason=form.cleaned_data["reason"],
                )
            except services.Refused as refused:
                if log_posts:
                    log_redisplay(request, patient)
                messages.error(request, " ".join(refused.problems.values()))
            else:
                subject = "your record" if is_patient else "the patient's record"
                messages.success(
                    request, f"Revoked. {authorization.therapist_name} can no longer see {subject}."
                )
            return redirect(back)
        if log_posts:
            log_redisplay(request, patient)
    return render(
        request,
        "consents/sharing/revoke.html",
        {
            "patient": patient,
            "row": AuthorizationRow(authorization, status),
            "form": form,
            "back": back,
            "is_patient": is_patient,
        },
    )


# --- Staff ------------------------------------------------------------------------------------


@allowed(Action.OPEN_CHART)
def staff_list(request: HttpRequest, patient_id) -> HttpResponse:
    """The patient's authorisations for the clinic: who signed how, what, until when."""
    patient = get_patient(request, patient_id, Action.VIEW_AUTHORIZATIONS)
    return render(
        request,
        "consents/sharing/staff_list.html",
        {
            "patient": patient,
            "rows": authorization_rows(patient),
            "can_authorize": policy.can(request.user, Action.AUTHORIZE_SHARING, patient)
            and policy.can(request.user, Action.WITNESS_CONSENT, patient),
            "can_revoke": policy.can(request.user, Action.REVOKE_AUTHORIZATION, patient),
        },
    )


@allowed(Action.WITNESS_CONSENT)
def staff_authorize(request: HttpRequest, patient_id) -> HttpResponse:
    """The patient signs on the clinic tablet; the coordinator or clinician signed in is
    recorded as the witness."""
    patient = get_patient_for_form(request, patient_id, Action.AUTHORIZE_SHARING)
    back = reverse("sharing:staff_list", args=[patient.external_id])
    page = AuthorizePage(
        template="consents/sharing/authorize.html",
        method=SigningMethod.CLINIC_TABLET,
        cancel_url=back,
        context={"on_tablet": True},
    )
    outcome = _authorize(request, patient, page, log_posts=True)
    if isinstance(outcome, SharingAuthorization):
        messages.success(
            request,
            f"Signed on the clinic tablet, witnessed by you. {outcome.therapist_name} can now "
            "see what the patient chose.",
        )
        return redirect(back)
    return outcome


@allowed(Action.OPEN_CHART)
def staff_revoke(request: HttpRequest, patient_id, authorization_id) -> HttpResponse:
    patient = get_patient_for_form(request, patient_id, Action.REVOKE_AUTHORIZATION)
    authorization = _authorization_of(
        request, patient, authorization_id, Action.REVOKE_AUTHORIZATION
    )
    return _revoke(
        request,
        patient,
        authorization,
        back=reverse("sharing:staff_list", args=[patient.external_id]),
        log_posts=True,
    )


# --- The therapist ----------------------------------------------------------------------------


@dataclass
class AuthorizedPatient:
    """A patient on the therapist's home page, with the live authorisations naming them."""

    patient: Patient
    authorizations: list[SharingAuthorization] = field(default_factory=list)


def therapist_caseload(
    therapist, *, before: int | None = None, size: int | None = None
) -> tuple[list[AuthorizedPatient], int | None]:
    """The patients who authorised `therapist`, each with their live authorisations
    (scopes, expiry), by name; the newest authorisations first, `size` a page when given
    (from just before `before`, an authorisation's id, where the previous page ended), and
    where the next page starts. Two queries, bounded by the page: the page's newest live
    authorisations (through the index of a therapist's authorisations by id), then those
    patients' live authorisations naming the therapist, which let the therapist see them. A
    patient is on the page of their newest live authorisation."""
    live = SharingAuthorization.objects.live(timezone.now()).filter(therapist_id=therapist.pk)
    newest = live.order_by("-id")
    if before is not None:
        newest = newest.filter(id__lt=before)
    newest = newest.values_list("id", "patient_id")
    page = list(newest[: size + 1] if size is not None else newest)
    following = None
    if size is not None and len(page) > size:
        page = page[:size]
        following = page[-1][0]
    # The page's patients' live authorisations, read through the index of their patient
    # (a few rows each), and kept when they name this therapist: each is itself the grant
    # `policy.visible_patients` reads for a therapist. Filtering on the therapist in SQL
    # lets the planner read the whole caseload through the therapist's index instead (it
    # prices the page's patients as dearer than a caseload of a few hundred), as did a
    # semi-join with the policy's set of the therapist's patients.
    page_patients = {patient_id for _, patient_id in page}
    authorizations = (
        SharingAuthorization.objects.live(timezone.now())
        .filter(patient_id__in=page_patients)
        .select_related("patient")
        .order_by(
            Lower("patient__family_name"), Lower("patient__given_name"), "patient_id", "expires_at"
        )
    )
    caseload: dict[int, AuthorizedPatient] = {}
    for authorization in authorizations:
        if authorization.therapist_id != therapist.pk:
            continue
        entry = caseload.setdefault(
            authorization.patient_id, AuthorizedPatient(authorization.patient)
        )
        entry.authorizations.append(authorization)
    # On an earlier page: a newer live authorisation put the patient there.
    return [
        entry
        for entry in caseload.values()
        if before is None or max(a.pk for a in entry.authorizations) < before
    ], following


@allowed(Action.VIEW_SHARED_RECORD)
def shared_record(request: HttpRequest, patient_id) -> HttpResponse:
    """What the patient chose to share with this therapist, under a live authorisation
    (404 without one), shown in the patient's clinic's time zone."""
    patient = get_patient(request, patient_id, Action.VIEW_SHARED_RECORD)
    authorizations = list(
        SharingAuthorization.objects.live(timezone.now())
        .filter(therapist_id=request.user.pk, patient_id=patient.pk)
        .order_by("expires_at", "id")
    )
    granted = {scope for authorization in authorizations for scope in authorization.scopes}
    scopes = [Scope(scope) for scope in Scope.values if scope in granted]
    with timezone.override(patient.clinic.zone):
        today = timezone.localdate()
        return render(
            request,
            "consents/sharing/shared_record.html",
            {
                "patient": patient,
                "clinic": patient.clinic,
                "patient_age": patient.age_on(today),
                "authorizations": authorizations,
                "scopes": scopes,
                "scopes_without_data": [s for s in scopes if s not in shared.registered_scopes()],
                "sections": shared.sections_for(request, patient),
                # The therapist portal: a questionnaire link, within `measures`.
                "can_send_questionnaire": policy.can(
                    request.user, Action.SEND_MEASURE_AS_THERAPIST, patient
                ),
            },
        )
