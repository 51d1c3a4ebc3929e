"""API: `GET /drugs`, the drugs the clinic gives, for the clinic's screens and devices:
ketamine always, esketamine (Spravato, under its REMS) when the clinic enabled it. Clinic
staff only (a patient's or a therapist's token: 403). No patient is concerned, so nothing
is written to the access log."""

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from ninja import Router, Schema

from kapcare import policy
from kapcare.dosing.esketamine import services
from kapcare.policy import Action

router = Router(tags=["drugs"])


class DrugOut(Schema):
    id: str
    name: str
    routes: list[str]
    min_observation_minutes: int
    rems: bool


@router.get("/drugs", response=list[DrugOut], summary="The clinic's drugs")
def list_drugs(request: HttpRequest) -> list[dict]:
    """Each drug the clinic gives: its routes, the least observation before discharge
    (minutes after the dose ends), and whether it is given under a REMS."""
    if not policy.can(request.user, Action.VIEW_DRUGS) or request.user.clinic_id is None:
        raise PermissionDenied
    return services.drugs_of(request.user.clinic)
