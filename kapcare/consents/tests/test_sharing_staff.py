"""The staff sharing pages under the chart: the patient's authorisations, revoking one (who
did it is recorded), and signing a new one on the clinic tablet with the staff member as
witness. And every role on every sharing page."""

import pytest
from django.urls import reverse

from kapcare.accounts.models import Role
from kapcare.audit.models import AccessAction, AccessLogEntry
from kapcare.consents.models import SharingAuthorization, SigningMethod
from kapcare.consents.tests.test_sharing_portal import details, sign
from kapcare.scopes import Scope
from tests.factories import PatientFactory, UserFactory, authorize

OK, DENIED, MISSING = 200, 403, 404

ROLES = ["coordinator", "clinician", "clinic_admin", "therapist", "patient_user", "outsider"]


def row(*statuses):
    """Expected status per persona, in the order of ROLES (as tests/test_policy_matrix.py)."""
    return dict(zip(ROLES, statuses, strict=True))


# url name -> (URL parameters, expected status per persona, the therapist not authorised).
# The same rows are proposed for tests/test_policy_matrix.py.
PAGES = {
    "sharing:portal_list": ((), row(DENIED, DENIED, DENIED, DENIED, OK, DENIED)),
    "sharing:portal_authorize": ((), row(DENIED, DENIED, DENIED, DENIED, OK, DENIED)),
    "sharing:portal_revoke": (
        ("authorization_id",),
        row(DENIED, DENIED, DENIED, DENIED, OK, DENIED),
    ),
    "sharing:staff_list": (("patient_id",), row(OK, OK, OK, DENIED, DENIED, MISSING)),
    "sharing:staff_authorize": (("patient_id",), row(OK, OK, DENIED, DENIED, DENIED, MISSING)),
    "sharing:staff_revoke": (
        ("patient_id", "authorization_id"),
        row(OK, OK, OK, DENIED, DENIED, MISSING),
    ),
    "sharing:shared_record": (
        ("patient_id",),
        row(DENIED, DENIED, DENIED, MISSING, DENIED, DENIED),
    ),
}
ROLE_CASES = [(name, persona) for name, (_, expected) in PAGES.items() for persona in expected]


@pytest.fixture
def authorization(patient, coordinator):
    """Given on the clinic tablet to a therapist who is not the `therapist` persona, so
    that the persona stays without authorisation."""
    colleague = UserFactory(
        email="tess@example.org", full_name="Tess Therapist", role=Role.THERAPIST, clinic=None
    )
    return authorize(patient, colleague, scopes=[Scope.MEASURES], by=coordinator)


def url_for(name, patient, authorization) -> str:
    params, _ = PAGES[name]
    values = {"patient_id": patient.external_id, "authorization_id": authorization.external_id}
    return reverse(name, kwargs={p: values[p] for p in params})


@pytest.mark.parametrize(("url_name", "persona"), ROLE_CASES)
def test_each_role_gets_the_expected_answer(
    client, request, patient, authorization, url_name, persona
):
    client.force_login(request.getfixturevalue(persona))

    response = client.get(url_for(url_name, patient, authorization))

    assert response.status_code == PAGES[url_name][1][persona]


@pytest.mark.parametrize("url_name", sorted(PAGES))
def test_anonymous_visitor_is_sent_to_sign_in(client, patient, authorization, url_name):
    response = client.get(url_for(url_name, patient, authorization))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def list_url(patient) -> str:
    return reverse("sharing:staff_list", args=[patient.external_id])


def new_url(patient) -> str:
    return reverse("sharing:staff_authorize", args=[patient.external_id])


def revoke_url(patient, authorization) -> str:
    return reverse("sharing:staff_revoke", args=[patient.external_id, authorization.external_id])


# --- The list -----------------------------------------------------------------------------


def test_list_shows_how_each_was_signed_and_who_revoked_why(
    client, clinic_admin, coordinator, patient, patient_user, therapist, authorization
):
    client.force_login(clinic_admin)
    client.post(revoke_url(patient, authorization), {"reason": "Patient asked by phone."})
    authorize(patient, therapist, scopes=[Scope.SAFETY_ALERTS], by=patient_user)
    client.force_login(coordinator)

    content = client.get(list_url(patient)).content.decode()

    assert "on a clinic tablet, witnessed by Cora Coordinator" in content
    assert "in the patient portal" in content
    assert "by Ada Admin" in content
    assert "Reason: Patient asked by phone." in content


def test_admin_may_revoke_but_not_take_a_signature(client, clinic_admin, patient, authorization):
    client.force_login(clinic_admin)

    content = client.get(list_url(patient)).content.decode()

    assert new_url(patient) not in content
    assert revoke_url(patient, authorization) in content


def test_coordinator_is_offered_the_clinic_tablet(client, coordinator, patient):
    client.force_login(coordinator)

    assert new_url(patient) in client.get(list_url(patient)).content.decode()


