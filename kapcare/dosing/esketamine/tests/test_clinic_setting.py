"""The clinic enables esketamine on its settings page only with its Spravato REMS
certification, and the change is in the settings' history."""

import datetime as dt

from django.urls import reverse
from django.utils import timezone

from kapcare.clinics.models import ClinicSettingChange
from kapcare.clinics.tests.test_settings_page import settings_data


def test_an_uncertified_clinic_cannot_enable_esketamine(client, clinic_admin, clinic):
    client.force_login(clinic_admin)

    response = client.post(
        reverse("clinics:settings"), settings_data(clinic, esketamine_enabled="on")
    )

    assert "certified under the Spravato REMS" in str(
        response.context["form"].errors["esketamine_enabled"]
    )
    clinic.refresh_from_db()
    assert not clinic.esketamine_enabled


def test_a_certified_clinic_enables_esketamine(client, clinic_admin, clinic):
    client.force_login(clinic_admin)
    data = settings_data(
        clinic,
        esketamine_enabled="on",
        rems_certification_id="HCS-55321",
        rems_certified_on=(timezone.localdate() - dt.timedelta(days=30)).isoformat(),
    )

    response = client.post(reverse("clinics:settings"), data)

    assert response.status_code == 302
    clinic.refresh_from_db()
    assert (clinic.esketamine_enabled, clinic.rems_certification_id) == (True, "HCS-55321")
    change = ClinicSettingChange.objects.get(clinic=clinic)
    assert {row["field"] for row in change.changes} == {
        "esketamine_enabled",
        "rems_certification_id",
        "rems_certified_on",
    }


def test_the_observation_after_esketamine_cannot_be_set_below_2_hours(client, clinic_admin, clinic):
    client.force_login(clinic_admin)

    response = client.post(
        reverse("clinics:settings"), settings_data(clinic, esketamine_observation_minutes=90)
    )

    assert "esketamine_observation_minutes" in response.context["form"].errors
    clinic.refresh_from_db()
    assert clinic.esketamine_observation_minutes == 120
