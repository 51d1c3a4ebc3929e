"""The staff pages of the directory: the list and its search, adding an entry, an entry's
page, verifying a credential, changing an entry."""

import datetime as dt

import pytest
from django.urls import reverse

from kapcare.accounts.models import Role
from kapcare.audit.models import AccessAction, AccessLogEntry
from kapcare.therapists import services
from kapcare.therapists.models import Credential, TherapistProfile
from kapcare.therapists.tests.directory_factories import (
    JPEG,
    PDF,
    add_therapist,
    certificate,
    complete_credentials,
    shown_fingerprint,
    verify,
)
from tests.factories import UserFactory, open_episode

DIRECTORY = reverse("therapists:directory")
NEW = reverse("therapists:create")


def entry_form(**changes) -> dict:
    form = {
        "full_name": "Rowan Reyes",
        "email": "rowan@reyes-therapy.example",
        "credentials": "LCSW",
        "practice_name": "Reyes Therapy",
        "phone": "615-555-0142",
        "city": "Franklin",
        "state": "tn",
        "website": "reyes-therapy.example",
        "licence_type": "lcsw",
        "licence_state": "TN",
        "licence_number": "LCSW-998",
        "licence_expires_on": "2027-09-30",
        "training_programme": "Fluence KAP certificate",
        "training_completed_on": "2025-02-14",
        "modalities": ["emdr", "act"],
        "fee_per_session": "165.00",
        "is_accepting_patients": "on",
    }
    form.update(changes)
    return {k: v for k, v in form.items() if v is not None}


def detail_url(profile) -> str:
    return reverse("therapists:detail", args=[profile.external_id])


def verify_url(profile, credential) -> str:
    return reverse("therapists:verify", args=[profile.external_id, credential])


# --- The list ----------------------------------------------------------------------------------


def test_the_directory_lists_each_entry_with_its_status_and_warnings(client, coordinator):
    verify(add_therapist(coordinator, full_name="Vera Verified"), coordinator)
    add_therapist(coordinator, email="una@x.example", full_name="Una Unchecked")
    client.force_login(coordinator)

    page = client.get(DIRECTORY).content.decode()

    assert "Vera Verified" in page
    assert "Una Unchecked" in page
    assert "✓ Verified" in page
    assert "Licence not verified by the clinic." in page
    assert "KAP training not verified by the clinic." in page


def test_the_search_narrows_by_name_place_modality_and_verification(client, coordinator):
    verify(
        add_therapist(coordinator, full_name="Vera Verified", city="Memphis", modalities=["emdr"]),
        coordinator,
    )
    add_therapist(coordinator, email="una@x.example", full_name="Una Unchecked", modalities=["cbt"])
    client.force_login(coordinator)

    def names(**query) -> set[str]:
        response = client.get(DIRECTORY, query)
        return {e.profile.user.full_name for e in response.context["entries"]}

    assert names(name="vera") == {"Vera Verified"}
    assert names(name="x.example") == {"Una Unchecked"}
    assert names(place="memphis") == {"Vera Verified"}
    assert names(place="TN") == {"Vera Verified", "Una Unchecked"}
    assert names(modality="cbt") == {"Una Unchecked"}
    assert names(verified_only="on") == {"Vera Verified"}
    assert names() == {"Vera Verified", "Una Unchecked"}


def test_the_directory_shows_only_the_users_clinic(client, coordinator, outsider):
    add_therapist(coordinator, full_name="Tess Therapist")
    client.force_login(outsider)

    assert client.get(DIRECTORY).context["entries"] == []


def test_the_directory_takes_the_same_queries_for_one_entry_and_for_many(
    client, coordinator, django_assert_max_num_queries
):
    add_therapist(coordinator)
    client.force_login(coordinator)
    with django_assert_max_num_queries(20) as one:
        client.get(DIRECTORY)
    for n in range(5):
        verify(add_therapist(coordinator, email=f"t{n}@x.example"), coordinator)

    with django_assert_max_num_queries(len(one.captured_queries)):
        response = client.get(DIRECTORY)
    assert len(response.context["entries"]) == 6


def test_reading_the_directory_logs_nothing(client, coordinator):
    add_therapist(coordinator)
    client.force_login(coordinator)

    client.get(DIRECTORY)

    assert not AccessLogEntry.objects.exists()


# --- Adding an entry ---------------------------------------------------------------------------


