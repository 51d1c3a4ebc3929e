"""In the consent tests the patient has a course of care open: a treatment consent is
signed for one episode and names its model (blended here; the standalone-infusion tests
open their own). The episode is made directly, so that the access log the tests read holds
only what they do."""

import pytest
from django.utils import timezone

from kapcare.episodes.models import Episode


def open_course(patient, by, model="blended") -> Episode:
    return Episode.objects.create(
        clinic=patient.clinic,
        patient=patient,
        model=model,
        state_changed_at=timezone.now(),
        diagnosis_code="F33.2",
        created_by=by,
    )


@pytest.fixture
def patient(patient, clinician):
    open_course(patient, clinician)
    return patient
