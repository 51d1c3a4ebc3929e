from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404

from kapcare import policy

# The URL arguments that name a patient-scoped record, and its model: a 403 answered here
# for one that exists is logged as a refused attempt, as the access helpers do.
PATIENT_RECORDS = {
    "patient_id": "patients.Patient",
    "episode_id": "episodes.Episode",
    "session_id": "episodes.CareSession",
    "thread_id": "messaging.Thread",
    "alert_id": "measures.SafetyAlert",
    "signature_id": "consents.Signature",
    "authorization_id": "consents.SharingAuthorization",
}


def _refusal(request, kwargs, refusal: Exception) -> Exception:
    from django.apps import apps

    from kapcare.patients.access import refused

    for argument, label in PATIENT_RECORDS.items():
        if argument in kwargs:
            records = apps.get_model(label).objects.all()
            if label != "patients.Patient":
                records = records.select_related("patient__clinic")
            return refused(request, records, kwargs[argument], refusal)
    return refusal


def refusal_for(user, action: policy.Action) -> Exception:
    """403, or 404 where the policy says the page does not exist for the user's role."""
    if policy.refused_as_not_found(user, action):
        return Http404("Not found.")
    return PermissionDenied()


def allowed(action: policy.Action):
    """A view for signed-in users whom the policy allows `action` (403 for the others, or
    404 for a role the page does not exist for, `policy.NOT_FOUND_FOR`; logged when the
    URL names a record that exists).

    Object-level checks happen where the object is fetched (`get_patient` and friends).
    """

    def decorator(view):
        @login_required
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not policy.can(request.user, action):
                raise _refusal(request, kwargs, refusal_for(request.user, action))
            return view(request, *args, **kwargs)

        wrapped.policy_action = action
        return wrapped

    return decorator
