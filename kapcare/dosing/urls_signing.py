"""The signing part of the dosing record: the signature, addenda and the therapist's
summary (POST-only actions on the record page), and the patient's account of a session in
the portal."""

from django.urls import path

from kapcare.dosing import signing_views as views

app_name = "signing"
urlpatterns = [
    path("dosing-sessions/<uuid:session_id>/record/sign/", views.sign, name="sign"),
    path("dosing-sessions/<uuid:session_id>/record/addenda/", views.addendum, name="addendum"),
    path(
        "dosing-sessions/<uuid:session_id>/record/summary/",
        views.summary_save,
        name="summary_save",
    ),
    path(
        "dosing-sessions/<uuid:session_id>/record/summary/release/",
        views.summary_release,
        name="summary_release",
    ),
    path("portal/sessions/<uuid:session_id>/experience/", views.experience, name="experience"),
]
