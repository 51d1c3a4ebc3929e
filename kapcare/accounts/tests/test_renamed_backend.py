"""A session signed in before the sign-in backend was renamed stays signed in after the
deploy that renames it, and from then on names the new backend."""

from django.contrib.auth import BACKEND_SESSION_KEY
from django.urls import reverse

from kapcare.accounts.middleware import RENAMED_BACKENDS

OLD = "django.contrib.auth.backends.ModelBackend"
PROFILE = "accounts:profile"


def _signed_in_with(client, user, backend: str):
    client.force_login(user, backend=backend)
    return client


def test_a_session_of_the_old_backend_stays_signed_in_and_names_the_new_one(
    client, settings, coordinator
):
    settings.AUTHENTICATION_BACKENDS = [*settings.AUTHENTICATION_BACKENDS, OLD]
    _signed_in_with(client, coordinator, OLD)
    settings.AUTHENTICATION_BACKENDS = [b for b in settings.AUTHENTICATION_BACKENDS if b != OLD]

    response = client.get(reverse(PROFILE))

    assert response.status_code == 200
    assert response.wsgi_request.user == coordinator
    assert client.session[BACKEND_SESSION_KEY] == RENAMED_BACKENDS[OLD]


def test_a_session_naming_an_unknown_backend_is_still_signed_out(client, settings, coordinator):
    settings.AUTHENTICATION_BACKENDS = [
        *settings.AUTHENTICATION_BACKENDS,
        "django.contrib.auth.backends.RemoteUserBackend",
    ]
    _signed_in_with(client, coordinator, "django.contrib.auth.backends.RemoteUserBackend")
    settings.AUTHENTICATION_BACKENDS = settings.AUTHENTICATION_BACKENDS[:-1]

    response = client.get(reverse(PROFILE))

    assert response.status_code == 302
