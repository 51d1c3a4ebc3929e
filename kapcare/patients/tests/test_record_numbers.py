"""Short record numbers ("KC-004217"): one sequence per clinic, given in the transaction
that registers the patient, unique by a database constraint, numbered for existing
patients by the migration, shown on the chart and the list, and found by the search."""

import importlib
import threading

import pytest
from django.apps import apps
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from kapcare.audit.log import Actor
from kapcare.audit.models import Channel
from kapcare.patients import rules
from kapcare.patients.models import Patient, RecordNumberCounter
from kapcare.patients.services import create_patient
from tests.factories import ClinicFactory, PatientFactory

backfill = importlib.import_module("kapcare.patients.migrations.0007_record_numbers")


@pytest.mark.parametrize(
    ("number", "shown"),
    [(1, "KC-000001"), (4217, "KC-004217"), (999999, "KC-999999"), (1234567, "KC-1234567")],
)
def test_record_id_is_the_prefix_and_six_digits(number, shown):
    assert rules.record_id(number) == shown


@pytest.mark.parametrize(
    ("typed", "number"),
    [
        ("KC-004217", 4217),
        ("kc-004217", 4217),
        ("KC004217", 4217),
        (" KC 4217 ", 4217),
        ("KC-1", 1),
        ("KC-000000", None),  # no record has number 0
        ("KC-", None),
        ("KC-12a", None),
        ("KC-١٢", None),  # digits of another script
        ("KC-1234567890", None),  # longer than any record number
        ("004217", None),  # bare digits are a phone number's
        ("Kc Smith", None),
        ("", None),
    ],
)
def test_a_typed_record_id_is_read_exactly(typed, number):
    assert rules.parse_record_id(typed) == number


def test_each_clinic_numbers_its_patients_from_one(clinic, other_clinic):
    first, second = PatientFactory(clinic=clinic), PatientFactory(clinic=clinic)
    elsewhere = PatientFactory(clinic=other_clinic)

    assert (first.record_number, second.record_number) == (1, 2)
    assert elsewhere.record_number == 1
    assert second.record_id == "KC-000002"
    assert RecordNumberCounter.objects.get(clinic=clinic).last_number == 2


def test_registering_a_patient_gives_the_next_number(clinic, coordinator):
    PatientFactory(clinic=clinic)
    actor = Actor(user=coordinator, ip_address=None, channel=Channel.WEB)
    data = {"given_name": "June", "family_name": "Carter", "birth_date": "1970-01-01"}

    patient = create_patient(actor=actor, clinic=clinic, data=data | {"sex_at_birth": "F"})

    assert Patient.objects.get(pk=patient.pk).record_number == 2


def test_a_registration_rolled_back_leaves_its_number_free(clinic):
    PatientFactory(clinic=clinic)

    def register_and_fail():
        with transaction.atomic():
            PatientFactory(clinic=clinic)
            raise RuntimeError("the registration fails after the insert")

    with pytest.raises(RuntimeError):
        register_and_fail()

    assert PatientFactory(clinic=clinic).record_number == 2


def test_the_database_refuses_two_patients_with_one_number_in_a_clinic(clinic, other_clinic):
    first, second = PatientFactory(clinic=clinic), PatientFactory(clinic=clinic)
    PatientFactory(clinic=other_clinic)  # number 1 too, in another clinic: allowed

    with pytest.raises(IntegrityError), transaction.atomic():
        Patient.objects.filter(pk=second.pk).update(record_number=first.record_number)


def test_the_migration_numbers_existing_patients_oldest_first(clinic, other_clinic):
    patients = [PatientFactory(clinic=clinic) for _ in range(3)]
    other = PatientFactory(clinic=other_clinic)
    Patient.objects.update(record_number=None)
    RecordNumberCounter.objects.all().delete()

    backfill.number_existing_patients(apps, connection.schema_editor())

    numbers = dict(Patient.objects.values_list("pk", "record_number"))
    assert [numbers[p.pk] for p in patients] == [1, 2, 3]
    assert numbers[other.pk] == 1
    assert RecordNumberCounter.objects.get(clinic=clinic).last_number == 3
    assert PatientFactory(clinic=clinic).record_number == 4


def test_chart_header_and_list_show_the_record_number(client, coordinator, clinician, patient):
    client.force_login(clinician)
    chart = client.get(reverse("patients:chart", args=[patient.external_id])).content.decode()
    client.force_login(coordinator)
    listed = client.get(reverse("patients:list")).content.decode()

    assert f"<dt>Record number</dt><dd>{patient.record_id}</dd>" in chart
    assert f"<td>{patient.record_id}</td>" in listed


def test_search_by_record_number_finds_exactly_that_patient(
    client, coordinator, clinic, other_clinic
):
    patients = [PatientFactory(clinic=clinic) for _ in range(12)]
    PatientFactory(clinic=other_clinic)  # also KC-000002, in another clinic
    client.force_login(coordinator)

    found = client.post(reverse("patients:list"), {"query": "kc-000002"}).context["patients"]
    prefix = client.post(reverse("patients:list"), {"query": "KC-00001"}).context["patients"]

    assert [p.pk for p in found] == [patients[1].pk]
    assert [p.pk for p in prefix] == [patients[0].pk]  # exact: KC-000001, not KC-000010..12


def _search_queries(client, query: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.post(reverse("patients:list"), {"query": query})
    assert response.status_code == 200
    return len(captured.captured_queries)


def test_search_by_record_number_costs_the_same_queries_in_a_small_or_large_clinic(
    client, coordinator, clinic
):
    client.force_login(coordinator)
    PatientFactory(clinic=clinic)
    _search_queries(client, "KC-000001")  # the session's first request fills its caches
    small = _search_queries(client, "KC-000001")
    PatientFactory.create_batch(40, clinic=clinic)

    assert _search_queries(client, "KC-000001") == small
    assert _search_queries(client, "KC-000041") == small


@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite writes one at a time")
@pytest.mark.django_db(transaction=True)
def test_registrations_at_the_same_moment_never_share_a_number():
    """Two registrations in flight at once on PostgreSQL: the second waits for the first's
    counter row and takes the next number."""
    from django.db import connections

    clinic = ClinicFactory()
    PatientFactory(clinic=clinic)  # the counter row exists
    inside, release = threading.Event(), threading.Event()
    numbers, errors = [], []

    def register(wait: bool):
        try:
            with transaction.atomic():
                numbers.append(PatientFactory(clinic=clinic).record_number)
                if wait:
                    inside.set()
                    release.wait(10)
        except Exception as error:
            errors.append(error)
        finally:
            connections.close_all()

    first = threading.Thread(target=register, args=(True,))
    first.start()
    assert inside.wait(10)
    second = threading.Thread(target=register, args=(False,))
    second.start()
    second.join(0.5)
    assert second.is_alive()  # waiting for the first registration's counter row
    release.set()
    first.join(10)
    second.join(10)

    assert errors == []
    assert sorted(numbers) == [2, 3]
    stored = Patient.objects.filter(clinic=clinic).values_list("record_number", flat=True)
    assert sorted(stored) == [1, 2, 3]
