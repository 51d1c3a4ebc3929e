"""Django's password backend, loading the signed-in user with their clinic.

Every signed-in request reads the user from the session, and the middleware that shows
times in the clinic's zone then reads the clinic (as do the policy and most pages): one
join instead of a second query on every request.
"""

from django.contrib.auth.backends import ModelBackend

from kapcare.accounts.models import User


class UserWithClinicBackend(ModelBackend):
    def get_user(self, user_id):
        user = User._default_manager.select_related("clinic").filter(pk=user_id).first()
        return user if user is not None and self.user_can_authenticate(user) else None
