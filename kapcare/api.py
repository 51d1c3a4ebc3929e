"""The JSON API at /api/v1/ (django-ninja). Routers live in each app's api.py."""

from ninja import NinjaAPI

api = NinjaAPI(title="kapcare API", version="1", urls_namespace="api")
