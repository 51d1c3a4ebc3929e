"""factory_boy factories for the screening models. Tests that exercise the workflow build
records through `services` instead, as the pages do."""

import datetime as dt
from decimal import Decimal

import factory
from django.utils import timezone

from kapcare.accounts.models import Role
from kapcare.screening import rules
from kapcare.screening.models import (
    ConditionAnswer,
    Contraindication,
    EligibilityDecision,
    HistorySource,
    MedicalScreening,
    MedicationEntry,
    MedicationInteraction,
)
from tests.factories import ClinicFactory, PatientFactory, UserFactory


class ContraindicationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Contraindication

    clinic = factory.SubFactory(ClinicFactory)
    name = factory.Sequence(lambda n: f"Condition {n}")
    severity = rules.RELATIVE
    description = "A condition the clinic asks about."
    source = "Clinic policy."


class MedicationInteractionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = MedicationInteraction

    clinic = factory.SubFactory(ClinicFactory)
    name = factory.Sequence(lambda n: f"Interacting class {n}")
    keywords = "examplamine, brandex"
    note = "May interact."


class MedicalScreeningFactory(factory.django.DjangoModelFactory):
    """A submitted history, not yet reviewed. `completed=True` signs it off."""

    class Meta:
        model = MedicalScreening

    class Params:
        completed = factory.Trait(
            screened_on=factory.LazyFunction(lambda: dt.date(2026, 3, 2)),
            blood_pressure_systolic=124,
            blood_pressure_diastolic=78,
            weight_kg=Decimal("72.5"),
            pregnancy_status=rules.NOT_PREGNANT,
            reviewed_by=factory.SelfAttribute("completed_by"),
            reviewed_at=factory.SelfAttribute("completed_at"),
            completed_by=factory.SubFactory(
                UserFactory,
                clinic=factory.SelfAttribute("..patient.clinic"),
                role=Role.CLINICIAN,
                credentials="MD",
            ),
            completed_at=factory.LazyFunction(timezone.now),
        )

    patient = factory.SubFactory(PatientFactory)
    version = factory.Sequence(lambda n: n + 1)
    history_source = HistorySource.PATIENT
    history_entered_by = factory.SubFactory(
        UserFactory, clinic=factory.SelfAttribute("..patient.clinic"), role=Role.PATIENT
    )
    allergies = "None known"
    reported_pregnancy_status = rules.NOT_PREGNANT


class ConditionAnswerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ConditionAnswer

    screening = factory.SubFactory(MedicalScreeningFactory)
    contraindication = factory.SubFactory(
        ContraindicationFactory, clinic=factory.SelfAttribute("..screening.patient.clinic")
    )
    name = factory.SelfAttribute("contraindication.name")
    severity = factory.SelfAttribute("contraindication.severity")
    reported_present = False


class MedicationEntryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = MedicationEntry

    screening = factory.SubFactory(MedicalScreeningFactory)
    name = "Sertraline"
    dose = "100 mg"
    frequency = "daily"


class EligibilityDecisionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = EligibilityDecision

    screening = factory.SubFactory(MedicalScreeningFactory, completed=True)
    patient = factory.SelfAttribute("screening.patient")
    decision = rules.ELIGIBLE
    reasons = "No contraindication, interacting medication or blood-pressure concern recorded."
    decided_by = factory.SelfAttribute("screening.completed_by")
    valid_until = factory.LazyAttribute(
        lambda o: (
            rules.valid_until(timezone.localdate(), 12)
            if o.decision != rules.NOT_ELIGIBLE
            else None
        )
    )
    screening_snapshot = factory.LazyAttribute(lambda o: {"version": o.screening.version})
