"""Directory entries for the directory's tests, made through the services as the pages
make them."""

import datetime as dt

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from kapcare.audit.log import Actor
from kapcare.therapists import services
from kapcare.therapists.models import Credential

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 32


def certificate(content: bytes = PDF, name: str = "certificate.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/octet-stream")


def complete_credentials() -> dict:
    """A complete licence (expiring in three years) and KAP training."""
    return {
        "licence_type": "lmft",
        "licence_state": "TN",
        "licence_number": "LMFT-1234",
        "licence_expires_on": timezone.localdate() + dt.timedelta(days=3 * 365),
        "training_programme": "Polaris Insight Center KAP training",
        "training_completed_on": dt.date(2024, 5, 1),
    }


def add_therapist(by, *, email="tess@practice.example", full_name="Tess Therapist", **data):
    """A directory entry in `by`'s clinic with `complete_credentials`, nothing verified."""
    fields = {
        **complete_credentials(),
        "modalities": ["cbt", "ifs"],
        "city": "Nashville",
        "state": "TN",
        **data,
    }
    return services.create_profile(
        actor=Actor(user=by, ip_address="127.0.0.1"),
        clinic=by.clinic,
        email=email,
        full_name=full_name,
        data=fields,
    )


def verify(profile, by, *credentials):
    for credential in credentials or (Credential.LICENCE, Credential.TRAINING):
        services.verify_credential(
            actor=Actor(user=by, ip_address="127.0.0.1"),
            profile=profile,
            credential=credential,
            fingerprint=services.credential_fingerprint(profile, credential),
        )
    return profile


def shown_fingerprint(client, profile, credential) -> str:
    """The fingerprint the entry's page puts in `credential`'s Verify form: what a member
    of staff who opened the page now would post."""
    page = client.get(reverse("therapists:detail", args=[profile.external_id]))
    (row,) = [row for row in page.context["credentials"] if row.credential == credential]
    assert f'name="fingerprint" value="{row.fingerprint}"' in page.content.decode()
    return row.fingerprint
