"""The Today board's live fragments (the board is on the clinician's and the front desk's
home pages)."""

from django.urls import path

from kapcare.dosing.today import views

app_name = "today"
urlpatterns = [
    path("today/board/", views.board, name="board"),
    path("dosing-sessions/<uuid:session_id>/gates/summary/", views.session_gates, name="gates"),
]
