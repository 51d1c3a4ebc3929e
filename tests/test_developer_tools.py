"""In production the API's documentation and Django's admin site, its sign-in page
included, answer "not found" to everyone but a signed-in clinic admin or superuser, exactly
as a path that does not exist does. The tests run with DEBUG off, as production does."""

import re

import pytest
from django.test import override_settings

from kapcare.accounts.models import Role
from kapcare.api import api
from tests.factories import UserFactory

API_DOCS = ["/api/v1/docs", "/api/v1/openapi.json"]
ADMIN_SITE = ["/django-admin/", "/django-admin/login/", "/django-admin", "/django-admin/accounts/"]


@pytest.fixture
def superuser(db):
    # A technical account whose clinical role is not admin: the superuser flag suffices.
    return UserFactory(role=Role.COORDINATOR, is_staff=True, is_superuser=True)


@pytest.mark.parametrize("path", API_DOCS + ADMIN_SITE)
def test_anonymous_visitor_gets_the_same_not_found_as_for_a_missing_path(client, db, path):
    missing = client.get("/api/v1/no-such-thing" if path.startswith("/api/") else "/no-such-page/")

    response = client.get(path)

    assert response.status_code == 404
    assert without_csrf_token(response) == without_csrf_token(missing)


def without_csrf_token(response) -> str:
    return re.sub(r'"X-CSRFToken": "[^"]*"', "", response.content.decode())


@pytest.mark.parametrize("role", ["coordinator", "clinician", "therapist", "patient_user"])
@pytest.mark.parametrize("path", API_DOCS + ADMIN_SITE)
def test_signed_in_non_admin_gets_not_found(client, request, role, path):
    client.force_login(request.getfixturevalue(role))

    assert client.get(path).status_code == 404


@pytest.mark.parametrize("path", API_DOCS)
def test_clinic_admin_reads_the_api_docs(client, clinic_admin, path):
    client.force_login(clinic_admin)

    assert client.get(path).status_code == 200


def test_clinic_admin_reaches_the_admin_site_which_applies_its_own_permissions(
    client, clinic_admin
):
    client.force_login(clinic_admin)

    # Not Django staff: the admin site itself asks for a staff account.
    response = client.get("/django-admin/")

    assert response.status_code == 302
    assert response["Location"].startswith("/django-admin/login/")
    assert client.get("/django-admin/login/").status_code == 200


def test_superuser_uses_the_admin_site(client, superuser):
    client.force_login(superuser)

    assert client.get("/django-admin/").status_code == 200
    assert client.get("/api/v1/docs").status_code == 200


def test_deactivated_admin_gets_not_found(client, clinic_admin):
    client.force_login(clinic_admin)
    clinic_admin.is_active = False
    clinic_admin.save(update_fields=["is_active"])

    assert client.get("/api/v1/docs").status_code == 404


@override_settings(DEBUG=True)
@pytest.mark.parametrize("path", ["/api/v1/docs", "/api/v1/openapi.json", "/django-admin/login/"])
def test_developers_machine_keeps_them_open(client, db, path):
    assert client.get(path).status_code == 200


def test_the_openapi_schema_stays_available_to_code(db):
    schema = api.get_openapi_schema()

    assert "/api/v1/patients" in schema["paths"]
