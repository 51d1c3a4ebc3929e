"""The record page's "Signature and addenda" part (its context function, listed in
`sections.PARTS`), the actions it posts to, and the patient's account of a session in the
portal.

Every action fetches the record through `access.get_record` with its own policy action;
the services write and log inside their transaction. A refused or invalid form shows the
record page again (422) with the message at the field and what was typed kept.
"""

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from kapcare import policy
from kapcare.accounts import step_up
from kapcare.audit.log import Actor, record_access
from kapcare.audit.models import AccessAction
from kapcare.decorators import allowed
from kapcare.dosing import recording
from kapcare.dosing.access import get_record
from kapcare.dosing.models import DosingRecord, PatientExperience
from kapcare.dosing.signing import pdf, services
from kapcare.dosing.signing.forms import AddendumForm, ExperienceForm, SignForm
from kapcare.dosing.summary.rules import DISSOCIATION_MAXIMUM
from kapcare.dosing.views import back_to_record, render_refused
from kapcare.episodes.access import get_session, log_redisplay, reading
from kapcare.episodes.models import SessionStatus
from kapcare.policy import Action
from kapcare.refusals import Refused, add_problems, submit

# --- The parts of the record page ---------------------------------------------------------


def signature_context(request: HttpRequest, record: DosingRecord) -> dict:
    """The signature, or what signing still needs; the addenda, oldest first. Two queries
    (the signer, the addenda with their authors), and one more while it can be signed
    (whether the clinician re-enters a code or the password)."""
    user = request.user
    can_sign = policy.can(user, Action.SIGN_DOSING_RECORD, record)
    return {
        "record": record,
        "signed_by": record.signed_by if record.is_signed else None,
        "missing": [] if record.is_signed else services.what_signing_needs(record),
        "can_sign": can_sign,
        "can_add_addendum": record.is_signed and policy.can(user, Action.ADD_ADDENDUM, record),
        "addenda": list(record.addenda.select_related("author").order_by("written_at", "id")),
        "addendum_form": AddendumForm(),
        # Whether to ask for a code or the password costs a query: only when it is asked.
        "sign_form": SignForm(user=user) if can_sign and not record.is_signed else None,
        "problems": [],
    }


# --- Actions on the record ----------------------------------------------------------------


@require_POST
@allowed(Action.SIGN_DOSING_RECORD)
def sign(request: HttpRequest, session_id) -> HttpResponse:
    """Sign, re-entering the password (and the current authenticator code) in the same
    form; a refusal is logged as a refused attempt on the record."""
    record = get_record(request, session_id, Action.SIGN_DOSING_RECORD, log_as=None)
    form = SignForm(request.POST, user=request.user)
    if not form.is_valid():
        log_refused_signature(request, record)
        return render_refused(request, record, signature={"sign_form": form})
    try:
        services.sign_record(
            actor=Actor.from_request(request),
            record=record,
            reauthentication=form.cleaned_data[step_up.FIELD],
        )
    except Refused as refusal:
        log_refused_signature(request, record)
        add_problems(form, only(refusal.problems, step_up.FIELD))
        problems = [v for k, v in refusal.problems.items() if k != step_up.FIELD]
        return render_refused(request, record, signature={"problems": problems, "sign_form": form})
    messages.success(request, "Record signed. Later changes are addenda.")
    return back_to_record(record, "#signature")


@require_POST
@allowed(Action.ADD_ADDENDUM)
def addendum(request: HttpRequest, session_id) -> HttpResponse:
    record = get_record(request, session_id, Action.ADD_ADDENDUM, log_as=None)
    form = AddendumForm(request.POST)

    def write(data):
        return services.add_addendum(
            actor=Actor.from_request(request), record=record, text=data["text"]
        )

    if submit(form, write) is not None:
        messages.success(request, "Addendum added to the signed record.")
        return back_to_record(record, "#signature")
    return render_refused(request, record, signature={"addendum_form": form})


@require_GET
@allowed(Action.VIEW_DOSING_RECORD)
def record_pdf(request: HttpRequest, session_id) -> HttpResponse:
    """The signed record as PDF, for whoever may read the record; logged as an export once
    made. A record not yet signed has no PDF: back to the record, saying so."""
    record = get_record(request, session_id, log_as=None)
    if not record.is_signed:
        messages.error(request, "Only a signed record can be downloaded: sign it first.")
        return back_to_record(record, "#signature")
    document = pdf.record_pdf(record)
    record_access(
        Actor.from_request(request), AccessAction.EXPORT, patient=record.patient, obj=record
    )
    response = HttpResponse(document, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{pdf.filename(record)}"'
    response["Cache-Control"] = "private, no-store"
    return response


def log_refused_signature(request: HttpRequest, record: DosingRecord) -> None:
    """A signature that was asked for and refused (a wrong password or code, or a record
    not ready): an attempt on the record, kept in the access log beside the view of the
    page shown again."""
    record_access(
        Actor.from_request(request),
        AccessAction.REFUSED,
        patient=record.patient,
        obj=record,
        path=request.path,
    )


def only(problems: dict[str, str], field: str) -> dict[str, str]:
    return {name: message for name, message in problems.items() if name == field}


# --- The patient's account, in the portal ---------------------------------------------------

OVER = {SessionStatus.MISSED, SessionStatus.CANCELLED}


@require_http_methods(["GET", "HEAD", "POST"])
@allowed(Action.RECORD_OWN_SESSION_EXPERIENCE)
def experience(request: HttpRequest, session_id) -> HttpResponse:
    """The patient's own dosing session: the form once it is done (once only), what they
    wrote after that, and a word to come back before it is. 404 for another patient's
    session, for a session that is not a dosing session, or one missed or cancelled."""
    session = get_session(
        request, session_id, Action.RECORD_OWN_SESSION_EXPERIENCE, log_as=reading(request)
    )
    if not session.is_dosing or session.status in OVER:
        raise Http404("No such dosing session.")
    account = PatientExperience.objects.filter(record__session_id=session.pk).first()
    form = None
    status = 200
    if session.is_done and account is None:
        form = ExperienceForm(request.POST if request.method == "POST" else None)
        if form.is_bound:

            def write(data):
                actor = Actor.from_request(request)
                return services.record_experience(
                    actor=actor,
                    record=recording.record_for(actor, session),
                    **data,
                )

            if submit(form, write) is not None:
                messages.success(request, "Thank you: the clinic has your account.")
                return redirect("portal:home")
            status = 422
    if request.method == "POST" and status == 200:
        status = 422  # nothing to write: not done yet, or already written
        messages.error(request, "Nothing was saved: see below.")
    if status == 422:
        log_redisplay(request, session)
    return render(
        request,
        "dosing/experience.html",
        {
            "session": session,
            "clinic": session.patient.clinic,
            "account": account,
            "form": form,
            "maximum": DISSOCIATION_MAXIMUM,
        },
        status=status,
    )
