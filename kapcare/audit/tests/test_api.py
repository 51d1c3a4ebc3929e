"""The access log through the API: the clinic's admin only, newest first, paged by key
(the log only grows: no OFFSET, no COUNT), the same queries on every page."""

import datetime as dt

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from kapcare.accounts.models import ApiToken
from kapcare.audit.log import Actor, record_access, record_list_access
from kapcare.audit.models import AccessAction, AccessLogEntry
from tests.factories import PatientFactory

LOG = "/api/v1/access-log"


def bearer(user):
    _, token = ApiToken.issue(user, "tests")
    return {"Authorization": f"Bearer {token}"}


def view(user, patient):
    record_access(Actor(user=user, ip_address="10.1.2.3"), AccessAction.VIEW, patient=patient)


def walk(client, headers, path) -> list[dict]:
    items = []
    while path:
        body = client.get(path, headers=headers).json()
        items += body["items"]
        path = body["next"]
    return items


def test_the_admin_reads_the_clinics_log_newest_first(
    client, clinic_admin, clinician, patient, outsider, outsider_patient
):
    view(clinician, patient)
    view(outsider, outsider_patient)

    response = client.get(LOG, headers=bearer(clinic_admin))

    assert response.status_code == 200
    [row] = response.json()["items"]
    assert (row["actor_email"], row["action"], row["patient_id"], row["ip_address"]) == (
        clinician.email,
        "view",
        str(patient.external_id),
        "10.1.2.3",
    )
    assert response.json()["next"] is None


@pytest.mark.parametrize("persona", ["clinician", "coordinator", "patient_user", "therapist"])
def test_only_the_clinic_admin_reads_the_log(client, request, persona):
    response = client.get(LOG, headers=bearer(request.getfixturevalue(persona)))

    assert response.status_code == 403


def test_the_log_filters_by_action(client, clinic_admin, clinician, patient, other_patient):
    view(clinician, patient)
    record_list_access(Actor(user=clinician, ip_address=None), [patient, other_patient])

    items = client.get(f"{LOG}?action=list", headers=bearer(clinic_admin)).json()["items"]

    assert sorted(item["patient_id"] for item in items) == sorted(
        [str(patient.external_id), str(other_patient.external_id)]
    )


def test_rows_of_one_instant_are_each_given_once_across_pages(
    client, clinic_admin, clinician, clinic
):
    patients = PatientFactory.create_batch(7, clinic=clinic)
    with time_machine.travel(dt.datetime.now(tz=dt.UTC), tick=False):
        record_list_access(Actor(user=clinician, ip_address=None), patients)  # one instant

    items = walk(client, bearer(clinic_admin), f"{LOG}?limit=3")

    expected = AccessLogEntry.objects.filter(clinic_id=clinic.pk).order_by("-id")
    assert [item["patient_id"] for item in items] == [
        str(entry.patient.external_id) for entry in expected
    ]


def test_a_later_page_neither_skips_nor_counts_the_log_and_costs_what_the_second_did(
    client, clinic_admin, clinician, clinic, django_assert_max_num_queries
):
    patients = PatientFactory.create_batch(6, clinic=clinic)
    record_list_access(Actor(user=clinician, ip_address=None), patients)
    headers = bearer(clinic_admin)
    first = client.get(f"{LOG}?limit=2", headers=headers).json()
    with CaptureQueriesContext(connection) as second_page:
        second = client.get(first["next"], headers=headers).json()
    record_list_access(Actor(user=clinician, ip_address=None), patients * 10)

    with django_assert_max_num_queries(len(second_page)) as third_page:
        client.get(second["next"], headers=headers)

    sql = " ".join(query["sql"].upper() for query in third_page.captured_queries)
    assert " OFFSET " not in sql
    assert "COUNT(" not in sql
