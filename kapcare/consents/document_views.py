"""Consent document pages: the admin's documents and versions, the patient's consents in
the portal (status, signing, withdrawing), the staff's view of a patient's consents with
signing on a clinic tablet, and a signed document as PDF.

Every page that shows a patient's consents fetches the patient through `get_patient` /
`get_own_patient` (policy and access log in one step); the writes go through `services`,
which log inside their transaction; a PDF is logged as an export.
"""

from dataclasses import dataclass

from django.contrib import messages
from django.db.models import Prefetch
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone

from kapcare import policy
from kapcare.accounts import step_up
from kapcare.audit.log import Actor, record_access, record_list_access
from kapcare.audit.models import AccessAction
from kapcare.consents import changes, pdf, rules, services
from kapcare.consents.document_forms import SignForm, VersionForm, WithdrawalForm
from kapcare.consents.impact import publication_impact
from kapcare.consents.markdown import render_markdown
from kapcare.consents.models import (
    TREATMENT_KINDS,
    ConsentDocument,
    ConsentVersion,
    DocumentKind,
    SharingAuthorization,
    Signature,
    SigningMethod,
    Withdrawal,
    sha256_hex,
)
from kapcare.decorators import allowed
from kapcare.patients.access import (
    get_own_patient,
    get_patient,
    get_patient_for_form,
    log_redisplay,
    parse_external_id,
)
from kapcare.patients.access import refused as refused_access
from kapcare.policy import Action
from kapcare.refusals import add_problems

CHANGED_WHILE_READING = (
    "The consent changed while you were reading it. Read the current text below, then tick "
    "the box and sign again."
)


# --- Helpers ----------------------------------------------------------------------------------


def _own_patient(request: HttpRequest, action: Action):
    """The signed-in patient's own record, logged as viewed on a GET only (a POST's write
    is logged by its service, or by `log_redisplay`)."""
    reading = request.method != "POST"
    return get_own_patient(request, action, log_as=AccessAction.VIEW if reading else None)


@dataclass(frozen=True)
class SignatureRow:
    """One signature as the lists show it, with what hangs off it."""

    signature: Signature
    withdrawal: Withdrawal | None
    authorization: SharingAuthorization | None
    is_latest_treatment: bool

    @property
    def is_treatment(self) -> bool:
        return self.signature.kind in TREATMENT_KINDS

    @property
    def sharing_status(self) -> str:
        """ "active", "expired" or "revoked" for an authorisation; "" otherwise."""
        if self.authorization is None:
            return ""
        return self.authorization.status_on(timezone.now())


def _signature_rows(patient) -> list[SignatureRow]:
    """Everything the patient signed, newest first, in one query."""
    signatures = (
        Signature.objects.filter(patient_id=patient.pk)
        .select_related(
            "version__document", "witnessed_by", "withdrawal__withdrawn_by", "authorization"
        )
        .order_by("-signed_at", "-id")
    )
    rows, latest_seen = [], False
    for signature in signatures:
        signature.patient = patient
        is_latest = signature.kind in TREATMENT_KINDS and not latest_seen
        latest_seen = latest_seen or is_latest
        rows.append(
            SignatureRow(
                signature=signature,
                withdrawal=getattr(signature, "withdrawal", None),
                authorization=getattr(signature, "authorization", None),
                is_latest_treatment=is_latest,
            )
        )
    return rows


def _status_context(patient) -> dict:
    status, latest, current = services.treatment_consent_status(patient)
    return {"status": status, "latest": latest, "current": current}


# Where a refused attempt on a signature finds its patient (`patients.access.refused`).
SIGNATURES = Signature.objects.select_related("patient__clinic")


def _treatment_signature(request: HttpRequest, patient, signature_id) -> Signature:
    """One of `patient`'s treatment signatures (sharing authorisations are revoked on their
    own pages, not withdrawn), or 404 (logged as refused when the signature exists)."""
    signature = (
        Signature.objects.select_related("version__document", "withdrawal__withdrawn_by")
        .filter(
            external_id=parse_external_id(signature_id),
            patient_id=patient.pk,
            kind__in=TREATMENT_KINDS,
        )
        .first()
    )
    if signature is None:
        raise refused_access(request, SIGNATURES, signature_id, Http404("No such signature."))
    signature.patient = patient
    return signature


# --- Admin: documents and versions ------------------------------------------------------------


def _clinic_document(request: HttpRequest, document_id) -> ConsentDocument:
    document = ConsentDocument.objects.filter(
        clinic_id=request.user.clinic_id, external_id=parse_external_id(document_id)
    ).first()
    if document is None:
        raise Http404("No such document.")
    return document


