"""Personas of messaging tests: the `therapist` persona authorised by `patient` (any
scope), a colleague therapist also authorised, and a clinic with a front-desk address."""

import pytest

from kapcare.accounts.models import Role
from kapcare.audit.log import Actor
from kapcare.consents import services as consent_services
from tests.factories import UserFactory, authorize


@pytest.fixture
def clinic(clinic):
    clinic.email = "frontdesk@musiccity.example"
    clinic.save(update_fields=["email"])
    return clinic


@pytest.fixture
def authorisation(patient, therapist):
    """The patient authorises `therapist` (measures only: any scope opens messages)."""
    return authorize(patient, therapist, scopes=["measures"])


@pytest.fixture
def colleague(db):
    """Another outside therapist."""
    return UserFactory(
        email="cleo@example.org", full_name="Cleo Colleague", role=Role.THERAPIST, clinic=None
    )


@pytest.fixture
def colleague_authorisation(patient, colleague):
    return authorize(patient, colleague, scopes=["schedule"])


def revoke(authorization, by):
    return consent_services.revoke_authorization(
        actor=Actor(user=by, ip_address="127.0.0.1"), authorization=authorization
    )
