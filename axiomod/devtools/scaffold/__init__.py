"""Code generation: Clean Architecture modules, services and handlers, and new projects.

``axiomod generate ...`` (``manage.py axiomod_generate``) renders the templates in
``templates/`` into an existing project; ``axiomod new`` renders the cookiecutter
template in ``project_template/`` into a new one. The generators take paths and names
only, so they run with or without Django settings.
"""

from __future__ import annotations

from typing import Any

from .generators import HANDLER_KINDS, generate_handler, generate_module, generate_service
from .names import ModuleNames, ScaffoldError
from .render import Generated

__all__ = [
    "HANDLER_KINDS",
    "Generated",
    "ModuleNames",
    "ScaffoldError",
    "create_project",
    "generate_handler",
    "generate_module",
    "generate_service",
]


def create_project(*args: Any, **kwargs: Any) -> Any:
    """Render the project template (see :func:`axiomod.devtools.scaffold.project.create_project`).

    Imported on call: it needs cookiecutter, which only ``axiomod new`` uses.
    """
    from .project import create_project as create

    return create(*args, **kwargs)