def test_list_logs_the_view(client, clinician, patient):
    client.force_login(clinician)

    client.get(list_url(patient))

    entry = AccessLogEntry.objects.filter(patient=patient).latest("id")
    assert (entry.action, entry.actor_id) == (AccessAction.VIEW, clinician.pk)


def test_list_runs_the_same_queries_for_one_authorisation_or_many(
    client, coordinator, patient, therapist, patient_user, django_assert_max_num_queries
):
    first = authorize(patient, therapist, by=coordinator)
    client.force_login(coordinator)
    client.post(revoke_url(patient, first), {"reason": ""})
    client.get(list_url(patient))
    with django_assert_max_num_queries(12) as one:
        client.get(list_url(patient))
    baseline = len(one)
    for _ in range(2):
        client.post(revoke_url(patient, authorize(patient, therapist, by=patient_user)), {})
        authorize(patient, therapist, by=coordinator)

    with django_assert_max_num_queries(baseline):
        response = client.get(list_url(patient))

    assert len(response.context["rows"]) == 5


# --- Revoking -----------------------------------------------------------------------------


def test_staff_revocation_records_who_and_says_so(client, clinician, patient, authorization):
    client.force_login(clinician)

    response = client.post(revoke_url(patient, authorization), {"reason": ""}, follow=True)

    assert "Revoked. Tess Therapist can no longer see the patient&#x27;s record." in (
        response.content.decode()
    )
    authorization.refresh_from_db()
    assert authorization.revoked_by_id == clinician.pk
    assert authorization.revoked_at is not None


def test_staff_revocation_is_logged_once_as_a_change(client, clinician, patient, authorization):
    client.force_login(clinician)
    before = AccessLogEntry.objects.count()

    client.post(revoke_url(patient, authorization), {"reason": ""})

    new_rows = AccessLogEntry.objects.order_by("id")[before:]
    assert [(r.action, r.object_type) for r in new_rows] == [
        (AccessAction.UPDATE, "sharingauthorization")
    ]


def test_an_authorisation_is_reached_only_through_its_own_patient(
    client, coordinator, clinic, patient, authorization
):
    someone_else = PatientFactory(clinic=clinic)
    client.force_login(coordinator)

    response = client.post(revoke_url(someone_else, authorization), {"reason": ""})

    assert response.status_code == MISSING
    authorization.refresh_from_db()
    assert authorization.revoked_at is None


def test_staff_of_another_clinic_cannot_revoke(client, outsider, patient, authorization):
    client.force_login(outsider)

    assert client.post(revoke_url(patient, authorization)).status_code == MISSING
    authorization.refresh_from_db()
    assert authorization.revoked_at is None


# --- The clinic tablet --------------------------------------------------------------------


def test_tablet_signature_records_the_staff_member_as_witness(
    client, clinic, coordinator, patient, therapist
):
    client.force_login(coordinator)

    response = sign(client, new_url(patient), details(clinic))

    assert response["Location"] == list_url(patient)
    authorization = SharingAuthorization.objects.get(therapist=therapist)
    signature = authorization.signature
    assert signature.method == SigningMethod.CLINIC_TABLET
    assert signature.witnessed_by_id == coordinator.pk
    assert authorization.created_by_id == coordinator.pk
    assert signature.typed_name == patient.full_name


def test_tablet_shows_the_same_two_steps(client, clinic, clinician, patient):
    client.force_login(clinician)

    first = client.get(new_url(patient))
    second = client.post(new_url(patient), details(clinic))

    assert first.context["step"] == "details"
    assert second.context["step"] == "sign"
    assert "Hand the tablet to the patient." in second.content.decode()


def test_tablet_problems_are_shown_at_the_field(client, clinic, coordinator, patient):
    client.force_login(coordinator)

    response = sign(client, new_url(patient), details(clinic), typed_name="Cora Coordinator")

    assert "Type your full name as it is on your record" in str(
        response.context["signature_form"].errors["typed_name"]
    )
    assert not SharingAuthorization.objects.exists()


def test_a_staff_post_that_writes_nothing_is_logged_as_a_view(client, clinic, coordinator, patient):
    client.force_login(coordinator)
    before = AccessLogEntry.objects.count()

    client.post(new_url(patient), details(clinic, scopes=[]))

    new_rows = AccessLogEntry.objects.order_by("id")[before:]
    assert [(r.action, r.patient_id) for r in new_rows] == [(AccessAction.VIEW, patient.pk)]


def test_a_staff_signature_is_logged_without_a_view(client, clinic, coordinator, patient):
    client.force_login(coordinator)
    shown = client.post(new_url(patient), details(clinic))
    before = AccessLogEntry.objects.count()

    client.post(
        new_url(patient),
        {
            **details(clinic),
            "step": "sign",
            "text_sha256": shown.context["text_sha256"],
            "typed_name": patient.full_name,
            "agreed": "on",
        },
    )

    actions = list(AccessLogEntry.objects.order_by("id")[before:].values_list("action", flat=True))
    assert actions == [AccessAction.CREATE, AccessAction.CREATE]