DOCUMENT_ORDER = {DocumentKind.TREATMENT: 0, DocumentKind.STANDALONE: 1, DocumentKind.SHARING: 2}


@allowed(Action.MANAGE_CONSENT_TEMPLATES)
def document_list(request: HttpRequest) -> HttpResponse:
    """The clinic's documents, each with every version ever published (none is deleted:
    signatures point at them)."""
    clinic = request.user.clinic
    services.ensure_default_documents(clinic)
    documents = sorted(
        ConsentDocument.objects.filter(clinic_id=clinic.pk).prefetch_related(
            Prefetch(
                "versions",
                queryset=ConsentVersion.objects.select_related("published_by").order_by("-number"),
            )
        ),
        key=lambda d: DOCUMENT_ORDER.get(d.kind, 9),
    )
    return render(request, "consents/documents/document_list.html", {"documents": documents})


@allowed(Action.MANAGE_CONSENT_TEMPLATES)
def version_detail(request: HttpRequest, version_id) -> HttpResponse:
    version = (
        ConsentVersion.objects.select_related("document", "published_by")
        .filter(
            external_id=parse_external_id(version_id),
            document__clinic_id=request.user.clinic_id,
        )
        .first()
    )
    if version is None:
        raise Http404("No such version.")
    latest_number = (
        ConsentVersion.objects.filter(document_id=version.document_id)
        .order_by("-number")
        .values_list("number", flat=True)
        .first()
    )
    return render(
        request,
        "consents/documents/version_detail.html",
        {
            "version": version,
            "document": version.document,
            "is_latest": version.number == latest_number,
            "html": render_markdown(version.body_markdown, heading_offset=1),
            "unknown_placeholders": rules.unknown_placeholders(version.body_markdown),
        },
    )


def _preview_context(body: str, clinic) -> dict:
    """The text as a patient reads it, filled with a sample patient's particulars; an
    unknown placeholder stays as typed, and is named above the preview."""
    sample = rules.sample_particulars(clinic.name, clinic.phone)
    return {
        "preview_html": render_markdown(rules.fill_placeholders(body, sample), heading_offset=1),
        "sample_patient": rules.SAMPLE_PARTICULARS["patient_name"],
        "unknown_placeholders": rules.unknown_placeholders(body),
        "has_preview": True,
    }


@allowed(Action.MANAGE_CONSENT_TEMPLATES)
def new_version(request: HttpRequest, document_id) -> HttpResponse:
    """Write the next version from the current text, preview it, publish it.

    Preview answers only the preview to htmx, and the whole page (with everything typed
    kept) to a plain form post, so it works without JavaScript."""
    document = _clinic_document(request, document_id)
    current = document.versions.order_by("-number").first()
    context = {
        "document": document,
        "current": current,
        "placeholders": rules.PLACEHOLDERS.items(),
    }
    if request.method == "POST" and "preview" in request.POST:
        body = request.POST.get("body_markdown", "")
        context.update(_preview_context(body, document.clinic))
        if request.headers.get("HX-Request"):
            return render(request, "consents/documents/_preview.html", context)
        # Unbound, with what was typed as its initial values: a preview is not a submission,
        # so it shows no errors yet.
        context["form"] = VersionForm(
            user=request.user,
            initial={
                "body_markdown": body,
                "change_summary": request.POST.get("change_summary", ""),
                "requires_reconsent": "requires_reconsent" in request.POST,
            },
        )
        context["impact"] = _impact(request, document)
        return render(request, "consents/documents/new_version.html", context)
    if request.method == "POST":
        form = VersionForm(request.POST, user=request.user)
        if form.is_valid():
            try:
                version = services.publish_version(
                    actor=Actor.from_request(request),
                    document=document,
                    body_markdown=form.cleaned_data["body_markdown"],
                    requires_reconsent=form.cleaned_data["requires_reconsent"],
                    change_summary=form.cleaned_data["change_summary"],
                    reauthentication=form.cleaned_data[step_up.FIELD],
                )
            except services.Refused as refused:
                add_problems(form, refused.problems)
            else:
                messages.success(
                    request,
                    f"{document.title}: version {version.number} is published"
                    + (
                        "; patients who signed an earlier version will be asked to sign again."
                        if version.requires_reconsent
                        else "."
                    ),
                )
                return redirect("consents:documents")
        context.update(_preview_context(request.POST.get("body_markdown", ""), document.clinic))
    else:
        form = VersionForm(
            user=request.user,
            initial={
                "body_markdown": current.body_markdown if current else "",
                "requires_reconsent": True,
            },
        )
    context["form"] = form
    context["impact"] = _impact(request, document)
    return render(request, "consents/documents/new_version.html", context)


