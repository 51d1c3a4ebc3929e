"""The money settings: the admin sets the fees (a negative one refused at its field, the
change kept in the settings history), and the front desk sees them when booking."""

from decimal import Decimal

from django.urls import reverse

from kapcare.clinics.models import ClinicSettingChange
from kapcare.clinics.tests.test_settings_page import settings_data
from tests.factories import open_episode


def test_the_admin_sets_the_fees_and_the_change_is_kept(client, clinic_admin, clinic):
    client.force_login(clinic_admin)

    refused = client.post(reverse("clinics:settings"), settings_data(clinic, late_cancel_fee="-5"))
    saved = client.post(
        reverse("clinics:settings"),
        settings_data(clinic, late_cancel_fee="75.00", no_show_fee="150"),
    )

    assert refused.status_code == 200
    assert 'value="-5"' in refused.content.decode()
    assert saved.status_code == 302
    clinic.refresh_from_db()
    assert (clinic.late_cancel_fee, clinic.no_show_fee) == (Decimal("75.00"), Decimal("150.00"))
    [change] = ClinicSettingChange.objects.filter(clinic=clinic)
    assert {item["field"]: Decimal(item["new"]) for item in change.changes} == {
        "late_cancel_fee": Decimal("75.00"),
        "no_show_fee": Decimal("150.00"),
    }


def test_the_fees_are_shown_when_the_series_is_booked(client, coordinator, clinic, patient):
    clinic.late_cancel_fee = Decimal("75.00")
    clinic.save(update_fields=["late_cancel_fee"])
    episode = open_episode(patient, coordinator, model="standalone")
    client.force_login(coordinator)

    html = client.get(reverse("series:plan", args=[episode.external_id])).content.decode()

    assert "a cancellation within 24 hours of the start costs $75.00" in html
