"""API: an episode's ASKP3 conformance, as its report page shows it.

`GET /episodes/{id}/conformance` answers each element through `report.episode_conformance`,
the function the page uses. Clinic staff only; an episode out of reach or unknown answers
404, a role the policy does not allow 403. The read is logged."""

from django.http import HttpRequest
from ninja import Router, Schema

from kapcare.conformance.report import episode_conformance
from kapcare.episodes.access import get_episode
from kapcare.policy import Action

router = Router()


class ElementOut(Schema):
    element: str
    status: str
    detail: str
    url: str


@router.get(
    "/episodes/{episode_id}/conformance",
    response=list[ElementOut],
    tags=["conformance"],
    summary="An episode's ASKP3 conformance",
)
def episode_conformance_api(request: HttpRequest, episode_id: str) -> list[dict]:
    """Each ASKP3 element (docs/clinical-reference.md#askp3-conformance): `met`, `waived`
    (met under a clinician's waiver, with its reason), `not_met` or `not_applicable`, the
    detail in words and the page that fixes it."""
    episode = get_episode(request, episode_id, Action.VIEW_CONFORMANCE)
    return [
        {"element": e.element, "status": e.status, "detail": e.detail, "url": e.url}
        for e in episode_conformance(episode)
    ]
