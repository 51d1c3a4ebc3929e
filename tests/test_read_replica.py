"""Reports read from the read replica when there is one (kapcare/replica.py); their writes,
and every other page, use the primary.

The test settings hold a `replica` alias mirroring the test database (on the same server:
a second connection), as `DATABASE_REPLICA_URL` makes one in production; these tests turn
the routing on with READ_REPLICA and watch which connection each query ran on. The data
must be committed for a second connection to see it, hence `transaction=True`.
"""

import csv
import io

import pytest
from django.db import connections
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from kapcare.audit.models import AccessAction, AccessLogEntry
from kapcare.patients.models import Patient
from kapcare.replica import ReplicaRouter, read_replica

BOTH = ["default", "replica"]
on_both = pytest.mark.django_db(transaction=True, databases=BOTH)


@pytest.fixture
def replica_on(settings):
    settings.READ_REPLICA = "replica"


def tables(queries) -> str:
    return " ".join(query["sql"] for query in queries)


@on_both
def test_the_access_log_export_reads_from_the_replica_and_logs_on_the_primary(
    client, replica_on, clinic_admin, clinician, patient
):
    client.force_login(clinic_admin)
    with (
        CaptureQueriesContext(connections["replica"]) as on_replica,
        CaptureQueriesContext(connections["default"]) as on_primary,
    ):
        response = client.post(reverse("audit:export"), {})
        text = b"".join(response.streaming_content).decode()

    assert response.status_code == 200
    assert "audit_accesslogentry" in tables(on_replica)
    assert not any(
        "audit_accesslogentry" in query["sql"] and query["sql"].startswith("SELECT")
        for query in on_primary
    )
    assert any(query["sql"].startswith("INSERT") for query in on_primary)
    exported = AccessLogEntry.objects.get(action=AccessAction.EXPORT)
    assert exported.actor_id == clinic_admin.pk
    assert list(csv.DictReader(io.StringIO(text)))


@on_both
def test_the_clinic_admins_home_reads_from_the_replica(client, replica_on, clinic_admin, patient):
    client.force_login(clinic_admin)
    with CaptureQueriesContext(connections["replica"]) as on_replica:
        response = client.get(reverse("admin_home"))

    assert response.status_code == 200
    assert "patients_patient" in tables(on_replica)


@on_both
def test_pages_outside_the_reports_read_from_the_primary(client, replica_on, coordinator, patient):
    client.force_login(coordinator)
    with CaptureQueriesContext(connections["replica"]) as on_replica:
        assert client.get(reverse("patients:list")).status_code == 200

    assert len(on_replica) == 0


@on_both
def test_without_a_replica_the_reports_read_from_the_primary(client, clinic_admin, patient):
    client.force_login(clinic_admin)
    with CaptureQueriesContext(connections["replica"]) as on_replica:
        assert client.get(reverse("admin_home")).status_code == 200

    assert len(on_replica) == 0


@on_both
def test_a_record_read_on_the_replica_is_saved_to_the_primary(replica_on, patient):
    with read_replica():
        read = Patient.objects.get(pk=patient.pk)
    assert read._state.db == "replica"
    read.preferred_name = "Ro"

    with CaptureQueriesContext(connections["default"]) as on_primary:
        read.save(update_fields=["preferred_name"])

    assert any(query["sql"].startswith("UPDATE") for query in on_primary)
    assert Patient.objects.get(pk=patient.pk).preferred_name == "Ro"


def test_the_router_never_migrates_the_replica():
    router = ReplicaRouter()

    assert router.allow_migrate("default", "patients") is True
    assert router.allow_migrate("replica", "patients") is False