def test_staff_add_a_therapist_with_every_field(client, coordinator, clinic):
    client.force_login(coordinator)

    response = client.post(NEW, {**entry_form(), "training_certificate": certificate(PDF)})

    profile = TherapistProfile.objects.get()
    assert response["Location"] == detail_url(profile)
    assert (profile.clinic_id, profile.created_by_id) == (clinic.pk, coordinator.pk)
    assert profile.user.role == Role.THERAPIST
    assert not profile.user.has_usable_password()
    assert profile.user.display_name == "Rowan Reyes, LCSW"
    assert profile.state == "TN"
    assert profile.website == "https://reyes-therapy.example"
    assert profile.licence_expires_on == dt.date(2027, 9, 30)
    assert profile.modalities == ["emdr", "act"]
    assert str(profile.fee_per_session) == "165.00"
    assert profile.training_certificate.name.endswith(".pdf")
    assert "certificate" not in profile.training_certificate.name.rsplit("/", 1)[-1]
    assert profile.licence_verified_at is None
    assert profile.training_verified_at is None


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"licence_state": "ZZ"}, "licence_state", "Enter a US state's two-letter code"),
        ({"state": "Tennessee"}, "state", "Enter the two-letter code"),
        ({"licence_expires_on": "2101-01-01"}, "licence_expires_on", "between 2000 and 2100"),
        ({"training_completed_on": "1999-12-31"}, "training_completed_on", "between 2000"),
        ({"licence_expires_on": "31/09/2027"}, "licence_expires_on", "Enter a date"),
        ({"fee_per_session": "-5"}, "fee_per_session", "Enter zero or more."),
        ({"modalities": ["yoga"]}, "modalities", "Choose among the modalities"),
        ({"email": "rowan"}, "email", "Enter an email address"),
        ({"full_name": ""}, "full_name", "Enter the therapist's name."),
    ],
)
def test_bad_input_is_named_at_its_field_and_nothing_typed_is_lost(
    client, coordinator, changes, field, message
):
    client.force_login(coordinator)

    response = client.post(NEW, entry_form(**changes))

    form = response.context["form"]
    assert response.status_code == 200
    assert message in " ".join(form.errors[field])
    assert form["practice_name"].value() == "Reyes Therapy"
    assert form["modalities"].value() == changes.get("modalities", ["emdr", "act"])
    assert not TherapistProfile.objects.exists()


def test_a_certificate_that_is_not_a_pdf_png_or_jpeg_is_refused_at_the_field(client, coordinator):
    client.force_login(coordinator)
    fake = certificate(b"MZ\x90\x00 an executable", name="certificate.pdf")

    response = client.post(NEW, {**entry_form(), "training_certificate": fake})

    errors = response.context["form"].errors["training_certificate"]
    assert errors == ["Upload the certificate as a PDF, PNG or JPEG file."]
    assert not TherapistProfile.objects.exists()


def test_a_certificate_above_the_upload_limit_is_refused_at_the_field(
    client, coordinator, settings
):
    settings.MAX_UPLOAD_BYTES = 1024
    client.force_login(coordinator)
    big = certificate(PDF + b"0" * 2048)

    response = client.post(NEW, {**entry_form(), "training_certificate": big})

    errors = response.context["form"].errors["training_certificate"]
    assert errors[0].startswith("The file is 0.0 MB; upload one of at most 0.0 MB")
    assert not TherapistProfile.objects.exists()


def test_an_email_already_in_the_directory_is_refused_at_the_field(client, coordinator):
    add_therapist(coordinator, email="rowan@reyes-therapy.example")
    client.force_login(coordinator)

    response = client.post(NEW, entry_form())

    assert response.context["form"].errors["email"] == [
        "This therapist is already in the directory."
    ]
    assert response.context["form"]["licence_number"].value() == "LCSW-998"


def test_a_staff_members_email_cannot_become_a_therapist(client, coordinator, clinician):
    client.force_login(coordinator)

    response = client.post(NEW, entry_form(email=clinician.email))

    assert "not a therapist" in response.context["form"].errors["email"][0]


# --- An entry's page ---------------------------------------------------------------------------


def test_the_entry_shows_each_credential_with_who_verified_it_and_when(
    client, coordinator, clinician
):
    profile = verify(add_therapist(coordinator), clinician, "licence")
    client.force_login(coordinator)

    page = client.get(detail_url(profile)).content.decode()

    assert "by Cal Clinician, CRNA on" in page
    assert page.count("Not yet") == 2  # training and ASKP3
    assert "KAP training not verified by the clinic." in page
    assert "{# --- invitation" not in page  # the marker is a template comment


def test_the_entry_lists_the_clinics_episodes_that_depend_on_the_therapist_and_logs_them(
    client, coordinator, clinician, patient, other_patient
):
    profile = add_therapist(coordinator)
    for p in (patient, other_patient):
        open_episode(p, clinician, therapist=profile.user)
    open_episode(patient, clinician, therapist=UserFactory(role=Role.THERAPIST, clinic=None))
    client.force_login(coordinator)
    before = set(AccessLogEntry.objects.values_list("pk", flat=True))

    response = client.get(detail_url(profile))

    assert len(response.context["episodes"]) == 2
    listed = AccessLogEntry.objects.exclude(pk__in=before)
    assert sorted(listed.values_list("patient_id", "action")) == sorted(
        [(patient.pk, AccessAction.LIST), (other_patient.pk, AccessAction.LIST)]
    )


def test_the_entry_takes_the_same_queries_for_one_episode_and_for_many(
    client, coordinator, clinician, patient, clinic, django_assert_max_num_queries
):
    from tests.factories import PatientFactory

    profile = add_therapist(coordinator)
    open_episode(patient, clinician, therapist=profile.user)
    client.force_login(coordinator)
    with django_assert_max_num_queries(30) as one:
        client.get(detail_url(profile))
    for _ in range(4):
        open_episode(PatientFactory(clinic=clinic), clinician, therapist=profile.user)

    with django_assert_max_num_queries(len(one.captured_queries)):
        response = client.get(detail_url(profile))
    assert len(response.context["episodes"]) == 5


