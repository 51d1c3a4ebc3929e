import datetime as dt

import pytest
from django.urls import reverse

from kapcare.accounts.models import Role
from kapcare.audit.log import Actor
from kapcare.audit.models import AccessAction, AccessLogEntry
from kapcare.measures import scoring
from kapcare.measures.models import LicensedScaleResult
from kapcare.measures.records import record_licensed_scale
from tests.factories import UserFactory

TODAY = dt.date(2026, 3, 2)


def form_url(patient):
    return reverse("measures:licensed_scale_create", args=[patient.external_id])


def valid(**changes):
    return {"scale": "bdi2", "total": "21", "administered_on": "2026-03-01", **changes}


def test_clinician_records_a_total(client, clinician, patient):
    client.force_login(clinician)

    response = client.post(form_url(patient), valid())

    assert response.status_code == 302
    assert response["Location"] == reverse("patients:chart", args=[patient.external_id])
    result = LicensedScaleResult.objects.get()
    assert (result.scale, result.total, result.administered_on, result.recorded_by_id) == (
        "bdi2",
        21,
        dt.date(2026, 3, 1),
        clinician.pk,
    )


def test_recording_writes_the_access_log(client, clinician, patient):
    client.force_login(clinician)

    client.post(form_url(patient), valid())

    entry = AccessLogEntry.objects.filter(patient=patient).latest("id")
    assert (entry.action, entry.object_type, entry.actor_id) == (
        AccessAction.CREATE,
        "licensedscaleresult",
        clinician.pk,
    )


def test_opening_the_form_logs_a_read(client, clinician, patient):
    client.force_login(clinician)

    client.get(form_url(patient))

    entry = AccessLogEntry.objects.filter(patient=patient).latest("id")
    assert (entry.action, entry.actor_id) == (AccessAction.VIEW, clinician.pk)


@pytest.mark.parametrize(
    ("scale", "total", "message"),
    [
        ("bdi2", "64", "BDI-II total must be a whole number from 0 to 63; got 64."),
        ("hama", "57", "HAM-A total must be a whole number from 0 to 56; got 57."),
        ("cadss", "-1", "CADSS total must be a whole number from 0 to 92; got -1."),
    ],
)
def test_a_total_out_of_range_is_refused_naming_the_range(
    client, clinician, patient, scale, total, message
):
    client.force_login(clinician)

    response = client.post(form_url(patient), valid(scale=scale, total=total))

    assert response.status_code == 200
    assert response.context["form"].errors["total"] == [message]
    html = response.content.decode()
    assert f'value="{total}"' in html  # nothing typed is lost
    assert 'value="2026-03-01"' in html
    assert not LicensedScaleResult.objects.exists()


def test_a_total_that_is_not_a_number_is_refused_at_the_field(client, clinician, patient):
    client.force_login(clinician)

    response = client.post(form_url(patient), valid(total="twenty"))

    assert response.context["form"].errors["total"] == [
        "Enter the total as a whole number, e.g. 21."
    ]
    assert 'value="twenty"' in response.content.decode()


def test_a_date_in_the_future_is_refused(client, clinician, patient):
    client.force_login(clinician)

    response = client.post(form_url(patient), valid(administered_on="2999-01-01"))

    assert response.context["form"].errors["administered_on"] == [
        "The date administered cannot be in the future."
    ]


def test_a_refused_form_is_logged_as_a_read(client, clinician, patient):
    client.force_login(clinician)
    before = AccessLogEntry.objects.count()

    client.post(form_url(patient), valid(total="99"))

    entry = AccessLogEntry.objects.order_by("id")[before:].get()
    assert (entry.patient_id, entry.action) == (patient.pk, AccessAction.VIEW)


@pytest.mark.parametrize("persona", ["coordinator", "clinic_admin", "therapist", "patient_user"])
def test_only_clinicians_may_record_a_total(client, request, patient, persona):
    client.force_login(request.getfixturevalue(persona))

    assert client.get(form_url(patient)).status_code == 403
    assert client.post(form_url(patient), valid()).status_code == 403
    assert not LicensedScaleResult.objects.exists()


def test_clinician_of_another_clinic_gets_404(client, other_clinic, patient):
    client.force_login(UserFactory(role=Role.CLINICIAN, clinic=other_clinic))

    assert client.get(form_url(patient)).status_code == 404
    assert client.post(form_url(patient), valid()).status_code == 404


def test_the_write_function_checks_the_range_too(clinician, patient):
    with pytest.raises(scoring.AnswerError, match="from 0 to 60"):
        record_licensed_scale(
            actor=Actor(user=clinician, ip_address=None),
            patient=patient,
            scale="madrs",
            total=61,
            administered_on=TODAY,
        )

    assert not LicensedScaleResult.objects.exists()
