"""API: a dosing session's gates, as the gates page shows them.

`GET /dosing-sessions/{id}/gates` evaluates every rule through `gate_facts.gate_report`,
the function the page and the start use. Clinic staff only; a session out of reach or
unknown answers 404, a role the policy does not allow 403. The read is logged.
"""

from django.http import Http404, HttpRequest
from django.utils import timezone
from ninja import Router, Schema

from kapcare.episodes.access import get_session
from kapcare.episodes.gates import facts as gate_facts
from kapcare.policy import Action

router = Router()


class GateOut(Schema):
    rule: str
    passed: bool
    waived: bool
    reason: str


@router.get(
    "/dosing-sessions/{session_id}/gates",
    response=list[GateOut],
    tags=["dosing gates"],
    summary="A dosing session's gates",
)
def list_gates(request: HttpRequest, session_id: str) -> list[dict]:
    """Each rule that applies to the session's model of care (docs/clinical-reference.md#gates), in
    order: whether it passes, whether a clinician waived it, and the reason in words. While
    the session is ahead the rules are evaluated for its planned start."""
    session = get_session(request, session_id, Action.VIEW_DOSING_GATES)
    if not session.is_dosing:
        raise Http404("Only a dosing session has gates.")
    return [
        {"rule": g.rule, "passed": g.passed, "waived": g.waived, "reason": g.message}
        for g in gate_facts.evaluate_for_session(session, timezone.now())
    ]
