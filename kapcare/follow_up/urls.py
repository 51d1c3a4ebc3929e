from django.urls import path

from kapcare.follow_up import views

app_name = "follow_up"

urlpatterns = [
    path("patients/<uuid:patient_id>/follow-up/", views.patient_follow_up, name="patient"),
    path("portal/follow-up/", views.portal_follow_up, name="portal"),
]
