"""The therapist directory: the clinic's list and search, an entry's page with its
credentials and their verification, adding and changing an entry, the training
certificate; and the patient's "Find a therapist" (verified entries only).

The directory is professional information, not patient data: reading it writes no access
log row. The episodes that depend on a therapist name patients, so the entry's page logs
them as listed.
"""

from dataclasses import dataclass
from datetime import date, datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from kapcare import policy
from kapcare.audit.log import Actor, record_list_access
from kapcare.decorators import allowed
from kapcare.episodes.models import Episode
from kapcare.patients.access import parse_external_id
from kapcare.policy import Action
from kapcare.refusals import Refused, submit
from kapcare.therapists import services
from kapcare.therapists.forms import (
    CONTENT_TYPES,
    DirectoryEntryForm,
    DirectorySearchForm,
    FindATherapistForm,
    certificate_extension,
)
from kapcare.therapists.models import Credential, Modality, TherapistProfile


def _today(clinic) -> date:
    return timezone.localdate(timezone=clinic.zone)


def get_profile(request: HttpRequest, therapist_id, action: Action) -> TherapistProfile:
    """The entry with `therapist_id` in the user's clinic's directory, if the user may do
    `action` on it (404 for another clinic's entry; 403 for a role without the action)."""
    if not policy.can(request.user, action):
        raise PermissionDenied
    profile = (
        TherapistProfile.objects.select_related(
            "user",
            "clinic",
            "licence_verified_by",
            "training_verified_by",
            "askp3_verified_by",
        )
        .filter(external_id=parse_external_id(therapist_id), clinic_id=request.user.clinic_id)
        .first()
    )
    if profile is None or not policy.can(request.user, action, profile):
        raise Http404("No such therapist in the directory.")
    return profile


@dataclass(frozen=True)
class Entry:
    """One directory entry as a list shows it, judged on one day."""

    profile: TherapistProfile
    standing: services.Standing

    @property
    def status_label(self) -> str:
        return "Verified" if self.standing.is_verified else "Not verified"

    @property
    def badge(self) -> str:
        return "badge-ok" if self.standing.is_verified else "badge-warn"


def _entries(profiles, clinic) -> list[Entry]:
    today = _today(clinic)
    days = clinic.licence_expiry_warning_days
    return [Entry(p, services.standing_of(p, today, days)) for p in profiles]


# --- Staff: the directory -------------------------------------------------------------------


@allowed(Action.VIEW_THERAPIST_DIRECTORY)
def directory(request: HttpRequest) -> HttpResponse:
    clinic = request.user.clinic
    form = DirectorySearchForm(request.GET or None)
    criteria = form.cleaned_data if form.is_valid() else {}
    profiles = services.search_directory(
        clinic.pk,
        name=criteria.get("name", ""),
        place=criteria.get("place", ""),
        modality=criteria.get("modality", ""),
        verified_on=_today(clinic) if criteria.get("verified_only") else None,
    )
    return render(
        request,
        "therapists/directory.html",
        {
            "form": form,
            "searching": bool(criteria and any(criteria.values())),
            "entries": _entries(profiles, clinic),
            "can_manage": policy.can(request.user, Action.MANAGE_THERAPIST_DIRECTORY),
        },
    )


@dataclass(frozen=True)
class CredentialRow:
    credential: Credential
    facts: list[tuple[str, str]]
    verified_at: datetime | None
    verified_by: object
    fingerprint: str  # of the facts shown: what the Verify form vouches for
    problem: str = ""  # why verifying was just refused, shown at the form
    missing: str = ""  # why there is nothing to verify yet: no Verify button then


def _credential_rows(profile: TherapistProfile, problems=None) -> list[CredentialRow]:
    licence = [
        ("Type", profile.get_licence_type_display()),
        ("State", profile.licence_state),
        ("Number", profile.licence_number),
        ("Expires on", profile.licence_expires_on and f"{profile.licence_expires_on:%b %-d, %Y}"),
    ]
    training = [
        ("Programme", profile.training_programme),
        (
            "Completed on",
            profile.training_completed_on and f"{profile.training_completed_on:%b %-d, %Y}",
        ),
        ("Certificate", "On file" if profile.training_certificate else ""),
    ]
    askp3 = [("Member", "Yes" if profile.is_askp3_member else "No")]
    problems = problems or {}
    return [
        CredentialRow(
            credential,
            facts,
            getattr(profile, f"{prefix}_verified_at"),
            getattr(profile, f"{prefix}_verified_by"),
            services.credential_fingerprint(profile, credential),
            problems.get(credential, ""),
            services.nothing_to_verify(profile, credential),
        )
        for credential, prefix, facts in (
            (Credential.LICENCE, "licence", licence),
            (Credential.TRAINING, "training", training),
            (Credential.ASKP3, "askp3", askp3),
        )
    ]


@allowed(Action.VIEW_THERAPIST_DIRECTORY)
def detail(request: HttpRequest, therapist_id) -> HttpResponse:
    """The entry: contact, each credential with who verified it and when, what the clinic
    must act on, and the clinic's episodes that depend on the therapist."""
    profile = get_profile(request, therapist_id, Action.VIEW_THERAPIST_DIRECTORY)
    return _detail_page(request, profile)


