"""Good Faith Estimates: issued automatically once a booking commits for an uninsured or
self-pay patient, never changed once issued, a new version saying why, every element of
45 CFR 149.610(c) in the PDF, an email with a link, and the coverage question's history."""

import io
from decimal import Decimal

import pytest
from django.db import DatabaseError, transaction
from pypdf import PdfReader

from kapcare.audit.log import Actor
from kapcare.audit.models import AccessLogEntry
from kapcare.billing import services
from kapcare.billing.models import Coverage, CoverageRecord, GoodFaithEstimate
from kapcare.billing.pdf import estimate_pdf
from kapcare.notifications.models import Notification, NotificationKind
from kapcare.refusals import Refused
from kapcare.therapists.models import TherapistProfile
from tests.clock import wall_clock
from tests.factories import open_episode, plan_session


def actor(user) -> Actor:
    return Actor(user=user, ip_address="127.0.0.1")


def self_pay(patient, by, status=Coverage.SELF_PAY):
    return services.record_coverage(
        actor=actor(by),
        patient=patient,
        data=services.CoverageInput(
            status=status, insurer="Aetna" if status != "uninsured" else ""
        ),
    )


@pytest.fixture
def billing_clinic(clinic):
    clinic.npi, clinic.tin = "1234567893", "12-3456789"
    clinic.service_address = "100 Music Row, Nashville, TN 37203"
    clinic.save(update_fields=["npi", "tin", "service_address"])
    return clinic


@pytest.fixture
def course(billing_clinic, patient, clinician, therapist):
    TherapistProfile.objects.create(
        user=therapist,
        clinic=billing_clinic,
        npi="1987654325",
        tin="98-7654321",
        city="Nashville",
        state="TN",
        fee_per_session=Decimal("150.00"),
    )
    return open_episode(patient, clinician, model="blended", therapist=therapist)


def book(episode, by, days=15, kind="dosing"):
    return plan_session(episode, by, kind=kind, starts_at=wall_clock(days, 10))


def test_booking_a_session_for_a_self_pay_patient_issues_an_estimate(
    course, patient, coordinator, clinician, django_capture_on_commit_callbacks
):
    self_pay(patient, coordinator)

    with django_capture_on_commit_callbacks(execute=True):
        book(course, clinician)

    estimate = GoodFaithEstimate.objects.get(patient=patient)
    assert estimate.version == 1
    assert estimate.due_rule == "10+"
    assert estimate.total == 6 * Decimal("475.00") + 7 * Decimal("150.00")
    assert estimate.content["scheduled_dates"] == [
        wall_clock(15, 10).astimezone(course.clinic.zone).date().isoformat()
    ]


