"""The patient's journal in the portal: the list, a new entry, an entry to rewrite and to
share with one authorised therapist (or stop sharing). Only the patient reaches these
pages; the clinic's staff are refused (the journal is not part of the clinic's record)."""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from kapcare.audit.log import Actor
from kapcare.consents.models import SharingAuthorization
from kapcare.decorators import allowed
from kapcare.journal import services
from kapcare.journal.access import get_own_entry, log_redisplay, reading
from kapcare.journal.forms import EntryForm, ShareForm
from kapcare.journal.models import EntryKind, JournalEntry
from kapcare.patients.access import get_own_patient
from kapcare.patients.access import log_redisplay as log_patient_redisplay
from kapcare.policy import Action
from kapcare.refusals import Refused, add_problems, submit


@allowed(Action.KEEP_OWN_JOURNAL)
def entry_list(request: HttpRequest) -> HttpResponse:
    """The patient's own entries, newest first, each marked private or shared. Two
    queries after the patient's record, whatever the number of entries."""
    patient = get_own_patient(request, Action.KEEP_OWN_JOURNAL)
    entries = list(
        JournalEntry.objects.filter(patient_id=patient.pk)
        .select_related("dosing_session", "shared_with")
        .order_by("-created_at", "-id")
    )
    return render(
        request,
        "journal/list.html",
        {"patient": patient, "clinic": patient.clinic, "entries": entries},
    )


def _entry_data(form: EntryForm) -> services.EntryInput:
    return services.EntryInput(
        kind=form.cleaned_data["kind"],
        body=form.cleaned_data["body"],
        dosing_session=form.cleaned_data["dosing_session"],
    )


@require_http_methods(["GET", "HEAD", "POST"])
@allowed(Action.KEEP_OWN_JOURNAL)
def entry_new(request: HttpRequest) -> HttpResponse:
    patient = get_own_patient(request, Action.KEEP_OWN_JOURNAL, log_as=reading(request))
    doses = services.dose_choices(patient, timezone.now())
    zone = patient.clinic.zone
    if request.method != "POST":
        kind = request.GET.get("kind")
        initial = {"kind": kind} if kind in EntryKind.values else {}
        form = EntryForm(initial=initial, doses=doses, zone=zone)
        return render(request, "journal/entry_form.html", {"form": form, "entry": None})
    form = EntryForm(request.POST, doses=doses, zone=zone)

    def write(data):
        return services.create_entry(
            actor=Actor.from_request(request), patient=patient, data=_entry_data(form)
        )

    if submit(form, write) is not None:
        messages.success(request, "Saved in your journal. It is private.")
        return redirect("journal:list")
    log_patient_redisplay(request, patient)
    return render(request, "journal/entry_form.html", {"form": form, "entry": None}, status=422)


def _edit_page(request, entry, form, share_form, status=200) -> HttpResponse:
    return render(
        request,
        "journal/entry_form.html",
        {"form": form, "entry": entry, "share_form": share_form},
        status=status,
    )


def _share_form(entry, data=None) -> ShareForm:
    return ShareForm(data, therapists=SharingAuthorization.objects.therapists_of(entry.patient))


def _entry_form(entry, data=None) -> EntryForm:
    initial = {
        "kind": entry.kind,
        "body": entry.body,
        "dosing_session": str(entry.dosing_session.external_id) if entry.dosing_session else "",
    }
    return EntryForm(
        data,
        initial=initial,
        doses=services.dose_choices(entry.patient, timezone.now()),
        zone=entry.patient.clinic.zone,
        current=entry.dosing_session,
    )


@require_http_methods(["GET", "HEAD", "POST"])
@allowed(Action.KEEP_OWN_JOURNAL)
def entry_edit(request: HttpRequest, entry_id) -> HttpResponse:
    entry = get_own_entry(request, entry_id, log_as=reading(request))
    if request.method != "POST":
        return _edit_page(request, entry, _entry_form(entry), _share_form(entry))
    form = _entry_form(entry, request.POST)

    def write(data):
        return services.update_entry(
            actor=Actor.from_request(request), entry=entry, data=_entry_data(form)
        )

    if submit(form, write) is not None:
        messages.success(request, "Your entry is saved.")
        return redirect("journal:list")
    log_redisplay(request, entry)
    return _edit_page(request, entry, form, _share_form(entry), status=422)


@require_POST
@allowed(Action.KEEP_OWN_JOURNAL)
def entry_share(request: HttpRequest, entry_id) -> HttpResponse:
    entry = get_own_entry(request, entry_id, log_as=None)
    share_form = _share_form(entry, request.POST)
    try:
        services.share_entry(
            actor=Actor.from_request(request),
            entry=entry,
            therapist=request.POST.get("therapist", ""),
        )
    except Refused as refusal:
        share_form.errors.clear()
        add_problems(share_form, refusal.problems)
        log_redisplay(request, entry)
        return _edit_page(request, entry, _entry_form(entry), share_form, status=422)
    messages.success(request, f"Shared with {entry.shared_with.display_name}.")
    return redirect("journal:edit", entry_id=entry.external_id)


@require_POST
@allowed(Action.KEEP_OWN_JOURNAL)
def entry_unshare(request: HttpRequest, entry_id) -> HttpResponse:
    entry = get_own_entry(request, entry_id, log_as=None)
    services.unshare_entry(actor=Actor.from_request(request), entry=entry)
    messages.success(request, "This entry is private again.")
    return redirect("journal:edit", entry_id=entry.external_id)