def _detail_page(
    request: HttpRequest, profile: TherapistProfile, problems=None, status: int = 200
) -> HttpResponse:
    episodes = list(
        Episode.objects.filter(
            clinic_id=profile.clinic_id,
            therapist_id=profile.user_id,
            patient__in=policy.visible_patients(request.user),
        )
        .select_related("patient")
        .order_by("-created_at", "-id")
    )
    record_list_access(
        Actor.from_request(request), {e.patient_id: e.patient for e in episodes}.values()
    )
    user = request.user
    return render(
        request,
        "therapists/detail.html",
        {
            "profile": profile,
            "standing": _entries([profile], profile.clinic)[0].standing,
            "credentials": _credential_rows(profile, problems),
            "episodes": episodes,
            "can_manage": policy.can(user, Action.MANAGE_THERAPIST_DIRECTORY, profile),
            "can_verify": policy.can(user, Action.VERIFY_THERAPIST_CREDENTIAL, profile),
        },
        status=status,
    )


@require_POST
@allowed(Action.VERIFY_THERAPIST_CREDENTIAL)
def verify(request: HttpRequest, therapist_id, credential: str) -> HttpResponse:
    """Verify one credential: the facts the page showed, whose fingerprint the form posts.
    A refusal shows the entry again, as it now stands, with the reason at that form."""
    profile = get_profile(request, therapist_id, Action.VERIFY_THERAPIST_CREDENTIAL)
    if credential not in Credential.values:
        raise Http404("No such credential.")
    chosen = Credential(credential)
    try:
        services.verify_credential(
            actor=Actor.from_request(request),
            profile=profile,
            credential=chosen,
            fingerprint=request.POST.get("fingerprint", ""),
        )
    except Refused as refused:
        profile = get_profile(request, therapist_id, Action.VIEW_THERAPIST_DIRECTORY)
        problems = {chosen: f"{chosen.label} not verified: {refused.problems['credential']}"}
        return _detail_page(request, profile, problems, status=422)
    messages.success(request, f"{chosen.label} verified by you, now.")
    return redirect("therapists:detail", therapist_id=profile.external_id)


@allowed(Action.MANAGE_THERAPIST_DIRECTORY)
def create(request: HttpRequest) -> HttpResponse:
    posting = request.method == "POST"
    form = DirectoryEntryForm(request.POST if posting else None, request.FILES if posting else None)

    def write(data):
        return services.create_profile(
            actor=Actor.from_request(request),
            clinic=request.user.clinic,
            email=data["email"],
            full_name=data["full_name"],
            credentials=data["credentials"],
            data=form.profile_data(),
        )

    profile = submit(form, write) if posting else None
    if profile is not None:
        messages.success(request, f"{profile.user.full_name} added to the directory.")
        return redirect("therapists:detail", therapist_id=profile.external_id)
    return render(request, "therapists/entry_form.html", {"form": form, "profile": None})


@allowed(Action.MANAGE_THERAPIST_DIRECTORY)
def edit(request: HttpRequest, therapist_id) -> HttpResponse:
    profile = get_profile(request, therapist_id, Action.MANAGE_THERAPIST_DIRECTORY)
    posting = request.method == "POST"
    form = DirectoryEntryForm(
        request.POST if posting else None, request.FILES if posting else None, profile=profile
    )

    def write(data):
        return services.update_profile(
            actor=Actor.from_request(request),
            profile=profile,
            data={**form.profile_data(), **form.user_data()},
        )

    cleared = submit(form, write) if posting else None
    if cleared is not None:
        messages.success(request, "The directory entry is saved.")
        if cleared:
            names = " and ".join(
                c.label.lower() if c != Credential.ASKP3 else c.label
                for c in sorted(cleared, key=list(Credential).index)
            )
            messages.warning(
                request,
                f"The verification of the {names} was cleared because its facts "
                "changed: verify again once checked.",
            )
        return redirect("therapists:detail", therapist_id=profile.external_id)
    return render(request, "therapists/entry_form.html", {"form": form, "profile": profile})


@login_required
def certificate(request: HttpRequest, therapist_id) -> FileResponse:
    """The training certificate, as a download: for staff of the clinic whose directory
    lists the therapist, and for the therapist themself (`policy.can_read_therapist_profile`)."""
    user = request.user
    if not (
        policy.can(user, Action.VIEW_THERAPIST_DIRECTORY)
        or policy.can(user, Action.EDIT_OWN_THERAPIST_PROFILE)
    ):
        raise PermissionDenied
    profile = TherapistProfile.objects.filter(external_id=parse_external_id(therapist_id)).first()
    if profile is None or not policy.can_read_therapist_profile(user, profile):
        raise Http404("No such certificate.")
    if not profile.training_certificate:
        raise Http404("No certificate on file.")
    try:
        handle = profile.training_certificate.open("rb")
    except FileNotFoundError as missing:
        raise Http404("No certificate on file.") from missing
    # The type is told by the file's first bytes, as when it was uploaded.
    extension = certificate_extension(handle.read(8))
    handle.seek(0)
    if not extension:
        handle.close()
        raise Http404("No certificate on file.")
    return FileResponse(
        handle,
        as_attachment=True,
        filename=f"kap-training-certificate{extension}",
        content_type=CONTENT_TYPES[extension],
    )


# --- Patients: find a therapist -------------------------------------------------------------


@allowed(Action.FIND_A_THERAPIST)
def find(request: HttpRequest) -> HttpResponse:
    """The verified entries of the patient's clinic: accepting new patients first."""
    clinic = request.user.clinic
    form = FindATherapistForm(request.GET or None)
    modality = form.cleaned_data["modality"] if form.is_valid() else ""
    profiles = services.search_directory(clinic.pk, modality=modality, verified_on=_today(clinic))
    profiles.sort(key=lambda p: not p.is_accepting_patients)
    return render(
        request,
        "therapists/find.html",
        {
            "form": form,
            "profiles": profiles,
            "clinic": clinic,
            "modality": modality,
            "modality_label": Modality(modality).label if modality else "",
        },
    )
