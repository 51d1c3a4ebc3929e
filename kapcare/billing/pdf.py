"""A Good Faith Estimate as PDF (WeasyPrint), rendered from the content frozen when it was
issued, so the document reads the same however prices, codes or names change later."""

from django.template.loader import render_to_string

from kapcare.billing.models import GoodFaithEstimate
from kapcare.consents.pdf import _no_fetching, clinic_time


def filename(estimate: GoodFaithEstimate) -> str:
    """The opaque id, never the patient's name."""
    return f"good-faith-estimate-{estimate.external_id}.pdf"


def estimate_html(estimate: GoodFaithEstimate) -> str:
    return render_to_string(
        "billing/pdf/estimate.html",
        {
            "estimate": estimate,
            "content": estimate.content,
            "issued_at": clinic_time(estimate.issued_at, estimate.clinic),
        },
    )


def estimate_pdf(estimate: GoodFaithEstimate) -> bytes:
    # Imported here: WeasyPrint loads Pango and its fonts (see consents/pdf.py).
    from weasyprint import HTML

    return HTML(string=estimate_html(estimate), url_fetcher=_no_fetching()).write_pdf()
