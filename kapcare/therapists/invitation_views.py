"""Inviting an outside therapist, the page their link opens, and their own directory entry.

- `invite` (staff of the entry's clinic, POST): send or re-send the invitation.
- `accept` (public; the token in the link is the credential, as a password-reset link):
  confirm the entry, choose a password, and be signed in.
- `own_profile` (the therapist): keep their entries up to date (one per clinic listing
  them), typed once.

Directory entries are professional information, not patient data: these pages read and
write no patient record, so they write no access-log row; who invited is on the
invitation itself.
"""

from django.contrib import messages
from django.contrib.auth import login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from kapcare.audit.log import Actor
from kapcare.decorators import allowed
from kapcare.policy import Action
from kapcare.refusals import Refused, submit
from kapcare.therapists import invitations, services
from kapcare.therapists.invitation_forms import AcceptInvitationForm, OwnProfileForm
from kapcare.therapists.models import Credential, TherapistProfile
from kapcare.therapists.views import get_profile

# The sign-in backend for a therapist who has just proved they hold the link (axes'
# backend is for the sign-in form's credentials).
MODEL_BACKEND = "kapcare.accounts.backends.UserWithClinicBackend"


def _day(value) -> str:
    return f"{value:%B} {value.day}, {value.year}"


def _detail_url(profile: TherapistProfile) -> str:
    return reverse("therapists:detail", args=[profile.external_id])


@require_POST
@allowed(Action.INVITE_THERAPIST)
def invite(request: HttpRequest, therapist_id) -> HttpResponse:
    profile = get_profile(request, therapist_id, Action.INVITE_THERAPIST)
    try:
        invitation = invitations.invite_therapist(
            actor=Actor.from_request(request),
            profile=profile,
        )
    except Refused as refused:
        for message in refused.problems.values():
            messages.error(request, message)
    else:
        until = timezone.localtime(invitation.expires_at, profile.clinic.zone)
        messages.success(
            request, f"Invitation sent to {profile.user.email}, valid until {_day(until)}."
        )
    return redirect(_detail_url(profile))


def cleared_message(cleared, clinic) -> str:
    """What the therapist is told when their changes cleared verifications."""
    names = [credential.label for credential in Credential if credential in cleared]
    if not names:
        return ""
    listed = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
    return (
        f"You changed your {listed}: {clinic.name} will verify "
        f"{'it' if len(names) == 1 else 'them'} again. Until then the directory shows "
        f"{'it' if len(names) == 1 else 'them'} as not verified."
    )


@never_cache
@sensitive_post_parameters("password", "password_again")
def accept(request: HttpRequest, token: str) -> HttpResponse:
    """The page an invitation link opens: the entry to confirm and a password to choose."""
    try:
        invitation = invitations.invitation_for_token(token)
    except invitations.InvitationError as error:
        return _invitation_problem(request, error)
    profile = invitation.profile
    if request.method == "POST":
        form = AcceptInvitationForm(request.POST, request.FILES, profile=profile)

        def write(data):
            return invitations.accept_invitation(
                invitation=invitation,
                password=data["password"],
                profile_data=form.entry_data(),
            )

        try:
            acceptance = submit(form, write)
        except invitations.InvitationError as error:  # used or expired meanwhile
            return _invitation_problem(request, error)
        if acceptance is not None:
            login(request, acceptance.user, backend=MODEL_BACKEND)
            messages.success(
                request,
                f"Welcome, {acceptance.user.full_name}. Your password is set and your "
                f"entry in {profile.clinic.name}'s directory is confirmed.",
            )
            warning = cleared_message(acceptance.cleared, profile.clinic)
            if warning:
                messages.warning(request, warning)
            return redirect("therapist_home")
    else:
        form = AcceptInvitationForm(profile=profile)
    response = render(
        request,
        "therapists/invitation_accept.html",
        {"form": form, "profile": profile, "clinic": profile.clinic, "invitation": invitation},
    )
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


def _invitation_problem(request: HttpRequest, error: invitations.InvitationError) -> HttpResponse:
    """A clear page for a link that does not work: 404 unknown, 410 used, expired or
    replaced by a newer one; each says whom to ask for a new link."""
    invitation = error.invitation
    clinic = invitation.profile.clinic if invitation is not None else None
    return render(
        request,
        "therapists/invitation_problem.html",
        {"reason": error.reason, "clinic": clinic},
        status=404 if invitation is None else 410,
    )


def _names(clinics) -> str:
    names = [clinic.name for clinic in clinics]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


@allowed(Action.EDIT_OWN_THERAPIST_PROFILE)
def own_profile(request: HttpRequest) -> HttpResponse:
    """The therapist's own entries: one per clinic whose directory lists them. The facts
    are typed once and saved to every entry; each clinic's verifications are its own (and
    cleared, entry by entry, where the facts change). The form shows the entry changed
    last. A therapist whom no clinic has listed yet is told so."""
    entries = list(
        TherapistProfile.objects.select_related("user", "clinic")
        .filter(user_id=request.user.pk)
        .order_by("-updated_at", "-id")
    )
    if not entries:
        return render(request, "therapists/own_profile.html", {"profile": None})
    profile = entries[0]
    if request.method == "POST":
        form = OwnProfileForm(request.POST, request.FILES, profile=profile)

        def write(data):
            return services.update_own_entries(
                actor=Actor.from_request(request), profiles=entries, data=form.entry_data()
            )

        cleared = submit(form, write)
        if cleared is not None:
            messages.success(
                request,
                "Your directory entry is saved."
                if len(entries) == 1
                else f"Your entries in the directories of {_names(e.clinic for e in entries)}"
                " are saved.",
            )
            for entry in entries:
                warning = cleared_message(cleared[entry.pk], entry.clinic)
                if warning:
                    messages.warning(request, warning)
            return redirect("therapist_account:own_profile")
    else:
        form = OwnProfileForm(profile=profile)
    shown = [field for field in services.PROFILE_FIELDS if field != "training_certificate"]
    differing = [
        entry.clinic
        for entry in entries[1:]
        if any(getattr(entry, field) != getattr(profile, field) for field in shown)
    ]
    return render(
        request,
        "therapists/own_profile.html",
        {
            "profile": profile,
            "entries": entries,
            "form": form,
            "clinic": profile.clinic,
            "listed_by": _names(e.clinic for e in entries),
            "differing": _names(differing) if differing else "",
        },
    )
