"""The signed dosing record as PDF (WeasyPrint, as for consents): the patient and the
session, the dose with who prescribed and who checked it, the set and setting, the course
of the session, the vital signs as a chart (SVG drawn on the server, `vitals.svg`) and as a
table with the values out of range marked in words, the events with what was done, the
discharge, the signature — who, when and how they confirmed — and every addendum.

Only a signed record is printed: it is the version that no longer changes. Nothing is
fetched from outside while rendering; times are the clinic's, with the zone named.
"""

from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.safestring import mark_safe

from kapcare.accounts import step_up
from kapcare.consents.pdf import _no_fetching, clinic_time
from kapcare.dosing.models import DosingRecord, Observation
from kapcare.dosing.vitals import svg
from kapcare.dosing.vitals.rules import VITALS
from kapcare.dosing.vitals.views import CHART_VITALS, alert_rows, readings_of


def filename(record: DosingRecord) -> str:
    """The download's name: the session's opaque id, never the patient's name."""
    return f"dosing-record-{record.session.external_id}.pdf"


def chart_svg(readings, zone) -> str:
    """The readings' chart as SVG markup (empty without readings)."""
    if not readings:
        return ""
    first = readings[0].taken_at
    minutes = [int((r.taken_at - first).total_seconds() // 60) for r in readings]
    labels = [timezone.localtime(r.taken_at, zone).strftime("%H:%M") for r in readings]
    series = [
        svg.Series(
            key,
            f"{VITALS[key].short_name} ({VITALS[key].unit})",
            [r.cells[key].value if key in r.cells else None for r in readings],
        )
        for key in CHART_VITALS
    ]
    return svg.vitals_chart_svg(minutes, labels, series)


def record_context(record: DosingRecord) -> dict:
    """What the PDF and the print show, in a fixed number of queries."""
    clinic = record.patient.clinic
    zone = clinic.zone
    observations = list(
        Observation.objects.filter(record_id=record.pk).select_related("entered_by")
    )
    readings = readings_of(observations)
    events = list(
        record.events.select_related("recorded_by")
        .prefetch_related("interventions")
        .order_by("onset_at", "id")
    )
    return {
        "record": record,
        "session": record.session,
        "patient": record.patient,
        "clinic": clinic,
        "readings": readings,
        "alerts": alert_rows(observations),
        "chart_svg": mark_safe(chart_svg(readings, zone)),
        "events": events,
        "addenda": list(record.addenda.select_related("author").order_by("written_at", "id")),
        "signed_at": clinic_time(record.signed_at, clinic) if record.signed_at else "",
        "signed_how": step_up.describe(record.signed_with),
        "generated_at": clinic_time(timezone.now(), clinic),
    }


def record_pdf(record: DosingRecord) -> bytes:
    # Imported here, not with the module: WeasyPrint loads Pango and its fonts (about a
    # second), which every web process and test worker would pay whether or not it ever
    # makes a PDF.
    from weasyprint import HTML

    with timezone.override(record.patient.clinic.zone):
        html = render_to_string("dosing/pdf/record.html", record_context(record))
    return HTML(string=html, url_fetcher=_no_fetching()).write_pdf()
