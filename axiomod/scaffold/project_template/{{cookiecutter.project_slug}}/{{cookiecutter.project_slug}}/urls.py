"""URLs of {{ cookiecutter.project_name }}.

``axiomod.urls`` mounts the endpoints of the installed axiomod apps: /metrics, the probes
/live, /ready and /health{% if cookiecutter.use_oidc == "y" %}, and the OpenID Connect login under oidc/{% endif %}.
"""

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
