import pytest
from django.db import DatabaseError, connection, transaction

from kapcare.audit.log import Actor, record_access
from kapcare.audit.models import AccessAction, AccessLogEntry


@pytest.fixture
def entry(coordinator, patient):
    record_access(
        Actor(user=coordinator, ip_address="10.0.0.1"), AccessAction.VIEW, patient=patient
    )
    return AccessLogEntry.objects.get()


def test_entry_copies_who_and_from_where(entry, coordinator, patient):
    assert entry.actor_email == coordinator.email
    assert entry.actor_role == "coordinator"
    assert entry.clinic_id == patient.clinic_id
    assert entry.object_id == str(patient.external_id)
    assert entry.ip_address == "10.0.0.1"


def test_the_model_refuses_to_change_an_entry(entry):
    entry.action = AccessAction.UPDATE
    with pytest.raises(PermissionError):
        entry.save()
    with pytest.raises(PermissionError):
        entry.delete()
    with pytest.raises(PermissionError):
        AccessLogEntry.objects.all().update(action="update")
    with pytest.raises(PermissionError):
        AccessLogEntry.objects.all().delete()


@pytest.mark.parametrize(
    "sql",
    ["UPDATE audit_accesslogentry SET action = 'update'", "DELETE FROM audit_accesslogentry"],
)
def test_the_database_refuses_raw_changes(entry, sql):
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql)
    assert AccessLogEntry.objects.get().action == AccessAction.VIEW
