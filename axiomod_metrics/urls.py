"""``AXIOMOD["metrics"]["path"]``, mounted by ``axiomod.urls``.

The path is read when the URLconf is loaded (at start-up). ``best_effort`` because the
URLconf is loaded by ``manage.py check`` too, which must report a bad setting rather
than die on it.
"""

from django.urls import path

from axiomod.conf import settings

from .views import metrics_view

app_name = "axiomod_metrics"

_conf = settings.best_effort("metrics")
# With main_port off the scrape is only on AXIOMOD["metrics"]["port"].
urlpatterns = (
    [path(_conf.path.lstrip("/"), metrics_view, name="metrics")] if _conf.main_port else []
)
