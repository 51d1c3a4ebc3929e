from django.urls import path

from kapcare.therapists import views

app_name = "therapists"

urlpatterns = [
    path("therapists/", views.directory, name="directory"),
    path("therapists/new/", views.create, name="create"),
    path("therapists/<uuid:therapist_id>/", views.detail, name="detail"),
    path("therapists/<uuid:therapist_id>/edit/", views.edit, name="edit"),
    path(
        "therapists/<uuid:therapist_id>/verify/<str:credential>/",
        views.verify,
        name="verify",
    ),
    path("therapists/<uuid:therapist_id>/certificate/", views.certificate, name="certificate"),
    path("portal/therapists/", views.find, name="find"),
]
