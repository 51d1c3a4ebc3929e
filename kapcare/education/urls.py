from django.urls import path

from kapcare.education import views

app_name = "education"
urlpatterns = [
    path("clinic-admin/education/", views.page_list, name="pages"),
    path("clinic-admin/education/<uuid:page_id>/", views.page_detail, name="page"),
    path(
        "clinic-admin/education/<uuid:page_id>/new-version/",
        views.new_version,
        name="new_version",
    ),
    path("portal/education/", views.portal_list, name="portal_list"),
    path("portal/education/<slug:topic>/", views.portal_page, name="portal_page"),
    path("portal/education/<slug:topic>/read/", views.mark_read, name="mark_read"),
    path(
        "dosing-sessions/<uuid:session_id>/after-care/",
        views.after_care_sheet,
        name="after_care_sheet",
    ),
]
