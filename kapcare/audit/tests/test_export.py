"""The access log as CSV for an auditor: the clinic admin only, filtered by person, patient,
action and period, streamed in a fixed number of queries, and the export itself logged."""

import csv
import datetime as dt
import io

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from kapcare.audit.log import Actor, record_access
from kapcare.audit.models import AccessAction, AccessLogEntry
from tests.factories import PatientFactory

EXPORT = reverse("audit:export")


def view(user, patient, when=None):
    with time_machine.travel(when or dt.datetime.now(tz=dt.UTC), tick=False):
        record_access(Actor(user=user, ip_address="10.1.2.3"), AccessAction.VIEW, patient=patient)


def exported(response) -> list[dict]:
    assert response.streaming
    text = b"".join(response.streaming_content).decode()
    return list(csv.DictReader(io.StringIO(text)))


def test_the_admin_downloads_the_clinics_log_as_csv(
    client, clinic_admin, clinician, patient, outsider, outsider_patient
):
    view(clinician, patient)
    view(outsider, outsider_patient)
    client.force_login(clinic_admin)

    response = client.post(EXPORT, {})

    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="access-log-')
    rows = exported(response)
    viewed = [r for r in rows if r["action"] == "view"]
    assert [(r["actor_email"], r["patient_id"], r["patient_name"]) for r in viewed] == [
        (clinician.email, str(patient.external_id), "Pat Patient")
    ]
    assert viewed[0]["ip_address"] == "10.1.2.3"


def test_the_export_filters_by_person_patient_and_period(
    client, clinic_admin, clinician, coordinator, patient, other_patient
):
    now = dt.datetime.now(tz=dt.UTC).replace(microsecond=0)
    view(clinician, patient, now - dt.timedelta(days=10))
    view(clinician, patient, now - dt.timedelta(days=1))
    view(clinician, other_patient, now - dt.timedelta(days=1))
    view(coordinator, patient, now - dt.timedelta(days=1))
    client.force_login(clinic_admin)
    day = (now - dt.timedelta(days=3)).date().isoformat()

    rows = exported(
        client.post(
            EXPORT,
            {"actor": clinician.email, "patient_name": "Pat", "date_from": day, "action": "view"},
        )
    )

    assert len(rows) == 1
    assert (rows[0]["actor_email"], rows[0]["patient_name"]) == (clinician.email, "Pat Patient")


def test_the_export_is_itself_logged(client, clinic_admin, clinic):
    client.force_login(clinic_admin)

    exported(client.post(EXPORT, {}))

    entry = AccessLogEntry.objects.get(action=AccessAction.EXPORT)
    assert (entry.actor_id, entry.clinic_id) == (clinic_admin.pk, clinic.pk)
    assert (entry.object_type, entry.path) == ("accesslogentry", EXPORT)


def test_the_export_takes_the_same_queries_for_ten_rows_as_for_a_hundred(
    client, clinic_admin, clinician, clinic
):
    patients = PatientFactory.create_batch(5, clinic=clinic)
    client.force_login(clinic_admin)
    exported(client.post(EXPORT, {}))  # the first request of a session stamps its clock

    def queries_for(times: int) -> int:
        for _ in range(times):
            for patient in patients:
                view(clinician, patient)
        with CaptureQueriesContext(connection) as queries:
            rows = exported(client.post(EXPORT, {}))
        assert len(rows) >= times * len(patients)
        return len(queries)

    assert queries_for(2) == queries_for(20)


def test_a_formula_in_a_name_is_not_a_formula_in_the_spreadsheet(
    client, clinic_admin, clinician, clinic
):
    patient = PatientFactory(clinic=clinic, given_name="=HYPERLINK(1)", family_name="X")
    view(clinician, patient)
    client.force_login(clinic_admin)

    [row] = [r for r in exported(client.post(EXPORT, {})) if r["action"] == "view"]

    assert row["patient_name"] == "'=HYPERLINK(1) X"


@pytest.mark.parametrize("persona", ["coordinator", "clinician", "therapist", "patient_user"])
def test_no_one_else_may_export(client, request, persona):
    client.force_login(request.getfixturevalue(persona))

    assert client.post(EXPORT, {}).status_code == 403


def test_bad_dates_are_a_message_at_the_field(client, clinic_admin):
    client.force_login(clinic_admin)

    response = client.post(EXPORT, {"date_from": "2026-13-45"})

    assert response.status_code == 422
    assert "date_from" in response.context["form"].errors
