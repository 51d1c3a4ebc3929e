from django.urls import path

from kapcare.measures import record_views

urlpatterns = [
    path(
        "patients/<uuid:patient_id>/licensed-scales/new/",
        record_views.licensed_scale_create,
        name="licensed_scale_create",
    ),
]
