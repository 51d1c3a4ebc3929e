from django.urls import path

from kapcare.research import views

app_name = "research"

urlpatterns = [
    path("clinic-admin/research-export/", views.download, name="download"),
    path("clinic-admin/research-export/list/", views.exports, name="exports"),
    path(
        "clinic-admin/research-export/<str:export_id>/dataset.zip",
        views.export_file,
        name="export_file",
    ),
]
