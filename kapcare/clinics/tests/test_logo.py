import io
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from kapcare.clinics.models import ClinicSettingChange


def image_file(name="logo.png", size=(120, 40), image_format="PNG") -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", size, (11, 92, 173)).save(buffer, image_format)
    return SimpleUploadedFile(name, buffer.getvalue())


@pytest.fixture(autouse=True)
def _media_in_a_temporary_folder(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    }


def test_the_admin_uploads_a_logo_and_patients_see_it(
    client, clinic, clinic_admin, patient_user, patient
):
    client.force_login(clinic_admin)

    response = client.post(reverse("clinic_logo:settings"), {"logo": image_file()})

    assert response.status_code == 302
    clinic.refresh_from_db()
    assert clinic.logo.name.startswith("clinics/logos/")
    change = ClinicSettingChange.objects.get(clinic=clinic)
    assert change.changes[0]["field"] == "logo"
    client.force_login(patient_user)
    html = client.get(reverse("portal:home")).content.decode()
    assert reverse("clinic_logo:image", args=[clinic.slug]) in html
    image = client.get(reverse("clinic_logo:image", args=[clinic.slug]))
    assert image.status_code == 200
    assert image["Content-Type"] == "image/png"


@pytest.mark.parametrize(
    ("upload", "message"),
    [
        (SimpleUploadedFile("logo.png", b"<svg onload=alert(1)>"), "Upload a valid image"),
        (image_file("logo.gif", image_format="GIF"), "Upload a PNG, JPEG or WebP image."),
        (image_file(size=(2400, 100)), "over 2000 pixels a side"),
    ],
)
def test_a_file_that_is_not_a_fitting_image_is_refused_at_the_field(
    client, clinic, clinic_admin, upload, message
):
    client.force_login(clinic_admin)

    response = client.post(reverse("clinic_logo:settings"), {"logo": upload})

    assert response.status_code == 422
    assert message in response.content.decode()
    clinic.refresh_from_db()
    assert not clinic.logo


def test_the_logo_can_be_removed(client, clinic, clinic_admin):
    client.force_login(clinic_admin)
    client.post(reverse("clinic_logo:settings"), {"logo": image_file()})

    client.post(reverse("clinic_logo:settings"), {"remove": "on"})

    clinic.refresh_from_db()
    assert not clinic.logo
    assert client.get(reverse("clinic_logo:image", args=[clinic.slug])).status_code == 404


def test_a_clinic_without_a_logo_shows_its_name(client, clinic, patient_user, patient):
    client.force_login(patient_user)

    html = client.get(reverse("portal:home")).content.decode()

    assert re.search(
        rf'<a class="navbar-brand kc-brand" href="/home/">\s*{clinic.name}\s*</a>', html
    )