def test_nothing_is_issued_before_coverage_is_asked_or_for_a_claim(
    course, patient, coordinator, clinician, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        book(course, clinician)
    assert not GoodFaithEstimate.objects.exists()

    services.record_coverage(
        actor=actor(coordinator),
        patient=patient,
        data=services.CoverageInput(status=Coverage.FILING_CLAIM, insurer="Aetna", member_id="W1"),
    )
    with django_capture_on_commit_callbacks(execute=True):
        book(course, clinician, days=17)

    assert not GoodFaithEstimate.objects.exists()


def test_recording_self_pay_after_booking_issues_the_estimate(
    course, patient, coordinator, clinician, django_capture_on_commit_callbacks
):
    book(course, clinician)

    with django_capture_on_commit_callbacks(execute=True):
        self_pay(patient, coordinator, status=Coverage.UNINSURED)

    assert GoodFaithEstimate.objects.filter(patient=patient).count() == 1


def test_a_change_issues_a_new_version_that_says_why_and_the_same_plan_issues_none(
    course, patient, coordinator, clinician, django_capture_on_commit_callbacks
):
    self_pay(patient, coordinator)
    with django_capture_on_commit_callbacks(execute=True):
        book(course, clinician)
    first = GoodFaithEstimate.objects.get()

    with django_capture_on_commit_callbacks(execute=True):
        book(course, clinician, days=18)
    assert services.issue_estimate(actor=actor(coordinator), episode=course, reason="Again") is None

    second = GoodFaithEstimate.objects.exclude(pk=first.pk).get()
    assert (second.version, second.replaces_id) == (2, first.pk)
    assert "Replaces version 1" in second.reason
    assert "scheduled dates" in second.reason
    first.refresh_from_db()
    assert len(first.content["scheduled_dates"]) == 1


def test_an_issued_estimate_is_never_changed_nor_deleted(course, patient, coordinator):
    self_pay(patient, coordinator)
    estimate = services.issue_estimate(
        actor=actor(coordinator), episode=course, reason="Asked", requested=True
    )

    for attempt in (
        lambda: GoodFaithEstimate.objects.filter(pk=estimate.pk).update(total=Decimal("1.00")),
        lambda: GoodFaithEstimate.objects.filter(pk=estimate.pk)._raw_delete("default"),
    ):
        with pytest.raises(DatabaseError, match="never"), transaction.atomic():
            attempt()
    with pytest.raises(PermissionError):
        estimate.delete()


def test_the_pdf_has_every_element_of_the_regulation(
    course, patient, coordinator, clinician, therapist
):
    self_pay(patient, coordinator)
    book(course, clinician)
    estimate = services.issue_estimate(
        actor=actor(coordinator), episode=course, reason="Asked", requested=True
    )

    text = " ".join(
        page.extract_text() for page in PdfReader(io.BytesIO(estimate_pdf(estimate))).pages
    )
    text = " ".join(text.split())

    service_day = wall_clock(15, 10).astimezone(course.clinic.zone).date().isoformat()
    for element in [
        "Pat Patient",  # (c)(1)(i) patient name
        patient.birth_date.isoformat(),  # and date of birth
        "intravenous ketamine dosing sessions",  # (ii) the primary service in plain language
        service_day,  # and its scheduled date
        "CPT 96365",  # (iii)/(iv) itemised items with service codes
        "HCPCS J3490",
        "CPT 90834",
        "ICD-10 F33.2",  # (v) diagnosis codes
        "$475.00",  # (vi) expected charges
        "Discount",
        "$2,850.00",  # six sessions
        therapist.full_name,  # the co-provider
        "1234567893",  # (vii) each provider's NPI
        "12-3456789",  # TIN
        "98-7654321",
        "100 Music Row",  # and the address where the service is given
        "scheduled separately",  # (viii) services to be scheduled separately
        "only an estimate",  # (ix) an estimate; actual charges may differ
        "$400 or more",  # (x) dispute resolution and where to learn how
        "www.cms.gov/nosurprises",
        "not a contract",  # (xi)
    ]:
        assert element in text, element


def test_an_issued_estimate_is_emailed_as_a_link_and_logged(course, patient, coordinator):
    self_pay(patient, coordinator)

    estimate = services.issue_estimate(
        actor=actor(coordinator), episode=course, reason="Asked", requested=True
    )

    email = Notification.objects.get(kind=NotificationKind.GOOD_FAITH_ESTIMATE)
    assert email.to_email == patient.user.email
    assert "/portal/estimates/" in email.body
    assert "475" not in email.body
    assert AccessLogEntry.objects.filter(
        object_type="goodfaithestimate", object_id=str(estimate.external_id), action="create"
    ).exists()


@pytest.mark.parametrize(
    ("status", "insurer", "member_id", "field"),
    [
        ("", "", "", "status"),
        (Coverage.SELF_PAY, "", "", "insurer"),
        (Coverage.FILING_CLAIM, "Aetna", "", "member_id"),
    ],
)
def test_coverage_needs_what_the_answer_implies(
    patient, coordinator, status, insurer, member_id, field
):
    with pytest.raises(Refused) as refusal:
        services.record_coverage(
            actor=actor(coordinator),
            patient=patient,
            data=services.CoverageInput(status=status, insurer=insurer, member_id=member_id),
        )

    assert field in refusal.value.problems


def test_a_new_coverage_answer_keeps_the_old_one(patient, coordinator):
    self_pay(patient, coordinator)
    services.record_coverage(
        actor=actor(coordinator),
        patient=patient,
        data=services.CoverageInput(status=Coverage.UNINSURED),
    )

    assert services.current_coverage(patient).status == Coverage.UNINSURED
    assert CoverageRecord.objects.filter(patient=patient).count() == 2


def plan_esketamine(episode, by, planned_mg):
    from kapcare.episodes import services as episodes

    return episodes.update_plan(
        actor=actor(by),
        episode=episode,
        data=episodes.PlanInput(
            dose_route="intranasal",
            planned_doses=8,
            planned_preparation_sessions=0,
            planned_integration_sessions=0,
            planned_esketamine_mg=planned_mg,
        ),
    )


@pytest.mark.parametrize(
    ("planned_mg", "lines"),
    [(None, [("G2082", 8)]), (84, [("G2082", 1), ("G2083", 7)])],
    ids=["56-mg-throughout", "84-mg-after-the-first"],
)
def test_an_esketamine_course_is_coded_by_its_planned_dose(
    billing_clinic, patient, clinician, planned_mg, lines
):
    from kapcare.billing import estimate

    episode = open_episode(patient, clinician, model="standalone")
    episode = plan_esketamine(episode, clinician, planned_mg)

    draft = estimate.build(episode, today=wall_clock(0, 12).date())

    items = draft.content["providers"][0]["items"]
    assert [(item["code"], item["sessions"]) for item in items] == lines


def test_a_planned_esketamine_dose_is_kept_only_for_the_intranasal_route(patient, clinician):
    from kapcare.episodes import services as episodes
    from kapcare.episodes.models import Episode

    episode = plan_esketamine(open_episode(patient, clinician, model="standalone"), clinician, 84)
    assert Episode.objects.get(pk=episode.pk).planned_esketamine_mg == 84

    with pytest.raises(Refused) as refusal:
        plan_esketamine(episode, clinician, 70)
    assert refusal.value.problems == {"planned_esketamine_mg": "Choose 56 or 84 mg."}

    episodes.update_plan(
        actor=actor(clinician),
        episode=episode,
        data=episodes.PlanInput(
            dose_route="iv",
            planned_doses=6,
            planned_preparation_sessions=0,
            planned_integration_sessions=0,
            planned_esketamine_mg=84,
        ),
    )
    assert Episode.objects.get(pk=episode.pk).planned_esketamine_mg is None
