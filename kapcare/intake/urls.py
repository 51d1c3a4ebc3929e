from django.urls import path

app_name = "intake"
urlpatterns: list = [path("consultation/<slug:clinic_slug>/", lambda r, clinic_slug: None, name="request"), path("consultation-requests/", lambda r: None, name="queue")]
