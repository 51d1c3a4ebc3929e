"""What the directory adds to the apps below it: credential warnings on the episodes that
depend on a therapist and on KAP-model doses (through `episodes.warning_registry` and
`episodes.gate_registry`). This module sits above `episodes`; the directory's core
(`models`, `rules`, `services`, `invitations`) sits below it."""

from datetime import date, datetime

from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from kapcare.consents.models import SharingAuthorization
from kapcare.episodes import gate_registry, warning_registry
from kapcare.episodes.gate_registry import ExtraGate
from kapcare.therapists import rules
from kapcare.therapists.models import TherapistProfile
from kapcare.therapists.services import facts_of


def register() -> None:
    warning_registry.register(episode_warnings)
    gate_registry.register(therapist_gates)


# --- Warnings on the episodes that depend on a therapist, and on KAP doses -------------------

NOT_IN_DIRECTORY = "The outside therapist is not in the clinic's therapist directory."
THERAPIST_GATE = "therapist_credentials"


def _therapist_warnings(profile: TherapistProfile | None, clinic, today: date) -> list[str]:
    """The warnings of `clinic`'s own entry for the therapist (another clinic's entry, and
    what it verified, counts for nothing here)."""
    if profile is None or profile.clinic_id != clinic.pk:
        return [NOT_IN_DIRECTORY]
    return [
        f"Outside therapist: {warning}"
        for warning in rules.credential_warnings(
            facts_of(profile), today, clinic.licence_expiry_warning_days
        )
    ]


def _profiles_of(pairs) -> dict[tuple[int, int], TherapistProfile]:
    """The entries of the (clinic id, therapist id) `pairs`, by pair, in one query: each
    clinic's own entry for the therapist."""
    pairs = set(pairs)
    if not pairs:
        return {}
    wanted = Q()
    for clinic_id, user_id in pairs:
        wanted |= Q(clinic_id=clinic_id, user_id=user_id)
    return {
        (profile.clinic_id, profile.user_id): profile
        for profile in TherapistProfile.objects.filter(wanted)
    }


NOT_AUTHORISED = (
    "The patient has not authorised sharing with the outside therapist (or it has ended or "
    "been revoked): the therapist cannot see the record, record their sessions or message "
    "the clinic about the patient until the patient signs a sharing authorisation."
)


def episode_warnings(episodes: list, today: date) -> dict[int, list[str]]:
    """For `episodes.warning_registry`: the credential warnings of the outside therapist
    each KAP episode depends on, or that the therapist is not in the clinic's directory,
    and that the patient has not authorised sharing with them (the blended model needs it).
    Two queries whatever the number of episodes; each episode comes with its clinic."""
    named = [e for e in episodes if e.therapist_id is not None and e.is_kap]
    if not named:
        return {}
    profiles = _profiles_of((e.clinic_id, e.therapist_id) for e in named)
    authorised = SharingAuthorization.objects.live_pairs(
        (e.patient_id, e.therapist_id) for e in named
    )
    return {
        e.pk: [
            *_therapist_warnings(profiles.get((e.clinic_id, e.therapist_id)), e.clinic, today),
            *([] if (e.patient_id, e.therapist_id) in authorised else [NOT_AUTHORISED]),
        ]
        for e in named
    }


def therapist_gates(session, dose_at: datetime) -> list[ExtraGate]:
    """For `episodes.gate_registry`: a KAP-model dose relies on the outside therapist the
    episode names; their unverified or expired credentials are a warning on the dose (a
    pass to take note of, never a block: the clinic's own clinician gives the dose). One
    query; none for a standalone infusion or an episode that names no therapist."""
    episode = session.episode
    if not episode.is_kap or episode.therapist_id is None:
        return []
    clinic = session.patient.clinic
    dose_day = timezone.localdate(dose_at, clinic.zone)
    profile = _profiles_of([(clinic.pk, episode.therapist_id)]).get(
        (clinic.pk, episode.therapist_id)
    )
    warnings = _therapist_warnings(profile, clinic, dose_day)
    in_directory = profile is not None and profile.clinic_id == clinic.pk
    if in_directory:
        fix_url, fix_label = (
            reverse("therapists:detail", args=[profile.external_id]),
            "Open the therapist's directory entry",
        )
    else:
        fix_url, fix_label = reverse("therapists:create"), "Add the therapist to the directory"
    if warnings:
        message = " ".join(warnings)
    else:
        message = (
            "Licence and KAP training verified by the clinic; licence in force until "
            f"{rules.day_in_words(profile.licence_expires_on)}."
        )
    return [
        ExtraGate(
            rule=THERAPIST_GATE,
            title="Outside therapist's credentials",
            passed=True,
            warning=bool(warnings),
            message=message,
            fix_url=fix_url,
            fix_label=fix_label,
        )
    ]
