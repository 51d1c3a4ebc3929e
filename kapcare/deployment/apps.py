from django.apps import AppConfig


class DeploymentConfig(AppConfig):
    """Production serving, the health check, database roles, backups and restores."""

    name = "kapcare.deployment"
    label = "deployment"

    def ready(self):
        from kapcare.deployment import checks  # noqa: F401  (registers the checks)
