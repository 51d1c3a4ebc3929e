from django.urls import path

from kapcare.research import views

app_name = "research"

urlpatterns = [
    path("clinic-admin/research-export/", views.download, name="download"),
]
