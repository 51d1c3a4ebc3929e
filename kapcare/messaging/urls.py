"""Message pages: the inbox and a thread (every role that may read messages), and a new
thread from the clinic (under the patient's chart), from a therapist (under the shared
record) and from a patient (in the portal)."""

from django.urls import path

from kapcare.messaging import views

app_name = "messaging"
urlpatterns = [
    path("messages/", views.inbox, name="inbox"),
    path("messages/<uuid:thread_id>/", views.thread, name="thread"),
    path("patients/<uuid:patient_id>/messages/new/", views.staff_new, name="staff_new"),
    path(
        "shared/patients/<uuid:patient_id>/messages/new/",
        views.therapist_new,
        name="therapist_new",
    ),
    path("portal/messages/new/", views.portal_new, name="portal_new"),
]
