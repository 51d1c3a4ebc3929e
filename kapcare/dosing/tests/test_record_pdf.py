"""The signed dosing record as PDF: what it prints (the dose, the vitals chart and table,
the signature with how it was confirmed), who may download it, and the export in the
access log. A record not yet signed has none."""

import datetime as dt
import io

import pytest
from django.urls import reverse
from pypdf import PdfReader

from kapcare.accounts.models import Role
from kapcare.audit.log import Actor
from kapcare.audit.models import AccessAction, AccessLogEntry
from kapcare.consents import services as consents
from kapcare.dosing.models import Observation, VitalSource
from kapcare.dosing.signing import pdf
from kapcare.dosing.signing import services as signing_services
from kapcare.dosing.tests.test_signing_fixtures import actor, finished_record, fresh
from kapcare.dosing.vitals import services as vitals_services
from kapcare.scopes import Scope
from tests.factories import UserFactory, authorize
from tests.second_factor import reauthenticated


@pytest.fixture
def record(patient, clinician):
    return finished_record(patient, clinician)


def take(record, clinician, minutes: int, systolic: int = 128):
    vitals_services.record_vitals(
        actor=actor(clinician),
        record=record,
        taken_at=record.dose_started_at + dt.timedelta(minutes=minutes),
        values={"hr": 80, "sbp": systolic, "dbp": 82, "spo2": 97},
        source=VitalSource.MANUAL,
    )


@pytest.fixture
def signed(record, clinician):
    for minutes, systolic in [(10, 128), (20, 186), (30, 132)]:
        take(record, clinician, minutes, systolic)
    signing_services.sign_record(
        actor=actor(clinician), record=record, reauthentication=reauthenticated(clinician)
    )
    return fresh(record)


def pdf_url(record) -> str:
    return reverse("signing:record_pdf", args=[record.session.external_id])


def text_of(content: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


def test_the_signed_record_downloads_as_a_pdf_with_its_vitals_and_signature(
    client, clinician, signed, patient
):
    client.force_login(clinician)

    response = client.get(pdf_url(signed))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert (
        f'filename="dosing-record-{signed.session.external_id}.pdf"'
        in response["Content-Disposition"]
    )
    assert patient.family_name not in response["Content-Disposition"]
    text = text_of(response.content)
    assert patient.full_name in text
    assert "35 mg" in text
    assert "186 ▲ high" in text
    assert "1 value out of the clinic's range." in text
    assert clinician.display_name in text
    assert "their password" in text


def test_the_download_is_logged_as_an_export(client, clinician, signed, patient):
    client.force_login(clinician)

    client.get(pdf_url(signed))

    entry = AccessLogEntry.objects.latest("id")
    assert (entry.action, entry.patient_id, entry.actor_id) == (
        AccessAction.EXPORT,
        patient.pk,
        clinician.pk,
    )


def test_the_signed_record_offers_its_pdf(client, clinician, signed):
    client.force_login(clinician)

    html = client.get(reverse("dosing:record", args=[signed.session.external_id])).content

    assert f'href="{pdf_url(signed)}"' in html.decode()


def test_a_record_not_yet_signed_has_no_pdf(client, clinician, record):
    client.force_login(clinician)

    response = client.get(pdf_url(record), follow=True)

    assert "Only a signed record can be downloaded" in response.content.decode()
    assert not AccessLogEntry.objects.filter(action=AccessAction.EXPORT).exists()


@pytest.mark.parametrize(
    ("role", "status"),
    [("coordinator", 200), ("clinic_admin", 200), ("nurse", 200), ("patient_user", 403)],
)
def test_the_clinics_staff_may_download_it(client, request, signed, role, status):
    client.force_login(request.getfixturevalue(role))

    assert client.get(pdf_url(signed)).status_code == status


def test_staff_of_another_clinic_get_404(client, other_clinic, signed):
    client.force_login(UserFactory(role=Role.CLINICIAN, clinic=other_clinic))

    assert client.get(pdf_url(signed)).status_code == 404


def test_a_therapist_revoked_a_second_ago_is_refused_and_the_attempt_logged(
    client, clinician, patient, signed
):
    therapist = UserFactory(role=Role.THERAPIST, clinic=None)
    authorization = authorize(patient, therapist, scopes=Scope.values, by=clinician)
    consents.revoke_authorization(
        actor=Actor(user=clinician, ip_address="127.0.0.1"), authorization=authorization
    )
    client.force_login(therapist)

    response = client.get(pdf_url(signed))

    assert response.status_code in (403, 404)
    assert not AccessLogEntry.objects.filter(action=AccessAction.EXPORT, actor=therapist).exists()
    assert AccessLogEntry.objects.filter(action=AccessAction.REFUSED, actor=therapist).exists()


def test_the_pdf_reads_the_same_number_of_rows_however_many_readings(
    record, clinician, django_assert_max_num_queries
):
    take(record, clinician, 5)
    with django_assert_max_num_queries(15) as few:
        pdf.record_context(fresh(record))
    for minutes in range(10, 100, 5):
        take(record, clinician, minutes)

    with django_assert_max_num_queries(len(few.captured_queries)):
        context = pdf.record_context(fresh(record))

    assert Observation.objects.filter(record=record).count() == 4 * 19
    assert context["chart_svg"].count("<polyline") == 4  # HR, SBP, DBP, SpO2; no RR taken
