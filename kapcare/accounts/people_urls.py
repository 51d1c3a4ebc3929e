from django.urls import path

from kapcare.accounts import people_views

app_name = "people"
urlpatterns = [
    path("", people_views.people, name="list"),
    path("<uuid:user_id>/active/", people_views.set_active, name="set_active"),
]
