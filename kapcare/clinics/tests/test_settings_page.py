from django.forms.models import model_to_dict
from django.urls import reverse

from kapcare.clinics.forms import (
    CLINICAL_CHOICES,
    CLINICAL_SETTINGS,
    CLINICAL_TEXTS,
    MONEY_SETTINGS,
)
from kapcare.screening.status import blood_pressure_thresholds


def settings_data(clinic, **changes):
    data = {
        key: value if value is not None else ""
        for key, value in model_to_dict(
            clinic,
            fields=[
                "name",
                "time_zone",
                "phone",
                "email",
                "clinical_inbox",
                *MONEY_SETTINGS,
                *CLINICAL_SETTINGS,
                *CLINICAL_TEXTS,
            ],
        ).items()
    }
    # Checkboxes are posted only when ticked.
    data.update({name: "on" for name in CLINICAL_CHOICES if getattr(clinic, name)})
    data["working_days"] = list(clinic.working_days)
    data.update(changes)
    return data


def test_admin_changes_the_clinic_time_zone(client, clinic_admin, clinic):
    client.force_login(clinic_admin)
    data = settings_data(clinic, time_zone="America/Denver")

    response = client.post(reverse("clinics:settings"), data)

    assert response.status_code == 302
    clinic.refresh_from_db()
    assert clinic.time_zone == "America/Denver"


def test_unknown_time_zone_is_refused_at_the_field(client, clinic_admin, clinic):
    client.force_login(clinic_admin)
    data = settings_data(clinic, name="Renamed", time_zone="Mars/Olympus", clinical_inbox="x")

    response = client.post(reverse("clinics:settings"), data)

    form = response.context["form"]
    assert "time_zone" in form.errors
    assert "clinical_inbox" in form.errors
    assert 'value="Renamed"' in response.content.decode()
    clinic.refresh_from_db()
    assert clinic.name == "Music City Ketamine"


def test_admin_edits_only_their_own_clinic(client, clinic_admin, other_clinic):
    client.force_login(clinic_admin)
    data = {"name": "Hijacked", "time_zone": "UTC", "phone": "", "email": "", "clinical_inbox": ""}

    client.post(reverse("clinics:settings"), data)

    other_clinic.refresh_from_db()
    assert other_clinic.name == "Cumberland Infusions"


def test_admin_changes_a_clinical_setting(client, clinic_admin, clinic):
    client.force_login(clinic_admin)

    response = client.post(
        reverse("clinics:settings"), settings_data(clinic, eligibility_valid_months=6)
    )

    assert response.status_code == 302
    clinic.refresh_from_db()
    assert clinic.eligibility_valid_months == 6


def test_clinical_settings_show_their_sources(client, clinic_admin):
    client.force_login(clinic_admin)

    page = client.get(reverse("clinics:settings")).content.decode()

    for source in ("NQF 1884", "CMS159", "National Center for PTSD", "ASKP3"):
        assert source in page


def test_a_clinical_setting_out_of_range_is_refused_at_the_field(client, clinic_admin, clinic):
    client.force_login(clinic_admin)

    response = client.post(
        reverse("clinics:settings"), settings_data(clinic, response_fall_percent=150, name="Kept")
    )

    assert "response_fall_percent" in response.context["form"].errors
    assert 'value="Kept"' in response.content.decode()
    clinic.refresh_from_db()
    assert clinic.response_fall_percent == 50


def test_a_hold_level_below_the_warn_level_is_refused_at_the_field(client, clinic_admin, clinic):
    client.force_login(clinic_admin)

    response = client.post(
        reverse("clinics:settings"),
        settings_data(clinic, bp_warn_systolic=150, bp_hold_systolic=145),
    )

    assert response.context["form"].errors["bp_hold_systolic"] == [
        "The hold level must be at or above the warn level (150 mmHg)."
    ]
    clinic.refresh_from_db()
    assert clinic.bp_hold_systolic == 160


def test_clinics_that_defer_at_140_90_set_both_levels_alike(client, clinic_admin, clinic):
    client.force_login(clinic_admin)

    response = client.post(
        reverse("clinics:settings"),
        settings_data(clinic, bp_hold_systolic=140, bp_hold_diastolic=90),
    )

    assert response.status_code == 302
    clinic.refresh_from_db()
    assert (clinic.bp_hold_systolic, clinic.bp_hold_diastolic) == (140, 90)


def test_the_screening_reads_the_clinics_blood_pressure_levels(clinic):
    clinic.bp_hold_systolic = 150

    assert blood_pressure_thresholds(clinic).hold_systolic == 150


def test_admin_enters_the_clinics_dea_registration(client, clinic_admin, clinic):
    client.force_login(clinic_admin)
    data = settings_data(
        clinic, dea_registration_number="ab1234563", dea_registered_address="1 Music Row"
    )

    response = client.post(reverse("clinics:settings"), data)

    assert response.status_code == 302
    clinic.refresh_from_db()
    assert (clinic.dea_registration_number, clinic.dea_registered_address) == (
        "AB1234563",
        "1 Music Row",
    )


def test_a_dea_number_with_a_wrong_check_digit_is_refused_at_the_field(
    client, clinic_admin, clinic
):
    client.force_login(clinic_admin)

    response = client.post(
        reverse("clinics:settings"), settings_data(clinic, dea_registration_number="AB1234564")
    )

    assert response.context["form"].errors["dea_registration_number"] == [
        "This DEA registration number's check digit does not match: check it."
    ]
    clinic.refresh_from_db()
    assert clinic.dea_registration_number == ""


def test_admin_sets_the_days_the_clinic_is_open(client, clinic_admin, clinic):
    client.force_login(clinic_admin)
    assert clinic.working_weekdays == frozenset(range(5))  # Monday to Friday by default

    response = client.post(
        reverse("clinics:settings"), settings_data(clinic, working_days=["5", "1", "2", "3", "4"])
    )

    assert response.status_code == 302
    clinic.refresh_from_db()
    assert clinic.working_days == "12345"
    assert clinic.working_weekdays == frozenset({1, 2, 3, 4, 5})
    change = clinic.setting_changes.get()
    assert change.changes == [
        {
            "field": "working_days",
            "label": "Days the clinic is open",
            "old": "Monday, Tuesday, Wednesday, Thursday, Friday",
            "new": "Tuesday, Wednesday, Thursday, Friday, Saturday",
        }
    ]


def test_a_clinic_open_on_no_day_is_refused_at_the_field(client, clinic_admin, clinic):
    client.force_login(clinic_admin)
    data = settings_data(clinic, name="Renamed")
    del data["working_days"]

    response = client.post(reverse("clinics:settings"), data)

    content = response.content.decode()
    assert response.context["form"].errors["working_days"] == [
        "Tick at least one day the clinic is open."
    ]
    assert 'value="Renamed"' in content
    assert "<legend>Days the clinic is open" in content
    clinic.refresh_from_db()
    assert clinic.working_days == "01234"
