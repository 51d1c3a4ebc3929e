from django.urls import path

from kapcare.conformance import views

app_name = "conformance"

urlpatterns = [
    path(
        "clinical/episodes/<uuid:episode_id>/conformance.pdf",
        views.episode_pdf,
        name="episode_pdf",
    ),
    path("clinical/conformance/", views.clinic, name="clinic"),
    path("clinical/episodes/<uuid:episode_id>/conformance/", views.episode, name="episode"),
]
