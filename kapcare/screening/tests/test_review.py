"""The clinician's review: vitals with plausibility limits, a finding on each condition, and
the sign-off that locks the screening for good."""

from html import unescape

import pytest
from django.db import DatabaseError, transaction
from django.urls import reverse
from django.utils import timezone

from kapcare.audit.models import AccessAction, AccessLogEntry
from kapcare.patients.models import BodyMeasurement
from kapcare.screening import rules, services
from kapcare.screening.models import MedicalScreening
from kapcare.screening.tests.conftest import actor, review_report


def review_url(patient):
    return reverse("screening:review", args=[patient.external_id])


def review_data(screening, *, present=(), complete=True, **overrides):
    """POST data for the review form: every condition confirmed absent except `present`."""
    data = {
        "screened_on": timezone.localdate().isoformat(),
        "systolic": "124",
        "diastolic": "78",
        "weight": "72.5",
        "weight_unit": "kg",
        "pregnancy_status": rules.NOT_PREGNANT,
        "clinician_notes": "Well on the day.",
    }
    for answer in screening.condition_answers.select_related("contraindication"):
        if answer.contraindication.is_pregnancy:
            continue
        data[f"finding_{answer.pk}"] = "yes" if answer.contraindication.code in present else "no"
        data[f"finding_{answer.pk}_note"] = ""
    for entry in screening.medications.all():
        data[f"medication_{entry.pk}_note"] = ""
    if complete:
        data["complete"] = "on"
    data.update(overrides)
    return data


@pytest.fixture
def screening(patient, submit_history):
    return submit_history(
        patient,
        present={"controlled_hypertension"},
        medications=[("Clonazepam", "0.5 mg", "nightly")],
    )


def test_clinician_sees_what_the_patient_reported(client, clinician, patient, screening):
    client.force_login(clinician)

    response = client.get(review_url(patient))

    html = response.content.decode()
    assert response.status_code == 200
    assert html.count("<h1") == 1
    assert "Hypertension, controlled on treatment" in html
    assert "Clonazepam 0.5 mg nightly" in html
    assert "Benzodiazepines" in html


