"""Message pages: the inbox (every role that may), a thread with its reply form, and a new
thread from the clinic (about a patient, to the patient or a therapist), from a therapist
(to the clinic, about a patient they are authorised for) and from a patient (to their
clinic).

Threads are fetched through `access.get_thread` and patients through
`patients.access` (policy in the same step; 404 out of reach); every write goes through
`services`, which logs it in its transaction; reading a thread logs the read and marks
it read (`services.read_thread`). The forms work without JavaScript.
"""

from django.contrib import messages as flash
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from kapcare import policy
from kapcare.accounts.models import Role
from kapcare.audit.log import Actor, record_list_access
from kapcare.audit.models import AccessAction
from kapcare.consents.models import SharingAuthorization
from kapcare.decorators import allowed
from kapcare.messaging import services
from kapcare.messaging.access import get_thread
from kapcare.messaging.forms import ClinicThreadForm, MessageForm, ThreadForm
from kapcare.messaging.models import ThreadKind
from kapcare.pagination import keyset_page
from kapcare.patients import access as patient_access
from kapcare.policy import Action
from kapcare.refusals import Refused, add_problems, submit

PAGE_SIZE = 50


# --- The inbox -------------------------------------------------------------------------------


@allowed(Action.VIEW_MESSAGES)
def inbox(request: HttpRequest) -> HttpResponse:
    """The threads the user may read, newest first, with their unread messages, a page at
    a time (keyset: no count of every thread); the patients named on the page are logged
    as listed (one insert). Fixed queries."""
    user = request.user
    cursor = request.GET.get("before")
    shown, older = keyset_page(
        services.threads_for_list(user), cursor, by="last_message_at", size=PAGE_SIZE
    )
    patients = {thread.patient_id: thread.patient for thread in shown}
    record_list_access(Actor.from_request(request), patients.values())
    return render(
        request,
        "messaging/inbox.html",
        {
            "threads": shown,
            "older": older,
            "is_first_page": not cursor,
            "shows_patient": user.role != Role.PATIENT,
            "viewer_is_staff": user.role in policy.STAFF,
            "new_url_name": "messaging:portal_new" if user.role == Role.PATIENT else None,
        },
    )


# --- A thread --------------------------------------------------------------------------------


@allowed(Action.VIEW_MESSAGES)
def thread(request: HttpRequest, thread_id) -> HttpResponse:
    """The thread's messages, oldest first, and a reply form while the user may write
    there; a reply is posted to this same address."""
    posting = request.method == "POST"
    action = Action.SEND_MESSAGE if posting else Action.VIEW_MESSAGES
    current = get_thread(request, thread_id, action)
    form = MessageForm(request.POST if posting else None)

    def write(data):
        return services.post_message(
            actor=Actor.from_request(request),
            thread=current,
            body=data["body"],
        )

    if posting and submit(form, write) is not None:
        flash.success(request, "Message sent.")
        return redirect("messaging:thread", thread_id=current.external_id)
    thread_messages, earlier = services.read_thread(
        actor=Actor.from_request(request), thread=current, cursor=request.GET.get("cursor")
    )
    user = request.user
    return render(
        request,
        "messaging/thread.html",
        {
            "thread": current,
            "patient": current.patient,
            "thread_messages": thread_messages,
            "earlier": earlier,
            "form": form,
            "can_reply": posting or services.can_reply(user, current),
            "shows_patient": user.role != Role.PATIENT,
            "zone": current.clinic.time_zone,
        },
    )


# --- New threads -----------------------------------------------------------------------------


def _start(request, form, patient, *, kind, therapist=None, field_names=None):
    """Start the thread from a valid form; the thread, or None with the refusal placed at
    the form's fields."""
    try:
        return services.start_thread(
            actor=Actor.from_request(request),
            patient=patient,
            kind=kind,
            therapist=therapist,
            subject=form.cleaned_data["subject"],
            body=form.cleaned_data["body"],
        )
    except Refused as refused:
        names = field_names or {}
        add_problems(form, {names.get(k, k): v for k, v in refused.problems.items()})
        return None


def _sent(request, started) -> HttpResponse:
    flash.success(request, "Message sent.")
    return redirect("messaging:thread", thread_id=started.external_id)


def _new_thread_page(request, patient, form, *, recipient, page: dict) -> HttpResponse:
    """The new-thread form of any side: `recipient(cleaned_data)` says to whom (kind,
    therapist, and where a refusal about the therapist is shown); a refused or invalid form
    is shown again, logged as a view of the patient."""
    if request.method == "POST":
        if form.is_valid():
            kind, therapist, field_names = recipient(form.cleaned_data)
            started = _start(
                request, form, patient, kind=kind, therapist=therapist, field_names=field_names
            )
            if started is not None:
                return _sent(request, started)
        patient_access.log_redisplay(request, patient)
    return render(request, "messaging/thread_form.html", {"form": form, "patient": patient, **page})


@allowed(Action.OPEN_CHART)
def staff_new(request: HttpRequest, patient_id) -> HttpResponse:
    """The clinic writes about a patient: to the patient, or to a therapist holding a live
    authorisation from them."""
    patient = patient_access.get_patient_for_form(request, patient_id, Action.SEND_MESSAGE)
    form = ClinicThreadForm(
        request.POST if request.method == "POST" else None,
        patient=patient,
        therapists=SharingAuthorization.objects.therapists_of(patient),
    )
    return _new_thread_page(
        request,
        patient,
        form,
        recipient=lambda data: (*data["recipient"], {"therapist": "recipient"}),
        page={
            "heading": f"New message about {patient.display_name}",
            "cancel_url": "patients:chart",
            "shows_patient": True,
        },
    )


@allowed(Action.VIEW_SHARED_RECORD)
def therapist_new(request: HttpRequest, patient_id) -> HttpResponse:
    """A therapist writes to the patient's clinic about them, under a live authorisation
    (404 without one)."""
    patient = patient_access.get_patient_for_form(request, patient_id, Action.SEND_MESSAGE)
    form = ThreadForm(request.POST if request.method == "POST" else None)
    return _new_thread_page(
        request,
        patient,
        form,
        recipient=lambda data: (ThreadKind.THERAPIST, request.user, {"therapist": "__all__"}),
        page={
            "heading": f"Write to {patient.clinic.name} about {patient.display_name}",
            "cancel_url": "sharing:shared_record",
            "shows_patient": True,
        },
    )


@allowed(Action.USE_PATIENT_PORTAL)
def portal_new(request: HttpRequest) -> HttpResponse:
    """A patient writes to their clinic."""
    reading = request.method != "POST"
    patient = patient_access.get_own_patient(
        request, Action.SEND_MESSAGE, log_as=AccessAction.VIEW if reading else None
    )
    form = ThreadForm(request.POST if request.method == "POST" else None)
    return _new_thread_page(
        request,
        patient,
        form,
        recipient=lambda data: (ThreadKind.PATIENT, None, None),
        page={
            "heading": f"Write to {patient.clinic.name}",
            "cancel_url": None,
            "shows_patient": False,
        },
    )
