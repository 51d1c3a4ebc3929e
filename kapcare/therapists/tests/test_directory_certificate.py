"""The training certificate: a download for staff of the clinic and the therapist
themself, nobody else."""

from django.urls import reverse

from kapcare.therapists.tests.directory_factories import JPEG, PDF, PNG, add_therapist, certificate


def certificate_url(profile) -> str:
    return reverse("therapists:certificate", args=[profile.external_id])


def test_staff_download_the_certificate_as_an_attachment_of_its_type(client, coordinator):
    profile = add_therapist(coordinator, training_certificate=certificate(PDF))
    client.force_login(coordinator)

    response = client.get(certificate_url(profile))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;")
    assert b"".join(response.streaming_content) == PDF


def test_the_content_type_follows_the_files_content(client, coordinator):
    png = add_therapist(coordinator, training_certificate=certificate(PNG, name="a.pdf"))
    jpeg = add_therapist(
        coordinator, email="j@x.example", training_certificate=certificate(JPEG, name="b.png")
    )
    client.force_login(coordinator)

    assert client.get(certificate_url(png))["Content-Type"] == "image/png"
    assert client.get(certificate_url(jpeg))["Content-Type"] == "image/jpeg"


def test_the_therapist_downloads_their_own_certificate(client, coordinator):
    profile = add_therapist(coordinator, training_certificate=certificate(PDF))
    client.force_login(profile.user)

    response = client.get(certificate_url(profile))

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF


def test_another_therapist_and_another_clinic_get_404(client, coordinator, therapist, outsider):
    profile = add_therapist(coordinator, training_certificate=certificate(PDF))

    for user in (therapist, outsider):
        client.force_login(user)
        assert client.get(certificate_url(profile)).status_code == 404


def test_a_patient_is_refused(client, coordinator, patient_user):
    profile = add_therapist(coordinator, training_certificate=certificate(PDF))
    client.force_login(patient_user)

    assert client.get(certificate_url(profile)).status_code == 403


def test_no_certificate_on_file_is_not_found(client, coordinator):
    profile = add_therapist(coordinator)
    client.force_login(coordinator)

    assert client.get(certificate_url(profile)).status_code == 404
