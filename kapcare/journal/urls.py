from django.urls import path

from kapcare.journal import views

app_name = "journal"
urlpatterns = [
    path("portal/journal/", views.entry_list, name="list"),
    path("portal/journal/new/", views.entry_new, name="new"),
    path("portal/journal/<uuid:entry_id>/edit/", views.entry_edit, name="edit"),
    path("portal/journal/<uuid:entry_id>/share/", views.entry_share, name="share"),
    path("portal/journal/<uuid:entry_id>/unshare/", views.entry_unshare, name="unshare"),
]