def test_another_clinics_entry_is_not_found(client, coordinator, outsider):
    profile = add_therapist(coordinator)
    client.force_login(outsider)

    assert client.get(detail_url(profile)).status_code == 404
    assert client.post(verify_url(profile, "licence")).status_code == 404
    assert TherapistProfile.objects.get().licence_verified_at is None


# --- Verifying ---------------------------------------------------------------------------------


def test_staff_verify_a_credential_and_who_and_when_are_recorded(client, clinician):
    profile = add_therapist(clinician)
    client.force_login(clinician)

    seen = shown_fingerprint(client, profile, "training")

    response = client.post(verify_url(profile, "training"), {"fingerprint": seen}, follow=True)

    profile.refresh_from_db()
    assert profile.training_verified_by_id == clinician.pk
    assert profile.training_verified_at is not None
    assert "KAP training verified by you" in response.content.decode()


def test_verifying_what_is_not_there_is_refused_in_words(client, coordinator):
    profile = add_therapist(coordinator)  # not an ASKP3 member
    client.force_login(coordinator)

    page = client.get(reverse("therapists:detail", args=[profile.external_id])).content.decode()
    assert "Nothing to verify yet. The therapist is not recorded as an ASKP3 member." in page
    assert verify_url(profile, "askp3") not in page
    seen = services.credential_fingerprint(profile, Credential.ASKP3)

    response = client.post(verify_url(profile, "askp3"), {"fingerprint": seen})

    assert response.status_code == 422
    assert "The therapist is not recorded as an ASKP3 member." in response.content.decode()
    profile.refresh_from_db()
    assert profile.askp3_verified_at is None


def test_an_unknown_credential_is_not_found(client, coordinator):
    profile = add_therapist(coordinator)
    client.force_login(coordinator)

    assert client.post(verify_url(profile, "diploma")).status_code == 404


def test_verifying_takes_a_post(client, coordinator):
    profile = add_therapist(coordinator)
    client.force_login(coordinator)

    assert client.get(verify_url(profile, "licence")).status_code == 405


# --- Changing an entry ---------------------------------------------------------------------------


def test_changing_a_licence_clears_its_verification_and_says_so(client, coordinator):
    profile = verify(add_therapist(coordinator), coordinator)
    client.force_login(coordinator)
    url = reverse("therapists:edit", args=[profile.external_id])
    form = client.get(url).context["form"]
    data = {name: form[name].value() for name in form.fields if name != "training_certificate"}
    data = {k: ("" if v is None else v) for k, v in data.items() if v is not False}

    response = client.post(url, {**data, "licence_number": "LMFT-5678"}, follow=True)

    profile.refresh_from_db()
    assert profile.licence_number == "LMFT-5678"
    assert profile.licence_verified_at is None
    assert profile.training_verified_at is not None
    page = response.content.decode()
    assert "The verification of the licence was cleared because its facts changed" in page


def test_a_new_certificate_replaces_the_old_and_clears_the_training_verification(
    client, coordinator
):
    profile = verify(add_therapist(coordinator, training_certificate=certificate()), coordinator)
    old_name = profile.training_certificate.name
    client.force_login(coordinator)
    url = reverse("therapists:edit", args=[profile.external_id])

    client.post(
        url,
        {
            "full_name": "Tess Therapist",
            "licence_type": "lmft",
            "licence_state": "TN",
            "licence_number": "LMFT-1234",
            "licence_expires_on": complete_credentials()["licence_expires_on"].isoformat(),
            "training_programme": "Polaris Insight Center KAP training",
            "training_completed_on": "2024-05-01",
            "training_certificate": certificate(JPEG, name="scan.jpg"),
            "modalities": ["cbt", "ifs"],
            "city": "Nashville",
            "state": "TN",
        },
    )

    profile.refresh_from_db()
    assert profile.training_certificate.name != old_name
    assert profile.training_certificate.name.endswith(".jpg")
    assert profile.training_verified_at is None
    assert profile.licence_verified_at is not None


def test_saving_without_a_new_file_keeps_the_certificate_and_its_verification(client, coordinator):
    profile = verify(add_therapist(coordinator, training_certificate=certificate()), coordinator)
    client.force_login(coordinator)
    url = reverse("therapists:edit", args=[profile.external_id])
    form = client.get(url).context["form"]
    data = {name: form[name].value() for name in form.fields if name != "training_certificate"}
    data = {k: ("" if v is None else v) for k, v in data.items() if v is not False}

    response = client.post(url, {**data, "phone": "615-555-0000"})

    assert response.status_code == 302
    saved = TherapistProfile.objects.get()
    assert saved.training_certificate.name == profile.training_certificate.name
    assert saved.training_verified_at is not None
    assert saved.licence_verified_at is not None
    assert saved.phone == "615-555-0000"
