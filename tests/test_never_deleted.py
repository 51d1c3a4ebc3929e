"""Clinical records are never deleted, only amended or voided: for every kept table, a raw
`DELETE` is refused by the database (a trigger made by `kapcare.db_triggers.refuse_delete`),
PostgreSQL refuses `TRUNCATE` too, and the ORM refuses with a clear `PermissionError`
before any SQL is sent. On SQLite and PostgreSQL alike (run once with DATABASE_URL)."""

from io import StringIO

import pytest
from django.apps import apps
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from kapcare.accounts.models import User
from kapcare.consents.models import Signature, Withdrawal
from kapcare.dosing.models import Addendum, DosingRecord, InfusionChange
from kapcare.dosing.substances.inventory import services as inventory_services
from kapcare.dosing.tests.test_dea_fixtures import file_loss
from kapcare.follow_up.models import FollowUpPreference
from kapcare.kept import RecordIsKept
from kapcare.measures.models import Assessment, LicensedScaleResult
from kapcare.referrals.models import PatientIdentifier
from kapcare.referrals.tests.factories import referral_for_review
from kapcare.screening.models import MedicalScreening

# (model, which rows are kept, the database's words, the ORM's words)
KEPT = [
    ("consents.ConsentVersion", {}, "never deleted", "never deleted"),
    ("consents.Signature", {}, "never deleted", "never deleted"),
    ("consents.Withdrawal", {}, "never deleted", "never deleted"),
    ("consents.SharingAuthorization", {}, "never deleted", "never deleted"),
    ("messaging.Thread", {}, "never deleted", "never deleted"),
    ("messaging.Message", {}, "never deleted", "never deleted"),
    ("dosing.DosingRecord", {"signed_at__isnull": False}, "never deleted", "never deleted"),
    *(
        (f"dosing.{name}", {"record__signed_at__isnull": False}, "never deleted", "never deleted")
        for name in (
            "Observation",
            "AdverseEvent",
            "Intervention",
            "InfusionChange",
            "DischargeAssessment",
            "NasalDevice",
            "ResolutionCheck",
        )
    ),
    ("dosing.RemsEnrolment", {}, "never deleted", "never deleted"),
    ("dosing.RemsFormSubmission", {}, "never deleted", "never deleted"),
    ("dosing.Addendum", {}, "never deleted", "never deleted"),
    ("dosing.PatientExperience", {}, "never deleted", "never deleted"),
    ("dosing.TherapistSummary", {"released_at__isnull": False}, "never deleted", "never deleted"),
    ("dosing.ControlledSubstanceEntry", {}, "never deleted", "never deleted"),
    *(
        (f"dosing.{name}", {}, "never deleted", "never deleted")
        for name in ("Inventory", "InventoryCount", "TheftLossReport", "TheftLossLine")
    ),
    ("screening.EligibilityDecision", {}, "never deleted", "never deleted"),
    ("screening.MedicalScreening", {"completed_at__isnull": False}, "never deleted", "deleted"),
    *(
        (f"screening.{name}", {"screening__completed_at__isnull": False}, "deleted", "deleted")
        for name in ("ConditionAnswer", "MedicationEntry", "SubstanceUse")
    ),
    ("measures.Assessment", {"completed_at__isnull": False}, "never deleted", "never deleted"),
    ("measures.LicensedScaleResult", {}, "never deleted", "never deleted"),
    ("measures.SafetyAlert", {}, "never deleted", "never deleted"),
    ("episodes.Episode", {}, "never deleted", "never deleted"),
    ("episodes.EpisodeTransition", {}, "never deleted", "never deleted"),
    ("episodes.CareSession", {}, "never deleted", "never deleted"),
    ("episodes.DayOfChecklist", {}, "never deleted", "never deleted"),
    ("episodes.GateWaiver", {}, "never deleted", "never deleted"),
    ("patients.Patient", {}, "never deleted", "never deleted"),
    ("patients.BodyMeasurement", {}, "never deleted", "never deleted"),
    ("follow_up.FollowUpPreference", {}, "never deleted", "never deleted"),
    ("referrals.Referral", {}, "never deleted", "never deleted"),
    ("referrals.PatientIdentifier", {}, "never deleted", "never deleted"),
    ("billing.CoverageRecord", {}, "never deleted", "never deleted"),
    ("billing.BillingCode", {}, "never deleted", "never deleted"),
    ("billing.GoodFaithEstimate", {}, "never deleted", "never deleted"),
    *(
        (f"education.{name}", {}, "never deleted", "never deleted")
        for name in ("EducationVersion", "EducationReceipt", "AfterCareHandover")
    ),
    ("audit.AccessLogEntry", {}, "append-only", "append-only"),
]


