"""The composition root: the process entry points, the one place that knows every app.

``wsgi``, ``asgi`` and ``gunicorn_config`` start a serving process: they validate the
configuration (``startup``), send :data:`axiomod.signals.serving_started`, and (for
gunicorn) wire the apps that have work to do in the master or as workers come and go
(the metrics app's multiprocess directory and port, the health app's drain). Everything
else in axiomod reaches the apps through extension points (settings sections, AppConfig
contributions, signals); only here may code import any ``axiomod_*`` app directly.

Projects keep pointing at the stable paths ``axiomod.wsgi``, ``axiomod.asgi`` and
``axiomod.gunicorn_config``, which re-export these modules.
"""
