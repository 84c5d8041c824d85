"""``AXIOMOD["metrics"]["path"]``, mounted by ``axiomod.urls``.

The path is read when the URLconf is loaded (at start-up). ``best_effort`` because the
URLconf is loaded by ``manage.py check`` too, which must report a bad setting rather
than die on it.
"""

from django.urls import path

from axiomod.conf import settings

from .views import metrics_view

app_name = "axiomod_metrics"
urlpatterns = [path(settings.best_effort("metrics").path.lstrip("/"), metrics_view, name="metrics")]
