import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from kapcare.audit.models import AccessAction, AccessLogEntry
from kapcare.patients.models import BodyMeasurement, Patient
from tests.factories import PatientFactory, raise_alert

VALID = {
    "given_name": "June",
    "family_name": "Carter",
    "preferred_name": "",
    "birth_date": "1984-03-21",
    "sex_at_birth": "F",
    "gender_identity": "woman",
    "pronouns": "she/her",
    "email": "june@example.org",
    "phone": "615-555-0111",
    "address_line": "1 Broadway",
    "city": "Nashville",
    "state": "TN",
    "postal_code": "37203",
    "emergency_contact_name": "John Cash",
    "emergency_contact_relationship": "spouse",
    "emergency_contact_phone": "615-555-0112",
}


def test_coordinator_registers_a_patient_in_their_own_clinic(client, coordinator):
    client.force_login(coordinator)

    response = client.post(reverse("patients:create"), VALID)

    patient = Patient.objects.get(family_name="Carter")
    assert response.status_code == 302
    assert response["Location"] == reverse("patients:chart", args=[patient.external_id])
    assert patient.clinic_id == coordinator.clinic_id
    assert patient.created_by_id == coordinator.pk
    entry = AccessLogEntry.objects.get(patient=patient)
    assert entry.action == AccessAction.CREATE


def test_invalid_registration_keeps_what_was_typed_and_names_the_field(client, coordinator):
    client.force_login(coordinator)
    data = {**VALID, "birth_date": "2090-01-01", "email": "not-an-email"}

    response = client.post(reverse("patients:create"), data)

    assert response.status_code == 200
    form = response.context["form"]
    assert form.errors["birth_date"] == ["Date of birth cannot be in the future."]
    assert "email" in form.errors
    html = response.content.decode()
    assert 'value="June"' in html
    assert 'value="1 Broadway"' in html
    assert "Nothing you typed has been lost" in html
    assert not Patient.objects.exists()


def test_garbage_date_gets_a_message_not_an_error_page(client, coordinator):
    client.force_login(coordinator)

    response = client.post(reverse("patients:create"), {**VALID, "birth_date": "31/31/31"})

    assert response.status_code == 200
    assert "Enter the date of birth as a date" in response.content.decode()


def test_edit_changes_the_record_and_logs_an_update(client, clinician, patient):
    client.force_login(clinician)
    data = {**VALID, "given_name": patient.given_name, "family_name": "Renamed"}

    response = client.post(reverse("patients:edit", args=[patient.external_id]), data)

    assert response.status_code == 302
    patient.refresh_from_db()
    assert patient.family_name == "Renamed"
    assert patient.updated_by_id == clinician.pk
    assert AccessLogEntry.objects.filter(patient=patient, action=AccessAction.UPDATE).count() == 1


def test_saving_without_changes_logs_no_update(client, clinician, patient):
    client.force_login(clinician)
    data = {field: getattr(patient, field) for field in VALID}
    data["birth_date"] = patient.birth_date.isoformat()

    client.post(reverse("patients:edit", args=[patient.external_id]), data)

    assert not AccessLogEntry.objects.filter(patient=patient, action=AccessAction.UPDATE).exists()


def test_staff_of_another_clinic_cannot_edit(client, outsider, patient):
    client.force_login(outsider)

    response = client.post(reverse("patients:edit", args=[patient.external_id]), VALID)

    assert response.status_code == 404
    patient.refresh_from_db()
    assert patient.family_name == "Patient"


def test_search_by_name_finds_only_this_clinics_patients(client, coordinator, clinic, other_clinic):
    PatientFactory(clinic=clinic, given_name="Loretta", family_name="Lynn")
    PatientFactory(clinic=other_clinic, given_name="Loretta", family_name="Elsewhere")
    client.force_login(coordinator)

    response = client.post(reverse("patients:list"), {"query": "loretta"})

    names = [p.family_name for p in response.context["patients"]]
    assert names == ["Lynn"]


@pytest.mark.parametrize(
    ("query", "found"),
    [
        ("1971-04-01", True),
        ("1971-04-02", False),
        ("0142", True),
        ("dolly parton", True),
        ("dolly cash", False),
    ],
)
def test_search_by_birth_date_phone_or_words(client, coordinator, clinic, query, found):
    PatientFactory(
        clinic=clinic,
        given_name="Dolly",
        family_name="Parton",
        birth_date=dt.date(1971, 4, 1),
        phone="(615) 555-0142",
    )
    client.force_login(coordinator)

    response = client.post(reverse("patients:list"), {"query": query})

    assert (len(response.context["patients"]) == 1) == found


def test_search_runs_by_post_so_names_stay_out_of_urls(client, coordinator):
    client.force_login(coordinator)

    response = client.get(reverse("patients:list"))

    assert 'method="post"' in response.content.decode()


