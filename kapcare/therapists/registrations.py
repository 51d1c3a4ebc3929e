"""What the directory adds to the apps below it: credential warnings on the episodes that
depend on a therapist and on KAP-model doses (through `episodes.gates.warning_registry` and
`episodes.gates.registry`). This module sits above `episodes`; the directory's core
(`models`, `rules`, `services`, `invitations`) sits below it."""

from datetime import date, datetime

from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from kapcare.consents.models import SharingAuthorization
from kapcare.episodes.gates import registry as gate_registry
from kapcare.episodes.gates import warning_registry
from kapcare.episodes.gates.registry import ExtraGate
from kapcare.therapists import rules
from kapcare.therapists.models import TherapistProfile
from kapcare.therapists.services import facts_of


def register() -> None:
    warning_registry.register(episode_warnings)
    gate_registry.register(therapist_gates)


# --- Warnings on the episodes that depend on a therapist, and on KAP doses -------------------

NOT_IN_DIRECTORY = "The outside therapist is not in the clinic's therapist directory."


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
    """For `episodes.gates.warning_registry`: the credential warnings of the outside therapist
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


THERAPIST_IN_LOOP = "therapist_in_loop"


def therapist_gates(session, dose_at: datetime) -> list[ExtraGate]:
    """For `episodes.gates.registry`: a KAP-model dose needs a therapist in the loop
    (`rules.therapist_in_loop`): blocking, unless a clinician waives it with a reason; the
    credential warnings still show with it. Two queries; none for a standalone infusion."""
    return therapist_gates_for_doses([(session, dose_at)])[0]


def therapist_gates_for_doses(doses: list[tuple[object, datetime]]) -> list[list[ExtraGate]]:
    """`therapist_gates` for doses of one episode, each with its moment, in two queries
    whatever their number (the conformance report reads every dose of an episode)."""
    if not doses:
        return []
    session = doses[0][0]
    episode = session.episode
    if not episode.is_kap:
        return [[] for _ in doses]
    clinic = session.patient.clinic
    profile = (
        _profiles_of([(clinic.pk, episode.therapist_id)]).get((clinic.pk, episode.therapist_id))
        if episode.therapist_id is not None
        else None
    )
    authorisations = _authorisations(
        session.patient_id, episode.therapist_id, min(at for _, at in doses)
    )
    return [
        [_therapist_gate(episode, clinic, profile, _scopes_at(authorisations, at), at)]
        for _, at in doses
    ]


def _therapist_gate(episode, clinic, profile, scopes: frozenset, dose_at: datetime) -> ExtraGate:
    dose_day = timezone.localdate(dose_at, clinic.zone)
    blocks, notes = rules.therapist_in_loop(
        rules.LoopFacts(
            has_therapist=episode.therapist_id is not None,
            credentials=facts_of(profile) if profile is not None else None,
            authorised_scopes=scopes,
            dose_day=dose_day,
            training_required=clinic.kap_training_required,
            training_not_required_reason=clinic.kap_training_not_required_reason,
        )
    )
    warnings = (
        _therapist_warnings(profile, clinic, dose_day) if episode.therapist_id is not None else []
    )
    if profile is not None:
        fix_url, fix_label = (
            reverse("therapists:detail", args=[profile.external_id]),
            "Open the therapist's directory entry",
        )
    elif episode.therapist_id is not None:
        fix_url, fix_label = reverse("therapists:create"), "Add the therapist to the directory"
    else:
        fix_url, fix_label = (
            reverse("episodes:edit", args=[episode.external_id]),
            "Name the therapist on the episode",
        )
    if blocks:
        message = " ".join(blocks)
    else:
        message = " ".join(
            [
                "The therapist is authorised to see the schedule and session summaries, with "
                "licence and KAP training verified by the clinic.",
                *notes,
                *(warning for warning in warnings if "expires on" in warning),
            ]
        )
    return ExtraGate(
        rule=THERAPIST_IN_LOOP,
        title="Therapist in the loop",
        passed=not blocks,
        warning=bool(notes) or any("expires on" in warning for warning in warnings),
        message=message,
        fix_url=fix_url,
        fix_label=fix_label,
    )


def _authorisations(patient_id: int, therapist_id: int | None, since: datetime) -> list:
    """The patient's authorisations to the therapist live at `since` (one query)."""
    if therapist_id is None:
        return []
    return list(
        SharingAuthorization.objects.live(since).filter(
            patient_id=patient_id, therapist_id=therapist_id
        )
    )


def _scopes_at(authorisations: list, at: datetime) -> frozenset:
    """The scopes of `authorisations` still live at `at`."""
    return frozenset(
        scope
        for authorization in authorisations
        if authorization.status_on(at) == "active"
        for scope in authorization.scopes
    )
