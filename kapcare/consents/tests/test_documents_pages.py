"""Every role on every consent document page (with its access-log row), the chart section,
the portal card, the timeline, and the query counts of the list pages."""

import pytest
from django.urls import reverse

from kapcare.audit.models import AccessAction, AccessLogEntry
from kapcare.consents import document_sections
from kapcare.consents.models import SigningMethod
from kapcare.consents.tests.test_documents_fixtures import (
    authorize,
    publish,
    sign,
    treatment_document,
)


@pytest.fixture
def signed(patient, patient_user):
    """The patient's signature on the current treatment consent, in the portal."""
    return sign(patient, by=patient_user)


OK, DENIED, MISSING = 200, 403, 404

ROLES = ["coordinator", "clinician", "clinic_admin", "therapist", "patient_user", "outsider"]


def row(*statuses):
    """Expected status per persona, in the order of ROLES (as tests/test_policy_matrix.py)."""
    return dict(zip(ROLES, statuses, strict=True))


# url name -> (kwargs it needs, expected status per persona). The same rows are proposed for
# tests/test_policy_matrix.py.
PAGES = {
    "consents:documents": ((), row(DENIED, DENIED, OK, DENIED, DENIED, DENIED)),
    "consents:new_version": (("document_id",), row(DENIED, DENIED, OK, DENIED, DENIED, DENIED)),
    "consents:version": (("version_id",), row(DENIED, DENIED, OK, DENIED, DENIED, DENIED)),
    "consents:portal_consents": ((), row(DENIED, DENIED, DENIED, DENIED, OK, DENIED)),
    "consents:portal_sign": ((), row(DENIED, DENIED, DENIED, DENIED, OK, DENIED)),
    "consents:portal_withdraw": (
        ("signature_id",),
        row(DENIED, DENIED, DENIED, DENIED, OK, DENIED),
    ),
    "consents:patient_consents": (("patient_id",), row(OK, OK, OK, DENIED, DENIED, MISSING)),
    "consents:tablet_sign": (("patient_id",), row(OK, OK, DENIED, DENIED, DENIED, MISSING)),
    "consents:patient_withdraw": (
        ("patient_id", "signature_id"),
        row(OK, OK, OK, DENIED, DENIED, MISSING),
    ),
    "consents:signature_pdf": (("signature_id",), row(OK, OK, OK, DENIED, OK, MISSING)),
}
ROLE_CASES = [(name, persona) for name, (_, expected) in PAGES.items() for persona in expected]


@pytest.fixture
def records(clinic, patient, signed):
    document = treatment_document(clinic)
    return {
        "patient_id": patient.external_id,
        "signature_id": signed.external_id,
        "document_id": document.external_id,
        "version_id": document.versions.get().external_id,
    }


def url_for(name, records):
    params, _ = PAGES[name]
    return reverse(name, kwargs={p: records[p] for p in params})


@pytest.mark.parametrize(("url_name", "persona"), ROLE_CASES)
def test_each_role_gets_the_expected_answer(client, request, records, url_name, persona):
    client.force_login(request.getfixturevalue(persona))

    response = client.get(url_for(url_name, records))

    assert response.status_code == PAGES[url_name][1][persona]


@pytest.mark.parametrize("url_name", sorted(PAGES))
def test_anonymous_visitor_is_sent_to_sign_in(client, records, url_name):
    response = client.get(url_for(url_name, records))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


@pytest.mark.parametrize(
    ("url_name", "persona", "action"),
    [
        ("consents:portal_consents", "patient_user", AccessAction.VIEW),
        ("consents:portal_sign", "patient_user", AccessAction.VIEW),
        ("consents:portal_withdraw", "patient_user", AccessAction.VIEW),
        ("consents:patient_consents", "coordinator", AccessAction.VIEW),
        ("consents:tablet_sign", "clinician", AccessAction.VIEW),
        ("consents:patient_withdraw", "clinic_admin", AccessAction.VIEW),
        ("consents:signature_pdf", "coordinator", AccessAction.EXPORT),
        ("consents:signature_pdf", "patient_user", AccessAction.EXPORT),
    ],
)
def test_every_page_showing_consents_logs_one_row(
    client, request, records, patient, url_name, persona, action
):
    user = request.getfixturevalue(persona)
    client.force_login(user)
    before = AccessLogEntry.objects.count()

    client.get(url_for(url_name, records))

    rows = list(AccessLogEntry.objects.order_by("id")[before:])
    assert [(r.action, r.patient_id, r.actor_id, r.ip_address) for r in rows] == [
        (action, patient.pk, user.pk, "127.0.0.1")
    ]


