"""Writes to a patient's record. Each runs in one transaction with its access-log row,
and is shared by the web views and the API."""

from django.db import transaction

from kapcare.accounts.models import Role
from kapcare.accounts.services import InvitationError, invite_user
from kapcare.audit.log import Actor, record_access
from kapcare.audit.models import AccessAction
from kapcare.patients.models import BodyMeasurement, Patient

PATIENT_FIELDS = [
    "given_name",
    "family_name",
    "preferred_name",
    "birth_date",
    "sex_at_birth",
    "gender_identity",
    "pronouns",
    "email",
    "phone",
    "address_line",
    "city",
    "state",
    "postal_code",
    "emergency_contact_name",
    "emergency_contact_relationship",
    "emergency_contact_phone",
]


def create_patient(*, actor: Actor, clinic, data: dict) -> Patient:
    """Register a patient in `clinic` from cleaned form data."""
    fields = {name: data[name] for name in PATIENT_FIELDS if name in data}
    with transaction.atomic():
        patient = Patient.objects.create(
            clinic=clinic, created_by=actor.user, updated_by=actor.user, **fields
        )
        record_access(actor, AccessAction.CREATE, patient=patient)
    return patient


def update_patient(*, actor: Actor, patient: Patient, data: dict) -> list[str]:
    """Change the given fields of `patient`; returns the names of fields that changed.

    Compares against the stored row, locked for the transaction, so a form that already
    wrote its values onto `patient` cannot hide a change. The log row names the record,
    not the values, so no PHI is copied into the log.
    """
    with transaction.atomic():
        stored = Patient.objects.select_for_update().get(pk=patient.pk)
        changed = [
            name for name in PATIENT_FIELDS if name in data and getattr(stored, name) != data[name]
        ]
        if changed:
            for name in changed:
                setattr(stored, name, data[name])
            stored.updated_by = actor.user
            stored.save(update_fields=[*changed, "updated_by", "updated_at"])
            record_access(actor, AccessAction.UPDATE, patient=stored)
    patient.refresh_from_db()
    return changed


def record_body_measurement(*, actor: Actor, patient: Patient, measured_on, weight_kg, height_cm):
    with transaction.atomic():
        measurement = BodyMeasurement.objects.create(
            patient=patient,
            measured_on=measured_on,
            weight_kg=weight_kg,
            height_cm=height_cm,
            recorded_by=actor.user,
        )
        record_access(actor, AccessAction.CREATE, patient=patient, obj=measurement)
    return measurement


def invite_to_portal(*, actor: Actor, patient: Patient):
    """Give the patient a portal account under the email on their record and send them a
    link to choose a password."""
    if patient.user_id is not None:
        raise InvitationError("This patient already has a portal account.")
    if not patient.email:
        raise InvitationError("Add the patient's email address first.")
    with transaction.atomic():
        user = invite_user(
            invited_by=actor.user,
            email=patient.email,
            full_name=patient.full_name,
            role=Role.PATIENT,
            clinic=patient.clinic,
        )
        patient.user = user
        patient.save(update_fields=["user", "updated_at"])
        record_access(actor, AccessAction.UPDATE, patient=patient)
    return user
