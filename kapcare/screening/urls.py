"""Screening routes, included at the site root: the staff pages live under the patient's
chart, the patient's own page under the portal, the catalogue under the admin's area."""

from django.urls import path

from kapcare.screening import views

app_name = "screening"
urlpatterns = [
    path("patients/<uuid:patient_id>/screening/", views.screening_detail, name="detail"),
    path(
        "patients/<uuid:patient_id>/screening/history/",
        views.history_for_patient,
        name="history",
    ),
    path("patients/<uuid:patient_id>/screening/review/", views.screening_review, name="review"),
    path(
        "patients/<uuid:patient_id>/eligibility/",
        views.eligibility_decision,
        name="eligibility",
    ),
    path("portal/health-history/", views.portal_health_history, name="health_history"),
    path("clinic-admin/screening-catalogue/", views.catalogue, name="catalogue"),
]
