"""What esketamine's records say, read by the rest of the dosing record (the dose gate,
the discharge) as well as by its own pages: nothing here writes, and nothing imports
`kapcare.dosing.dose.services` or `kapcare.dosing.discharge.services`, which read these."""

from datetime import date, datetime

from django.db.models import Exists, OuterRef

from kapcare.dosing.esketamine import rules
from kapcare.dosing.models import DosingRecord, Drug, NasalDevice, Observation, ResolutionCheck


def _person(full_name: str | None, credentials: str | None) -> str:
    if not full_name:
        return ""
    return f"{full_name}, {credentials}" if credentials else full_name


def dose_gate_of(row: dict, dose_day: date) -> tuple[bool, str]:
    """The dose gate of an esketamine record, from the values `dosing.dose.services.dose_gates`
    read (`esketamine_given_before`: `given_before` annotated)."""
    return rules.dose_gate(
        dose_mg=row["dose_mg"],
        lot_expiry=row["lot_expiry"],
        dose_day=dose_day,
        prescribed_by=_person(row["prescribed_by__full_name"], row["prescribed_by__credentials"]),
        confirmed_by=(
            _person(row["confirmed_by__full_name"], row["confirmed_by__credentials"])
            if row["confirmed_at"] is not None
            else ""
        ),
        treated_before=row["esketamine_given_before"],
    )


def _given_at_another_session(patient_id, record_id):
    return DosingRecord.objects.filter(
        patient_id=patient_id, drug=Drug.ESKETAMINE, dose_started_at__isnull=False
    ).exclude(pk=record_id)


def given_before() -> Exists:
    """For a query of dosing records: whether each record's patient was given esketamine
    at another session (the first treatment's dose is the label's 56 mg). One subquery."""
    return Exists(_given_at_another_session(OuterRef("patient_id"), OuterRef("pk")))


def was_given_before(record: DosingRecord) -> bool:
    """Whether `record`'s patient was given esketamine at another session. One query."""
    return _given_at_another_session(record.patient_id, record.pk).exists()


def effects_problem(record: DosingRecord, now: datetime) -> str:
    """The discharge criterion of esketamine's effects at `now` ("" for another drug, or
    when met): the last check since the dose ended has them all resolved. One query."""
    if record.drug != Drug.ESKETAMINE:
        return ""
    checks = ResolutionCheck.objects.filter(record_id=record.pk, checked_at__lte=now)
    if record.dose_ended_at is not None:
        checks = checks.filter(checked_at__gte=record.dose_ended_at)
    last = checks.order_by("-checked_at", "-id").first()
    unresolved = (
        rules.unresolved_effects(
            sedation_resolved=last.sedation_resolved,
            dissociation_resolved=last.dissociation_resolved,
            respiratory_depression_resolved=last.respiratory_depression_resolved,
        )
        if last
        else ()
    )
    return rules.effects_problem(unresolved, last is not None)


def blood_pressure_checks(record: DosingRecord, now: datetime):
    """The REMS form's three blood pressures (`rules.blood_pressure_checks`). One query."""
    first = (
        NasalDevice.objects.filter(record_id=record.pk)
        .order_by("number")
        .values_list("given_at", flat=True)
        .first()
    )
    readings = list(
        Observation.objects.filter(record_id=record.pk, vital="sbp").values_list(
            "taken_at", flat=True
        )
    )
    return rules.blood_pressure_checks(
        first_device_at=first,
        readings=readings,
        discharged_at=record.discharged_at,
        now=now,
    )
