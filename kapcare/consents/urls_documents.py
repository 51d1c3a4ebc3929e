"""Consent document routes, included at the site root: the admin's documents under the
admin's area, the patient's own pages under the portal, the staff pages under the
patient's chart, and a signed document's PDF."""

from django.urls import path

from kapcare.consents import document_views as views

app_name = "consents"
urlpatterns = [
    path("clinic-admin/consents/", views.document_list, name="documents"),
    path(
        "clinic-admin/consents/<uuid:document_id>/new-version/",
        views.new_version,
        name="new_version",
    ),
    path(
        "clinic-admin/consents/versions/<uuid:version_id>/",
        views.version_detail,
        name="version",
    ),
    path("portal/consents/", views.portal_consents, name="portal_consents"),
    path("portal/consents/sign/", views.portal_sign, name="portal_sign"),
    path(
        "portal/consents/<uuid:signature_id>/withdraw/",
        views.portal_withdraw,
        name="portal_withdraw",
    ),
    path("patients/<uuid:patient_id>/consents/", views.patient_consents, name="patient_consents"),
    path("patients/<uuid:patient_id>/consents/sign/", views.tablet_sign, name="tablet_sign"),
    path(
        "patients/<uuid:patient_id>/consents/<uuid:signature_id>/withdraw/",
        views.patient_withdraw,
        name="patient_withdraw",
    ),
    path(
        "consents/signatures/<uuid:signature_id>/pdf/",
        views.signature_pdf,
        name="signature_pdf",
    ),
]
