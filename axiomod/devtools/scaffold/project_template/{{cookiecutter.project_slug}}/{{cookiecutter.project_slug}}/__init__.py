"""{{ cookiecutter.project_name }}.

{{ cookiecutter.description | wordwrap(96) }}
"""
{%- if cookiecutter.use_jobs == "y" %}

# Celery's Django pattern: the app exists in every process that loads the project, so
# @job and @shared_task functions bind to it (its configuration is read lazily).
from {{ cookiecutter.project_slug }}.celery import app as celery_app

__all__ = ["celery_app"]
{%- endif %}
