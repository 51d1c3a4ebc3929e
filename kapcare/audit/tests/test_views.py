import datetime as dt

import time_machine
from django.urls import reverse

from kapcare.audit.log import Actor, record_access
from kapcare.audit.models import AccessAction, AccessLogEntry
from tests.factories import open_episode, plan_session


def view(user, patient, when):
    with time_machine.travel(when, tick=False):
        record_access(Actor(user=user, ip_address="10.1.2.3"), AccessAction.VIEW, patient=patient)


def test_admin_searches_by_patient_name(client, clinic_admin, clinician, patient, other_patient):
    view(clinician, patient, "2026-11-20 15:00Z")
    view(clinician, other_patient, "2026-11-20 16:00Z")
    client.force_login(clinic_admin)

    response = client.post(reverse("audit:search"), {"patient_name": "olive"})

    assert [e.patient_id for e in response.context["entries"]] == [other_patient.pk]


def test_admin_searches_by_who_action_and_dates_in_clinic_time(
    client, clinic_admin, clinician, coordinator, patient
):
    view(clinician, patient, "2026-11-20 05:30Z")  # Nov 19, 23:30 in Chicago
    view(clinician, patient, "2026-11-20 15:00Z")  # Nov 20 in Chicago
    view(coordinator, patient, "2026-11-20 16:00Z")
    client.force_login(clinic_admin)

    response = client.post(
        reverse("audit:search"),
        {"actor": "cal@", "action": "view", "date_from": "2026-11-20", "date_to": "2026-11-20"},
    )

    entries = response.context["entries"]
    assert len(entries) == 1
    assert entries[0].occurred_at == dt.datetime(2026, 11, 20, 15, tzinfo=dt.UTC)


def test_dates_the_wrong_way_round_get_a_field_message(client, clinic_admin):
    client.force_login(clinic_admin)

    response = client.post(
        reverse("audit:search"), {"date_from": "2026-11-20", "date_to": "2026-11-01"}
    )

    assert "must be on or after" in response.context["form"].errors["date_to"][0]


def test_admin_never_sees_another_clinics_log(client, clinic_admin, outsider, outsider_patient):
    view(outsider, outsider_patient, "2026-11-20 15:00Z")
    client.force_login(clinic_admin)

    response = client.get(reverse("audit:search"))

    assert response.context["entries"] == []


def test_patient_sees_who_viewed_their_record(
    client, patient_user, patient, clinician, other_patient
):
    view(clinician, patient, "2026-11-20 15:00Z")
    view(clinician, other_patient, "2026-11-20 15:05Z")
    client.force_login(patient_user)

    response = client.get(reverse("audit:my_access_log"))

    html = response.content.decode()
    assert "Cal Clinician" in html
    assert "Nov 20, 2026, 9:00 AM" in html  # shown in the clinic's time zone
    entries = response.context["entries"]
    assert {e.patient_id for e in entries} == {patient.pk}
    assert AccessLogEntry.objects.filter(patient=other_patient).count() == 1


def test_who_viewed_my_record_page_count_does_not_grow(
    client, patient_user, patient, clinician, django_assert_max_num_queries
):
    for minute in range(40):
        view(clinician, patient, f"2026-11-20 15:{minute:02d}Z")
    client.force_login(patient_user)

    # One more for the menu's count of unread messages.
    with django_assert_max_num_queries(13):
        client.get(reverse("audit:my_access_log"))


def test_the_record_is_named_in_words_not_by_its_table(client, patient_user, patient, clinician):
    session = plan_session(open_episode(patient, clinician), clinician)
    record_access(
        Actor(user=clinician, ip_address="10.1.2.3"),
        AccessAction.VIEW,
        patient=patient,
        obj=session,
    )
    client.force_login(patient_user)

    page = client.get(reverse("audit:my_access_log")).content.decode()

    assert "<td>Care session</td>" in page
    assert "Caresession" not in page


def _views_at_one_moment(user, patient, count: int) -> None:
    """`count` reads at the same instant: a page boundary falls inside the tie."""
    moment = dt.datetime.now(dt.UTC) - dt.timedelta(days=1)
    for _ in range(count):
        view(user, patient, moment)


def test_who_viewed_my_record_pages_through_older_entries_with_no_gap_or_repeat(
    client, patient_user, patient, clinician
):
    _views_at_one_moment(clinician, patient, 60)
    client.force_login(patient_user)

    first = client.get(reverse("audit:my_access_log"))
    older = client.get(reverse("audit:my_access_log"), {"before": first.context["older"]})

    seen = [e.pk for e in first.context["entries"]] + [e.pk for e in older.context["entries"]]
    newest_first = AccessLogEntry.objects.filter(patient=patient).order_by("-occurred_at", "-id")
    assert len(first.context["entries"]) == 50
    assert older.context["older"] is None
    # Every row but the one the second request's own read added (newer than the first page).
    assert seen == list(newest_first.values_list("pk", flat=True))[1:]


def test_admin_search_pages_through_older_entries_keeping_its_filters(
    client, clinic_admin, clinician, patient, other_patient
):
    _views_at_one_moment(clinician, patient, 55)
    _views_at_one_moment(clinician, other_patient, 5)
    client.force_login(clinic_admin)

    first = client.post(reverse("audit:search"), {"patient_name": "pat"})
    older = client.post(
        reverse("audit:search"), {"patient_name": "pat", "before": first.context["older"]}
    )

    assert len(first.context["entries"]) == 50
    assert [e.patient_id for e in older.context["entries"]] == [patient.pk] * 5
    assert older.context["older"] is None


def test_an_unreadable_older_link_shows_the_newest_entries(
    client, patient_user, patient, clinician
):
    _views_at_one_moment(clinician, patient, 3)
    client.force_login(patient_user)

    response = client.get(reverse("audit:my_access_log"), {"before": "yesterday_x"})

    assert response.status_code == 200
    assert len(response.context["entries"]) == 4  # the three, and this read itself
