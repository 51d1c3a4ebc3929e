"""Mounted at /fhir/r4/. Resource types are matched by name in the views, so an unknown
type is an OperationOutcome, not a page."""

from django.urls import path, re_path

from kapcare.fhir import views
from kapcare.fhir.bulk import views as bulk_views

app_name = "fhir"

urlpatterns = [
    path("metadata", views.metadata, name="metadata"),
    path("$export", bulk_views.system_export, name="export"),
    path("Patient/$export", bulk_views.patient_export, name="patient-export"),
    path("$export-status/<uuid:job_id>", bulk_views.export_status, name="export-status"),
    path("$export-file/<uuid:file_id>", bulk_views.export_file, name="export-file"),
    path("Patient/<str:patient_id>/$everything", views.everything, name="everything"),
    path("<str:resource_type>", views.search, name="search"),
    path("<str:resource_type>/<str:resource_id>", views.read, name="read"),
    re_path(r"^(?P<rest>.+)$", views.unknown, name="unknown"),
]
