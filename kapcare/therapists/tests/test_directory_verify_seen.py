"""Staff verify the facts they saw: the Verify form posts a fingerprint of the credential's
facts as the page showed them, and the verification is refused when the facts changed since
(read from the locked row, as is the "nothing to verify" check)."""

import datetime as dt

import pytest
from django.urls import reverse

from kapcare.audit.log import Actor
from kapcare.refusals import Refused
from kapcare.therapists import services
from kapcare.therapists.models import Credential, LicenceType, TherapistProfile
from kapcare.therapists.services import create_profile, credential_fingerprint
from kapcare.therapists.tests.directory_factories import (
    add_therapist,
    certificate,
    shown_fingerprint,
)

CHANGED = "The licence details changed since you opened this page; check them again."


def verify_url(profile, credential) -> str:
    return reverse("therapists:verify", args=[profile.external_id, credential])


def change(profile, by, **data) -> None:
    services.update_profile(actor=Actor(user=by, ip_address=None), profile=profile, data=data)


def test_facts_changed_between_the_page_and_the_click_are_not_verified(
    client, coordinator, clinician
):
    profile = add_therapist(coordinator)
    client.force_login(clinician)
    seen = shown_fingerprint(client, profile, "licence")
    # Meanwhile a colleague (or the therapist) changes the licence number.
    change(TherapistProfile.objects.get(pk=profile.pk), coordinator, licence_number="LMFT-9876")

    response = client.post(verify_url(profile, "licence"), {"fingerprint": seen})

    assert response.status_code == 422
    page = response.content.decode()
    assert f"Licence not verified: {CHANGED}" in page
    assert 'id="credential-licence-problem"' in page
    assert "LMFT-9876" in page  # the entry as it now stands, to check again
    assert TherapistProfile.objects.get(pk=profile.pk).licence_verified_at is None


def test_after_looking_again_the_new_facts_can_be_verified(client, coordinator, clinician):
    profile = add_therapist(coordinator)
    change(profile, coordinator, licence_number="LMFT-9876")
    client.force_login(clinician)

    seen = shown_fingerprint(client, profile, "licence")
    client.post(verify_url(profile, "licence"), {"fingerprint": seen})

    assert TherapistProfile.objects.get(pk=profile.pk).licence_verified_by_id == clinician.pk


def test_a_verify_form_that_posts_no_fingerprint_verifies_nothing(client, coordinator):
    profile = add_therapist(coordinator)
    client.force_login(coordinator)

    response = client.post(verify_url(profile, "licence"))

    assert response.status_code == 422
    assert TherapistProfile.objects.get(pk=profile.pk).licence_verified_at is None


def test_a_change_to_one_credential_does_not_stop_verifying_another(client, coordinator, clinician):
    profile = add_therapist(coordinator)
    client.force_login(clinician)
    seen = shown_fingerprint(client, profile, "training")
    change(TherapistProfile.objects.get(pk=profile.pk), coordinator, licence_number="LMFT-9876")

    client.post(verify_url(profile, "training"), {"fingerprint": seen})

    assert TherapistProfile.objects.get(pk=profile.pk).training_verified_at is not None


def test_a_new_certificate_changes_what_the_training_verification_vouches_for(coordinator):
    profile = add_therapist(coordinator)
    before = services.credential_fingerprint(profile, Credential.TRAINING)

    change(profile, coordinator, training_certificate=certificate())

    assert services.credential_fingerprint(profile, Credential.TRAINING) != before
    with pytest.raises(Refused) as refused:
        services.verify_credential(
            actor=Actor(user=coordinator, ip_address=None),
            profile=profile,
            credential=Credential.TRAINING,
            fingerprint=before,
        )
    assert refused.value.problems == {
        "credential": "The KAP training details changed since you opened this page; "
        "check them again."
    }


def test_the_nothing_to_verify_check_reads_the_row_not_a_stale_copy(coordinator):
    stale = add_therapist(coordinator)  # has a complete licence in memory
    fresh = TherapistProfile.objects.get(pk=stale.pk)
    change(fresh, coordinator, licence_number="")
    # Even with the fingerprint of what is now stored, the empty number is refused.
    fingerprint = services.credential_fingerprint(fresh, Credential.LICENCE)

    with pytest.raises(Refused) as refused:
        services.verify_credential(
            actor=Actor(user=coordinator, ip_address=None),
            profile=stale,
            credential=Credential.LICENCE,
            fingerprint=fingerprint,
        )

    assert refused.value.problems == {
        "credential": "Enter the licence type, number and expiry before verifying it."
    }
    assert TherapistProfile.objects.get(pk=stale.pk).licence_verified_at is None


def test_the_fingerprint_of_an_entry_just_made_matches_the_stored_row(coordinator):
    # Made with choice members (LicenceType.LMFT), read back as stored values ("lmft"):
    # the facts are the same, so is the fingerprint.
    profile = create_profile(
        actor=Actor(user=coordinator, ip_address=None),
        clinic=coordinator.clinic,
        email="fresh@example.org",
        full_name="Fresh Entry",
        data={
            "licence_type": LicenceType.LMFT,
            "licence_state": "TN",
            "licence_number": "LMFT 1",
            "licence_expires_on": dt.date(2030, 1, 31),
        },
    )
    stored = TherapistProfile.objects.get(pk=profile.pk)

    assert credential_fingerprint(profile, Credential.LICENCE) == credential_fingerprint(
        stored, Credential.LICENCE
    )
