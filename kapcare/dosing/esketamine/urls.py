"""Esketamine's pages: the patient's REMS enrolment, the part's actions on the dosing record
(POST only; the record page shows them), the REMS form as PDF and the list of forms to
send."""

from django.urls import path

from kapcare.dosing.esketamine import views

app_name = "esketamine"
urlpatterns = [
    path("patients/<uuid:patient_id>/rems-enrolment/", views.enrolment, name="enrolment"),
    path(
        "dosing-sessions/<uuid:session_id>/esketamine/prescription/",
        views.prescribe,
        name="prescribe",
    ),
    path("dosing-sessions/<uuid:session_id>/esketamine/devices/", views.device, name="device"),
    path(
        "dosing-sessions/<uuid:session_id>/esketamine/resolution/",
        views.resolution,
        name="resolution",
    ),
    path("dosing-sessions/<uuid:session_id>/rems-form.pdf", views.form_pdf, name="form_pdf"),
    path(
        "dosing-sessions/<uuid:session_id>/rems-form/submission/",
        views.submission,
        name="submission",
    ),
    path("rems-forms/", views.forms_list, name="forms"),
]