def test_admin_of_another_clinic_gets_404_for_this_clinics_document_and_version(
    client, records, other_clinic
):
    from tests.factories import UserFactory

    client.force_login(UserFactory(role="admin", clinic=other_clinic))

    assert client.get(url_for("consents:new_version", records)).status_code == 404
    assert client.get(url_for("consents:version", records)).status_code == 404


def test_staff_cannot_open_another_patients_signature_through_this_patients_url(
    client, coordinator, patient, other_patient, signed
):
    client.force_login(coordinator)
    url = reverse("consents:patient_withdraw", args=[other_patient.external_id, signed.external_id])

    assert client.get(url).status_code == 404


def test_patient_cannot_withdraw_another_patients_signature(
    client, patient_user, other_patient, coordinator
):
    theirs = sign(other_patient, by=coordinator, method=SigningMethod.CLINIC_TABLET)
    client.force_login(patient_user)

    response = client.get(reverse("consents:portal_withdraw", args=[theirs.external_id]))

    assert response.status_code == 404


# --- Lists: what they show and their query counts ---------------------------------------------


def test_portal_page_lists_treatment_consents_and_authorisations_with_pdf_links(
    client, patient_user, patient, therapist, signed
):
    authorization = authorize(patient, by=patient_user, therapist=therapist)
    client.force_login(patient_user)

    html = client.get(reverse("consents:portal_consents")).content.decode()

    assert '<span class="badge badge-ok">Signed and current</span>' in html
    assert "KAP treatment consent, version 1" in html
    assert "Authorisation to share with my therapist, version 1" in html
    assert f"With {therapist.full_name}" in html
    for signature in (signed, authorization.signature):
        assert reverse("consents:signature_pdf", args=[signature.external_id]) in html
    assert reverse("consents:portal_withdraw", args=[signed.external_id]) in html


def test_staff_page_offers_the_tablet_and_the_withdrawal(client, coordinator, patient, signed):
    client.force_login(coordinator)

    html = client.get(reverse("consents:patient_consents", args=[patient.external_id])).content
    html = html.decode()

    assert html.count("<h1") == 1
    assert reverse("consents:tablet_sign", args=[patient.external_id]) in html
    assert reverse("consents:patient_withdraw", args=[patient.external_id, signed.external_id]) in (
        html
    )


def test_admin_sees_the_staff_page_without_the_tablet(client, clinic_admin, patient, signed):
    client.force_login(clinic_admin)

    html = client.get(reverse("consents:patient_consents", args=[patient.external_id])).content

    assert reverse("consents:tablet_sign", args=[patient.external_id]).encode() not in html


def _sign_many(patient, patient_user, coordinator, therapist, count):
    """`count` treatment signatures, portal and tablet in turn, and one authorisation."""
    for n in range(count):
        sign(
            patient,
            by=patient_user if n % 2 else coordinator,
            method=SigningMethod.PORTAL if n % 2 else SigningMethod.CLINIC_TABLET,
        )
    authorize(patient, by=patient_user, therapist=therapist)


@pytest.mark.parametrize(
    ("url_name", "persona"),
    [("consents:portal_consents", "patient_user"), ("consents:patient_consents", "coordinator")],
)
def test_list_pages_query_count_does_not_grow_with_signatures(
    client,
    request,
    patient,
    patient_user,
    coordinator,
    clinic_admin,
    therapist,
    django_assert_max_num_queries,
    url_name,
    persona,
):
    client.force_login(request.getfixturevalue(persona))
    url = reverse(url_name, args=[patient.external_id] if persona != "patient_user" else None)
    sign(patient, by=patient_user)
    with django_assert_max_num_queries(17) as few:
        assert client.get(url).status_code == 200
    _sign_many(patient, patient_user, coordinator, therapist, 6)
    publish(patient.clinic, clinic_admin)

    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(url)

    assert response.status_code == 200
    assert len(response.context["rows"]) == 8


