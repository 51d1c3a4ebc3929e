"""The front desk's queue of consultation requests."""

import datetime as dt

import pytest
from django.urls import reverse

from kapcare.intake.models import ConsultationRequest, RequestStatus
from tests.factories import ConsultationRequestFactory

QUEUE = reverse("intake:queue")


@pytest.mark.parametrize("persona", ["coordinator", "clinic_admin"])
def test_coordinator_and_clinic_admin_open_the_queue(client, request, persona):
    client.force_login(request.getfixturevalue(persona))

    assert client.get(QUEUE).status_code == 200


@pytest.mark.parametrize("persona", ["clinician", "therapist", "patient_user"])
def test_other_roles_are_refused_the_queue(client, request, persona):
    client.force_login(request.getfixturevalue(persona))

    assert client.get(QUEUE).status_code == 403


def test_anonymous_visitor_is_sent_to_sign_in(client, db):
    response = client.get(QUEUE)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_outsider_sees_none_of_this_clinics_requests(
    client, outsider, consultation_request, outsider_request
):
    client.force_login(outsider)

    response = client.get(QUEUE)

    assert list(response.context["requests"]) == [outsider_request]
    assert "Rosa" not in response.content.decode()


def test_open_requests_are_shown_oldest_first_by_default(client, coordinator, clinic):
    newest = ConsultationRequestFactory(clinic=clinic, given_name="Newest")
    oldest = ConsultationRequestFactory(clinic=clinic, given_name="Oldest")
    scheduled = ConsultationRequestFactory(clinic=clinic, status=RequestStatus.SCHEDULED)
    # A name of its own: a random one could also belong to a request that is shown.
    declined = ConsultationRequestFactory(
        clinic=clinic, status=RequestStatus.DECLINED, given_name="Declinedonly"
    )
    now = newest.created_at
    ConsultationRequest.objects.filter(pk=oldest.pk).update(created_at=now - dt.timedelta(days=3))
    ConsultationRequest.objects.filter(pk=scheduled.pk).update(
        created_at=now - dt.timedelta(days=1)
    )
    client.force_login(coordinator)

    response = client.get(QUEUE)

    assert response.context["shown"] == "open"
    assert list(response.context["requests"]) == [oldest, scheduled, newest]
    assert declined.given_name not in response.content.decode()


def test_queue_filters_by_the_status_asked_for(client, coordinator, clinic):
    ConsultationRequestFactory(clinic=clinic)
    declined = ConsultationRequestFactory(clinic=clinic, status=RequestStatus.DECLINED)
    client.force_login(coordinator)

    response = client.get(QUEUE, {"status": "declined"})

    assert list(response.context["requests"]) == [declined]


def test_an_unknown_status_filter_falls_back_to_the_open_requests(client, coordinator, clinic):
    new = ConsultationRequestFactory(clinic=clinic)
    client.force_login(coordinator)

    response = client.get(QUEUE, {"status": "<script>"})

    assert response.status_code == 200
    assert list(response.context["requests"]) == [new]


def test_queue_counts_requests_per_status(client, coordinator, clinic, other_clinic):
    ConsultationRequestFactory.create_batch(2, clinic=clinic)
    ConsultationRequestFactory(clinic=clinic, status=RequestStatus.CONTACTED)
    ConsultationRequestFactory(clinic=clinic, status=RequestStatus.DECLINED)
    ConsultationRequestFactory(clinic=other_clinic)
    client.force_login(coordinator)

    response = client.get(QUEUE)

    counts = {value: count for value, _, count in response.context["filters"]}
    assert counts == {
        "open": 3,
        "new": 2,
        "contacted": 1,
        "scheduled": 0,
        "converted": 0,
        "declined": 1,
        "all": 4,
    }
    html = response.content.decode()
    assert "New (2)" in html
    assert "Declined (1)" in html


def test_status_is_written_as_text_in_its_badge(client, coordinator, clinic):
    ConsultationRequestFactory(clinic=clinic, status=RequestStatus.SCHEDULED)
    client.force_login(coordinator)

    html = client.get(QUEUE).content.decode()

    assert '<span class="badge badge-ok">Call scheduled</span>' in html


def test_received_time_is_shown_in_the_clinics_time_zone(client, coordinator, clinic):
    received = ConsultationRequestFactory(clinic=clinic)
    utc_moment = dt.datetime(2026, 11, 2, 15, 30, tzinfo=dt.UTC)
    ConsultationRequest.objects.filter(pk=received.pk).update(created_at=utc_moment)
    client.force_login(coordinator)

    html = client.get(QUEUE).content.decode()

    assert "Nov 2, 2026, 9:30 AM" in html  # America/Chicago is UTC-6 in November


def test_table_headers_have_a_scope(client, coordinator, consultation_request):
    client.force_login(coordinator)

    html = client.get(QUEUE).content.decode()

    assert '<th scope="col">Name</th>' in html
    assert '<th scope="row">' in html


def _queries_for_queue(client, django_assert_max_num_queries, n):
    with django_assert_max_num_queries(n) as captured:
        response = client.get(QUEUE)
    assert response.status_code == 200
    return len(captured.captured_queries)


def test_queue_query_count_does_not_grow_with_the_number_of_requests(
    client, coordinator, clinic, django_assert_max_num_queries
):
    client.force_login(coordinator)
    client.get(QUEUE)  # a session's first request also stamps its idle clock
    ConsultationRequestFactory.create_batch(3, clinic=clinic)
    with_three = _queries_for_queue(client, django_assert_max_num_queries, 20)
    ConsultationRequestFactory.create_batch(27, clinic=clinic, status=RequestStatus.CONTACTED)

    with_thirty = _queries_for_queue(client, django_assert_max_num_queries, with_three)

    assert with_thirty == with_three
    assert len(client.get(QUEUE).context["requests"]) == 30