def test_htmx_search_returns_only_the_results(client, coordinator, patient):
    client.force_login(coordinator)

    response = client.post(
        reverse("patients:list"), {"query": patient.family_name}, HTTP_HX_REQUEST="true"
    )

    html = response.content.decode()
    assert "<html" not in html
    assert patient.given_name in html


@pytest.mark.parametrize("count", [3, 30])
def test_patient_list_query_count_does_not_grow(
    client, coordinator, clinic, django_assert_max_num_queries, count
):
    PatientFactory.create_batch(count, clinic=clinic)
    client.force_login(coordinator)

    with django_assert_max_num_queries(12):
        response = client.get(reverse("patients:list"))

    assert response.status_code == 200


def test_patient_list_pages_to_older_patients_with_no_gap_or_repeat(client, coordinator, clinic):
    PatientFactory.create_batch(30, clinic=clinic)
    client.force_login(coordinator)

    first = client.get(reverse("patients:list"))
    older = client.get(reverse("patients:list"), {"before": first.context["older"]})

    shown = [p.pk for p in first.context["patients"]] + [p.pk for p in older.context["patients"]]
    assert len(first.context["patients"]) == 25
    assert older.context["older"] is None
    assert shown == list(
        Patient.objects.filter(clinic=clinic)
        .order_by("-created_at", "-id")
        .values_list("pk", flat=True)
    )
    assert "Newest" in older.content.decode()


def test_chart_shows_header_measurements_and_timeline(client, clinician, patient):
    client.force_login(clinician)
    client.post(
        reverse("patients:body_measurement_create", args=[patient.external_id]),
        {
            "measured_on": "2026-11-01",
            "weight": "154",
            "weight_unit": "lb",
            "height": "",
            "height_unit": "cm",
        },
    )

    response = client.get(reverse("patients:chart", args=[patient.external_id]))

    html = response.content.decode()
    assert patient.display_name in html
    assert "69.9 kg" in html
    assert "Registered at the clinic" in html


def test_chart_query_count_does_not_grow_with_the_record(
    client, clinician, patient, django_assert_max_num_queries
):
    """The chart gathers sections from several apps; none may query per row."""
    client.force_login(clinician)
    url = reverse("patients:chart", args=[patient.external_id])
    with CaptureQueriesContext(connection) as small:
        client.get(url)
    for day in range(20):
        BodyMeasurement.objects.create(
            patient=patient,
            measured_on=dt.date(2026, 1, 1) + dt.timedelta(days=day),
            weight_kg=70,
            recorded_by=clinician,
        )
        raise_alert(clinician, patient)

    with django_assert_max_num_queries(len(small.captured_queries)):
        response = client.get(url)

    assert response.status_code == 200


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"weight": "1800", "weight_unit": "kg"}, "weight", "between 25 and 350 kg"),
        ({"height": "17", "height_unit": "cm"}, "height", "between 100 and 250 cm"),
        ({"measured_on": "2099-01-01", "weight": "70"}, "measured_on", "cannot be in the future"),
        ({"weight": "", "height": ""}, "__all__", "Enter a weight, a height, or both."),
        ({"weight": "heavy"}, "weight", "Enter a number."),
    ],
)
def test_implausible_measurements_are_refused_at_the_field(
    client, clinician, patient, data, field, message
):
    client.force_login(clinician)
    payload = {"measured_on": "2026-11-01", "weight_unit": "kg", "height_unit": "cm", **data}

    response = client.post(
        reverse("patients:body_measurement_create", args=[patient.external_id]), payload
    )

    assert response.status_code == 200
    assert any(message in e for e in response.context["form"].errors[field])
    assert not BodyMeasurement.objects.exists()


def test_a_measurement_is_logged_against_the_patient(client, clinician, patient):
    client.force_login(clinician)

    client.post(
        reverse("patients:body_measurement_create", args=[patient.external_id]),
        {
            "measured_on": "2026-11-01",
            "weight": "70",
            "weight_unit": "kg",
            "height": "170",
            "height_unit": "cm",
        },
    )

    measurement = BodyMeasurement.objects.get()
    assert (measurement.weight_kg, measurement.height_cm) == (70, 170)
    entry = AccessLogEntry.objects.get(action=AccessAction.CREATE, patient=patient)
    assert entry.object_type == "bodymeasurement"
    assert entry.object_id == str(measurement.external_id)


def test_unknown_or_malformed_ids_are_not_found(client, clinician):
    client.force_login(clinician)

    assert client.get("/patients/00000000-0000-0000-0000-000000000000/").status_code == 404
    assert client.get("/patients/not-a-uuid/").status_code == 404
