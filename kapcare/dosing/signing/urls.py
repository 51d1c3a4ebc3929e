"""The signing part of the dosing record: the signature, addenda and the therapist's
summary (POST-only actions on the record page; the summary's views are its own part's, its
URLs stay in this namespace), and the patient's account of a session in
the portal."""

from django.urls import path

from kapcare.dosing.signing import views
from kapcare.dosing.summary import views as summary_views

app_name = "signing"
urlpatterns = [
    path("dosing-sessions/<uuid:session_id>/record/sign/", views.sign, name="sign"),
    path("dosing-sessions/<uuid:session_id>/record/addenda/", views.addendum, name="addendum"),
    path("dosing-sessions/<uuid:session_id>/record/pdf/", views.record_pdf, name="record_pdf"),
    path(
        "dosing-sessions/<uuid:session_id>/record/summary/",
        summary_views.summary_save,
        name="summary_save",
    ),
    path(
        "dosing-sessions/<uuid:session_id>/record/summary/release/",
        summary_views.summary_release,
        name="summary_release",
    ),
    path("portal/sessions/<uuid:session_id>/experience/", views.experience, name="experience"),
]
