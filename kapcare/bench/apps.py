from django.apps import AppConfig


class BenchConfig(AppConfig):
    """The load harness (`manage.py bench`): pages and API calls under load beside a bare
    view, with their queries and plans, written up as a report
    (docs/performance/README.md)."""

    name = "kapcare.bench"
    label = "bench"
