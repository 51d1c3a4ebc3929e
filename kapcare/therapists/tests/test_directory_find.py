"""The patient's "Find a therapist": verified entries of their own clinic only."""

import datetime as dt

from django.urls import reverse
from django.utils import timezone

from kapcare.audit.models import AccessLogEntry
from kapcare.therapists.tests.directory_factories import add_therapist, verify

FIND = reverse("therapists:find")


def names(response) -> list[str]:
    return [p.user.full_name for p in response.context["profiles"]]


def test_a_patient_finds_only_verified_therapists_with_a_licence_in_force(
    client, coordinator, patient_user, patient
):
    today = timezone.localdate(timezone=coordinator.clinic.zone)
    verify(add_therapist(coordinator, full_name="Vera Verified"), coordinator)
    add_therapist(coordinator, email="u@x.example", full_name="Una Unchecked")
    verify(
        add_therapist(coordinator, email="l@x.example", full_name="Lou Licence"),
        coordinator,
        "licence",
    )
    expired = add_therapist(
        coordinator,
        email="e@x.example",
        full_name="Ezra Expired",
        licence_expires_on=today - dt.timedelta(days=1),
    )
    verify(expired, coordinator)
    client.force_login(patient_user)

    response = client.get(FIND)

    assert names(response) == ["Vera Verified"]
    page = response.content.decode()
    assert "ASKP3" in page
    assert "Verified</strong> means" in page
    assert "CBT, IFS" in page
    assert "u@x.example" not in page


def test_those_accepting_patients_come_first(client, coordinator, patient_user, patient):
    verify(
        add_therapist(coordinator, full_name="Abe Full", is_accepting_patients=False), coordinator
    )
    verify(add_therapist(coordinator, email="z@x.example", full_name="Zoe Open"), coordinator)
    client.force_login(patient_user)

    assert names(client.get(FIND)) == ["Zoe Open", "Abe Full"]


def test_a_patient_filters_by_modality(client, coordinator, patient_user, patient):
    verify(add_therapist(coordinator, full_name="Em Dee", modalities=["emdr"]), coordinator)
    verify(add_therapist(coordinator, email="c@x.example", full_name="Cee Bee"), coordinator)
    client.force_login(patient_user)

    response = client.get(FIND, {"modality": "emdr"})

    assert names(response) == ["Em Dee"]
    assert "Verified therapists using EMDR" in response.content.decode()


def test_another_clinics_therapists_are_not_shown(client, outsider, patient_user, patient):
    verify(add_therapist(outsider, full_name="Far Away"), outsider)
    client.force_login(patient_user)

    response = client.get(FIND)

    assert names(response) == []
    assert "no verified therapist" in response.content.decode()


def test_finding_a_therapist_logs_nothing(client, coordinator, patient_user, patient):
    verify(add_therapist(coordinator), coordinator)
    client.force_login(patient_user)
    before = AccessLogEntry.objects.count()

    client.get(FIND)

    assert AccessLogEntry.objects.count() == before


def test_the_page_takes_the_same_queries_for_one_therapist_and_many(
    client, coordinator, patient_user, patient, django_assert_max_num_queries
):
    verify(add_therapist(coordinator), coordinator)
    client.force_login(patient_user)
    with django_assert_max_num_queries(20) as one:
        client.get(FIND)
    for n in range(4):
        verify(add_therapist(coordinator, email=f"t{n}@x.example"), coordinator)

    with django_assert_max_num_queries(len(one.captured_queries)):
        assert len(names(client.get(FIND))) == 5


def test_the_menu_offers_each_role_its_page(client, coordinator, patient_user, patient, therapist):
    client.force_login(coordinator)
    assert ("Therapists", reverse("therapists:directory")) in client.get("/desk/").context[
        "nav_items"
    ]
    client.force_login(patient_user)
    assert ("Find a therapist", FIND) in client.get("/portal/").context["nav_items"]
    client.force_login(therapist)
    labels = [label for label, _ in client.get("/therapist/").context["nav_items"]]
    assert "Therapists" not in labels
    assert "Find a therapist" not in labels


AUTHORIZE = reverse("sharing:portal_authorize")


def test_choosing_a_verified_therapist_fills_in_the_authorisation_for_the_patient(
    client, coordinator, patient_user, patient
):
    vera = verify(add_therapist(coordinator, full_name="Vera Verified"), coordinator)
    client.force_login(patient_user)

    assert f"{AUTHORIZE}?therapist={vera.external_id}" in client.get(FIND).content.decode()
    form = client.get(f"{AUTHORIZE}?therapist={vera.external_id}").context["form"]

    assert form.initial["therapist_name"] == "Vera Verified"
    assert form.initial["therapist_email"] == vera.user.email


def test_an_unverified_or_unknown_therapist_fills_in_nothing(
    client, coordinator, patient_user, patient
):
    una = add_therapist(coordinator, email="u@x.example", full_name="Una Unchecked")
    client.force_login(patient_user)

    for chosen in (una.external_id, "not-an-id", "00000000-0000-0000-0000-000000000000"):
        form = client.get(f"{AUTHORIZE}?therapist={chosen}").context["form"]
        assert "therapist_email" not in form.initial
