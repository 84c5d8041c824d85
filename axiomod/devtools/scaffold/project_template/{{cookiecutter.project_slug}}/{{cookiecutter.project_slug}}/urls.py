"""URLs of {{ cookiecutter.project_name }}.

``axiomod.urls`` mounts the endpoints of the installed axiomod apps: /metrics, the probes
/live, /ready and /health{% if cookiecutter.use_oidc == "y" %}, and the OpenID Connect login under oidc/{% endif %}.
Django's own 400/403/404/500 answers (no route matched, an unknown Host, a body over
DATA_UPLOAD_MAX_MEMORY_SIZE, a crash) are JSON error bodies, like the views', through the
handlers imported below.
"""

from axiomod.views import handler400, handler403, handler404, handler500  # noqa: F401
from django.urls import include, path

urlpatterns = [
    path("", include("axiomod.urls")),
{%- if cookiecutter.first_module %}
    path(
        "{{ cookiecutter.first_module }}/",
        include("{{ cookiecutter.project_slug }}.{{ cookiecutter.first_module }}.delivery.http.urls"),
    ),
{%- endif %}
]