def test_admin_document_list_query_count_does_not_grow_with_versions(
    client, clinic, clinic_admin, django_assert_max_num_queries
):
    client.force_login(clinic_admin)
    client.get(reverse("consents:documents"))  # makes the default documents
    with django_assert_max_num_queries(10) as few:
        client.get(reverse("consents:documents"))
    for _ in range(5):
        publish(clinic, clinic_admin)

    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(reverse("consents:documents"))

    assert [v.number for v in response.context["documents"][0].versions.all()] == [
        6,
        5,
        4,
        3,
        2,
        1,
    ]


# --- Chart section, portal card, timeline -----------------------------------------------------


def chart_html(client, patient):
    return client.get(reverse("patients:chart", args=[patient.external_id])).content.decode()


def test_chart_says_not_signed_in_words_and_links_the_consents(client, coordinator, patient):
    client.force_login(coordinator)

    html = chart_html(client, patient)

    assert '<span class="badge badge-new">Not signed</span>' in html
    assert reverse("consents:patient_consents", args=[patient.external_id]) in html
    assert reverse("consents:tablet_sign", args=[patient.external_id]) in html


def test_chart_says_when_a_new_version_needs_signing(
    client, coordinator, clinic, clinic_admin, patient, signed
):
    publish(clinic, clinic_admin, requires_reconsent=True)
    client.force_login(coordinator)

    html = chart_html(client, patient)

    assert '<span class="badge badge-warn">New version to sign</span>' in html
    assert "signed version 1" in html


@pytest.mark.parametrize("signatures", [0, 5])
def test_chart_section_runs_in_five_queries(
    rf, coordinator, patient, patient_user, signatures, django_assert_num_queries
):
    for _ in range(signatures):
        sign(patient, by=patient_user)
    request = rf.get("/")
    request.user = coordinator
    treatment_document(patient.clinic)

    with django_assert_num_queries(5):
        context = document_sections.chart_context(request, patient)

    assert context["status"] == ("current" if signatures else "not_signed")


def test_portal_card_asks_to_sign(client, patient_user, patient):
    client.force_login(patient_user)

    html = client.get(reverse("portal:home")).content.decode()

    assert "Consent forms" in html
    assert '<span class="badge badge-new">Not signed</span>' in html
    assert reverse("consents:portal_sign") in html


def test_portal_card_runs_in_five_queries(
    rf, patient_user, patient, signed, django_assert_num_queries
):
    request = rf.get("/")
    request.user = patient_user

    with django_assert_num_queries(5):
        context = document_sections.card_context(request, patient)

    assert context["status"] == "current"


def test_timeline_shows_signatures_and_withdrawals(
    client, coordinator, clinician, patient, patient_user, signed
):

    from kapcare.audit.log import Actor
    from kapcare.consents import services

    services.withdraw(actor=Actor(user=patient_user, ip_address=None), signature=signed)
    sign(patient, by=clinician, method=SigningMethod.CLINIC_TABLET)
    client.force_login(coordinator)

    html = chart_html(client, patient)

    assert html.count("Treatment consent signed (version 1)") == 2
    assert "Signed in the patient portal" in html
    assert "Signed on a clinic tablet, witnessed by Cal Clinician, CRNA" in html
    assert "Treatment consent withdrawn (version 1)" in html
    assert "Recorded by Pat Patient" in html


def test_timeline_runs_in_one_query(patient, patient_user, django_assert_num_queries):
    for _ in range(4):
        sign(patient, by=patient_user)

    with django_assert_num_queries(1):
        events = document_sections.consent_events(patient)

    assert len(events) == 4
    assert {e.kind for e in events} == {"consent"}


def test_timeline_shows_a_sharing_authorisation_signed(patient, patient_user, therapist):
    authorize(patient, by=patient_user, therapist=therapist)

    events = document_sections.consent_events(patient)

    assert [(e.title, e.detail) for e in events] == [
        (
            "Sharing authorisation signed (version 1)",
            "With Theo Therapist; signed in the patient portal",
        )
    ]
