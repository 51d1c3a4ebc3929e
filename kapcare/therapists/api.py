"""API: the therapist directory, with the same policy as the pages: staff read their
clinic's whole directory with its verification flags; a patient reads the verified entries
of their clinic; anyone else is refused (403). The directory is professional
information, not patient data: no access-log row."""

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.utils import timezone
from ninja import Router

from kapcare import policy
from kapcare.policy import Action
from kapcare.therapists import rules, services
from kapcare.therapists.models import TherapistProfile
from kapcare.therapists.schemas import TherapistOut

router = Router(tags=["therapists"])


def _out(profile: TherapistProfile, today) -> dict:
    facts = services.facts_of(profile)
    return {
        "id": profile.external_id,
        "name": profile.user.full_name,
        "credentials": profile.user.credentials,
        "email": profile.user.email,
        **{
            field: getattr(profile, field)
            for field in (
                "practice_name",
                "phone",
                "city",
                "state",
                "website",
                "licence_type",
                "licence_state",
                "licence_expires_on",
                "training_programme",
                "training_completed_on",
                "is_askp3_member",
                "modalities",
                "fee_per_session",
                "is_accepting_patients",
            )
        },
        "licence_verified": facts.licence_verified,
        "training_verified": facts.training_verified,
        "askp3_verified": facts.askp3_verified,
        "is_verified": rules.is_verified(facts, today),
    }


@router.get("/therapists", response=list[TherapistOut], summary="The therapist directory")
def list_therapists(request: HttpRequest) -> list[dict]:
    """Staff: every entry of the clinic's directory, in name order. Patients: the verified
    entries only, those accepting new patients first."""
    user = request.user
    staff = policy.can(user, Action.VIEW_THERAPIST_DIRECTORY)
    if not staff and not policy.can(user, Action.FIND_A_THERAPIST):
        raise PermissionDenied
    clinic = user.clinic
    today = timezone.localdate(timezone=clinic.zone)
    profiles = services.search_directory(clinic.pk, verified_on=None if staff else today)
    if not staff:
        profiles.sort(key=lambda p: not p.is_accepting_patients)
    return [_out(profile, today) for profile in profiles]
