"""No email says anything about the patient's health: not their name, not a
questionnaire's name, not ketamine or a dose (a dosing session's date is itself health
information). Every kind of email kapcare sends is made here as the pages make it, and
every one is read."""

import datetime as dt
import io
import re

import pytest
import time_machine
from django.core import mail
from django.core.management import call_command

from kapcare.accounts.forms import OutboxPasswordResetForm
from kapcare.accounts.models import Role
from kapcare.accounts.services import invite_user
from kapcare.dosing.tests.test_signing_fixtures import actor
from kapcare.measures import links
from kapcare.measures.instruments import INSTRUMENTS
from kapcare.notifications.models import Notification, NotificationKind
from kapcare.notifications.tests.emails import do_the_clinical_work
from kapcare.scopes import Scope
from tests.clock import wall_clock
from tests.factories import PatientFactory, UserFactory, authorize

NEXT_DOSE = wall_clock(7, 9)  # a week from the day the suite runs, 9:00 AM in the clinic


@pytest.fixture
def quiet_clinic(clinic):
    """A clinic whose own name says nothing (the conftest clinic's says "Ketamine", and
    every email names the clinic)."""
    clinic.name = "Riverbend Wellness"
    clinic.save(update_fields=["name"])
    return clinic


def forbidden(patient) -> list[str]:
    words = [patient.given_name, patient.family_name, "ketamine", "dose", "dosing", "suicid"]
    for instrument in INSTRUMENTS.values():
        words += [instrument.name, instrument.short_name, instrument.id]
    return words


def test_no_email_of_any_kind_carries_health_information(
    settings, quiet_clinic, coordinator, clinician, django_capture_on_commit_callbacks
):
    settings.SITE_URL = "https://kap.example.org"
    account = UserFactory(
        email="zq@example.org", full_name="Zelda Quixote", role=Role.PATIENT, clinic=quiet_clinic
    )
    patient = PatientFactory(
        clinic=quiet_clinic, user=account, given_name="Zelda", family_name="Quixote"
    )
    therapist = UserFactory(
        email="theo@example.org", full_name="Theo Therapist", role=Role.THERAPIST, clinic=None
    )
    with django_capture_on_commit_callbacks(execute=True):
        invite_user(
            invited_by=coordinator,
            email="zelda.q@example.org",
            full_name="Zelda Quixote",
            role=Role.PATIENT,
            clinic=quiet_clinic,
        )
        authorize(patient, therapist, scopes=list(Scope))
        links.send_questionnaire_link(actor=actor(coordinator), patient=patient, instrument="phq9")
        do_the_clinical_work(
            patient=patient,
            clinician=clinician,
            coordinator=coordinator,
            therapist=therapist,
            next_dose=NEXT_DOSE,
        )
        reset = OutboxPasswordResetForm({"email": account.email})
        assert reset.is_valid()
        reset.save(
            domain_override="kap.example.org",
            use_https=True,
            email_template_name="registration/password_reset_email.txt",
            subject_template_name="registration/password_reset_subject.txt",
        )
    with time_machine.travel(NEXT_DOSE - dt.timedelta(hours=24), tick=False):
        call_command("send_due_notifications", stdout=io.StringIO())

    assert set(Notification.objects.values_list("kind", flat=True)) == set(NotificationKind)
    assert len(mail.outbox) == Notification.objects.count() >= 10
    for message in mail.outbox:
        text = f"{message.subject}\n{message.body}"
        for word in forbidden(patient):
            assert not re.search(rf"\b{re.escape(word)}", text, re.IGNORECASE), (word, text)