def _impact(request: HttpRequest, document: ConsentDocument):
    """What publishing will do (patients to sign again, the doses the consent gate will
    block), shown before the admin confirms; the patients named are logged as listed."""
    impact = publication_impact(document, timezone.now())
    record_list_access(Actor.from_request(request), impact.patient_records)
    return impact


# --- Signing (portal and clinic tablet) -------------------------------------------------------


def _sign_page(request: HttpRequest, patient, *, method: str, done_url: str, back_url: str):
    """The exact text to sign and the signature form, for the portal and the tablet alike."""
    on_tablet = method == SigningMethod.CLINIC_TABLET
    version = services.treatment_version_for(patient)
    text = services.text_to_sign(version, patient)
    text_hash = sha256_hex(text)
    form = SignForm(
        request.POST if request.method == "POST" else None,
        patient=patient,
        on_tablet=on_tablet,
        initial={"text_sha256": text_hash},
    )
    if request.method == "POST":
        if request.POST.get("text_sha256", "") != text_hash:
            form = _stale_sign_form(request, patient, on_tablet, text_hash)
        elif form.is_valid():
            try:
                services.sign_treatment_consent(
                    actor=Actor.from_request(request),
                    patient=patient,
                    version=version,
                    signer=services.SignatureInput(
                        typed_name=form.cleaned_data["typed_name"],
                        agreed=form.cleaned_data["agreed"],
                        user_agent=request.headers.get("User-Agent", ""),
                        method=method,
                    ),
                    expected_sha256=form.cleaned_data["text_sha256"],
                )
            except services.Refused as refused:
                version = services.treatment_version_for(patient)
                text = services.text_to_sign(version, patient)
                if sha256_hex(text) != text_hash:
                    form = _stale_sign_form(request, patient, on_tablet, sha256_hex(text))
                else:
                    add_problems(form, refused.problems)
            else:
                messages.success(
                    request,
                    "The patient signed the consent. Please take the tablet back."
                    if on_tablet
                    else "Thank you: you signed the consent. A copy is in the list below.",
                )
                return redirect(done_url)
        log_redisplay(request, patient)
    status = _status_context(patient)
    return render(
        request,
        "consents/documents/sign.html",
        {
            "patient": patient,
            "version": version,
            "document_html": render_markdown(text, heading_offset=1),
            "changes": _changes_since_signed(status["latest"], version, text),
            "form": form,
            "on_tablet": on_tablet,
            "for_patient": True,  # the patient reads this page, on the tablet too
            "back_url": back_url,
            **status,
            # On a clinic tablet the patient holds the staff member's session: keep the
            # main menu (the patient list, the alerts) out of their way.
            **({"nav_items": []} if on_tablet else {}),
        },
    )


def _changes_since_signed(latest: Signature | None, version: ConsentVersion, text: str):
    """What the text to sign changed, in words, from the one the patient signed last (a
    re-consent); None when they have not signed, or signed this very version."""
    if latest is None or latest.version_id == version.pk:
        return None
    return {
        "from_number": latest.version.number,
        "signed_at": latest.signed_at,
        "changes": changes.markdown_word_changes(latest.signed_text, text),
        "summary": version.change_summary,
    }


def _stale_sign_form(request: HttpRequest, patient, on_tablet: bool, text_hash: str) -> SignForm:
    """The text changed under the signer: keep the typed name, point the form at the text
    now shown, and ask for the agreement again (it was given to other words)."""
    data = request.POST.copy()
    data["text_sha256"] = text_hash
    data.pop("agreed", None)
    form = SignForm(data, patient=patient, on_tablet=on_tablet)
    form.is_valid()
    form.add_error(None, CHANGED_WHILE_READING)
    return form


# --- Withdrawing ------------------------------------------------------------------------------


def _withdraw_page(request: HttpRequest, patient, signature_id, *, for_staff: bool, back_url):
    signature = _treatment_signature(request, patient, signature_id)
    withdrawal = getattr(signature, "withdrawal", None)
    form = WithdrawalForm(request.POST if request.method == "POST" else None, for_staff=for_staff)
    if request.method == "POST":
        if withdrawal is None and form.is_valid():
            try:
                services.withdraw(
                    actor=Actor.from_request(request),
                    signature=signature,
                    reason=form.cleaned_data["reason"],
                )
            except services.Refused as refused:
                add_problems(form, refused.problems)
            else:
                messages.success(
                    request,
                    "The withdrawal is recorded. The signed consent stays on record."
                    if for_staff
                    else "Your consent is withdrawn. Your care team will be in touch.",
                )
                return redirect(back_url)
        log_redisplay(request, patient)
    return render(
        request,
        "consents/documents/withdraw.html",
        {
            "patient": patient,
            "signature": signature,
            "withdrawal": withdrawal,
            "form": form,
            "for_staff": for_staff,
            "back_url": back_url,
        },
    )


