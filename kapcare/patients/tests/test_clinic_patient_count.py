"""A clinic's number of patients is kept by database triggers (`ClinicPatientCount`), in the
transaction of every insert, bulk insert or move of a patient, so that the clinic admin's
home reads one row instead of counting the whole clinic."""

import importlib

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from kapcare.patients.models import ClinicPatientCount, Patient, clinic_patient_count
from tests.factories import PatientFactory


def test_a_clinic_without_patients_counts_none(clinic):
    assert clinic_patient_count(clinic.pk) == 0


def test_each_patient_created_is_counted_in_their_clinic(clinic, other_clinic):
    PatientFactory.create_batch(3, clinic=clinic)
    PatientFactory(clinic=other_clinic)

    assert clinic_patient_count(clinic.pk) == 3
    assert clinic_patient_count(other_clinic.pk) == 1


def test_patients_inserted_in_bulk_are_counted(clinic):
    Patient.objects.bulk_create(PatientFactory.build(clinic=clinic) for _ in range(5))

    assert clinic_patient_count(clinic.pk) == 5


def test_a_patient_moved_to_another_clinic_is_counted_there(clinic, other_clinic):
    moved, _ = PatientFactory.create_batch(2, clinic=clinic)

    Patient.objects.filter(pk=moved.pk).update(clinic=other_clinic)

    assert clinic_patient_count(clinic.pk) == 1
    assert clinic_patient_count(other_clinic.pk) == 1


def test_the_migration_counts_the_patients_of_existing_clinics(clinic):
    PatientFactory.create_batch(2, clinic=clinic)
    ClinicPatientCount.objects.all().delete()
    migration = importlib.import_module("kapcare.patients.migrations.0005_clinic_patient_count")

    with connection.cursor() as cursor:
        cursor.execute(migration.COUNT_EXISTING)

    assert clinic_patient_count(clinic.pk) == 2


def test_admin_home_shows_the_count_in_queries_that_do_not_grow_with_the_clinic(
    client, clinic_admin, clinic, django_assert_num_queries
):
    client.force_login(clinic_admin)
    PatientFactory(clinic=clinic)
    client.get(reverse("admin_home"))  # the session and caches, read once
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("admin_home"))
    PatientFactory.create_batch(20, clinic=clinic)

    with django_assert_num_queries(len(few.captured_queries)):
        page = client.get(reverse("admin_home")).content.decode()

    assert "<dt>Patients</dt><dd>21</dd>" in page
