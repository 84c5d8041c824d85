"""Developer tooling: code generation, the validator, migration guard rails, the console script.

``scaffold`` (``axiomod new`` and ``axiomod generate``, with the project template and the
module templates), ``validator`` (``axiomod validator``), ``migrate`` (``axiomod migrate``)
and ``cli`` (the ``axiomod`` console script) are what a developer runs at a desk or in CI,
never what a service runs to answer requests. They live apart from the kernel so that the
direction is visible and checked: runtime code (the kernel, the composition root, the
apps) never imports ``axiomod.devtools``; a worker or web process never loads it, nor
cookiecutter, grimp or ruff, the optional dependencies it uses.

Its management commands (``axiomod_generate``, ``axiomod_migrate``, ``axiomod_validate``)
stay registered by the core app, in ``axiomod/management/commands``, so ``manage.py``
lists them as before; they import this package only when they run.
"""
