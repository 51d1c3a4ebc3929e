import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kapcare.settings")
application = get_wsgi_application()

from kapcare.deployment.startup import refuse_to_serve_unready  # noqa: E402

refuse_to_serve_unready()
