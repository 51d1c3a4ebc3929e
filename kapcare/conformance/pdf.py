"""An episode's ASKP3 conformance report as PDF (WeasyPrint), for a referring clinician.
Nothing is fetched from outside while rendering (the consents' fetcher)."""

from django.template.loader import render_to_string
from django.utils import timezone

from kapcare.consents.pdf import _no_fetching, clinic_time


def filename(episode) -> str:
    """The download's name: the episode's opaque id, never the patient's name."""
    return f"askp3-conformance-{episode.external_id}.pdf"


def conformance_pdf(episode, elements) -> bytes:
    # Imported here: WeasyPrint loads Pango and its fonts, which only a PDF should pay.
    from weasyprint import HTML

    html = render_to_string(
        "conformance/pdf/episode.html",
        {
            "episode": episode,
            "patient": episode.patient,
            "clinic": episode.clinic,
            "elements": elements,
            "generated_at": clinic_time(timezone.now(), episode.clinic),
        },
    )
    return HTML(string=html, url_fetcher=_no_fetching()).write_pdf()