def test_clinician_completes_the_screening(client, clinician, patient, screening):
    client.force_login(clinician)

    response = client.post(
        review_url(patient), review_data(screening, present={"controlled_hypertension"})
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("screening:detail", args=[patient.external_id])
    screening.refresh_from_db()
    assert screening.is_completed
    assert screening.completed_by_id == clinician.pk
    assert (screening.blood_pressure_systolic, screening.blood_pressure_diastolic) == (124, 78)
    assert str(screening.weight_kg) == "72.5"
    assert screening.clinician_notes == "Well on the day."
    confirmed = screening.condition_answers.filter(confirmed_present=True)
    assert [a.name for a in confirmed] == ["Hypertension, controlled on treatment"]
    assert not screening.condition_answers.filter(confirmed_present__isnull=True).exists()


def test_completing_logs_the_update_and_records_the_weight(client, clinician, patient, screening):
    client.force_login(clinician)

    client.post(review_url(patient), review_data(screening, weight="160", weight_unit="lb"))

    rows = list(
        AccessLogEntry.objects.filter(actor=clinician)
        .order_by("id")
        .values_list("action", "object_type")
    )
    assert rows == [
        (AccessAction.UPDATE, "medicalscreening"),
        (AccessAction.CREATE, "bodymeasurement"),
    ]
    measurement = BodyMeasurement.objects.get(patient=patient)
    assert str(measurement.weight_kg) == "72.6"
    assert measurement.recorded_by_id == clinician.pk


def test_saving_without_signing_keeps_the_screening_open(client, clinician, patient, screening):
    client.force_login(clinician)
    data = review_data(screening, complete=False, weight="")

    client.post(review_url(patient), data)

    screening.refresh_from_db()
    assert screening.is_reviewed
    assert not screening.is_completed
    assert not BodyMeasurement.objects.exists()


@pytest.mark.parametrize(
    ("systolic", "diastolic", "field", "message"),
    [
        ("59", "40", "systolic", "between 60 and 260"),
        ("261", "100", "systolic", "between 60 and 260"),
        ("1200", "80", "systolic", "between 60 and 260"),
        ("120", "29", "diastolic", "between 30 and 160"),
        ("200", "161", "diastolic", "between 30 and 160"),
        ("80", "120", "diastolic", "were the two numbers swapped?"),
        ("120", "120", "diastolic", "lower than systolic"),
        ("12O", "80", "systolic", "whole number"),
        ("120", "", "diastolic", "Enter both numbers"),
    ],
)
def test_implausible_blood_pressure_is_refused_at_the_field(
    client, clinician, patient, screening, systolic, diastolic, field, message
):
    client.force_login(clinician)

    response = client.post(
        review_url(patient), review_data(screening, systolic=systolic, diastolic=diastolic)
    )

    assert response.status_code == 200
    assert message in " ".join(response.context["form"].errors[field])
    html = unescape(response.content.decode())
    assert "Nothing you typed has been lost." in html
    assert f'value="{systolic}"' in html
    assert "Well on the day." in html
    screening.refresh_from_db()
    assert not screening.is_reviewed


def test_implausible_weight_is_refused_at_the_field(client, clinician, patient, screening):
    client.force_login(clinician)

    response = client.post(review_url(patient), review_data(screening, weight="725"))

    assert "between 25 and 350 kg" in " ".join(response.context["form"].errors["weight"])


def test_screening_date_cannot_be_in_the_future(client, clinician, patient, screening):
    client.force_login(clinician)

    response = client.post(review_url(patient), review_data(screening, screened_on="2099-01-01"))

    assert "cannot be in the future" in " ".join(response.context["form"].errors["screened_on"])


def test_signing_needs_a_finding_on_every_condition(client, clinician, patient, screening):
    client.force_login(clinician)
    data = review_data(screening)
    psychosis = screening.condition_answers.get(contraindication__code="active_psychosis")
    del data[f"finding_{psychosis.pk}"]

    response = client.post(review_url(patient), data)

    assert response.context["form"].errors[f"finding_{psychosis.pk}"] == [
        "Confirm present or absent before completing."
    ]
    screening.refresh_from_db()
    assert not screening.is_completed


def test_signing_needs_the_vitals(client, clinician, patient, screening):
    client.force_login(clinician)

    response = client.post(
        review_url(patient), review_data(screening, systolic="", diastolic="", weight="")
    )

    errors = response.context["form"].errors
    assert "Record the blood pressure" in errors["systolic"][0]
    assert "Record the weight" in errors["weight"][0]


def test_possibly_pregnant_must_be_resolved_before_signing(
    client, clinician, patient, submit_history
):
    screening = submit_history(patient, pregnancy=rules.POSSIBLY_PREGNANT)
    client.force_login(clinician)

    response = client.post(
        review_url(patient), review_data(screening, pregnancy_status=rules.POSSIBLY_PREGNANT)
    )

    assert "Resolve 'possibly pregnant'" in response.context["form"].errors["pregnancy_status"][0]
    assert not MedicalScreening.objects.get(pk=screening.pk).is_completed


def test_clinician_confirms_a_pregnancy_and_it_becomes_present(
    client, clinician, patient, submit_history
):
    screening = submit_history(patient, pregnancy=rules.POSSIBLY_PREGNANT)
    client.force_login(clinician)

    client.post(review_url(patient), review_data(screening, pregnancy_status=rules.PREGNANT))

    answer = screening.condition_answers.get(contraindication__code="pregnancy")
    assert answer.confirmed_present is True
    assert MedicalScreening.objects.get(pk=screening.pk).pregnancy_status == rules.PREGNANT


def test_a_completed_screening_shows_no_form_and_refuses_changes(
    client, clinician, patient, screening
):
    client.force_login(clinician)
    client.post(review_url(patient), review_data(screening))

    page = client.get(review_url(patient))
    again = client.post(review_url(patient), review_data(screening, systolic="150"))

    assert page.context["form"] is None
    assert "can no longer change" in page.content.decode()
    assert again.status_code == 200
    assert MedicalScreening.objects.get(pk=screening.pk).blood_pressure_systolic == 124


def test_the_service_refuses_to_change_a_completed_screening(
    patient, clinician, completed_screening
):
    screening = completed_screening(patient)

    with pytest.raises(services.Refused, match="already completed"):
        services.review_screening(
            actor=actor(clinician),
            patient=patient,
            screening=screening,
            review=review_report(screening, systolic=150),
            complete=False,
        )


def test_the_database_refuses_to_change_a_completed_screening(patient, completed_screening):
    screening = completed_screening(patient)

    with pytest.raises(DatabaseError), transaction.atomic():
        MedicalScreening.objects.filter(pk=screening.pk).update(clinician_notes="Rewritten")


def test_the_database_still_accepts_changes_to_an_open_screening(patient, submit_history):
    screening = submit_history(patient)

    MedicalScreening.objects.filter(pk=screening.pk).update(clinician_notes="Draft note")

    assert MedicalScreening.objects.get(pk=screening.pk).clinician_notes == "Draft note"


def test_a_superseded_version_is_not_reviewed(patient, clinician, submit_history):
    first = submit_history(patient)
    submit_history(patient)

    with pytest.raises(services.Refused, match="newer health history"):
        services.review_screening(
            actor=actor(clinician),
            patient=patient,
            screening=first,
            review=review_report(first),
            complete=True,
        )


def test_page_without_a_history_offers_to_enter_one(client, clinician, patient):
    client.force_login(clinician)

    response = client.get(review_url(patient))

    assert response.status_code == 200
    assert reverse("screening:history", args=[patient.external_id]) in response.content.decode()


def test_opening_the_review_is_logged(client, clinician, patient, screening):
    client.force_login(clinician)

    client.get(review_url(patient))

    entry = AccessLogEntry.objects.get(actor=clinician)
    assert (entry.action, entry.patient_id, entry.actor_id) == (
        AccessAction.VIEW,
        patient.pk,
        clinician.pk,
    )


@pytest.mark.parametrize(
    "persona", ["coordinator", "clinic_admin", "therapist", "patient_user", "outsider"]
)
def test_only_clinicians_review_a_screening(client, request, patient, screening, persona):
    client.force_login(request.getfixturevalue(persona))

    assert client.get(review_url(patient)).status_code == 403
    assert client.post(review_url(patient), review_data(screening)).status_code == 403
    assert not MedicalScreening.objects.get(pk=screening.pk).is_reviewed


def test_a_clinician_of_another_clinic_gets_404(client, outsider_clinician, patient, screening):
    client.force_login(outsider_clinician)

    assert client.get(review_url(patient)).status_code == 404
    assert client.post(review_url(patient), review_data(screening)).status_code == 404
    logged = AccessLogEntry.objects.filter(actor=outsider_clinician)
    assert set(logged.values_list("action", flat=True)) == {AccessAction.REFUSED}


def test_review_page_query_count_does_not_grow_with_the_history(
    client, clinician, patient, submit_history, django_assert_max_num_queries
):
    submit_history(patient, medications=[(f"Medicine {n}", "1 mg", "daily") for n in range(15)])
    client.force_login(clinician)

    with django_assert_max_num_queries(16):
        response = client.get(review_url(patient))

    assert response.status_code == 200
