"""Rooms, working hours, time off, and the coordinator's day and week views."""

from django.urls import path

from kapcare.scheduling import session_views, views

app_name = "scheduling"
urlpatterns = [
    path("schedule/day/", views.day, name="day"),
    path("schedule/week/", views.week, name="week"),
    path("schedule/sessions/<uuid:session_id>/", session_views.session, name="session"),
    path("schedule/rooms/", views.rooms, name="rooms"),
    path("schedule/rooms/<uuid:room_id>/", views.room_edit, name="room_edit"),
    path("schedule/working-hours/", views.working_hours, name="working_hours"),
]
