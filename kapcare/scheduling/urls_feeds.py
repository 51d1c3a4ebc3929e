"""Calendar feeds: the secret .ics addresses and the pages that show and regenerate them."""

from django.urls import path

from kapcare.scheduling import feed_views as views

app_name = "feeds"
urlpatterns = [
    path("calendar/<str:token>.ics", views.ics, name="ics"),
    path("calendar/", views.my_feed, name="my_feed"),
    path("schedule/rooms/<uuid:room_id>/feed/", views.room_feed, name="room_feed"),
]
