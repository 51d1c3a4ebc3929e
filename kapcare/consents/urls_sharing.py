"""Sharing routes, included at the site root: the patient's pages under the portal, the
staff pages under the patient's chart, the therapist's view of a shared record under
/shared/."""

from django.urls import path

from kapcare.consents import sharing_views as views

app_name = "sharing"
urlpatterns = [
    path("portal/sharing/", views.portal_list, name="portal_list"),
    path("portal/sharing/new/", views.portal_authorize, name="portal_authorize"),
    path(
        "portal/sharing/<uuid:authorization_id>/revoke/",
        views.portal_revoke,
        name="portal_revoke",
    ),
    path("patients/<uuid:patient_id>/sharing/", views.staff_list, name="staff_list"),
    path("patients/<uuid:patient_id>/sharing/new/", views.staff_authorize, name="staff_authorize"),
    path(
        "patients/<uuid:patient_id>/sharing/<uuid:authorization_id>/revoke/",
        views.staff_revoke,
        name="staff_revoke",
    ),
    path("shared/patients/<uuid:patient_id>/", views.shared_record, name="shared_record"),
]
