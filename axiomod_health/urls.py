"""The probe paths of ``AXIOMOD["health"]``, mounted by ``axiomod.urls``.

``best_effort`` because the URLconf is also loaded by ``manage.py check``, which must
report a bad setting rather than die on it.
"""

from django.urls import path

from axiomod.conf import settings

from . import views

app_name = "axiomod_health"

_conf = settings.best_effort("health")
urlpatterns = [
    path(_conf.live_path.lstrip("/"), views.live, name="live"),
    path(_conf.ready_path.lstrip("/"), views.ready, name="ready"),
    path(_conf.health_path.lstrip("/"), views.health, name="health"),
]
