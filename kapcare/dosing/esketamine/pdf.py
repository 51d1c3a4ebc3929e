"""The REMS Patient Monitoring Form of one esketamine session, filled from the record, as
PDF (WeasyPrint): the healthcare setting and its REMS certification, the patient and their
REMS enrolment, the dose and each device with its time, every blood pressure taken with
the three the form asks for, the adverse events, the resolution of sedation, dissociation
and respiratory depression, and the discharge. Nothing is fetched from outside."""

from django.template.loader import render_to_string
from django.utils import timezone

from kapcare.consents.pdf import _no_fetching, clinic_time
from kapcare.dosing.esketamine import facts
from kapcare.dosing.models import DosingRecord, Observation, RemsEnrolment, RemsFormSubmission


def filename(record: DosingRecord) -> str:
    """The download's name: the session's opaque id, never the patient's name."""
    return f"rems-monitoring-form-{record.session.external_id}.pdf"


def _blood_pressures(record: DosingRecord, zone) -> list[dict]:
    """Each reading with a blood pressure: its time, systolic and diastolic."""
    readings: dict = {}
    for reading_id, vital, value, taken_at in Observation.objects.filter(
        record_id=record.pk, vital__in=("sbp", "dbp")
    ).values_list("reading_id", "vital", "value", "taken_at"):
        row = readings.setdefault(reading_id, {"taken_at": taken_at, "sbp": None, "dbp": None})
        row[vital] = value
    return sorted(readings.values(), key=lambda row: row["taken_at"])


def form_context(record: DosingRecord) -> dict:
    clinic = record.patient.clinic
    now = timezone.now()
    checks = list(record.resolution_checks.select_related("checked_by"))
    return {
        "record": record,
        "patient": record.patient,
        "clinic": clinic,
        "session_day": timezone.localdate(record.session.planned_start, clinic.zone),
        "enrolment": RemsEnrolment.objects.filter(patient_id=record.patient_id).first(),
        "devices": list(record.nasal_devices.all()),
        "blood_pressures": _blood_pressures(record, clinic.zone),
        "rems_checks": facts.blood_pressure_checks(record, now),
        "events": list(record.events.all()),
        "last_check": checks[-1] if checks else None,
        "observed_minutes": (
            int((record.discharged_at - record.dose_ended_at).total_seconds() // 60)
            if record.discharged_at and record.dose_ended_at
            else None
        ),
        "submission": RemsFormSubmission.objects.filter(record_id=record.pk).first(),
        "generated_at": clinic_time(now, clinic),
    }


def monitoring_form_pdf(record: DosingRecord) -> bytes:
    # Imported here, not with the module: WeasyPrint loads Pango and its fonts (about a
    # second), which every web process and test worker would pay whether or not it ever
    # makes a PDF.
    from weasyprint import HTML

    html = render_to_string("dosing/esketamine/pdf/monitoring_form.html", form_context(record))
    return HTML(string=html, url_fetcher=_no_fetching()).write_pdf()
