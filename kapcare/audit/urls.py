from django.urls import path

from kapcare.audit import views

app_name = "audit"
urlpatterns = [
    path("", views.search, name="search"),
    path("mine/", views.my_access_log, name="my_access_log"),
    path("export/", views.export, name="export"),
]
