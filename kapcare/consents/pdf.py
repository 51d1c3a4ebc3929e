"""A signed consent or authorisation as PDF (WeasyPrint).

The PDF prints the text the patient signed as it was stored with the signature
(`Signature.signed_text`), never the version's text as it reads today, followed by the
signature block: who typed what, when (in the clinic's time zone), how, witnessed by
whom, from where, on which version, the SHA-256 of the signed text, and a withdrawal or
revocation if there was one. Nothing is fetched from outside while rendering.
"""

from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.formats import date_format

from kapcare.consents.markdown import render_markdown
from kapcare.consents.models import TREATMENT_KINDS, Signature


def _no_fetching():
    """A URL fetcher that refuses every protocol: nothing is fetched from outside."""
    try:  # WeasyPrint 66 and later: a fetcher object.
        from weasyprint.urls import URLFetcher
    except ImportError:  # pragma: no cover - older WeasyPrint takes a plain function

        def refuse(url, *args, **kwargs):
            raise ValueError(f"Consent PDFs load nothing from outside: {url}")

        return refuse
    return URLFetcher(allowed_protocols=())


def clinic_time(moment, clinic) -> str:
    """`moment` as the clinic reads it, with the zone named, e.g. "March 3, 2026, 2:15 PM
    (America/Chicago)"."""
    local = timezone.localtime(moment, clinic.zone)
    return f"{date_format(local, 'F j, Y, g:i A')} ({clinic.time_zone})"


def filename(signature: Signature) -> str:
    """The download's name: the signature's opaque id, never the patient's name."""
    prefix = "consent" if signature.kind in TREATMENT_KINDS else "sharing-authorisation"
    return f"{prefix}-{signature.external_id}.pdf"


def signature_context(signature: Signature) -> dict:
    patient = signature.patient
    clinic = patient.clinic
    withdrawal = getattr(signature, "withdrawal", None)
    authorization = getattr(signature, "authorization", None)
    return {
        "signature": signature,
        "patient": patient,
        "clinic": clinic,
        "version": signature.version,
        "document": signature.version.document,
        "document_html": render_markdown(signature.signed_text),
        "signed_at": clinic_time(signature.signed_at, clinic),
        "withdrawal": withdrawal,
        "withdrawn_at": clinic_time(withdrawal.withdrawn_at, clinic) if withdrawal else "",
        "authorization": authorization,
        "revoked_at": (
            clinic_time(authorization.revoked_at, clinic)
            if authorization is not None and authorization.revoked_at
            else ""
        ),
        "generated_at": clinic_time(timezone.now(), clinic),
    }


def signature_pdf(signature: Signature) -> bytes:
    """The PDF of `signature`, whose patient (with clinic), version (with document),
    witness, withdrawal and authorisation the caller has fetched."""
    # Imported here, not with the module: WeasyPrint loads Pango and its fonts (about a
    # second), which every web process and test worker would pay whether or not it ever
    # makes a PDF.
    from weasyprint import HTML

    html = render_to_string("consents/pdf/signature.html", signature_context(signature))
    return HTML(string=html, url_fetcher=_no_fetching()).write_pdf()
