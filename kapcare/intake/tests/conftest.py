import pytest

from tests.factories import ConsultationRequestFactory


@pytest.fixture
def consultation_request(clinic):
    """A new request to the personas' clinic."""
    return ConsultationRequestFactory(
        clinic=clinic,
        given_name="Rosa",
        family_name="Parks",
        email="rosa@example.org",
        phone="615-555-0150",
        preferred_time="After 5pm",
        hopes="I want to understand whether KAP could help with my depression.",
    )


@pytest.fixture
def outsider_request(other_clinic):
    """A request to another clinic."""
    return ConsultationRequestFactory(
        clinic=other_clinic, given_name="Hidden", family_name="Caller"
    )
