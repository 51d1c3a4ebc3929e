"""Helpers shared by the screening tests: a history as the portal form posts it, and
screenings built through the services as the pages build them."""

from decimal import Decimal

import pytest
from django.utils import timezone

from kapcare.accounts.models import Role
from kapcare.audit.log import Actor
from kapcare.screening import rules, services
from kapcare.screening.models import Contraindication, HistorySource, SubstanceChoice
from tests.factories import UserFactory


def actor(user) -> Actor:
    return Actor(user=user, ip_address="127.0.0.1")


def history_data(clinic, *, present=(), medications=(), pregnancy=rules.NOT_PREGNANT, **extra):
    """POST data for the history form: "no" to every condition except the codes in
    `present`, never to every substance, the given medications as (name, dose, frequency)."""
    services.ensure_default_catalogue(clinic)
    data = {"allergies": "None known", "pregnancy_status": pregnancy, "comments": ""}
    for item in Contraindication.objects.filter(clinic=clinic, is_active=True):
        if item.is_pregnancy:
            continue
        data[f"condition_{item.pk}"] = "yes" if item.code in present else "no"
        data[f"condition_{item.pk}_note"] = ""
    for substance in SubstanceChoice.values:
        data[f"{substance}_frequency"] = rules.NEVER
        data[f"{substance}_last_use"] = ""
        data[f"{substance}_note"] = ""
    rows = list(medications) + [("", "", "")] * 5
    data.update(
        {
            "medications-TOTAL_FORMS": str(len(rows)),
            "medications-INITIAL_FORMS": str(len(medications)),
            "medications-MIN_NUM_FORMS": "0",
            "medications-MAX_NUM_FORMS": "60",
        }
    )
    for index, (name, dose, frequency) in enumerate(rows):
        data[f"medications-{index}-name"] = name
        data[f"medications-{index}-dose"] = dose
        data[f"medications-{index}-frequency"] = frequency
    data.update(extra)
    return data


def history_report(clinic, *, present=(), medications=(), pregnancy=rules.NOT_PREGNANT):
    services.ensure_default_catalogue(clinic)
    return services.HistoryReport(
        allergies="None known",
        pregnancy_status=pregnancy,
        conditions=[
            services.ConditionReport(contraindication_id=item.pk, present=item.code in present)
            for item in Contraindication.objects.filter(clinic=clinic, is_active=True)
            if not item.is_pregnancy
        ],
        medications=[services.MedicationReport(*m) for m in medications],
        substances=[
            services.SubstanceReport(substance=s, frequency=rules.NEVER)
            for s in SubstanceChoice.values
        ],
    )


def review_report(screening, *, present=(), systolic=124, diastolic=78, weight="72.5", **extra):
    """A clinician's review confirming the codes in `present` and nothing else."""
    findings = {
        a.pk: (a.contraindication.code in present, "")
        for a in screening.condition_answers.select_related("contraindication")
        if not a.contraindication.is_pregnancy
    }
    values = {
        "screened_on": timezone.localtime(timezone.now(), screening.patient.clinic.zone).date(),
        "systolic": systolic,
        "diastolic": diastolic,
        "weight_kg": Decimal(weight) if weight else None,
        "pregnancy_status": rules.NOT_PREGNANT,
        "findings": findings,
    }
    values.update(extra)
    return services.ReviewReport(**values)


@pytest.fixture
def submit_history(patient_user):
    def submit(patient, *, by=None, **kwargs):
        return services.submit_history(
            actor=actor(by or patient_user),
            patient=patient,
            report=history_report(patient.clinic, **kwargs),
            source=HistorySource.PATIENT if by is None else HistorySource.STAFF,
        )

    return submit


@pytest.fixture
def completed_screening(submit_history, clinician):
    """Submit a history and have the clinician complete it; pass `present` codes."""

    def complete(patient, *, present=(), medications=(), **review):
        screening = submit_history(patient, present=present, medications=medications)
        return services.review_screening(
            actor=actor(clinician),
            patient=patient,
            screening=screening,
            review=review_report(screening, present=present, **review),
            complete=True,
        )

    return complete


@pytest.fixture
def outsider_clinician(other_clinic):
    """A clinician of another clinic."""
    return UserFactory(
        email="olga@example.org",
        full_name="Olga Elsewhere",
        role=Role.CLINICIAN,
        clinic=other_clinic,
    )


@pytest.fixture
def outsider_admin(other_clinic):
    return UserFactory(
        email="oscar@example.org", full_name="Oscar Elsewhere", role=Role.ADMIN, clinic=other_clinic
    )
