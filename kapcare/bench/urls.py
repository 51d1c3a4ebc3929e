"""The site's URLs plus the bench's bare view, for a server the bench measures.

Only a server started with BENCH_BARE_VIEW=1 (settings) uses this URLconf; the site's own
`kapcare.urls` never has the bare view, so a production server cannot answer it.
"""

from django.urls import path

from kapcare.bench import views
from kapcare.urls import handler404, handler500
from kapcare.urls import urlpatterns as site_urlpatterns

BARE_VIEW_PATH = "/bench/bare/"

urlpatterns = [
    path(BARE_VIEW_PATH.strip("/") + "/", views.bare, name="bench_bare"),
    *site_urlpatterns,
]

__all__ = ["handler404", "handler500", "urlpatterns"]
