from django.urls import path

from kapcare.patients import views

app_name = "patients"
urlpatterns = [
    path("", views.patient_list, name="list"),
    path("new/", views.patient_create, name="create"),
    path("<uuid:patient_id>/", views.patient_chart, name="chart"),
    path("<uuid:patient_id>/edit/", views.patient_edit, name="edit"),
    path(
        "<uuid:patient_id>/body-measurements/new/",
        views.body_measurement_create,
        name="body_measurement_create",
    ),
    path("<uuid:patient_id>/invite/", views.invite_to_portal, name="invite_to_portal"),
]
