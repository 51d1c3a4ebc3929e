"""Clinical records are never deleted (dosing migration 0003): the register and addenda
never, a signed record and what lies under it never, a released summary and the patient's
account never changed. The services never delete; these tests prove the database refuses
even a direct attempt, on SQLite and PostgreSQL alike."""

from django.db import DatabaseError, transaction

from kapcare.dosing.models import ControlledSubstanceEntry, DosingRecord, Observation
from kapcare.dosing.tests.test_substances_fixtures import (
    record_fixture,  # noqa: F401 (the `record` fixture)
    sign,
    stock_fixture,  # noqa: F401 (the `stock` fixture)
)


def refused(action) -> bool:
    try:
        with transaction.atomic():
            action()
    except (DatabaseError, PermissionError):
        return True
    return False


def test_a_line_of_the_register_is_never_deleted(record, stock, clinician):
    entry = ControlledSubstanceEntry.objects.filter(kind="received").first()

    assert refused(lambda: ControlledSubstanceEntry.objects.filter(pk=entry.pk).delete())
    assert ControlledSubstanceEntry.objects.filter(pk=entry.pk).exists()


def test_a_signed_record_and_its_observations_are_never_deleted(record, stock, clinician):
    Observation.objects.create(
        record=record,
        patient=record.patient,
        reading_id="00000000-0000-0000-0000-000000000001",
        vital="hr",
        loinc_code="8867-4",
        value=72,
        unit="/min",
        taken_at=record.session.planned_start,
        source="manual",
        entered_by=clinician,
    )
    sign(record, clinician)

    assert refused(lambda: Observation.objects.filter(record=record).delete())
    assert refused(lambda: DosingRecord.objects.filter(pk=record.pk).delete())
    assert Observation.objects.filter(record=record).count() == 1


def test_an_unsigned_records_observation_may_be_removed_by_the_database(record, clinician):
    Observation.objects.create(
        record=record,
        patient=record.patient,
        reading_id="00000000-0000-0000-0000-000000000002",
        vital="hr",
        loinc_code="8867-4",
        value=72,
        unit="/min",
        taken_at=record.session.planned_start,
        source="manual",
        entered_by=clinician,
    )

    assert not refused(lambda: Observation.objects.filter(record=record).delete())