# --- The patient's portal ---------------------------------------------------------------------


@allowed(Action.USE_PATIENT_PORTAL)
def portal_consents(request: HttpRequest) -> HttpResponse:
    """The patient's treatment consent status and everything they signed."""
    patient = _own_patient(request, Action.VIEW_CONSENTS)
    return render(
        request,
        "consents/documents/portal_consents.html",
        {
            "patient": patient,
            "rows": _signature_rows(patient),
            "can_sign": policy.can(request.user, Action.SIGN_OWN_CONSENT, patient),
            "can_withdraw": policy.can(request.user, Action.WITHDRAW_CONSENT, patient),
            **_status_context(patient),
        },
    )


@allowed(Action.SIGN_OWN_CONSENT)
def portal_sign(request: HttpRequest) -> HttpResponse:
    patient = _own_patient(request, Action.SIGN_OWN_CONSENT)
    url = reverse("consents:portal_consents")
    return _sign_page(request, patient, method=SigningMethod.PORTAL, done_url=url, back_url=url)


@allowed(Action.USE_PATIENT_PORTAL)
def portal_withdraw(request: HttpRequest, signature_id) -> HttpResponse:
    patient = _own_patient(request, Action.WITHDRAW_CONSENT)
    return _withdraw_page(
        request,
        patient,
        signature_id,
        for_staff=False,
        back_url=reverse("consents:portal_consents"),
    )


# --- Staff: a patient's consents --------------------------------------------------------------


@allowed(Action.OPEN_CHART)
def patient_consents(request: HttpRequest, patient_id) -> HttpResponse:
    """A patient's consent status and signatures, as the clinic sees them (part of the
    chart, so staff only; the patient has the portal page)."""
    patient = get_patient(request, patient_id, Action.VIEW_CONSENTS)
    return render(
        request,
        "consents/documents/patient_consents.html",
        {
            "patient": patient,
            "rows": _signature_rows(patient),
            "can_witness": policy.can(request.user, Action.WITNESS_CONSENT, patient),
            "can_withdraw": policy.can(request.user, Action.WITHDRAW_CONSENT, patient),
            **_status_context(patient),
        },
    )


@allowed(Action.WITNESS_CONSENT)
def tablet_sign(request: HttpRequest, patient_id) -> HttpResponse:
    """The patient signs on a clinic tablet; the signed-in staff member is the witness."""
    patient = get_patient_for_form(request, patient_id, Action.WITNESS_CONSENT)
    url = reverse("consents:patient_consents", args=[patient.external_id])
    return _sign_page(
        request, patient, method=SigningMethod.CLINIC_TABLET, done_url=url, back_url=url
    )


@allowed(Action.OPEN_CHART)
def patient_withdraw(request: HttpRequest, patient_id, signature_id) -> HttpResponse:
    """Staff record a withdrawal the patient asked for (in person, by phone, in writing)."""
    patient = get_patient_for_form(request, patient_id, Action.WITHDRAW_CONSENT)
    return _withdraw_page(
        request,
        patient,
        signature_id,
        for_staff=True,
        back_url=reverse("consents:patient_consents", args=[patient.external_id]),
    )


# --- PDF --------------------------------------------------------------------------------------


@allowed(Action.VIEW_CONSENTS)
def signature_pdf(request: HttpRequest, signature_id) -> HttpResponse:
    """A signed document as PDF, for the patient and their clinic's staff. Unknown
    signatures and those out of reach both answer 404."""
    patient_external_id = (
        Signature.objects.filter(
            external_id=parse_external_id(signature_id),
            patient__in=policy.visible_patients(request.user),
        )
        .values_list("patient__external_id", flat=True)
        .first()
    )
    if patient_external_id is None:
        raise refused_access(request, SIGNATURES, signature_id, Http404("No such signature."))
    # Logged below as an export, once the document is made.
    patient = get_patient(request, patient_external_id, Action.VIEW_CONSENTS, log_as=None)
    signature = (
        Signature.objects.select_related(
            "version__document", "witnessed_by", "withdrawal__withdrawn_by", "authorization"
        )
        .filter(external_id=parse_external_id(signature_id), patient_id=patient.pk)
        .first()
    )
    if signature is None:
        raise Http404("No such signature.")
    signature.patient = patient
    if not policy.can(request.user, Action.VIEW_CONSENTS, signature):
        raise Http404("No such signature.")
    document = pdf.signature_pdf(signature)
    record_access(Actor.from_request(request), AccessAction.EXPORT, patient=patient, obj=signature)
    response = HttpResponse(document, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{pdf.filename(signature)}"'
    response["Cache-Control"] = "private, no-store"
    return response
