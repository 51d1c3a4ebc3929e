"""Every email to a patient goes with an HTML part under the clinic's name and, when the
clinic has one, its logo (an absolute address from SITE_URL), carrying the same words as
the text part and nothing more; emails to staff and therapists stay plain text."""

import datetime as dt
import html
import io

import pytest
import time_machine
from django.core import mail
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from django.utils.html import strip_tags

from kapcare.accounts.models import Role
from kapcare.dosing.tests.test_signing_fixtures import actor
from kapcare.measures import links
from kapcare.notifications import services
from kapcare.notifications.models import Notification, NotificationKind
from kapcare.notifications.tests.emails import do_the_clinical_work
from kapcare.patients import services as patient_services
from kapcare.scopes import Scope
from tests.factories import PatientFactory, UserFactory, authorize

SITE_URL = "https://kap.example.org"
PATIENT_KINDS = {
    NotificationKind.INVITATION,
    NotificationKind.PASSWORD_RESET,
    NotificationKind.QUESTIONNAIRE_LINK,
    NotificationKind.APPOINTMENT_REMINDER,
    NotificationKind.APPOINTMENT_CHANGED,
    NotificationKind.MESSAGE_RECEIVED,
    NotificationKind.GOOD_FAITH_ESTIMATE,
    NotificationKind.AFTER_CARE,
}


def words(text: str) -> str:
    return " ".join(text.split())


def html_of(message) -> str | None:
    parts = [content for content, mimetype in message.alternatives if mimetype == "text/html"]
    assert len(parts) <= 1
    return parts[0] if parts else None


def send_every_kind_of_email(client, clinic, coordinator, clinician, capture) -> set[str]:
    """Every kind of email a patient receives (and some to staff and a therapist), sent;
    the patients' addresses."""
    account = UserFactory(email="zq@example.org", role=Role.PATIENT, clinic=clinic)
    patient = PatientFactory(clinic=clinic, user=account, email="zq@example.org")
    newcomer = PatientFactory(clinic=clinic, email="new.patient@example.org")
    therapist = UserFactory(email="theo@example.org", role=Role.THERAPIST, clinic=None)
    next_dose = (timezone.now() + dt.timedelta(days=3)).replace(minute=0, second=0)
    with capture(execute=True):
        patient_services.invite_to_portal(actor=actor(coordinator), patient=newcomer)
        client.post(reverse("accounts:password_reset"), {"email": account.email})
        client.post(reverse("accounts:password_reset"), {"email": clinician.email})
        links.send_questionnaire_link(actor=actor(coordinator), patient=patient, instrument="gad7")
        authorize(patient, therapist, scopes=list(Scope))
        do_the_clinical_work(
            patient=patient,
            clinician=clinician,
            coordinator=coordinator,
            therapist=therapist,
            next_dose=next_dose,
        )
    with time_machine.travel(next_dose - dt.timedelta(hours=24), tick=False):
        call_command("send_due_notifications", stdout=io.StringIO())
    return {account.email, newcomer.email}


@pytest.mark.parametrize("has_logo", [True, False], ids=["with-logo", "without-logo"])
def test_every_patient_email_has_an_html_part_with_the_clinics_name_and_logo(
    client, settings, clinic, coordinator, clinician, django_capture_on_commit_callbacks, has_logo
):
    settings.SITE_URL = SITE_URL
    clinic.name = "Riverbend & Co. Wellness"
    clinic.logo = "clinics/logos/riverbend.png" if has_logo else ""
    clinic.save(update_fields=["name", "logo"])
    logo = f'<img src="{SITE_URL}/clinics/{clinic.slug}/logo/"'

    patients = send_every_kind_of_email(
        client, clinic, coordinator, clinician, django_capture_on_commit_callbacks
    )

    kinds = set(Notification.objects.filter(to_email__in=patients).values_list("kind", flat=True))
    assert kinds == PATIENT_KINDS, PATIENT_KINDS ^ kinds
    to_patients = [m for m in mail.outbox if set(m.to) <= patients]
    assert len(to_patients) >= len(PATIENT_KINDS)
    for message in to_patients:
        part = html_of(message)
        assert part is not None, message.subject
        assert "Riverbend &amp; Co. Wellness" in part
        assert (logo in part) is has_logo, message.subject
        assert part.count("<img") == (1 if has_logo else 0)
        shown = words(html.unescape(strip_tags(part)))
        assert words(message.body) in shown, message.subject
        # Nothing but the clinic's name and the subject besides the text's words.
        assert shown.replace(words(message.body), "").strip() == words(
            f"{message.subject} {clinic.name}"
        )
    others = [m for m in mail.outbox if not set(m.to) & patients]
    assert others  # staff and the therapist were emailed too
    for message in others:
        assert html_of(message) is None, (message.to, message.subject)


def test_the_html_part_makes_the_texts_links_clickable(clinic, settings):
    settings.SITE_URL = SITE_URL
    notification = Notification(
        kind=NotificationKind.AFTER_CARE,
        to_email="zq@example.org",
        subject="Your notes",
        body="Hello,\n\nRead them here:\n\nhttps://kap.example.org/portal/\n\n— Clinic",
        clinic=clinic,
    )

    part = services.html_part(notification)

    assert '<a href="https://kap.example.org/portal/"' in part
    assert "<p>Hello,</p>" in part
    assert "<img" not in part
