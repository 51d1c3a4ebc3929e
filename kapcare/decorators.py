from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied

from kapcare import policy


def allowed(action: policy.Action):
    """A view for signed-in users whom the policy allows `action` (403 for the others).

    Object-level checks happen where the object is fetched (`get_patient` and friends).
    """

    def decorator(view):
        @login_required
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not policy.can(request.user, action):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        wrapped.policy_action = action
        return wrapped

    return decorator