@pytest.fixture
def demo(db, settings):
    """The demo clinic, plus the few kinds of record the demo does not make."""
    settings.DEBUG = True
    call_command("demo", stdout=StringIO())
    signature = Signature.objects.filter(withdrawal__isnull=True).first()
    Withdrawal.objects.create(signature=signature, withdrawn_by=signature.signed_by)
    signed = DosingRecord.objects.filter(signed_at__isnull=False).first()
    Addendum.objects.create(record=signed, text="Late entry.", author=signed.signed_by)
    unsigned = DosingRecord.objects.filter(signed_at__isnull=True).first()
    InfusionChange.objects.create(
        record=unsigned, kind="paused", at=timezone.now(), recorded_by=signed.signed_by
    )
    DosingRecord.objects.filter(pk=unsigned.pk).update(
        signed_at=timezone.now(), signed_by=signed.signed_by
    )
    clinic = signed.clinic
    lot = inventory_services.lots_on_hand(clinic.pk)[0].lot_number
    file_loss(User.objects.get(email="nurse@demo.kapcare.org"), clinic, {lot: "1"})
    LicensedScaleResult.objects.create(
        patient=signed.patient,
        scale="madrs",
        total=20,
        administered_on=timezone.localdate(),
        recorded_by=signed.signed_by,
    )
    FollowUpPreference.objects.create(
        patient=signed.patient,
        opted_out=True,
        recorded_at=timezone.now(),
        recorded_by=signed.signed_by,
    )
    referral_for_review(clinic, by=signed.signed_by, candidates=[signed.patient])
    PatientIdentifier.objects.create(
        clinic=clinic, patient=signed.patient, system="urn:oid:2.16.840.1.113883.19.5", value="1"
    )


def database_refusal(sql: str, params=()) -> str:
    """The database's error for `sql`, or "" when it ran."""
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, params)
    except DatabaseError as error:
        return str(error)
    return ""


def orm_refusal(action) -> str:
    try:
        with transaction.atomic():
            action()
    except PermissionError as error:
        return str(error)
    return ""


def test_no_kept_record_can_be_deleted_by_sql_or_by_the_orm(demo):
    failures = []
    if connection.vendor == "postgresql":
        # Check the deferred foreign keys of the rows just made, so TRUNCATE may run.
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    for label, kept, database_words, orm_words in KEPT:
        model = apps.get_model(label)
        row = model.objects.filter(**kept).first()
        if row is None:
            failures.append(f"{label}: no row to try")
            continue
        table = model._meta.db_table
        refusal = database_refusal(f"DELETE FROM {table} WHERE id = %s", [row.pk])
        if database_words not in refusal:
            failures.append(f"{label}: raw DELETE not refused ({refusal!r})")
        if connection.vendor == "postgresql":
            refusal = database_refusal(f"TRUNCATE {table} CASCADE")
            # CASCADE reaches the kept tables that point here too; any of them may answer.
            if "never" not in refusal and "append-only" not in refusal:
                failures.append(f"{label}: TRUNCATE not refused ({refusal!r})")
        for how, action in (
            ("instance", row.delete),
            ("queryset", model.objects.filter(pk=row.pk).delete),
        ):
            refusal = orm_refusal(action)
            if orm_words not in refusal:
                failures.append(f"{label}: ORM {how} delete not refused ({refusal!r})")
        if not model.objects.filter(pk=row.pk).exists():
            failures.append(f"{label}: the row is gone")

    assert failures == []


def test_the_orm_error_names_what_to_do_instead(demo):
    signature = Signature.objects.first()

    with pytest.raises(RecordIsKept, match="record a withdrawal instead"):
        signature.delete()


def test_a_screening_in_progress_and_its_answers_may_still_be_removed(clinic, patient, clinician):
    screening = MedicalScreening.objects.create(
        patient=patient,
        version=1,
        history_source="staff",
        history_entered_by=clinician,
        allergies="none known",
        reported_pregnancy_status="not_applicable",
    )

    assert (
        database_refusal("DELETE FROM screening_medicalscreening WHERE id = %s", [screening.pk])
        == ""
    )
    assert not MedicalScreening.objects.filter(pk=screening.pk).exists()


def test_a_questionnaire_in_progress_may_still_be_removed(patient):
    assessment = Assessment.objects.create(patient=patient, instrument="phq9", source="portal")

    assessment.delete()

    assert not Assessment.objects.filter(pk=assessment.pk).exists()


@pytest.mark.django_db(transaction=True)
def test_committed_kept_rows_refuse_delete_and_the_test_database_is_still_emptied(
    clinic, patient, clinician
):
    """Committed rows (as a live server's tests leave them): the trigger refuses, and the
    teardown after this test empties the tables anyway (root conftest.py)."""
    refusal = database_refusal("DELETE FROM patients_patient WHERE id = %s", [patient.pk])

    assert "never deleted" in refusal
