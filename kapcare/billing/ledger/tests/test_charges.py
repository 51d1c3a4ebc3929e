"""Charges: a dose done posts its code lines from the clinic's code table and price list
(after the discharge commits, once however often asked), a fee for a late cancellation or
a no-show, and a charge voided (re-authenticated) and replaced, never changed."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from kapcare.accounts.step_up import Method, Reauthentication
from kapcare.billing.ledger import services
from kapcare.billing.ledger.models import Charge, ChargeOrigin, ChargeVoid
from kapcare.billing.ledger.tests.factories import actor, dose_done, post
from kapcare.episodes import services as episode_services
from kapcare.episodes.models import CareSession, SessionStatus
from kapcare.kept import RecordIsKept
from kapcare.refusals import Refused
from kapcare.scheduling import session_changes
from tests.factories import open_episode, plan_session

D = Decimal


@pytest.fixture
def episode(patient, clinician):
    return open_episode(patient, clinician, model="standalone")


def reauthenticated(user) -> Reauthentication:
    return Reauthentication(user.pk, Method.PASSWORD, timezone.now())


def test_a_dose_done_posts_its_lines_with_the_sessions_price_on_the_first(episode, clinician):
    session = dose_done(episode, clinician, minutes=40)

    charges = post(session)

    assert [(c.code, c.units, c.total) for c in charges] == [
        ("96365", 1, D("475.00")),
        ("J3490", 1, D("0.00")),
    ]
    assert {c.episode_id for c in charges} == {episode.pk}


def test_a_long_infusion_adds_96366_per_added_hour(episode, clinician):
    session = dose_done(episode, clinician, minutes=140)

    assert [(c.code, c.units) for c in post(session)] == [
        ("96365", 1),
        ("96366", 1),
        ("J3490", 1),
    ]


def test_posting_twice_never_doubles(episode, clinician):
    session = dose_done(episode, clinician)
    post(session)

    assert post(session) == []
    assert Charge.objects.filter(session=session).count() == 2


def test_the_database_refuses_a_second_line_of_the_same_code_for_a_session(episode, clinician):
    first = post(dose_done(episode, clinician))[0]
    values = {f.attname: getattr(first, f.attname) for f in Charge._meta.concrete_fields}
    values.pop("id")
    values.pop("external_id")

    with pytest.raises(IntegrityError), transaction.atomic():
        Charge.objects.create(**values)


def test_a_session_not_done_posts_nothing(episode, clinician):
    planned = plan_session(episode, clinician, starts_at=timezone.now() + dt.timedelta(days=3))

    assert post(planned) == []


def test_the_discharge_posts_the_charges_once_it_commits(
    episode, clinician, django_capture_on_commit_callbacks
):
    session = dose_done(episode, clinician)
    CareSession.objects.filter(pk=session.pk).update(status=SessionStatus.IN_PROGRESS)

    with django_capture_on_commit_callbacks(execute=True):
        episode_services.complete_dosing_session(actor=actor(clinician), session=session)

    assert Charge.objects.filter(session=session).count() == 2


def test_a_charge_is_never_changed_nor_deleted(episode, clinician):
    charge = post(dose_done(episode, clinician))[0]

    with pytest.raises(RecordIsKept):
        charge.delete()
    with pytest.raises(Exception, match="never changed"), transaction.atomic():
        Charge.objects.filter(pk=charge.pk).update(total=D("1.00"))


def test_a_voided_charge_is_replaced_by_a_corrected_line(episode, clinician, coordinator):
    charge = post(dose_done(episode, clinician))[0]

    replacement = services.void_charge(
        actor=actor(coordinator),
        charge=charge,
        reason="Wrong price",
        reauthentication=reauthenticated(coordinator),
        correction=services.Correction(unit_price=D("425.00"), modifiers="25"),
    )

    assert ChargeVoid.objects.get(charge=charge).reason == "Wrong price"
    assert replacement.replaces_id == charge.pk
    assert (replacement.code, replacement.total, replacement.modifiers) == (
        "96365",
        D("425.00"),
        "25",
    )
    assert replacement.origin == ChargeOrigin.CORRECTION
    ledger = services.ledger_of(episode.patient)
    assert ledger.balance == D("425.00")


def test_a_void_needs_a_reason_and_the_persons_code(episode, clinician, coordinator):
    charge = post(dose_done(episode, clinician))[0]

    with pytest.raises(Refused) as no_reason:
        services.void_charge(
            actor=actor(coordinator),
            charge=charge,
            reason=" ",
            reauthentication=reauthenticated(coordinator),
        )
    with pytest.raises(Refused) as no_code:
        services.void_charge(
            actor=actor(coordinator), charge=charge, reason="Wrong", reauthentication=None
        )

    assert "reason" in no_reason.value.problems
    assert "reauthentication" in no_code.value.problems
    assert not ChargeVoid.objects.exists()


def test_a_charge_is_voided_once(episode, clinician, coordinator):
    charge = post(dose_done(episode, clinician))[0]
    services.void_charge(
        actor=actor(coordinator),
        charge=charge,
        reason="Wrong",
        reauthentication=reauthenticated(coordinator),
    )

    with pytest.raises(Refused):
        services.void_charge(
            actor=actor(coordinator),
            charge=charge,
            reason="Again",
            reauthentication=reauthenticated(coordinator),
        )


@pytest.fixture
def fees(clinic):
    clinic.late_cancel_fee = D("75.00")
    clinic.no_show_fee = D("150.00")
    clinic.save(update_fields=["late_cancel_fee", "no_show_fee"])
    return clinic


def booked_soon(episode, clinician, hours=5):
    return plan_session(episode, clinician, starts_at=timezone.now() + dt.timedelta(hours=hours))


def test_a_late_cancellation_posts_the_clinics_fee_once(
    fees, episode, clinician, coordinator, django_capture_on_commit_callbacks
):
    session = booked_soon(episode, clinician)

    with django_capture_on_commit_callbacks(execute=True):
        session_changes.cancel(
            actor=actor(coordinator), session=session, reason="late_cancel", note="Sick"
        )

    fee = Charge.objects.get(session=session)
    assert (fee.origin, fee.total) == (ChargeOrigin.LATE_CANCEL, D("75.00"))
    change_id = fee.session_change_id
    assert services.post_fee(actor=actor(None), session_change_id=change_id) is None
    assert Charge.objects.filter(session=session).count() == 1


def test_a_cancellation_by_the_clinic_costs_nothing(
    fees, episode, clinician, coordinator, django_capture_on_commit_callbacks
):
    session = booked_soon(episode, clinician)

    with django_capture_on_commit_callbacks(execute=True):
        session_changes.cancel(
            actor=actor(coordinator), session=session, reason="clinic", note="Flood"
        )

    assert not Charge.objects.exists()


def test_no_fee_is_posted_when_the_clinic_sets_none(
    episode, clinician, coordinator, django_capture_on_commit_callbacks
):
    session = booked_soon(episode, clinician)

    with django_capture_on_commit_callbacks(execute=True):
        session_changes.cancel(
            actor=actor(coordinator), session=session, reason="late_cancel", note="Sick"
        )

    assert not Charge.objects.exists()


def test_a_no_show_posts_the_clinics_fee(
    fees, episode, clinician, coordinator, django_capture_on_commit_callbacks
):
    session = booked_soon(episode, clinician, hours=-1)

    with django_capture_on_commit_callbacks(execute=True):
        session_changes.no_show(actor=actor(coordinator), session=session)

    fee = Charge.objects.get(session=session)
    assert (fee.origin, fee.total) == (ChargeOrigin.NO_SHOW, D("150.00"))
