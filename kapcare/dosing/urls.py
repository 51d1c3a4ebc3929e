"""The dosing record: its page (here) and each part's actions (their own modules)."""

from django.urls import path

from kapcare.dosing import views

app_name = "dosing"
urlpatterns = [
    path("dosing-sessions/<uuid:session_id>/record/", views.record, name="record"),
]
